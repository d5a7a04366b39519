"""Dates as Excel and Python give them: datetimes, dates, ISO text and 1900-system serials.

Text dates follow one policy, for every file, command and formula
(:func:`text_to_ordinal`): ISO dates and timestamps (``2026-03-15``,
``2026-03-15T23:30:05.000Z``, ``2026-03-15T23:30:05+0000``: the date as
written) are always read; slash dates (``3/15/2026``, ``15/03/2026``) only when
the caller knows the order (``mdy`` or ``dmy``), never by guessing.

Dates are handled as day ordinals (``date.toordinal()``) so that day counts are
plain integer subtraction. Time of day is ignored.

Excel's 1900 date system counts 1900-01-01 as serial 1 and keeps Lotus 1-2-3's
phantom 1900-02-29 as serial 60, so serials from 61 on are days since
1899-12-30 and serials 1-59 are days since 1899-12-31. Serial 60 is refused.
"""

from __future__ import annotations

import numbers as _numbers
import re
from datetime import date, datetime

import numpy as np

from .errors import InputError
from .inputs import REQUIRED, blank, refuse_element

__all__ = [
    "DATE_ORDERS",
    "LAST_SERIAL",
    "check_order",
    "infer_order",
    "month_of_text",
    "ordinals",
    "serial_to_ordinal",
    "text_to_ordinal",
    "to_ordinal",
    "today",
]

EPOCH = date(1899, 12, 30).toordinal()  # serial 0 for serials from 61 on
LAST_SERIAL = 2958465  # 9999-12-31
WANTED = "a date (a date cell, an Excel serial or YYYY-MM-DD)"
DATE_ORDERS = ("mdy", "dmy")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
                  r"\s*(?:Z|[+-]\d{2}:?\d{2})?)?")
_SLASH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\s*[AaPp][Mm])?)?")
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                      "sep", "oct", "nov", "dec"), 1)}
_MONTH = re.compile(r"(?:(\d{4})-(\d{1,2})|([A-Za-z]{3,9})\.? (\d{4})|(\d{1,2})/(\d{4}))")


def text_to_ordinal(name: str, text: str, order: str | None = None) -> int:
    """A text date as a day ordinal, by the one date policy (see the module docstring).

    >>> [date.fromordinal(text_to_ordinal("d", t)).isoformat()
    ...  for t in ("2026-03-15", "2026-03-15T23:30:05.000Z", "2026-03-15T23:30:05+0000")]
    ['2026-03-15', '2026-03-15', '2026-03-15']
    >>> date.fromordinal(text_to_ordinal("d", "15/03/2026", "dmy")).isoformat()
    '2026-03-15'
    """
    clean = text.strip()
    m = _ISO.fullmatch(clean)
    if m:
        y, mo, d = (int(g) for g in m.groups())
    else:
        m = _SLASH.fullmatch(clean)
        if m is None or order not in DATE_ORDERS:
            if m is not None:
                raise InputError(name, text, "is a slash date, and whether the day or the "
                                 "month comes first is not known", f"enter {WANTED}")
            refuse_element(name, text, WANTED)
        a, b, y = (int(g) for g in m.groups())
        mo, d = (a, b) if order == "mdy" else (b, a)
    try:
        return date(y, mo, d).toordinal()
    except ValueError:
        raise InputError(name, text, "is not a real date", f"enter {WANTED}") from None


_SLASH_HEAD = re.compile(r"\s*(\d{1,2})/(\d{1,2})/\d{4}")
ORDER_FIX = "add --date-order dmy or --date-order mdy"


def infer_order(name: str, texts, order: str | None = None) -> str | None:
    """The order of a file's slash dates: ``order`` when given, else what the file's own
    data proves (a first field above 12 somewhere: ``dmy``; a second one: ``mdy``), else
    None when the file has no slash date; a file whose slash dates are all ambiguous, or
    contradict each other, is refused. Never a guess.

    >>> infer_order("f", ["1/2/2026", "25/12/2026"]), infer_order("f", ["2026-01-02"])
    ('dmy', None)
    >>> infer_order("f", ["1/2/2026", "3/4/2026"])
    Traceback (most recent call last):
    ...
    xlcredits.errors.InputError: f='1/2/2026' has slash dates whose order is not proved by any of them (every first and second field is 12 or less); add --date-order dmy or --date-order mdy
    """
    if order is not None:
        if order not in DATE_ORDERS:
            raise InputError("--date-order", order, "is not a date order", "use mdy or dmy")
        return order
    first = day_first = month_first = None
    for text in texts:
        if not isinstance(text, str):
            continue
        m = _SLASH_HEAD.match(text)
        if m is None:
            continue
        first = first or text
        a, b = int(m.group(1)), int(m.group(2))
        if a > 12:
            day_first = day_first or text
        if b > 12:
            month_first = month_first or text
        if day_first and month_first:
            raise InputError(name, day_first, f"is day-first but {month_first!r} is "
                             "month-first: the file mixes both orders",
                             "export the dates in one order")
    if first is None:
        return None
    if day_first:
        return "dmy"
    if month_first:
        return "mdy"
    raise InputError(name, first, "has slash dates whose order is not proved by any of them "
                     "(every first and second field is 12 or less)", ORDER_FIX)


def month_of_text(text: str) -> tuple[int, int] | None:
    """The (year, month) a text names when it names a whole month, else None.

    >>> month_of_text("2026-03"), month_of_text("Mar 2026"), month_of_text("2026-03-01")
    ((2026, 3), (2026, 3), None)
    """
    m = _MONTH.fullmatch(text.strip())
    if m is None:
        return None
    if m.group(1):
        year, month = int(m.group(1)), int(m.group(2))
    elif m.group(3):
        year, month = int(m.group(4)), _MONTHS.get(m.group(3)[:3].lower(), 0)
    else:
        year, month = int(m.group(6)), int(m.group(5))
    return (year, month) if 1 <= month <= 12 else None


def serial_to_ordinal(name: str, serial: float) -> int:
    """One 1900-system serial as a day ordinal.

    >>> date.fromordinal(serial_to_ordinal("d", 46022))
    datetime.date(2025, 12, 31)
    >>> date.fromordinal(serial_to_ordinal("d", 59))
    datetime.date(1900, 2, 28)
    """
    if not np.isfinite(serial):
        raise InputError(name, serial, "is not a finite number", f"enter {WANTED}")
    whole = int(np.floor(serial))
    if not 1 <= whole <= LAST_SERIAL or whole == 60:
        problem = ("is 1900-02-29, a day that did not exist" if whole == 60
                   else f"is outside Excel's dates (1 to {LAST_SERIAL})")
        raise InputError(name, serial, problem, f"enter {WANTED}")
    return EPOCH + whole if whole >= 61 else EPOCH + 1 + whole


def _serials_to_ordinals(name: str, serials: np.ndarray) -> np.ndarray:
    """Excel serials as day ordinals, all at once; the first bad one is refused as
    :func:`serial_to_ordinal` would refuse it.

    >>> [str(date.fromordinal(int(o))) for o in _serials_to_ordinals(
    ...     "d", np.array([1.0, 59.5, 61.0, 46022.0]))]
    ['1900-01-01', '1900-02-28', '1900-03-01', '2025-12-31']
    """
    if not serials.size:
        return serials.astype(np.int64)
    low, high = serials.min(), serials.max()  # NaN in either: not >= 1
    # on whole days: 1 <= floor <= LAST_SERIAL, and never 60 (checked only if low enough)
    if not (low >= 1 and high < LAST_SERIAL + 1 and (low >= 61 or
                                                     (np.floor(serials) != 60).all())):
        whole = np.floor(serials)
        bad = ~((whole >= 1) & (whole <= LAST_SERIAL) & (whole != 60))  # NaN is bad too
        serial_to_ordinal(name, float(serials[bad][0]))  # raises with the right message
    days = serials.astype(np.int64)  # truncation, the floor of serials from 1 on
    return days + (EPOCH if low >= 61 else np.where(days >= 61, EPOCH, EPOCH + 1))


def to_ordinal(name: str, x: object, order: str | None = None) -> int:
    """One date-like value as a day ordinal (``order``: of slash dates in text)."""
    if isinstance(x, datetime):
        return x.date().toordinal()
    if isinstance(x, date):
        return x.toordinal()
    if isinstance(x, np.datetime64):
        return int(x.astype("datetime64[D]").astype(np.int64)) + date(1970, 1, 1).toordinal()
    if isinstance(x, _numbers.Real) and not isinstance(x, (bool, np.bool_)):
        if not np.isfinite(x):
            raise InputError(name, x, "is not a finite number", f"enter {WANTED}")
        return serial_to_ordinal(name, float(x))
    if isinstance(x, str) and x.strip():
        return text_to_ordinal(name, x, order)
    refuse_element(name, x, WANTED)


def ordinals(name: str, value: object, default: object = REQUIRED) -> np.ndarray:
    """``value`` as an int64 array of day ordinals; blanks become ``default`` (a date).

    >>> ordinals("d", [datetime(2026, 1, 1), 46023.0, "2026-01-01"]).tolist()
    [739617, 739617, 739617]
    """
    if value is None:
        value = blank(name, default)
    arr = np.asarray(value)
    if arr.dtype.kind == "M":
        days = arr.astype("datetime64[D]").astype(np.int64)
        return days + date(1970, 1, 1).toordinal()
    if arr.dtype.kind in "iuf":
        return _serials_to_ordinals(name, arr)
    if arr.dtype.kind != "O" or arr.ndim == 0:
        arr = np.array(value, dtype=object)
    out = np.empty(arr.shape, np.int64)
    for i, x in np.ndenumerate(arr):
        out[i] = to_ordinal(name, blank(name, default) if x is None else x)
    return out


def check_order(name: str, later: np.ndarray, earlier_name: str, earlier: np.ndarray) -> None:
    """Refuse the first element where ``later`` falls before ``earlier``, quoting it as a date."""
    bad = later < earlier
    if np.any(bad):
        shown = date.fromordinal(int(np.broadcast_to(later, bad.shape)[bad][0]))
        raise InputError(name, shown, f"is before {earlier_name}",
                         f"enter a date on or after {earlier_name}")


def today() -> date:
    """Today's date (a function so that tests and callers can pin it)."""
    return date.today()
