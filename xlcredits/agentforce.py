"""Agentforce pricing: per conversation, Flex Credits, per user (DOMAIN.md section 1)."""

from __future__ import annotations

import numpy as np

from .errors import InputError
from .inputs import (
    broadcast,
    check_shapes,
    fraction,
    nonnegative,
    numbers,
    positive,
    result,
    single,
)
from .rates import rate

__all__ = [
    "COMPARE_HEADER",
    "MODELS",
    "agent_user_cost",
    "agentforce_cheapest",
    "agentforce_compare",
    "conversation_cost",
    "datacloud_cost",
    "datacloud_est",
    "flex_action_price",
    "flex_cost",
    "flex_crossover",
    "flex_packs",
    "flex_sandbox_cost",
    "flex_split_cost",
    "flex_user_breakeven",
    "foundations_actions",
    "foundations_value",
    "mix_actions",
]

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
    check_shapes(actions=a, discount=d, credits_per_action=cpa, pack_price=price,
                 pack_size=size)
    # the per-action factors first (single cells, usually), the division last: two passes
    # over a range of actions, and whole-dollar figures stay exact (53,000 x 7,500 / 100,000)
    return result(a * (cpa * price * (1 - d)) / size)


def flex_action_price(discount=None, credits_per_action=None, pack_price=None, pack_size=None):
    """Dollar price of one action bought as Flex Credits: ``flex_cost(1, ...)``.

    >>> flex_action_price()
    0.1
    """
    return flex_cost(1.0, discount, credits_per_action, pack_price, pack_size)


def conversation_cost(interactions, price=None):
    """Cost of interactions on the per-conversation model.

    Parameters
    ----------
    interactions : array_like
        Interactions (conversations), zero or more.
    price : array_like, optional
        Dollars per conversation. Rate card ``agentforce.conversation_price`` ($2).

    Examples
    --------
    DOMAIN.md section 1: 10,000 interactions a month.

    >>> conversation_cost(10_000)
    20000.0
    """
    n = nonnegative("interactions", numbers("interactions", interactions))
    p = nonnegative("price", numbers("price", price, rate("agentforce.conversation_price")))
    n, p = broadcast(interactions=n, price=p)
    return result(n * p)


def agent_user_cost(users, price=None):
    """Cost of per-user Agentforce licences for a month.

    >>> agent_user_cost(50)
    6250.0
    """
    n = nonnegative("users", numbers("users", users))
    p = nonnegative("price", numbers("price", price, rate("agentforce.user_price")))
    n, p = broadcast(users=n, price=p)
    return result(n * p)


def flex_crossover(conversation_price=None, price_per_action=None):
    """Actions per interaction at which Flex Credits cost as much as per-conversation pricing.

    Below it Flex is cheaper. ``price_per_action`` defaults to the list price
    (:func:`flex_action_price`); pass a discounted one to see the crossover move.

    >>> flex_crossover()
    20.0
    >>> round(flex_crossover(2, flex_action_price(0.25)), 2)
    26.67
    """
    conv = positive("conversation_price", numbers(
        "conversation_price", conversation_price, rate("agentforce.conversation_price")))
    act = positive("price_per_action", numbers("price_per_action", price_per_action,
                                               flex_action_price()))
    conv, act = broadcast(conversation_price=conv, price_per_action=act)
    return result(conv / act)


def flex_user_breakeven(user_price=None, price_per_action=None):
    """Actions per user per month at which a per-user licence costs as much as Flex Credits.

    >>> flex_user_breakeven()
    1250.0
    """
    user = positive("user_price", numbers("user_price", user_price,
                                          rate("agentforce.user_price")))
    act = positive("price_per_action", numbers("price_per_action", price_per_action,
                                               flex_action_price()))
    user, act = broadcast(user_price=user, price_per_action=act)
    return result(user / act)


def _mix_vectors(shares, actions_per_interaction):
    """The interaction mix as two checked 1-D arrays; shares must sum to 1."""
    s = nonnegative("shares", numbers("shares", shares).ravel())
    a = nonnegative("actions_per_interaction",
                    numbers("actions_per_interaction", actions_per_interaction).ravel())
    if s.size != a.size:
        raise InputError("shares", f"{s.size} cells", "do not match actions_per_interaction "
                         f"({a.size} cells)", "give one share per kind of interaction")
    if not np.isclose(s.sum(), 1.0, rtol=0, atol=1e-9):
        raise InputError("shares", round(float(s.sum()), 6), "is what the shares sum to",
                         "make them sum to 100% (1)")
    return s, a


def mix_actions(interactions, shares, actions_per_interaction):
    """Actions in a month from interactions and a mix of interaction kinds.

    Parameters
    ----------
    interactions : array_like
        Interactions in the period.
    shares : array_like
        Share of interactions of each kind (a range; sums to 1).
    actions_per_interaction : array_like
        Actions per interaction of each kind (a range of the same size).

    Returns
    -------
    float or ndarray
        interactions x sum(shares x actions_per_interaction), the shape of
        ``interactions``.

    Examples
    --------
    DOMAIN.md section 1: 60% at 3 actions, 30% at 7, 10% at 14.

    >>> mix_actions(10_000, [0.6, 0.3, 0.1], [3, 7, 14])
    53000.0
    """
    n = nonnegative("interactions", numbers("interactions", interactions))
    s, a = _mix_vectors(shares, actions_per_interaction)
    return result(n * float(s @ a))


MODELS = ("Per conversation", "Flex Credits", "Per user")
COMPARE_HEADER = ("Model", "Monthly cost", "Annual cost", "Saving vs dearest", "Cheapest")


def _model_costs(interactions, shares, actions_per_interaction, users, discount=None,
                conversation_price=None, user_price=None):
    """Monthly cost of each pricing model, in the order of :data:`MODELS`."""
    n = single("interactions", numbers("interactions", interactions))
    seats = single("users", numbers("users", users))
    actions = mix_actions(n, shares, actions_per_interaction)
    return np.array([conversation_cost(n, conversation_price),
                     flex_cost(actions, discount),
                     agent_user_cost(seats, user_price)], dtype=float)


def agentforce_compare(interactions, shares, actions_per_interaction, users, discount=None,
                   conversation_price=None, user_price=None):
    """The three Agentforce pricing models side by side, for one monthly profile.

    Returns
    -------
    list of tuples
        A header row, then one row per model: name, monthly cost, annual
        cost, annual saving against the dearest model, and "cheapest" on the
        cheapest row ("" elsewhere). Only one model can be active per org.

    Examples
    --------
    DOMAIN.md section 1: 10,000 interactions, the 53,000-action mix, 50 agents.

    >>> rows = agentforce_compare(10_000, [0.6, 0.3, 0.1], [3, 7, 14], 50)
    >>> for row in rows[1:]:
    ...     print(row)
    ('Per conversation', 20000.0, 240000.0, 0.0, '')
    ('Flex Credits', 5300.0, 63600.0, 176400.0, 'cheapest')
    ('Per user', 6250.0, 75000.0, 165000.0, '')
    """
    monthly = _model_costs(interactions, shares, actions_per_interaction, users, discount,
                          conversation_price, user_price)
    annual = monthly * 12
    best = int(np.argmin(monthly))
    return [COMPARE_HEADER] + [
        (MODELS[i], float(monthly[i]), float(annual[i]), float(annual.max() - annual[i]),
         "cheapest" if i == best else "")
        for i in range(len(MODELS))]


def agentforce_cheapest(interactions, shares, actions_per_interaction, users, discount=None,
                   conversation_price=None, user_price=None):
    """Name of the cheapest Agentforce pricing model for a monthly profile.

    >>> agentforce_cheapest(10_000, [0.6, 0.3, 0.1], [3, 7, 14], 50)
    'Flex Credits'
    >>> agentforce_cheapest(10_000, [1], [25], 500)
    'Per conversation'
    """
    monthly = _model_costs(interactions, shares, actions_per_interaction, users, discount,
                          conversation_price, user_price)
    return MODELS[int(np.argmin(monthly))]


def flex_packs(actions, share=None, credits_per_action=None, pack_size=None):
    """Whole Flex Credit packs to buy for ``share`` of an action forecast.

    Parameters
    ----------
    actions : array_like
        Forecast actions for the period the packs must cover.
    share : array_like, optional
        Share of the forecast to pre-purchase, a fraction in [0, 1]. If
        omitted, 1 (all of it).

    Examples
    --------
    DOMAIN.md section 1: 12 x 53,000 actions = 12.72M credits = 128 packs ($64,000).

    >>> flex_packs(12 * 53_000)
    128.0
    """
    credits = _flex_credits(actions, credits_per_action)
    s = fraction("share", numbers("share", share, 1.0), upper=1.0 + 1e-12)
    size = positive("pack_size", numbers("pack_size", pack_size, rate("flex.pack_size")))
    credits, s, size = broadcast(actions=credits, share=s, pack_size=size)
    # round before the ceiling so that 12,720,000 / 100,000 stays 127.2, not 127.2000001
    return result(np.ceil(np.round(credits * s / size, 9)))


def _flex_credits(actions, credits_per_action=None):
    """Flex Credits that ``actions`` consume."""
    a = nonnegative("actions", numbers("actions", actions))
    cpa = positive("credits_per_action", numbers("credits_per_action", credits_per_action,
                                                 rate("flex.credits_per_action")))
    a, cpa = broadcast(actions=a, credits_per_action=cpa)
    return a * cpa


def flex_split_cost(actions, share=None, discount=None, payg_credit_price=None,
                    credits_per_action=None, pack_price=None, pack_size=None):
    """Cost of the advised split: whole packs for a share of the forecast, PAYG above it.

    Parameters
    ----------
    actions : array_like
        Forecast actions for the period.
    share : array_like, optional
        Share to pre-purchase. Rate card ``flex.prepurchase_share`` (0.80).
    discount : array_like, optional
        Pre-purchase discount on the pack price. 0 if omitted.
    payg_credit_price : array_like, optional
        Dollars per credit paid as you go. Rate card ``flex.payg_credit_price``
        (an assumption: the sources give no figure).

    Notes
    -----
    packs = ceil(share x credits / pack_size); cost = packs x pack_price x
    (1 - discount) + max(credits - packs x pack_size, 0) x payg_credit_price.

    Examples
    --------
    12 x 53,000 actions = 12.72M credits; 80% = 10.176M = 102 packs = $51,000;
    the other 2.52M credits at $0.00625 = $15,750.

    >>> flex_split_cost(12 * 53_000)
    66750.0
    """
    credits = _flex_credits(actions, credits_per_action)
    s = numbers("share", share, rate("flex.prepurchase_share"))
    packs = flex_packs(actions, s, credits_per_action, pack_size)
    d = fraction("discount", numbers("discount", discount, rate("flex.discount")))
    payg = nonnegative("payg_credit_price", numbers("payg_credit_price", payg_credit_price,
                                                    rate("flex.payg_credit_price")))
    price = nonnegative("pack_price", numbers("pack_price", pack_price, rate("flex.pack_price")))
    size = numbers("pack_size", pack_size, rate("flex.pack_size"))
    credits, packs, d, payg, price, size = broadcast(
        actions=credits, share=packs, discount=d, payg_credit_price=payg, pack_price=price,
        pack_size=size)
    return result(packs * price * (1 - d) + np.maximum(credits - packs * size, 0) * payg)


def foundations_actions(credits=None, credits_per_action=None):
    """Actions the free Foundations allowance funds.

    >>> foundations_actions()
    5000.0
    """
    c = nonnegative("credits", numbers("credits", credits, rate("flex.foundations_credits")))
    cpa = positive("credits_per_action", numbers("credits_per_action", credits_per_action,
                                                 rate("flex.credits_per_action")))
    c, cpa = broadcast(credits=c, credits_per_action=cpa)
    return result(c / cpa)


def foundations_value(credits=None, pack_price=None, pack_size=None):
    """List value in dollars of the free Foundations allowance.

    >>> foundations_value()
    500.0
    """
    c = nonnegative("credits", numbers("credits", credits, rate("flex.foundations_credits")))
    return flex_cost(c, 0.0, 1.0, pack_price, pack_size)


def flex_sandbox_cost(actions, sandbox_rate=None, discount=None):
    """Cost of actions run in a sandbox, which consumes credits at a share of production.

    >>> flex_sandbox_cost(10_000)
    500.0
    >>> flex_sandbox_cost(10_000, 0.15)
    150.0
    """
    r = fraction("sandbox_rate", numbers("sandbox_rate", sandbox_rate,
                                         rate("flex.sandbox_rate")), upper=1.0 + 1e-12)
    return result(flex_cost(actions, discount) * r)


def datacloud_est(flex_spend, share=None):
    """Data Cloud budget for data-heavy agents as a share of Flex spend.

    >>> datacloud_est(63_600)
    19080.0
    >>> datacloud_est(63_600, 0.5)
    31800.0
    """
    spend = nonnegative("flex_spend", numbers("flex_spend", flex_spend))
    s = fraction("share", numbers("share", share, rate("datacloud.share_of_flex")),
                 upper=1.0 + 1e-12)
    spend, s = broadcast(flex_spend=spend, share=s)
    return result(spend * s)


def datacloud_cost(credits, pack_price=None, pack_size=None):
    """Cost of Data Cloud credits, pro rata.

    >>> datacloud_cost(250_000)
    2500.0
    """
    c = nonnegative("credits", numbers("credits", credits))
    return flex_cost(c, 0.0, 1.0,
                     numbers("pack_price", pack_price, rate("datacloud.pack_price")),
                     numbers("pack_size", pack_size, rate("datacloud.pack_size")))
