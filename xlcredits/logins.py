"""Experience Cloud: paying per login or per member (DOMAIN.md section 2)."""

from __future__ import annotations

from .inputs import broadcast, numbers, positive, result


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
