"""Editions and per-user licences (DOMAIN.md section 3)."""

from __future__ import annotations

import re

import numpy as np

from .errors import UnknownKeyError
from .inputs import REQUIRED, broadcast, fraction, nonnegative, numbers, result, texts, whole
from .rates import rate
from .terms import uplift_factor

__all__ = [
    "EDITIONS",
    "LICENCES",
    "edition_uplift",
    "licence_price",
    "licence_prices",
    "platform_saving",
]

# Names a user may type, mapped to rate card keys.
EDITIONS = {
    "starter": "edition.starter",
    "pro": "edition.pro",
    "enterprise": "edition.enterprise",
    "unlimited": "edition.unlimited",
    "agentforce": "edition.agentforce",
    "agentforce 1": "edition.agentforce",
}


# Every per-user licence with one monthly price: the editions and the platform licences.
LICENCES = {
    **EDITIONS,
    "platform starter": "platform.starter",
    "platform plus": "platform.plus",
    "agentforce add-on": "agentforce.user_price",
}


def _licence_key(name: str, text: str, names: dict = LICENCES) -> str:
    """The rate card key of a licence typed as text ("Enterprise Edition", "pro suite")."""
    clean = re.sub(r"\s+", " ", text.strip().lower())
    clean = re.sub(r" (suite|edition)$", "", clean)
    if clean in names:
        return names[clean]
    valid = ", ".join(n.title() for n in names if n != "agentforce 1")
    kind = "an edition" if names is EDITIONS else "a licence"
    raise UnknownKeyError(name, text, f"is not {kind}", f"enter one of {valid}, or a price")


def licence_prices(name: str, value, names: dict = LICENCES, default=REQUIRED) -> np.ndarray:
    """Monthly per-user prices from licence names or prices (element by element)."""
    arr = texts(name, value, default)
    out = np.empty(arr.shape, float)
    for i, x in np.ndenumerate(arr):
        out[i] = rate(_licence_key(name, x, names)) if isinstance(x, str) else numbers(name, x)
    return nonnegative(name, out)


def licence_price(licence):
    """List price per user per month of an edition or platform licence, by name.

    >>> licence_price("Enterprise")
    175.0
    >>> licence_price(["Platform Starter", "Unlimited Edition"]).tolist()
    [25.0, 350.0]
    """
    return result(licence_prices("licence", licence))


def platform_saving(users, from_licence, to_licence):
    """Yearly saving of moving users from one licence to a cheaper one: users x difference x 12.

    >>> platform_saving(200, "Enterprise", "Platform Starter")
    360000.0
    """
    n = nonnegative("users", numbers("users", users))
    p_from = licence_prices("from_licence", from_licence)
    p_to = licence_prices("to_licence", to_licence)
    n, p_from, p_to = broadcast(users=n, from_licence=p_from, to_licence=p_to)
    return result(n * (p_from - p_to) * 12)


def edition_uplift(seats, from_edition, to_edition, years=None, annual_uplift=None):
    """Extra cost of moving every seat of an org from one edition to another.

    Every user of one org is on the same edition, so an upgrade for a few
    power users upgrades every seat.

    Parameters
    ----------
    seats : array_like
        Seats in the org (zero or more).
    from_edition, to_edition : array_like
        Edition names (Starter, Pro, Enterprise, Unlimited, Agentforce; any
        case; "Suite" or "Edition" after the name accepted) or monthly
        per-user prices.
    years : array_like, optional
        Whole years of the term. 1 if omitted.
    annual_uplift : array_like, optional
        Yearly price rise applied to both editions after the first year,
        compounding, as a fraction in [0, 1). 0 if omitted.

    Returns
    -------
    float or ndarray
        seats x 12 x (to_price - from_price) x sum of (1 + uplift)^k for
        k = 0 .. years-1. Negative for a downgrade (a saving).

    Examples
    --------
    500 seats, Enterprise to Unlimited, one year (DOMAIN.md section 3):

    >>> edition_uplift(500, "Enterprise", "Unlimited")
    1050000.0
    >>> edition_uplift(10, "unlimited edition", 175)
    -21000.0
    """
    n = nonnegative("seats", numbers("seats", seats))
    p_from = licence_prices("from_edition", from_edition, EDITIONS)
    p_to = licence_prices("to_edition", to_edition, EDITIONS)
    y = whole("years", numbers("years", years, 1.0))
    u = fraction("annual_uplift", numbers("annual_uplift", annual_uplift, 0.0))
    n, p_from, p_to, y, u = broadcast(seats=n, from_edition=p_from, to_edition=p_to,
                                      years=y, annual_uplift=u)
    return result(n * 12 * (p_to - p_from) * uplift_factor(y, u))
