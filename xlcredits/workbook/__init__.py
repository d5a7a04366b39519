"""The template workbook: declared once in :mod:`.schema`, built by :mod:`.build`."""
