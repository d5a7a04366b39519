"""The Excel functions: the module a workbook names under ``UDF Modules``.

Each function is a one-line call into the core. Arguments are positional,
optional ones last; a blank or omitted optional argument takes its default.
Every argument accepts a single cell or a range (``ndim=2`` keeps a range's
orientation; error cells arrive as text so that they are reported, not
mistaken for blanks). A range in gives an array of the same shape out.
"""

import xlwings as xw

from . import agentforce, costs, credits, editions, logins, rates, statements, terms
from .excel import call

RANGE = {"ndim": 2, "err_to_str": True}
CATEGORY = "xlcredits"


def omitted(key: str) -> str:
    """Help text for a default from the rate card, e.g. "If omitted, 500 (rate card)."."""
    r = rates.entry(key)
    shown = f"{r.value:.0%}" if r.unit.startswith("fraction") else f"{r.value:,.10g}"
    return f"If omitted, {shown} (rate card)."

# Help texts shared by several functions (each at most 255 characters).
ACTIONS = "Agentforce actions: a number or a range."
DISCOUNT = "Discount on the Flex Credit list price, e.g. 25% or 0.25. If omitted, 0."
CREDITS_PER_ACTION = "Flex Credits per action. " + omitted("flex.credits_per_action")
PACK_PRICE = "Dollars per Flex Credits pack. " + omitted("flex.pack_price")
PACK_SIZE = "Credits per pack. " + omitted("flex.pack_size")
PRICE_PER_ACTION = "Dollars per action. If omitted, the list price, FLEXACTIONPRICE()."
INTERACTIONS = "Interactions (conversations) per month: one cell."
SHARES = "Share of interactions of each kind: a range summing to 100%."
MIX_ACTIONS = "Actions per interaction of each kind: a range the size of shares."
AGENT_USERS = "Users on per-user Agentforce licences: one cell."
CONVERSATION_PRICE = "Dollars per conversation. " + omitted("agentforce.conversation_price")
AGENT_USER_PRICE = "Dollars per Agentforce user per month. " + omitted("agentforce.user_price")
BALANCE = "Contracted credit balance."
CONSUMED = "Credits consumed through the end of the as-of day."
START = "First day the credits can be used."
EXPIRY = "Last day the credits can be used."
AS_OF = "Day consumption is counted to. If omitted, today."
MONTHLY_RATE = ("Expected consumption per month. If omitted, the run rate so far "
                "(consumed / days elapsed).")
ANNUAL_COST = "Cost of the first year."
YEARS = "Whole years of the term."
UPLIFT = "Yearly price rise at renewal, compounding, e.g. 7% or 0.07. If omitted, 0."
UPLIFT_CAP = "The contract's cap on the yearly rise, e.g. 7%. If omitted, no cap."


def arguments(*docs):
    """Apply ``@xw.arg(name, doc=..., **RANGE)`` for each (name, doc), in order: the same
    decorators as writing them out, for argument lists several functions share."""
    def decorate(f):
        for name, doc in reversed(docs):
            f = xw.arg(name, doc=doc, **RANGE)(f)
        return f
    return decorate


GRACE_DAYS = ("Whole days after the expiry date during which the credits can still be "
              "used (a negotiated grace period). If omitted, 0.")

# The register's entitlement, as CREDITLAPSE, CREDITALERT, CREDITDEPLETION and
# CREDITCATCHUP take it; the Agentforce profile, as AGENTFORCECOMPARE and AGENTFORCECHEAPEST do.
ENTITLEMENT = (("balance", BALANCE), ("consumed", CONSUMED), ("start_date", START),
               ("expiry_date", EXPIRY), ("as_of", AS_OF), ("monthly_rate", MONTHLY_RATE))
PROFILE = (("interactions", INTERACTIONS), ("shares", SHARES),
           ("actions_per_interaction", MIX_ACTIONS), ("users", AGENT_USERS),
           ("discount", DISCOUNT), ("conversation_price", CONVERSATION_PRICE),
           ("user_price", AGENT_USER_PRICE))


@xw.func(category=CATEGORY)
@xw.arg("actions", doc="Agentforce actions consumed: a number or a range.", **RANGE)
@xw.arg("discount", doc="Discount on list as a fraction, e.g. 25% or 0.25. If omitted, 0.",
        **RANGE)
@xw.arg("credits_per_action", doc=CREDITS_PER_ACTION,
        **RANGE)
@xw.arg("pack_price", doc=PACK_PRICE,
        **RANGE)
@xw.arg("pack_size", doc=PACK_SIZE, **RANGE)
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
@arguments(*ENTITLEMENT)
@xw.arg("grace_days", doc=GRACE_DAYS, **RANGE)
def CREDITLAPSE(balance, consumed, start_date, expiry_date, as_of=None, monthly_rate=None,
                grace_days=None):
    """Credits projected to remain unused at expiry, at the run rate or a given rate."""
    return call("CREDITLAPSE", credits.credit_lapse, balance, consumed, start_date,
                expiry_date, as_of, monthly_rate, grace_days)


# --- Agentforce (DOMAIN.md section 1) ---------------------------------------------------

@xw.func(category=CATEGORY)
@xw.arg("interactions", doc="Interactions (conversations): a number or a range.", **RANGE)
@xw.arg("price", doc=CONVERSATION_PRICE, **RANGE)
def CONVERSATIONCOST(interactions, price=None):
    """Cost of Agentforce on the per-conversation model: interactions x price."""
    return call("CONVERSATIONCOST", agentforce.conversation_cost, interactions, price)


@xw.func(category=CATEGORY)
@xw.arg("users", doc="Users on per-user Agentforce licences.", **RANGE)
@xw.arg("price", doc=AGENT_USER_PRICE, **RANGE)
def AGENTUSERCOST(users, price=None):
    """Monthly cost of per-user Agentforce licences: users x price."""
    return call("AGENTUSERCOST", agentforce.agent_user_cost, users, price)


@xw.func(category=CATEGORY)
@xw.arg("discount", doc=DISCOUNT, **RANGE)
@xw.arg("credits_per_action", doc=CREDITS_PER_ACTION, **RANGE)
@xw.arg("pack_price", doc=PACK_PRICE, **RANGE)
@xw.arg("pack_size", doc=PACK_SIZE, **RANGE)
def FLEXACTIONPRICE(discount=None, credits_per_action=None, pack_price=None, pack_size=None):
    """Dollar price of one Agentforce action bought as Flex Credits."""
    return call("FLEXACTIONPRICE", agentforce.flex_action_price, discount, credits_per_action,
                pack_price, pack_size)


@xw.func(category=CATEGORY)
@xw.arg("conversation_price", doc=CONVERSATION_PRICE, **RANGE)
@xw.arg("price_per_action", doc=PRICE_PER_ACTION, **RANGE)
def FLEXCROSSOVER(conversation_price=None, price_per_action=None):
    """Actions per interaction above which per-conversation beats Flex Credits."""
    return call("FLEXCROSSOVER", agentforce.flex_crossover, conversation_price, price_per_action)


@xw.func(category=CATEGORY)
@xw.arg("user_price", doc=AGENT_USER_PRICE, **RANGE)
@xw.arg("price_per_action", doc=PRICE_PER_ACTION, **RANGE)
def FLEXUSERBREAKEVEN(user_price=None, price_per_action=None):
    """Actions per user per month above which a per-user licence beats Flex."""
    return call("FLEXUSERBREAKEVEN", agentforce.flex_user_breakeven, user_price, price_per_action)


@xw.func(category=CATEGORY)
@xw.arg("interactions", doc="Interactions: a number or a range (one result each).", **RANGE)
@xw.arg("shares", doc=SHARES, **RANGE)
@xw.arg("actions_per_interaction", doc=MIX_ACTIONS, **RANGE)
def MIXACTIONS(interactions, shares, actions_per_interaction):
    """Actions from interactions and a mix: interactions x SUMPRODUCT(shares, actions)."""
    return call("MIXACTIONS", agentforce.mix_actions, interactions, shares,
                actions_per_interaction, elementwise=False)


@xw.func(category=CATEGORY)
@arguments(*PROFILE)
def AGENTFORCECOMPARE(interactions, shares, actions_per_interaction, users, discount=None,
                      conversation_price=None, user_price=None):
    """Spills the three Agentforce pricing models: monthly, annual, saving, cheapest."""
    return call("AGENTFORCECOMPARE", agentforce.agentforce_compare, interactions, shares,
                actions_per_interaction, users, discount, conversation_price, user_price,
                elementwise=False)


@xw.func(category=CATEGORY)
@arguments(*PROFILE)
def AGENTFORCECHEAPEST(interactions, shares, actions_per_interaction, users, discount=None,
                       conversation_price=None, user_price=None):
    """Name of the cheapest Agentforce pricing model for a monthly profile."""
    return call("AGENTFORCECHEAPEST", agentforce.agentforce_cheapest, interactions, shares,
                actions_per_interaction, users, discount, conversation_price, user_price,
                elementwise=False)


@xw.func(category=CATEGORY)
@xw.arg("actions", doc="Forecast actions for the period the packs must cover.", **RANGE)
@xw.arg("share", doc="Share of the forecast to pre-purchase, e.g. 80%. If omitted, 100%.",
        **RANGE)
@xw.arg("credits_per_action", doc=CREDITS_PER_ACTION, **RANGE)
@xw.arg("pack_size", doc=PACK_SIZE, **RANGE)
def FLEXPACKS(actions, share=None, credits_per_action=None, pack_size=None):
    """Whole Flex Credit packs to buy for a share of an action forecast."""
    return call("FLEXPACKS", agentforce.flex_packs, actions, share, credits_per_action,
                pack_size)


@xw.func(category=CATEGORY)
@xw.arg("actions", doc="Forecast actions for the period.", **RANGE)
@xw.arg("share", doc="Share to pre-purchase in whole packs. " + omitted("flex.prepurchase_share"),
        **RANGE)
@xw.arg("discount", doc="Pre-purchase discount on the pack price. If omitted, 0.", **RANGE)
@xw.arg("payg_credit_price", doc="Dollars per credit paid as you go; no source gives a figure. "
        + omitted("flex.payg_credit_price") + " An assumption.", **RANGE)
@xw.arg("credits_per_action", doc=CREDITS_PER_ACTION, **RANGE)
@xw.arg("pack_price", doc=PACK_PRICE, **RANGE)
@xw.arg("pack_size", doc=PACK_SIZE, **RANGE)
def FLEXSPLITCOST(actions, share=None, discount=None, payg_credit_price=None,
                  credits_per_action=None, pack_price=None, pack_size=None):
    """Cost of pre-purchasing whole packs for a share of a forecast, pay-as-you-go above it."""
    return call("FLEXSPLITCOST", agentforce.flex_split_cost, actions, share, discount,
                payg_credit_price, credits_per_action, pack_price, pack_size)


@xw.func(category=CATEGORY)
@xw.arg("credits", doc="Foundations credits. " + omitted("flex.foundations_credits"), **RANGE)
@xw.arg("credits_per_action", doc=CREDITS_PER_ACTION, **RANGE)
def FOUNDATIONSACTIONS(credits=None, credits_per_action=None):
    """Actions the free Foundations Flex Credits fund."""
    return call("FOUNDATIONSACTIONS", agentforce.foundations_actions, credits,
                credits_per_action)


@xw.func(category=CATEGORY)
@xw.arg("credits", doc="Foundations credits. " + omitted("flex.foundations_credits"), **RANGE)
@xw.arg("pack_price", doc=PACK_PRICE, **RANGE)
@xw.arg("pack_size", doc=PACK_SIZE, **RANGE)
def FOUNDATIONSVALUE(credits=None, pack_price=None, pack_size=None):
    """List value in dollars of the free Foundations Flex Credits."""
    return call("FOUNDATIONSVALUE", agentforce.foundations_value, credits, pack_price,
                pack_size)


@xw.func(category=CATEGORY)
@xw.arg("actions", doc="Actions run in sandboxes.", **RANGE)
@xw.arg("sandbox_rate", doc="Sandbox consumption as a share of production (10-20% if "
        "negotiated). " + omitted("flex.sandbox_rate"), **RANGE)
@xw.arg("discount", doc=DISCOUNT, **RANGE)
def FLEXSANDBOXCOST(actions, sandbox_rate=None, discount=None):
    """Cost of Agentforce actions run in a sandbox, at the sandbox share of credits."""
    return call("FLEXSANDBOXCOST", agentforce.flex_sandbox_cost, actions, sandbox_rate, discount)


@xw.func(category=CATEGORY)
@xw.arg("flex_spend", doc="Flex Credits spend the data-heavy agents run on.", **RANGE)
@xw.arg("share", doc="Data Cloud budget as a share of Flex spend (30-50%). "
        + omitted("datacloud.share_of_flex"), **RANGE)
def DATACLOUDEST(flex_spend, share=None):
    """Data Cloud budget estimate for data-heavy agents: a share of Flex spend."""
    return call("DATACLOUDEST", agentforce.datacloud_est, flex_spend, share)


@xw.func(category=CATEGORY)
@xw.arg("credits", doc="Data Cloud credits.", **RANGE)
@xw.arg("pack_price", doc="Dollars per Data Cloud pack. " + omitted("datacloud.pack_price"),
        **RANGE)
@xw.arg("pack_size", doc="Credits per Data Cloud pack. " + omitted("datacloud.pack_size"),
        **RANGE)
def DATACLOUDCOST(credits, pack_price=None, pack_size=None):
    """Cost of Data Cloud credits, priced pro rata."""
    return call("DATACLOUDCOST", agentforce.datacloud_cost, credits, pack_price, pack_size)


# --- Licences, support and capacity (DOMAIN.md sections 2-5) ------------------------

@xw.func(category=CATEGORY)
@xw.arg("licence", doc="Edition or licence name: Starter, Pro, Enterprise, Unlimited, "
        "Agentforce, Platform Starter, Platform Plus, Agentforce Add-On.", **RANGE)
def LICENCEPRICE(licence):
    """List price per user per month of an edition or platform licence, by name."""
    return call("LICENCEPRICE", editions.licence_price, licence)


@xw.func(category=CATEGORY)
@xw.arg("users", doc="Users who move.", **RANGE)
@xw.arg("from_licence", doc="Their licence now: a name (e.g. Enterprise) or a monthly "
        "price.", **RANGE)
@xw.arg("to_licence", doc="The cheaper licence: a name (e.g. Platform Starter) or a "
        "monthly price.", **RANGE)
def PLATFORMSAVING(users, from_licence, to_licence):
    """Yearly saving of moving users to a cheaper licence: users x difference x 12."""
    return call("PLATFORMSAVING", editions.platform_saving, users, from_licence, to_licence)


@xw.func(category=CATEGORY)
@xw.arg("users", doc="Users in the group.", **RANGE)
@xw.arg("login_days", doc="Login-days per user per month (one per user per day).", **RANGE)
@xw.arg("login_price", doc="Price per login-day, or a licence name (Customer Community, "
        "Customer Community Plus, Partner Community).", **RANGE)
def LOGINCOST(users, login_days, login_price):
    """Monthly cost of a user group paying per login: users x login-days x price."""
    return call("LOGINCOST", logins.login_cost, users, login_days, login_price)


@xw.func(category=CATEGORY)
@xw.arg("users", doc="Users in the group.", **RANGE)
@xw.arg("member_price", doc="Price per member per month, or a licence name (Customer "
        "Community, Customer Community Plus, Partner Community).", **RANGE)
def MEMBERCOST(users, member_price):
    """Monthly cost of a user group on member licences: users x price."""
    return call("MEMBERCOST", logins.member_cost, users, member_price)


MIX_DAYS = "Login-days per user per month: a range, one cell per user (blanks are skipped)."
MIX_LOGIN = ("Price per login-day, or a licence name (Customer Community, Customer "
             "Community Plus, Partner Community).")
MIX_MEMBER = "Price per member per month, or a licence name."
MIX = (("login_days", MIX_DAYS), ("login_price", MIX_LOGIN), ("member_price", MIX_MEMBER))


@xw.func(category=CATEGORY)
@arguments(*MIX)
def LOGINMIXMEMBERS(login_days, login_price, member_price):
    """Users to put on member licences: those whose login-days cost more than a member."""
    return call("LOGINMIXMEMBERS", logins.login_mix_members, login_days, login_price, member_price,
                elementwise=False)


@xw.func(category=CATEGORY)
@arguments(*MIX)
def LOGINMIXPOOL(login_days, login_price, member_price):
    """Login-days a month the login pool must cover: those of the users not made members."""
    return call("LOGINMIXPOOL", logins.login_mix_pool, login_days, login_price, member_price,
                elementwise=False)


@xw.func(category=CATEGORY)
@arguments(*MIX)
def LOGINMIXCOST(login_days, login_price, member_price):
    """Monthly cost of the cheapest mix of members and a login pool for a group of users."""
    return call("LOGINMIXCOST", logins.login_mix_cost, login_days, login_price, member_price,
                elementwise=False)


@xw.func(category=CATEGORY)
@xw.arg("net_licence", doc="Net licence fees (or AI spend) the plan is priced on.", **RANGE)
@xw.arg("plan", doc="Standard, Premier, Premier Plus or Signature. If omitted, Premier.",
        **RANGE)
@xw.arg("share", doc="Share of fees, overriding the plan's (Premier: "
        f"{rates.rate('support.premier'):.0%} on the rate card). Required for Signature.",
        **RANGE)
def SUPPORTCOST(net_licence, plan=None, share=None):
    """Support plan cost as a share of net licence fees."""
    return call("SUPPORTCOST", costs.support_cost, net_licence, plan, share)


@xw.func(category=CATEGORY)
@xw.arg("used_gb", doc="Data storage used, in GB.", **RANGE)
@xw.arg("allocation_gb", doc="The org's allocation in GB: the base and your per-licence "
        "increment. " + omitted("storage.base_gb"), **RANGE)
@xw.arg("price_per_gb", doc="Dollars per GB per month. " + omitted("storage.price_per_gb"),
        **RANGE)
def STORAGECOST(used_gb, allocation_gb=None, price_per_gb=None):
    """Monthly cost of data storage above the org's allocation."""
    return call("STORAGECOST", costs.storage_cost, used_gb, allocation_gb, price_per_gb)


@xw.func(category=CATEGORY)
@xw.arg("sandboxes", doc="Full Copy sandboxes.", **RANGE)
@xw.arg("monthly_price", doc="Dollars per sandbox per month (1,500-3,000). "
        + omitted("sandbox.full_copy"), **RANGE)
def SANDBOXCOST(sandboxes, monthly_price=None):
    """Monthly cost of Full Copy sandboxes."""
    return call("SANDBOXCOST", costs.sandbox_cost, sandboxes, monthly_price)


@xw.func(category=CATEGORY)
@xw.arg("annual_cost", doc=ANNUAL_COST, **RANGE)
@xw.arg("years", doc=YEARS, **RANGE)
@xw.arg("annual_uplift", doc=UPLIFT, **RANGE)
@xw.arg("uplift_cap", doc=UPLIFT_CAP, **RANGE)
def TERMCOST(annual_cost, years, annual_uplift=None, uplift_cap=None):
    """Total cost over a multi-year term with a compounding annual uplift (capped)."""
    return call("TERMCOST", terms.term_cost, annual_cost, years, annual_uplift, uplift_cap)


@xw.func(category=CATEGORY)
@xw.arg("annual_cost", doc=ANNUAL_COST + " One cell.", **RANGE)
@xw.arg("years", doc=YEARS + " One cell.", **RANGE)
@xw.arg("annual_uplift", doc=UPLIFT, **RANGE)
@xw.arg("uplift_cap", doc=UPLIFT_CAP, **RANGE)
def TERMSCHEDULE(annual_cost, years, annual_uplift=None, uplift_cap=None):
    """Spills the cost of each year of a term, year 1 first, with the uplift applied."""
    return call("TERMSCHEDULE", terms.term_schedule, annual_cost, years, annual_uplift,
                uplift_cap, elementwise=False)


@xw.func(category=CATEGORY)
@xw.arg("key", doc="Rate card key, e.g. flex.pack_price (SFRATES() lists them all).",
        **RANGE)
def SFPRICE(key):
    """The rate card's value for a key: a list price or default rate."""
    return call("SFPRICE", rates.sf_price, key)


@xw.func(category=CATEGORY)
def SFRATES():
    """Spills the whole rate card: key, value, unit, basis, source, description."""
    return call("SFRATES", rates.sf_rates, elementwise=False)


# --- The credits register (DOMAIN.md section 6) --------------------------------------

@xw.func(category=CATEGORY)
@xw.arg("balance", doc=BALANCE, **RANGE)
@xw.arg("consumed", doc="Credits consumed to date.", **RANGE)
def CREDITREMAINING(balance, consumed):
    """Balance left: balance - consumed (negative in overage)."""
    return call("CREDITREMAINING", credits.credit_remaining, balance, consumed)


@xw.func(category=CATEGORY)
@xw.arg("balance", doc=BALANCE, **RANGE)
@xw.arg("consumed", doc="Credits consumed to date.", **RANGE)
def CREDITUSED(balance, consumed):
    """Share of the balance consumed (format as %; above 100% in overage)."""
    return call("CREDITUSED", credits.credit_used, balance, consumed)


@xw.func(category=CATEGORY)
@arguments(*ENTITLEMENT)
@xw.arg("lapse_threshold", doc="LAPSE RISK when the projected lapse exceeds this share of "
        "the balance. " + omitted("credits.lapse_alert"), **RANGE)
@xw.arg("review", doc="First consumption alert. " + omitted("credits.alert_review"), **RANGE)
@xw.arg("reforecast", doc="Second consumption alert. " + omitted("credits.alert_reforecast"), **RANGE)
@xw.arg("escalate", doc="Third consumption alert. " + omitted("credits.alert_escalate"), **RANGE)
@xw.arg("grace_days", doc=GRACE_DAYS, **RANGE)
def CREDITALERT(balance, consumed, start_date, expiry_date, as_of=None, monthly_rate=None,
                lapse_threshold=None, review=None, reforecast=None, escalate=None,
                grace_days=None):
    """Alert of a register entry: EXPIRED, LAPSE RISK, the consumption alert reached or blank."""
    return call("CREDITALERT", credits.credit_alert, balance, consumed, start_date,
                expiry_date, as_of, monthly_rate, lapse_threshold, review, reforecast,
                escalate, grace_days)


@xw.func(category=CATEGORY)
@arguments(*ENTITLEMENT)
@xw.arg("grace_days", doc=GRACE_DAYS, **RANGE)
def CREDITDEPLETION(balance, consumed, start_date, expiry_date, as_of=None,
                    monthly_rate=None, grace_days=None):
    """Day the balance runs out at the run rate, or "not before expiry"."""
    return call("CREDITDEPLETION", credits.credit_depletion, balance, consumed, start_date,
                expiry_date, as_of, monthly_rate, grace_days, missing="not before expiry")


@xw.func(category=CATEGORY)
@xw.arg("lapse", doc="Credits projected to lapse (CREDITLAPSE).", **RANGE)
@xw.arg("unit_value", doc="Dollars per credit.", **RANGE)
def VALUEATRISK(lapse, unit_value):
    """Dollar value of credits projected to lapse: lapse x unit value."""
    return call("VALUEATRISK", credits.value_at_risk, lapse, unit_value)


@xw.func(category=CATEGORY)
@arguments(*ENTITLEMENT)
@xw.arg("target_share", doc="Lapse to aim for as a share of the balance. "
        + omitted("credits.lapse_alert"), **RANGE)
@xw.arg("grace_days", doc=GRACE_DAYS, **RANGE)
def CREDITCATCHUP(balance, consumed, start_date, expiry_date, as_of=None, monthly_rate=None,
                  target_share=None, grace_days=None):
    """Extra monthly consumption needed to bring the projected lapse down to the target."""
    return call("CREDITCATCHUP", credits.credit_catchup, balance, consumed, start_date,
                expiry_date, as_of, monthly_rate, target_share, grace_days,
                missing="too late: expired")


# --- Usage statements (DOMAIN.md section 7) ----------------------------------------------

MULTIPLIERS = ("Multiplier table: Usage type, Subtype, Environment, Multiplier, Effective "
               "date (blank subtype or environment: any). Header row optional.")


@xw.func(category=CATEGORY)
@xw.arg("quantity", doc="Raw usage quantity (e.g. SMS sent).", **RANGE)
@xw.arg("usage_type", doc="Usage type, e.g. SMS.", **RANGE)
@xw.arg("subtype", doc="Usage subtype, e.g. Japan. May be blank.", **RANGE)
@xw.arg("environment", doc="production or sandbox. If blank, production.", **RANGE)
@xw.arg("usage_date", doc="Day of the usage: the multiplier in force that day applies.",
        **RANGE)
@xw.arg("multipliers", doc=MULTIPLIERS, **RANGE)
def USAGEUNITS(quantity, usage_type, subtype, environment, usage_date, multipliers):
    """Units consumed by usage: quantity x the multiplier in force (1 if none applies)."""
    return call("USAGEUNITS", statements.usage_units, quantity, usage_type, subtype, environment,
                usage_date, multipliers, elementwise=False)


@xw.func(category=CATEGORY)
@xw.arg("entitlements", doc="Entitlements: Contract, Product, Quantity, Start, Expiry, Usage "
        "rate (for overage). Header row optional.", **RANGE)
@xw.arg("usage", doc="Usage: Date (a day, or a month as 2026-03), Product, Usage type, "
        "Subtype, Environment, Quantity. Header row optional.", **RANGE)
@xw.arg("multipliers", doc=MULTIPLIERS + " If omitted, every multiplier is 1.", **RANGE)
def USAGEDRAWDOWN(entitlements, usage, multipliers=None):
    """Spills the monthly drawdown of pooled entitlements: drawn, lapsed, closing, overage."""
    return call("USAGEDRAWDOWN", statements.usage_drawdown, entitlements, usage, multipliers,
                elementwise=False)
