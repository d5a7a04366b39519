"""Multi-year terms: prices that rise at each renewal, compounding (DOMAIN.md section 3)."""

from __future__ import annotations

import numpy as np

from .inputs import broadcast, fraction, nonnegative, numbers, require, result, single, whole

__all__ = ["MAX_TERM_YEARS", "term_cost", "term_schedule", "uplift_factor"]

MAX_TERM_YEARS = 10
"""The longest term any function or sheet accepts, in whole years (Salesforce order forms
run one to five years; ten leaves room for long enterprise agreements)."""


def _years(years) -> np.ndarray:
    n = whole("years", numbers("years", years))
    require("years", n, n <= MAX_TERM_YEARS, "is too long a term",
            f"enter at most {MAX_TERM_YEARS}")
    return n


def uplift_factor(years, uplift):
    """Sum of (1 + uplift)^k for k = 0 .. years-1: years' worth of compounding prices."""
    flat = uplift == 0
    safe = np.where(flat, 1.0, uplift)
    return np.where(flat, years, ((1 + safe) ** years - 1) / safe)



def _applied_uplift(annual_uplift, uplift_cap):
    """The uplift the contract lets apply: ``annual_uplift`` limited by ``uplift_cap``."""
    u = fraction("annual_uplift", numbers("annual_uplift", annual_uplift, 0.0))
    cap = fraction("uplift_cap", numbers("uplift_cap", uplift_cap, np.nan))  # NaN: no cap
    return np.fmin(u, cap)


def term_cost(annual_cost, years, annual_uplift=None, uplift_cap=None):
    """Total cost over a multi-year term whose price rises each year after the first.

    Parameters
    ----------
    annual_cost : array_like
        Cost of the first year.
    years : array_like
        Whole years of the term.
    annual_uplift : array_like, optional
        Yearly rise at renewal, compounding, as a fraction. 0 if omitted.
    uplift_cap : array_like, optional
        The contract's cap on the yearly rise; the applied rate is
        min(annual_uplift, uplift_cap). No cap if omitted.

    Notes
    -----
    total = annual_cost x sum of (1 + u)^k for k = 0 .. years-1, u the applied rate.

    Examples
    --------
    $1,050,000 a year for 3 years at 7%: 1,050,000 x 3.2149.

    >>> round(term_cost(1_050_000, 3, 0.07), 2)
    3375645.0
    >>> round(term_cost(100, 2, 0.15, 0.10), 2)
    210.0
    """
    cost = nonnegative("annual_cost", numbers("annual_cost", annual_cost))
    n = _years(years)
    u = _applied_uplift(annual_uplift, uplift_cap)
    cost, n, u = broadcast(annual_cost=cost, years=n, annual_uplift=u)
    return result(cost * uplift_factor(n, u))


def term_schedule(annual_cost, years, annual_uplift=None, uplift_cap=None):
    """Year-by-year amounts of a multi-year term, as a column (year 1 first).

    >>> term_schedule(1_050_000, 3, 0.07).round(2).ravel().tolist()
    [1050000.0, 1123500.0, 1202145.0]
    """
    cost = nonnegative("annual_cost", single("annual_cost", numbers("annual_cost", annual_cost)))
    n = int(single("years", _years(years)))
    u = single("annual_uplift", _applied_uplift(annual_uplift, uplift_cap))
    return (cost * (1 + u) ** np.arange(n)).reshape(n, 1)
