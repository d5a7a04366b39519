"""Credits: balances, consumption and lapse at expiry (DOMAIN.md section 6)."""

from __future__ import annotations

import numpy as np

from .dates import check_order, ordinals, today
from .inputs import broadcast, nonnegative, numbers, result

DAYS_PER_MONTH = 365 / 12  # a monthly rate x 12 / 365 is a daily rate


def credit_lapse(balance, consumed, start_date, expiry_date, as_of=None, monthly_rate=None):
    """Credits projected to remain unused at expiry, at the run rate or a given rate.

    Parameters
    ----------
    balance : array_like
        Contracted balance (zero or more).
    consumed : array_like
        Consumption through the end of day ``as_of`` (zero or more).
    start_date, expiry_date : date-like
        First and last day the credits can be used (datetimes, dates,
        Excel 1900-system serials or ``YYYY-MM-DD`` text).
    as_of : date-like, optional
        The day the consumption figure is counted to. Today if omitted.
    monthly_rate : array_like, optional
        Expected consumption per month. If omitted (or blank), the run rate
        so far: consumed / elapsed days.

    Returns
    -------
    float or ndarray
        Credits projected unused at expiry, from 0 to ``balance``.

    Notes
    -----
    elapsed = as_of - start_date + 1 days; remaining = expiry_date - as_of
    days (from start to expiry, expiry - start + 1 days, while as_of is
    before the start). Daily rate = consumed / elapsed, or
    monthly_rate x 12 / 365. Projected use = min(consumed + daily rate x
    remaining, balance); the lapse is balance - projected use. On or after
    expiry it is max(balance - consumed, 0). Before the start and without
    ``monthly_rate`` the whole unconsumed balance is at risk.

    Examples
    --------
    The worked case: 181 days elapsed, 184 remaining.

    >>> round(credit_lapse(1_200_000, 300_000, "2026-01-01", "2026-12-31", "2026-06-30"), 2)
    595027.62
    >>> credit_lapse(1000, 400, "2026-01-01", "2026-12-31", "2027-01-15")
    600.0
    """
    bal = nonnegative("balance", numbers("balance", balance))
    used = nonnegative("consumed", numbers("consumed", consumed))
    start = ordinals("start_date", start_date)
    expiry = ordinals("expiry_date", expiry_date)
    now = ordinals("as_of", as_of, today())
    monthly = nonnegative("monthly_rate", numbers("monthly_rate", monthly_rate, np.nan))
    bal, used, start, expiry, now, monthly = broadcast(
        balance=bal, consumed=used, start_date=start, expiry_date=expiry, as_of=now,
        monthly_rate=monthly)
    check_order("expiry_date", expiry, "start_date", start)

    before_start = now < start
    elapsed = np.maximum(now - start + 1, 1)
    remaining = np.where(before_start, expiry - start + 1, np.maximum(expiry - now, 0))
    given = ~np.isnan(monthly)
    daily = np.where(given, np.where(given, monthly, 0) / DAYS_PER_MONTH, used / elapsed)
    daily = np.where(before_start & ~given, 0.0, daily)
    projected = np.minimum(used + daily * remaining, bal)
    return result(np.maximum(bal - projected, 0.0))
