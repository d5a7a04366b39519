"""Developer tools: the formula-engine bridge, the LibreOffice driver, the screenshots.

They need the test extra (``pip install 'xlcredits[test]'``) and LibreOffice; the product
never imports them (the ``screenshots`` command loads them when it is run).
"""
