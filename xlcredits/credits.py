"""Credits: balances, consumption, lapse at expiry and alerts (DOMAIN.md section 6).

Date conventions, shared by every function here: ``consumed`` is consumption
through the end of day ``as_of``; ``expiry_date`` is the last day credits can
be used; elapsed days = as_of - start_date + 1; remaining days = expiry_date -
as_of (from start to expiry, expiry - start + 1 days, while as_of is before
the start). The run rate is consumed / elapsed days; a given ``monthly_rate``
is converted at 12 / 365 months a day.

A grace period (``grace_days``, DOMAIN.md section 6) extends use past the
expiry date: credits are usable through expiry_date + grace_days, the lapse
is projected to the end of the grace, and EXPIRED starts only after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from .dates import check_order, ordinals, today
from .inputs import broadcast, fraction, nonnegative, numbers, positive, require, result, whole
from .rates import rate

__all__ = [
    "ALERTS",
    "ALERT_LEVELS",
    "DAYS_PER_MONTH",
    "MAX_GRACE_DAYS",
    "alert_label",
    "alert_states",
    "credit_alert",
    "credit_catchup",
    "credit_depletion",
    "credit_lapse",
    "credit_remaining",
    "credit_used",
    "value_at_risk",
]

DAYS_PER_MONTH = 365 / 12
MAX_GRACE_DAYS = 3650
"""The longest grace period accepted: ten years (90 days is the common one)."""


@dataclass
class Projection:
    """One or many entitlements projected to expiry, as broadcast arrays."""
    balance: np.ndarray
    consumed: np.ndarray
    expiry: np.ndarray  # day ordinals
    as_of: np.ndarray
    daily: np.ndarray  # projected consumption per day from as_of on
    remaining_days: np.ndarray

    @property
    def lapse(self) -> np.ndarray:
        use = np.minimum(self.consumed + self.daily * self.remaining_days, self.balance)
        return np.maximum(self.balance - use, 0.0)


def _project(balance, consumed, start_date, expiry_date, as_of=None, monthly_rate=None,
             grace_days=None) -> Projection:
    """Check the arguments shared by the register functions and project to the last day
    of use: the expiry date plus the grace days."""
    bal = nonnegative("balance", numbers("balance", balance))
    used = nonnegative("consumed", numbers("consumed", consumed))
    start = ordinals("start_date", start_date)
    expiry = ordinals("expiry_date", expiry_date)
    now = ordinals("as_of", as_of, today())
    monthly = nonnegative("monthly_rate", numbers("monthly_rate", monthly_rate, np.nan))
    planned = not np.isnan(monthly).all()  # before broadcasting: usually one NaN
    grace = whole("grace_days", nonnegative("grace_days", numbers("grace_days", grace_days,
                                                                 0.0)), minimum=0)
    require("grace_days", grace, grace <= MAX_GRACE_DAYS, "is longer than any contract's grace",
            f"enter at most {MAX_GRACE_DAYS} days")
    graced = bool(np.any(grace))  # before broadcasting: usually a single 0
    bal, used, start, expiry, now, monthly, grace = broadcast(
        balance=bal, consumed=used, start_date=start, expiry_date=expiry, as_of=now,
        monthly_rate=monthly, grace_days=grace)
    check_order("expiry_date", expiry, "start_date", start)
    if graced:  # usable through expiry + grace days (none, usually: no pass over the rows)
        expiry = expiry + grace.astype(np.int64)
    before_start = now < start
    if before_start.any():
        elapsed = np.maximum(now - start + 1, 1)
        remaining = np.where(before_start, expiry - start + 1, np.maximum(expiry - now, 0))
        run_rate = np.where(before_start, 0.0, used / elapsed)
    else:  # the usual case, without the masks
        remaining = np.maximum(expiry - now, 0)
        run_rate = used / (now - start + 1)
    if not planned:
        daily = run_rate
    else:
        daily = np.where(np.isnan(monthly), run_rate, monthly / DAYS_PER_MONTH)
    return Projection(bal, used, expiry, now, daily, remaining)


def credit_lapse(balance, consumed, start_date, expiry_date, as_of=None, monthly_rate=None,
                 grace_days=None):
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
    grace_days : array_like, optional
        Whole days after the expiry date during which the credits can still
        be used. 0 if omitted.

    Returns
    -------
    float or ndarray
        Credits projected unused at expiry (at the end of the grace), from 0
        to ``balance``.

    Notes
    -----
    Projected use = min(consumed + daily rate x remaining days, balance); the
    lapse is balance - projected use. On or after expiry it is
    max(balance - consumed, 0). Before the start and without
    ``monthly_rate`` the whole unconsumed balance is at risk. See the module
    docstring for the day counts.

    Examples
    --------
    The worked case: 181 days elapsed, 184 remaining.

    >>> round(credit_lapse(1_200_000, 300_000, "2026-01-01", "2026-12-31", "2026-06-30"), 2)
    595027.62
    >>> credit_lapse(1000, 400, "2026-01-01", "2026-12-31", "2027-01-15")
    600.0

    With 90 days of grace the worked case has 274 days left instead of 184.

    >>> round(credit_lapse(1_200_000, 300_000, "2026-01-01", "2026-12-31", "2026-06-30", None, 90), 2)
    445856.35
    """
    return result(_project(balance, consumed, start_date, expiry_date, as_of,
                           monthly_rate, grace_days).lapse)


def credit_remaining(balance, consumed):
    """Balance left: balance - consumed (negative when consumption ran into overage).

    >>> credit_remaining(1_200_000, 300_000)
    900000.0
    """
    bal = nonnegative("balance", numbers("balance", balance))
    used = nonnegative("consumed", numbers("consumed", consumed))
    bal, used = broadcast(balance=bal, consumed=used)
    return result(bal - used)


def credit_used(balance, consumed):
    """Share of the balance consumed (above 1 in overage).

    >>> credit_used(1_200_000, 300_000)
    0.25
    """
    bal = positive("balance", numbers("balance", balance))
    used = nonnegative("consumed", numbers("consumed", consumed))
    bal, used = broadcast(balance=bal, consumed=used)
    return result(used / bal)


def value_at_risk(lapse, unit_value):
    """Dollar value of credits projected to lapse: lapse x unit value.

    DOMAIN.md section 6: $500,000 of credits a year at 50% consumption loses $250,000.

    >>> value_at_risk(250_000, 1)
    250000.0
    """
    units = nonnegative("lapse", numbers("lapse", lapse))
    value = nonnegative("unit_value", numbers("unit_value", unit_value))
    units, value = broadcast(lapse=units, unit_value=value)
    return result(units * value)


ALERTS = ("EXPIRED", "LAPSE RISK")
"""The alert states that embed no number, in precedence order."""

ALERT_LEVELS = (("escalate", "credits.alert_escalate"),
                ("reforecast", "credits.alert_reforecast"),
                ("review", "credits.alert_review"))
"""The consumption alerts, highest first: the argument of CREDITALERT and its rate card key."""


def alert_label(level) -> str:
    """The label of a consumption alert: its threshold as a whole percentage, halves rounded
    up as Excel's TEXT(level, "0%") does (0.625 -> "63%").

    >>> alert_label(0.9), alert_label(0.625)
    ('90%', '63%')
    """
    return f"{int(np.floor(float(level) * 100 + 0.5 + 1e-9))}%"


def alert_states(review=None, reforecast=None, escalate=None) -> tuple[str, ...]:
    """Every state CREDITALERT can show, in precedence order, but blank (OK).

    >>> alert_states()
    ('EXPIRED', 'LAPSE RISK', '90%', '75%', '50%')
    >>> alert_states(review=0.6)
    ('EXPIRED', 'LAPSE RISK', '90%', '75%', '60%')
    """
    given = {"review": review, "reforecast": reforecast, "escalate": escalate}
    levels = [rate(key) if given[name] is None else given[name] for name, key in ALERT_LEVELS]
    return ALERTS + tuple(dict.fromkeys(alert_label(v) for v in levels))


def credit_alert(balance, consumed, start_date, expiry_date, as_of=None, monthly_rate=None,
                 lapse_threshold=None, review=None, reforecast=None, escalate=None,
                 grace_days=None):
    """The alert of a register entry, as text.

    Precedence: "EXPIRED" (as_of after the expiry date and its grace), then "LAPSE RISK"
    (projected lapse above ``lapse_threshold`` of the balance), then the
    highest consumption threshold reached ("90%", "75%", "50%" at the
    defaults), else "".

    Parameters
    ----------
    lapse_threshold : array_like, optional
        Rate card ``credits.lapse_alert`` (0.20).
    review, reforecast, escalate : array_like, optional
        Consumption thresholds; rate card ``credits.alert_review`` (0.50),
        ``credits.alert_reforecast`` (0.75), ``credits.alert_escalate`` (0.90).
        The label is the threshold as a percentage (:func:`alert_label`).
    grace_days : array_like, optional
        Whole days of use after the expiry date. 0 if omitted.

    Examples
    --------
    >>> credit_alert(1_200_000, 300_000, "2026-01-01", "2026-12-31", "2026-06-30")
    'LAPSE RISK'
    >>> credit_alert(1000, 950, "2026-01-01", "2026-12-31", "2026-06-30")
    '90%'
    >>> credit_alert(1000, 500, "2026-01-01", "2026-12-31", "2027-01-01")
    'EXPIRED'
    """
    p = _project(balance, consumed, start_date, expiry_date, as_of, monthly_rate, grace_days)
    limit = fraction("lapse_threshold", numbers("lapse_threshold", lapse_threshold,
                                                rate("credits.lapse_alert")))
    levels = [fraction(name, numbers(name, value, rate(key)), upper=1.0 + 1e-12)
              for name, value, key in (("review", review, "credits.alert_review"),
                                       ("reforecast", reforecast, "credits.alert_reforecast"),
                                       ("escalate", escalate, "credits.alert_escalate"))]
    bal, used, expiry, now, lapse, limit, *levels = broadcast(
        balance=p.balance, consumed=p.consumed, expiry_date=p.expiry, as_of=p.as_of,
        lapse=p.lapse, lapse_threshold=limit, review=levels[0], reforecast=levels[1],
        escalate=levels[2])
    share = np.divide(used, bal, out=np.zeros(bal.shape), where=bal > 0)
    highest = np.full(bal.shape, -1.0)  # the highest threshold each entry has reached
    for level in levels:
        highest = np.where((share >= level) & (level > highest) & (bal > 0), level, highest)
    out = np.full(bal.shape, "", dtype=object)
    reached = highest >= 0
    out[reached] = [alert_label(v) for v in highest[reached]]
    out[lapse > limit * bal] = ALERTS[1]
    out[now > expiry] = ALERTS[0]
    return out.item() if out.ndim == 0 else out


def credit_depletion(balance, consumed, start_date, expiry_date, as_of=None, monthly_rate=None,
                     grace_days=None):
    """Day the balance runs out at the run rate (or a given rate); NaT if not before expiry
    (the end of the grace, with ``grace_days``).

    The day is as_of + ceil(remaining balance / daily rate): the first day
    whose consumption exhausts it. An exhausted balance gives as_of itself.

    500 left at 50 a day (500 used in 10 days) runs out 10 days after Jan 10:

    >>> str(credit_depletion(1000, 500, "2026-01-01", "2026-12-31", "2026-01-10"))
    '2026-01-20'
    >>> str(credit_depletion(1000, 100, "2026-01-01", "2026-12-31", "2026-06-30"))
    'NaT'
    
    """
    p = _project(balance, consumed, start_date, expiry_date, as_of, monthly_rate, grace_days)
    left = np.maximum(p.balance - p.consumed, 0.0)
    days = np.divide(left, p.daily, out=np.full(left.shape, np.inf), where=p.daily > 0)
    days = np.ceil(np.round(days, 9))
    day = p.as_of + np.where(np.isfinite(days), days, 0).astype(np.int64)
    epoch = date(1970, 1, 1).toordinal()
    out = (day - epoch).astype("datetime64[D]")
    out = np.where(np.isfinite(days) & (day <= p.expiry), out, np.datetime64("NaT"))
    return out[()] if out.ndim == 0 else out


def credit_catchup(balance, consumed, start_date, expiry_date, as_of=None, monthly_rate=None,
                   target_share=None, grace_days=None):
    """Extra monthly consumption needed to bring the projected lapse down to a target share.

    Parameters
    ----------
    target_share : array_like, optional
        Lapse to aim for, as a share of the balance. Rate card
        ``credits.lapse_alert`` (0.20) if omitted.
    grace_days : array_like, optional
        Whole days of use after the expiry date. 0 if omitted.

    Returns
    -------
    float or ndarray
        0 when the projection already meets the target; NaN when the target
        is missed and no days are left (on or after expiry).

    Examples
    --------
    The worked case: lapse 595,027.62 of 1,200,000; the target 20% leaves
    240,000, so 355,027.62 more over 184 days, x 365 / 12 = 58,688.90 a month.

    >>> round(credit_catchup(1_200_000, 300_000, "2026-01-01", "2026-12-31", "2026-06-30"), 2)
    58688.9
    """
    p = _project(balance, consumed, start_date, expiry_date, as_of, monthly_rate, grace_days)
    target = fraction("target_share", numbers("target_share", target_share,
                                              rate("credits.lapse_alert")))
    lapse, target, bal, days = broadcast(lapse=p.lapse, target_share=target,
                                         balance=p.balance, remaining=p.remaining_days)
    short = np.maximum(lapse - target * bal, 0.0)
    per_month = np.divide(short, days, out=np.full(short.shape, np.nan),
                          where=days > 0) * DAYS_PER_MONTH
    return result(np.where(short > 0, per_month, 0.0))
