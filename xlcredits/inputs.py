"""Turning arguments into checked numpy arrays.

Every core function takes scalars or array-likes (nested lists, numpy arrays,
object arrays that hold ``None`` for blanks) and starts by passing each
argument through these helpers, which raise :class:`InputError` naming the
argument, the first bad value and the fix.
"""

from __future__ import annotations

import numbers as _numbers
import re
from datetime import date

import numpy as np

from .errors import InputError

__all__ = [
    "EXCEL_ERRORS",
    "REQUIRED",
    "blank",
    "broadcast",
    "check_shapes",
    "fraction",
    "nonnegative",
    "number_of_text",
    "numbers",
    "positive",
    "refuse_element",
    "require",
    "result",
    "single",
    "texts",
    "whole",
]

REQUIRED = object()
"""Marker default: the argument must be given (a blank is refused)."""

EXCEL_ERRORS = ("#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
                "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#BUSY!",
                "#CONNECT!", "#UNKNOWN!")


def refuse_element(name: str, x: object, wanted: str) -> None:
    """Raise the error for one element that is not of the ``wanted`` kind."""
    if isinstance(x, str) and x.strip().upper() in EXCEL_ERRORS:
        raise InputError(name, x, "is an error value", "fix the cell it comes from")
    if isinstance(x, (bool, np.bool_)):
        raise InputError(name, x, "is TRUE/FALSE", f"enter {wanted}")
    if isinstance(x, str) and x.strip().endswith("%"):
        raise InputError(name, x, "is text", "enter the percentage as a number (25% or 0.25)")
    kind = "text" if isinstance(x, str) else "a date" if isinstance(x, date) else "not a number"
    raise InputError(name, x, f"is {kind}", f"enter {wanted}")


def blank(name: str, default: object) -> object:
    if default is REQUIRED:
        raise InputError(name, None, "is blank", "enter a value")
    return default


def numbers(name: str, value: object, default: object = REQUIRED) -> np.ndarray:
    """``value`` as a float array; ``None`` (blank, omitted) becomes ``default``.

    Text, TRUE/FALSE, dates, NaN and infinity are refused. ``default`` may be
    NaN, which callers use to mean "not given" element by element.

    >>> numbers("actions", [[1.0, None]], default=0.0).tolist()
    [[1.0, 0.0]]
    """
    if value is None:
        return np.asarray(float(blank(name, default)))
    arr = np.asarray(value)
    if arr.dtype.kind in "US":
        arr = arr.astype(object)
    if arr.dtype.kind in "iuf":  # numbers already: one pass to check them
        out = arr.astype(float, copy=False)
        if not np.isfinite(out.sum()):  # one pass; NaN and inf propagate (or an overflow)
            bad = ~np.isfinite(out)
            if bad.any():
                raise InputError(name, out[bad][0], "is not a finite number", "enter a number")
        return out
    else:
        out = np.empty(arr.shape, float)
        given = np.ones(arr.shape, bool)
        for i, x in np.ndenumerate(arr):
            if x is None:
                x, given[i] = blank(name, default), False
            elif isinstance(x, (bool, np.bool_)) or not isinstance(x, _numbers.Real):
                refuse_element(name, x, "a number")
            out[i] = float(x)
    bad = given & ~np.isfinite(out)
    if bad.any():
        raise InputError(name, out[bad][0], "is not a finite number", "enter a number")
    return out


def require(name: str, arr: np.ndarray, ok: np.ndarray, problem: str, fix: str) -> None:
    """Raise for the first element of ``arr`` where ``ok`` is False (NaN counts as ok)."""
    if np.all(ok):
        return
    bad = ~(ok | np.isnan(arr))
    if np.any(bad):
        raise InputError(name, np.broadcast_to(arr, bad.shape)[bad][0], problem, fix)


def nonnegative(name: str, arr: np.ndarray) -> np.ndarray:
    if np.size(arr) and np.min(arr) >= 0:  # the usual case, in one pass (NaN: the full check)
        return arr
    require(name, arr, arr >= 0, "is negative", "enter zero or more")
    return arr


def positive(name: str, arr: np.ndarray) -> np.ndarray:
    if np.size(arr) and np.min(arr) > 0:
        return arr
    require(name, arr, arr > 0, "is not above zero", "enter a number above zero")
    return arr


def fraction(name: str, arr: np.ndarray, upper: float = 1.0) -> np.ndarray:
    """Check a rate entered as a fraction in [0, upper); 25 gets the hint '25% or 0.25'."""
    require(name, arr, arr >= 0, "is negative", "enter a fraction from 0, e.g. 25% or 0.25")
    big = arr[(arr >= upper) & ~np.isnan(arr)]
    if big.size:
        v = float(big.flat[0])
        hint = f"enter {v:g}% or {v / 100:g}" if v >= 1 else f"enter a fraction below {upper:g}"
        raise InputError(name, v, f"is not a fraction below {upper:g}", hint)
    return arr


def whole(name: str, arr: np.ndarray, minimum: int = 1) -> np.ndarray:
    require(name, arr, (arr == np.floor(arr)) & (arr >= minimum),
            "is not a whole number" + (f" of at least {minimum}" if minimum else ""),
            f"enter a whole number from {minimum}")
    return arr


def texts(name: str, value: object, default: object = REQUIRED) -> np.ndarray:
    """``value`` as an object array of stripped strings or numbers; blanks become ``default``."""
    if value is None:
        value = blank(name, default)
    arr = np.array(value, dtype=object)
    out = np.empty(arr.shape, object)
    for i, x in np.ndenumerate(arr):
        out[i] = blank(name, default) if x is None else x.strip() if isinstance(x, str) else x
    return out


def broadcast(**arrays: np.ndarray) -> list[np.ndarray]:
    """Broadcast the arguments together; ranges of clashing sizes get a clear error."""
    try:
        return list(np.broadcast_arrays(*arrays.values()))
    except ValueError:
        shapes = ", ".join(f"{k} {'x'.join(map(str, np.shape(v))) or 'one cell'}"
                           for k, v in arrays.items() if np.ndim(v))
        raise InputError("ranges", shapes, "have different sizes",
                         "use ranges of the same size, or single cells") from None


def check_shapes(**arrays: np.ndarray) -> tuple[int, ...]:
    """The shape the arguments broadcast to, or the error of :func:`broadcast`; the arrays
    themselves are left alone (arithmetic on them broadcasts without copies)."""
    try:
        return np.broadcast_shapes(*(np.shape(v) for v in arrays.values()))
    except ValueError:
        broadcast(**arrays)  # raises the clear error
        raise


def single(name: str, arr: np.ndarray) -> float:
    """The one value of an argument that must be a single cell."""
    if arr.size != 1:
        raise InputError(name, f"{arr.size} cells", "is a range", "give a single cell")
    return float(arr.ravel()[0])


def result(arr: np.ndarray) -> float | np.ndarray:
    """A Python float for a 0-d result, else the array itself."""
    arr = np.asarray(arr)
    return arr.item() if arr.ndim == 0 else arr


_CURRENCY = re.compile(r"^[$\u20ac\u00a3\u00a5]|^(?:USD|EUR|GBP|JPY)\s*|\s*(?:USD|EUR|GBP|JPY)$|[$\u20ac\u00a3\u00a5]$")
_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+")
_THOUSANDS_EU = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d*)?|\d+(?:,\d*)?|,\d+")


def number_of_text(text: str, decimal_comma: bool = False) -> float | None:
    r"""A number as exports write it: thousands separators, a currency symbol or code,
    accounting brackets for a negative; a decimal comma when ``decimal_comma`` (semicolon
    files). None when the text is not such a number.

    >>> number_of_text("100,000"), number_of_text("$0.006"), number_of_text("1.234,5", True)
    (100000.0, 0.006, 1234.5)
    >>> number_of_text("1,5") is None, number_of_text("1e3")
    (True, 1000.0)
    """
    t = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    negative = False
    if t.startswith("(") and t.endswith(")"):
        negative, t = True, t[1:-1]
    if t.startswith(("-", "+")):
        negative, t = negative ^ (t[0] == "-"), t[1:]
    t = _CURRENCY.sub("", t)
    if t.startswith(("-", "+")):  # $-5
        negative, t = negative ^ (t[0] == "-"), t[1:]
    pattern = _THOUSANDS_EU if decimal_comma else _THOUSANDS
    if pattern.fullmatch(t):
        t = t.replace(".", "").replace(",", ".") if decimal_comma else t.replace(",", "")
    elif not re.fullmatch(r"\d+(?:\.\d*)?[eE][+-]?\d+", t):
        return None
    value = float(t)
    return -value if negative else value
