"""Support plans and per-org capacity: the running costs around the licences (sections 4-5)."""

from __future__ import annotations

import re

import numpy as np

from .errors import InputError, UnknownKeyError
from .inputs import broadcast, fraction, nonnegative, numbers, result, texts
from .rates import rate

__all__ = ["SUPPORT_PLANS", "sandbox_cost", "storage_cost", "support_cost"]

SUPPORT_PLANS = {
    "standard": "support.standard",
    "premier": "support.premier",
    "premier plus": "support.premier_plus",
    "signature": None,  # custom: the share is an input
}


def _support_shares(plan, share) -> np.ndarray:
    """Support shares of net licence fees: ``share`` where given, else the plan's rate."""
    plans = texts("plan", plan, "Premier")
    given = numbers("share", share, np.nan)
    plans, given = np.broadcast_arrays(plans, given)
    out = np.empty(plans.shape, float)
    for i, name in np.ndenumerate(plans):
        clean = re.sub(r"\s+", " ", str(name).strip().lower())
        if clean not in SUPPORT_PLANS:
            valid = ", ".join(p.title() for p in SUPPORT_PLANS)
            raise UnknownKeyError("plan", name, "is not a support plan", f"enter one of {valid}")
        if not np.isnan(given[i]):
            out[i] = given[i]
        elif SUPPORT_PLANS[clean] is None:
            raise InputError("share", None, f"is needed for {name}",
                             "enter the negotiated share, e.g. 35% or 0.35")
        else:
            out[i] = rate(SUPPORT_PLANS[clean])
    return fraction("share", out)


def support_cost(net_licence, plan=None, share=None):
    """Support plan cost as a share of net licence fees (or of AI spend).

    Parameters
    ----------
    net_licence : array_like
        Net licence fees (after discounts) the plan is priced on.
    plan : str, optional
        Standard (included), Premier, Premier Plus or Signature. If
        omitted, Premier.
    share : array_like, optional
        The share to apply, overriding the plan's rate card share
        (``support.premier`` is 0.30). Required for Signature.

    Examples
    --------
    DOMAIN.md section 5: $1M of licences -> ~$300K Premier (001); section 1:
    $200,000 of Flex Credits plus $60,000 of Premier (002).

    >>> support_cost(1_000_000)
    300000.0
    >>> support_cost(200_000, "Premier")
    60000.0
    >>> support_cost(1_000_000, "Premier", 0.20)
    200000.0
    """
    fees = nonnegative("net_licence", numbers("net_licence", net_licence))
    s = _support_shares(plan, share)
    fees, s = broadcast(net_licence=fees, share=s)
    return result(fees * s)


def storage_cost(used_gb, allocation_gb=None, price_per_gb=None):
    """Monthly cost of data storage above the org's allocation.

    Parameters
    ----------
    used_gb : array_like
        Data storage used, in GB.
    allocation_gb : array_like, optional
        The org's allocation: rate card ``storage.base_gb`` (10 GB) if omitted;
        add the per-licence increment of your contract.
    price_per_gb : array_like, optional
        Dollars per GB per month. Rate card ``storage.price_per_gb`` ($125).

    Examples
    --------
    >>> storage_cost(18)
    1000.0
    >>> storage_cost(8)
    0.0
    """
    used = nonnegative("used_gb", numbers("used_gb", used_gb))
    alloc = nonnegative("allocation_gb", numbers("allocation_gb", allocation_gb,
                                                 rate("storage.base_gb")))
    price = nonnegative("price_per_gb", numbers("price_per_gb", price_per_gb,
                                                rate("storage.price_per_gb")))
    used, alloc, price = broadcast(used_gb=used, allocation_gb=alloc, price_per_gb=price)
    return result(np.maximum(used - alloc, 0) * price)


def sandbox_cost(sandboxes, monthly_price=None):
    """Monthly cost of Full Copy sandboxes.

    >>> sandbox_cost(2)
    3000.0
    """
    n = nonnegative("sandboxes", numbers("sandboxes", sandboxes))
    price = nonnegative("monthly_price", numbers("monthly_price", monthly_price,
                                                 rate("sandbox.full_copy")))
    n, price = broadcast(sandboxes=n, monthly_price=price)
    return result(n * price)
