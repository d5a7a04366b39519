"""Dates as Excel and Python give them: datetimes, dates, ISO text and 1900-system serials.

Dates are handled as day ordinals (``date.toordinal()``) so that day counts are
plain integer subtraction. Time of day is ignored.

Excel's 1900 date system counts 1900-01-01 as serial 1 and keeps Lotus 1-2-3's
phantom 1900-02-29 as serial 60, so serials from 61 on are days since
1899-12-30 and serials 1-59 are days since 1899-12-31. Serial 60 is refused.
"""

from __future__ import annotations

import numbers as _numbers
from datetime import date, datetime

import numpy as np

from .errors import InputError
from .inputs import REQUIRED, blank, refuse_element

EPOCH = date(1899, 12, 30).toordinal()  # serial 0 for serials from 61 on
LAST_SERIAL = 2958465  # 9999-12-31
WANTED = "a date (a date cell, an Excel serial or YYYY-MM-DD)"


def serial_to_ordinal(name: str, serial: float) -> int:
    """One 1900-system serial as a day ordinal.

    >>> date.fromordinal(serial_to_ordinal("d", 46022))
    datetime.date(2025, 12, 31)
    >>> date.fromordinal(serial_to_ordinal("d", 59))
    datetime.date(1900, 2, 28)
    """
    whole = int(np.floor(serial))
    if not 1 <= whole <= LAST_SERIAL or whole == 60:
        problem = ("is 1900-02-29, a day that did not exist" if whole == 60
                   else f"is outside Excel's dates (1 to {LAST_SERIAL})")
        raise InputError(name, serial, problem, f"enter {WANTED}")
    return EPOCH + whole if whole >= 61 else EPOCH + 1 + whole


def to_ordinal(name: str, x: object) -> int:
    """One date-like value as a day ordinal."""
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
    if isinstance(x, str):
        try:
            return date.fromisoformat(x.strip()).toordinal()
        except ValueError:
            pass
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
