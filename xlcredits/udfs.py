"""The Excel functions: the module a workbook names under ``UDF Modules``.

Each function is a one-line call into the core. Arguments are positional,
optional ones last; a blank or omitted optional argument takes its default.
Every argument accepts a single cell or a range (``ndim=2`` keeps a range's
orientation; error cells arrive as text so that they are reported, not
mistaken for blanks). A range in gives an array of the same shape out.
"""

import xlwings as xw

from . import agentforce, credits, editions, logins
from .excel import call

RANGE = {"ndim": 2, "err_to_str": True}
CATEGORY = "xlcredits"


@xw.func(category=CATEGORY)
@xw.arg("actions", doc="Agentforce actions consumed: a number or a range.", **RANGE)
@xw.arg("discount", doc="Discount on list as a fraction, e.g. 25% or 0.25. If omitted, 0.",
        **RANGE)
@xw.arg("credits_per_action", doc="Flex Credits per action. If omitted, 20 (rate card).",
        **RANGE)
@xw.arg("pack_price", doc="Dollars per Flex Credits pack. If omitted, 500 (rate card).",
        **RANGE)
@xw.arg("pack_size", doc="Credits per pack. If omitted, 100000 (rate card).", **RANGE)
def FLEXCOST(actions, discount=None, credits_per_action=None, pack_price=None,
             pack_size=None):
    """Dollar cost of Agentforce actions bought as Flex Credits, priced pro rata."""
    return call("FLEXCOST", agentforce.flex_cost, actions, discount, credits_per_action,
                pack_price, pack_size)


@xw.func(category=CATEGORY)
@xw.arg("login_price", doc="Price of one login-day (one user, one calendar day).", **RANGE)
@xw.arg("member_price", doc="Price of one member licence per month.", **RANGE)
def LOGINBREAKEVEN(login_price, member_price):
    """Login-days per user per month above which a member licence is cheaper."""
    return call("LOGINBREAKEVEN", logins.login_breakeven, login_price, member_price)


@xw.func(category=CATEGORY)
@xw.arg("seats", doc="Seats in the org: every seat moves, one edition per org.", **RANGE)
@xw.arg("from_edition", doc="Current edition (Starter, Pro, Enterprise, Unlimited, "
        "Agentforce) or its monthly price per user.", **RANGE)
@xw.arg("to_edition", doc="New edition (Starter, Pro, Enterprise, Unlimited, Agentforce) "
        "or its monthly price per user.", **RANGE)
@xw.arg("years", doc="Whole years of the term. If omitted, 1.", **RANGE)
@xw.arg("annual_uplift", doc="Yearly price rise after year 1, compounding, e.g. 7% or "
        "0.07. If omitted, 0.", **RANGE)
def EDITIONUPLIFT(seats, from_edition, to_edition, years=None, annual_uplift=None):
    """Extra cost of moving every seat of an org to another edition (negative: a saving)."""
    return call("EDITIONUPLIFT", editions.edition_uplift, seats, from_edition, to_edition,
                years, annual_uplift)


@xw.func(category=CATEGORY)
@xw.arg("balance", doc="Contracted credit balance.", **RANGE)
@xw.arg("consumed", doc="Credits consumed through the end of the as-of day.", **RANGE)
@xw.arg("start_date", doc="First day the credits can be used.", **RANGE)
@xw.arg("expiry_date", doc="Last day the credits can be used.", **RANGE)
@xw.arg("as_of", doc="Day consumption is counted to. If omitted, today.", **RANGE)
@xw.arg("monthly_rate", doc="Expected consumption per month. If omitted, the run rate "
        "so far (consumed / days elapsed).", **RANGE)
def CREDITLAPSE(balance, consumed, start_date, expiry_date, as_of=None, monthly_rate=None):
    """Credits projected to remain unused at expiry, at the run rate or a given rate."""
    return call("CREDITLAPSE", credits.credit_lapse, balance, consumed, start_date,
                expiry_date, as_of, monthly_rate)
