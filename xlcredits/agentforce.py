"""Agentforce pricing: per conversation, Flex Credits, per user (DOMAIN.md section 1)."""

from __future__ import annotations

from .inputs import broadcast, fraction, nonnegative, numbers, positive, result
from .rates import rate


def flex_cost(actions, discount=None, credits_per_action=None, pack_price=None,
              pack_size=None):
    """Dollar cost of Agentforce actions bought as Flex Credits, priced pro rata.

    Parameters
    ----------
    actions : array_like
        Actions consumed (zero or more).
    discount : array_like, optional
        Discount on the list price as a fraction in [0, 1). Rate card
        ``flex.discount`` (0) if omitted.
    credits_per_action : array_like, optional
        Credits one action consumes. Rate card ``flex.credits_per_action`` (20).
    pack_price : array_like, optional
        Dollars per pack. Rate card ``flex.pack_price`` ($500).
    pack_size : array_like, optional
        Credits per pack. Rate card ``flex.pack_size`` (100,000).

    Returns
    -------
    float or ndarray
        The cost in dollars, the broadcast shape of the inputs.

    Notes
    -----
    cost = actions x credits_per_action x pack_price / pack_size x (1 - discount).
    Consumption is priced pro rata; whole packs are a separate question.

    Examples
    --------
    DOMAIN.md section 1: 53,000 actions a month, at list and with 25% off.

    >>> flex_cost(53000)
    5300.0
    >>> flex_cost(53000, 0.25)
    3975.0
    >>> flex_cost([1000, 2000]).tolist()
    [100.0, 200.0]
    """
    a = nonnegative("actions", numbers("actions", actions))
    d = fraction("discount", numbers("discount", discount, rate("flex.discount")))
    cpa = positive("credits_per_action", numbers(
        "credits_per_action", credits_per_action, rate("flex.credits_per_action")))
    price = nonnegative("pack_price", numbers("pack_price", pack_price, rate("flex.pack_price")))
    size = positive("pack_size", numbers("pack_size", pack_size, rate("flex.pack_size")))
    a, d, cpa, price, size = broadcast(actions=a, discount=d, credits_per_action=cpa,
                                       pack_price=price, pack_size=size)
    return result(a * cpa * price / size * (1 - d))
