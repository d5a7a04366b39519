"""Experience Cloud: paying per login or per member (DOMAIN.md section 2)."""

from __future__ import annotations

import re

import numpy as np

from .errors import UnknownKeyError
from .inputs import broadcast, nonnegative, numbers, positive, result, single, texts
from .rates import rate

__all__ = [
    "COMMUNITY",
    "community_prices",
    "is_member",
    "login_breakeven",
    "login_cost",
    "login_mix_cost",
    "login_mix_members",
    "login_mix_pool",
    "member_cost",
]


def login_breakeven(login_price, member_price):
    """Login-days per user per month at which a member licence costs the same as logins.

    Parameters
    ----------
    login_price : array_like
        Price of one login (one user, one calendar day), above zero.
    member_price : array_like
        Price of one member licence per month, above zero.

    Returns
    -------
    float or ndarray
        member_price / login_price. A user who logs in on more days than this
        in a month is cheaper as a member.

    Examples
    --------
    Partner Community at list, $10 a login against $25 a member (DOMAIN.md section 2):

    >>> login_breakeven(10, 25)
    2.5
    """
    login = positive("login_price", numbers("login_price", login_price))
    member = positive("member_price", numbers("member_price", member_price))
    login, member = broadcast(login_price=login, member_price=member)
    return result(member / login)


# Experience Cloud licences by name: rate card keys of their login and member prices.
COMMUNITY = {
    "customer community": "community",
    "customer community plus": "community_plus",
    "partner community": "partner",
}


def community_prices(name: str, value, kind: str) -> np.ndarray:
    """Prices from numbers or licence names ("Partner Community": its login or member price)."""
    arr = texts(name, value)
    out = np.empty(arr.shape, float)
    for i, x in np.ndenumerate(arr):
        if isinstance(x, str):
            clean = re.sub(r"\s+", " ", x.lower())
            if clean not in COMMUNITY:
                valid = ", ".join(n.title() for n in COMMUNITY)
                raise UnknownKeyError(name, x, "is not an Experience Cloud licence",
                                      f"enter one of {valid}, or a price")
            out[i] = rate(f"{COMMUNITY[clean]}.{kind}_price")
        else:
            out[i] = numbers(name, x)
    return nonnegative(name, out)


def login_cost(users, login_days, login_price):
    """Monthly cost of a user group paying per login: users x login-days x price.

    A login counts once per user per calendar day.

    Parameters
    ----------
    users : array_like
        Users in the group.
    login_days : array_like
        Login-days per user per month.
    login_price : array_like or str
        Price of a login-day, or a licence name (Customer Community, Customer
        Community Plus, Partner Community) for its list login price.

    Examples
    --------
    DOMAIN.md section 2: 100 partner users at 20 login-days a month.

    >>> login_cost(100, 20, "Partner Community")
    20000.0
    """
    n = nonnegative("users", numbers("users", users))
    days = nonnegative("login_days", numbers("login_days", login_days))
    price = community_prices("login_price", login_price, "login")
    n, days, price = broadcast(users=n, login_days=days, login_price=price)
    return result(n * days * price)


def member_cost(users, member_price):
    """Monthly cost of a user group on member licences: users x price.

    >>> member_cost(100, "Partner Community")
    2500.0
    """
    n = nonnegative("users", numbers("users", users))
    price = community_prices("member_price", member_price, "member")
    n, price = broadcast(users=n, member_price=price)
    return result(n * price)


def is_member(login_days, login_price: float, member_price: float) -> np.ndarray:
    """The member rule, the one home of it: True where a user's login-days a month cost
    more than a member licence. A user whose login-days cost exactly the member price
    stays in the login pool (the same cost, and the pool is more flexible).

    >>> is_member([20, 1, 2.5], 10, 25).tolist()
    [True, False, False]
    """
    return np.asarray(login_days, dtype=float) * login_price > member_price


def _mix_inputs(login_days, login_price, member_price):
    """Checked inputs of the licence mix: the login-days of each user (blanks are not
    users and are left out) and the two prices."""
    days = np.asarray(login_days, dtype=object).ravel()
    days = nonnegative("login_days", numbers("login_days", [d for d in days if d is not None]
                                             or np.zeros(0)))
    login = positive("login_price", community_prices("login_price", login_price, "login"))
    member = positive("member_price", community_prices("member_price", member_price, "member"))
    return days, single("login_price", login), single("member_price", member)


def login_mix_members(login_days, login_price, member_price):
    """Users who are cheaper as members: those whose login-days cost more than a member.

    A user whose login-days cost exactly the member price stays in the login pool.

    >>> login_mix_members([20, 1, 3, 2], 10, 25)
    2
    """
    days, login, member = _mix_inputs(login_days, login_price, member_price)
    return int(np.count_nonzero(is_member(days, login, member)))


def login_mix_pool(login_days, login_price, member_price):
    """Login-days a month the login pool must cover: those of the users left in it.

    >>> login_mix_pool([20, 1, 3, 2], 10, 25)
    3.0
    """
    days, login, member = _mix_inputs(login_days, login_price, member_price)
    return float(days[~is_member(days, login, member)].sum())


def login_mix_cost(login_days, login_price, member_price):
    """Monthly cost of the cheapest mix: members for frequent users, a login pool for the rest.

    DOMAIN.md section 2 at list prices: 20, 1, 3 and 2 login-days cost 2 x $25 + 3 x $10.

    >>> login_mix_cost([20, 1, 3, 2], 10, 25)
    80.0
    """
    days, login, member = _mix_inputs(login_days, login_price, member_price)
    return float(np.minimum(days * login, member).sum())
