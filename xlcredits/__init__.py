"""xlcredits: the economics of Salesforce credits and licences, as Excel formulas and workbooks."""

from .errors import InputError, UnknownKeyError, XlcreditsError

__version__ = "0.1.0"
__all__ = ["InputError", "UnknownKeyError", "XlcreditsError", "__version__"]
