"""The template, declared once: the register's columns, the TCO model, the lists, the version.

The builder writes from these declarations and generates every formula from
them: register formulas name columns by key (``{balance}`` becomes the cell of
that column in the same row); TCO formulas use defined names (``TCO_Seats``)
and the Rates sheet's names (``flex_pack_price``). No cell address is typed
anywhere else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .. import agentforce, credits, terms

SCHEMA_VERSION = 2  # 2: the register's Grace days column
VERSION_NAME = "xlcredits_schema_version"
AS_OF_NAME = "AsOfDate"
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)  # the dates a register takes
REGISTER_ROWS = 500  # at least this many register rows have their formulas in place
REGISTER_HEADROOM = 100  # and at least this many beyond the last entry


def register_capacity(entries: int, at_least: int = 0) -> int:
    """Register rows to build: room for the entries plus headroom, in hundreds, >= 500.

    >>> register_capacity(12), register_capacity(1000), register_capacity(0, 730)
    (500, 1100, 800)
    """
    needed = max(entries + REGISTER_HEADROOM, at_least)
    return max(REGISTER_ROWS, -(-needed // 100) * 100)

SHEETS = ("Start", "Register", "TCO", "Rates", "Dashboard", "Lists", "xlwings.conf")

# --- lists (dropdowns) ----------------------------------------------------------------

LISTS = {
    "List_CreditTypes": (  # DOMAIN.md section 6
        "Flex Credits", "Data Cloud credits", "Marketing Cloud Engagement credits",
        "Success Plan credits", "Development credits", "Customer success funds",
        "Training credits and vouchers", "Partner service vouchers",
        "Sandbox, API and storage extras"),
    "List_Units": ("credits", "USD", "hours", "sessions", "vouchers", "GB", "licences"),
    "List_Editions": ("Starter", "Pro", "Enterprise", "Unlimited", "Agentforce"),
    "List_Experience": ("Customer Community", "Customer Community Plus", "Partner Community"),
    "List_Support": ("Standard", "Premier", "Premier Plus", "Signature"),
}


def rate_name(key: str) -> str:
    """The defined name of a rate card entry on the Rates sheet: dots become underscores."""
    return key.replace(".", "_")


def choose(list_name: str, chosen: str, values: tuple[str, ...]) -> str:
    """Formula text picking the value that matches ``chosen``'s position in a list."""
    return f"CHOOSE(MATCH({chosen},{list_name},0),{','.join(values)})"


# --- the register ---------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str  # text, choice, number, money, date, formula
    width: int = 14
    number_format: str = "General"
    formula: str | None = None  # with {key} placeholders for same-row cells
    prompt: str = ""  # what the input expects (data validation message)
    choices: str | None = None  # a List_ name for a dropdown
    required: bool = False  # an entry lacking it is counted by the Dashboard's checks
    since: int = 1  # the schema version that introduced the column

    @property
    def is_input(self) -> bool:
        return self.kind != "formula"


CREDITS = "#,##0"
MONEY = '"$"#,##0.00'
MONEY0 = '"$"#,##0'
PERCENT = "0.0%"
DATE = "yyyy-mm-dd"
GUARD = 'IF({balance}="","",'  # a row without a balance shows nothing
AS_OF_TODAY = f'IF({AS_OF_NAME}="",TODAY(),{AS_OF_NAME})'  # a blank as-of date is today

REGISTER = (
    Column("id", "ID", "text", 10, "@", prompt="A unique reference for this entitlement."),
    Column("credit_type", "Credit type", "choice", 34, choices="List_CreditTypes",
           prompt="Pick the kind of credit from the list.", required=True),
    Column("product", "Product / entitlement", "text", 30, "@",
           prompt="The product or entitlement as the order form names it."),
    Column("contract", "Contract reference", "text", 16, "@",
           prompt="Order form or contract number."),
    Column("unit", "Unit", "choice", 10, choices="List_Units",
           prompt="What the balance counts: credits, USD, hours, vouchers..."),
    Column("balance", "Contracted balance", "number", 15, CREDITS,
           prompt="The quantity contracted, zero or more.", required=True),
    Column("consumed", "Consumed to date", "number", 15, CREDITS,
           prompt="Consumed up to the as-of date (Start sheet), zero or more.", required=True),
    Column("start", "Start date", "date", 12, DATE,
           prompt="First day the credits can be used (a date).", required=True),
    Column("expiry", "Expiry date", "date", 12, DATE,
           prompt="Last day the credits can be used: on or after the start date.",
           required=True),
    Column("grace_days", "Grace days", "number", 9, "0",
           prompt="Optional: whole days after the expiry date during which the credits can "
                  "still be used (a negotiated grace period). Blank = none.", since=2),
    Column("unit_value", "Unit value ($)", "money", 12, '"$"#,##0.00##',
           prompt="Dollars one unit is worth (0.005 for a Flex Credit at list).",
           required=True),
    Column("planned", "Planned monthly use", "number", 14, CREDITS,
           prompt="Optional: expected use per month. Blank = the run rate so far."),
    Column("owner", "Owner", "text", 16, "@", prompt="The named person accountable."),
    Column("purpose", "Purpose", "text", 24, "@", prompt="The initiative it serves."),
    Column("notes", "Notes", "text", 30, "@", prompt="Conditions, rollover, anything else."),
    Column("remaining", "Remaining", "formula", 14, CREDITS,
           GUARD + "{balance}-{consumed})"),
    Column("consumed_pct", "Consumed %", "formula", 11, PERCENT,
           'IF(N({balance})=0,"",{consumed}/{balance})'),
    Column("lapse", "Projected lapse", "formula", 15, CREDITS,
           GUARD + "CREDITLAPSE({balance},{consumed},{start},{expiry},"
           f"{AS_OF_NAME},{{planned}},{{grace_days}}))"),
    Column("lapse_pct", "Lapse %", "formula", 10, PERCENT,
           'IF(N({balance})=0,"",{lapse}/{balance})'),
    Column("value_at_risk", "Value at risk ($)", "formula", 15, MONEY0,
           GUARD + "{lapse}*{unit_value})"),
    Column("alert", "Alert", "formula", 13, "General",
           GUARD + "CREDITALERT({balance},{consumed},{start},{expiry},"
           f"{AS_OF_NAME},{{planned}},credits_lapse_alert,credits_alert_review,"
           "credits_alert_reforecast,credits_alert_escalate,{grace_days}))"),
    Column("catch_up", "Catch-up per month", "formula", 15, CREDITS,
           GUARD + "CREDITCATCHUP({balance},{consumed},{start},{expiry},"
           f"{AS_OF_NAME},{{planned}},credits_lapse_alert,{{grace_days}}))"),
    # native formulas: the calendar of expiries works without the add-in
    Column("last_day", "Last usable day", "formula", 12, DATE,
           'IF({expiry}="","",{expiry}+N({grace_days}))', since=2),
    Column("days_left", "Days to expiry", "formula", 10, "0",
           f'IF({{expiry}}="","",{{last_day}}-{AS_OF_TODAY})', since=2),
    Column("value_left", "Value remaining ($)", "formula", 15, MONEY0,
           GUARD + "MAX({remaining},0)*N({unit_value}))", since=2),
)

REGISTER_INPUTS = tuple(c for c in REGISTER if c.is_input)
REGISTER_REQUIRED = tuple(c.key for c in REGISTER_INPUTS if c.required)
REGISTER_IDENTIFY = ("id", "credit_type", "product", "balance")  # any of them makes an entry


def xlcredits_function(column: Column) -> str | None:
    """The xlcredits function a register formula column calls, if any."""
    found = re.search(r"\b(CREDIT[A-Z]+)\(", column.formula or "")
    return found.group(1) if found else None


# The alert states, in CREDITALERT's precedence, with their fill and font colours. The
# fixed states are the core's; the consumption alerts are labelled from the Rates sheet's
# thresholds exactly as the core labels them (credits.alert_label).
ALERT_COLOURS = (("595959", "FFFFFF"), ("C00000", "FFFFFF"), ("F4B084", "000000"),
                 ("FFD966", "000000"), ("FFF2CC", "000000"))
ALERT_STATES = tuple(f'"{a}"' for a in credits.ALERTS) + tuple(
    f'TEXT({rate_name(key)},"0%")' for _, key in credits.ALERT_LEVELS)
"""Formula text of each state's label (a constant or the threshold on the Rates sheet)."""
ALERT_STYLES = tuple(zip(ALERT_STATES, *zip(*ALERT_COLOURS)))
OK = "OK"


# --- the TCO model --------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """One named cell of a TCO row: an input (a default value) or a formula."""
    key: str  # the defined name is TCO_<key>
    formula: str | None = None  # formula text without "=", names only
    default: object = None  # an input's value in the blank template
    example: object = None  # an input's value in the example workbook
    number_format: str = "General"
    choices: str | None = None
    prompt: str = ""
    whole: tuple[int, int] | None = None  # a whole-number input between these bounds

    @property
    def name(self) -> str:
        return f"TCO_{self.key}"

    @property
    def is_input(self) -> bool:
        return self.formula is None


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Cell, ...] = ()
    kind: str = "row"  # row, title, section, header, note
    columns: tuple[str, ...] = field(default=())  # header labels for kind "header"


def inp(key, default, example, fmt="General", choices=None, prompt="", whole=None):
    return Cell(key, None, default, example, fmt, choices, prompt, whole)


def calc(key, formula, fmt=MONEY0):
    return Cell(key, formula, number_format=fmt)


EDITION_PRICES = tuple(rate_name(f"edition.{e.lower()}") for e in LISTS["List_Editions"])
EXPERIENCE_KEYS = ("community", "community_plus", "partner")
MODELS = tuple(zip(("Conv", "Flex", "User"), agentforce.MODELS))  # the core's order: its
# tie-break (the first of the cheapest) is the sheet's
ANNUALS = ",".join(f"TCO_{k}Annual" for k, _ in MODELS)
MIX_ROWS = (("FAQ / simple", 0.6, 3), ("Case management", 0.3, 7),
            ("Complex troubleshooting", 0.1, 14), ("Other", 0, 0), ("Other", 0, 0))
TERM_YEARS = terms.MAX_TERM_YEARS
APPLIED = 'IF(TCO_UpliftCap="",TCO_AppliedUplift,MIN(TCO_AppliedUplift,TCO_UpliftCap))'
COUNT = "#,##0"


def cheapest() -> str:
    """The first model, in the core's order, whose annual cost is the lowest."""
    text = f'"{MODELS[-1][1]}"'
    for key, label in reversed(MODELS[:-1]):
        text = f'IF(TCO_{key}Annual=MIN({ANNUALS}),"{label}",{text})'
    return text


def flag(key: str) -> str:
    label = dict(MODELS)[key]
    return f'IF(TCO_Cheapest="{label}","cheapest","")'


RATE_FMT = "0.00%"

TCO = (
    Row("Total cost of ownership", kind="title"),
    Row("Blue cells are inputs; every price comes from the Rates sheet.", kind="note"),
    Row("Per-user licences (Sales / Service Cloud)", kind="section"),
    Row("Edition of the org", (inp("Edition", "Enterprise", "Enterprise", choices="List_Editions",
                                   prompt="Pick the org's edition."),)),
    Row("Seats", (inp("Seats", 0, 500, COUNT, prompt="Licensed users, zero or more."),)),
    Row("Price per user per month", (calc("EditionPrice", choose(
        "List_Editions", "TCO_Edition", EDITION_PRICES), MONEY),)),
    Row("Annual cost", (calc("EditionAnnual", "TCO_Seats*TCO_EditionPrice*12"),)),
    Row("One edition per org: every user of an org is on the same edition, so upgrading a "
        "few power users upgrades every seat.", kind="note"),
    Row("Target edition (right-sizing)", (inp("TargetEdition", "Enterprise", "Unlimited",
                                              choices="List_Editions",
                                              prompt="An edition to compare with."),)),
    Row("Target price per user per month", (calc("TargetPrice", choose(
        "List_Editions", "TCO_TargetEdition", EDITION_PRICES), MONEY),)),
    Row("Yearly cost of moving every seat (negative = saving)", (calc(
        "EditionChange", "EDITIONUPLIFT(TCO_Seats,TCO_EditionPrice,TCO_TargetPrice)"),)),
    Row("Platform licences", kind="section"),
    Row("Platform Starter users", (inp("PlatformStarterUsers", 0, 0, COUNT),)),
    Row("Platform Plus users", (inp("PlatformPlusUsers", 0, 0, COUNT),)),
    Row("Annual cost", (calc("PlatformAnnual", "(TCO_PlatformStarterUsers*platform_starter"
                             "+TCO_PlatformPlusUsers*platform_plus)*12"),)),
    Row("Users who only need custom apps (could move to Platform Starter)",
        (inp("SubstUsers", 0, 200, COUNT),)),
    Row("Yearly saving of moving them", (calc(
        "SubstSaving", "PLATFORMSAVING(TCO_SubstUsers,TCO_EditionPrice,platform_starter)"),)),
    Row("Experience Cloud: login pool or members", kind="section"),
    Row("Licence", (inp("ExpLicence", "Customer Community", "Partner Community",
                        choices="List_Experience"),)),
    Row("External users", (inp("ExpUsers", 0, 100, COUNT),)),
    Row("Login-days per user per month", (inp("ExpLoginDays", 0, 20, "0.0",
                                              prompt="A login counts once per user per day."),)),
    Row("Price per login-day", (calc("ExpLoginPrice", choose(
        "List_Experience", "TCO_ExpLicence",
        tuple(f"{k}_login_price" for k in EXPERIENCE_KEYS)), MONEY),)),
    Row("Price per member per month", (calc("ExpMemberPrice", choose(
        "List_Experience", "TCO_ExpLicence",
        tuple(f"{k}_member_price" for k in EXPERIENCE_KEYS)), MONEY),)),
    Row("Break-even login-days per user per month", (calc(
        "ExpBreakeven", "LOGINBREAKEVEN(TCO_ExpLoginPrice,TCO_ExpMemberPrice)", "0.00"),)),
    Row("Monthly cost as a login pool", (calc(
        "ExpLoginMonthly", "LOGINCOST(TCO_ExpUsers,TCO_ExpLoginDays,TCO_ExpLoginPrice)"),)),
    Row("Monthly cost as members", (calc(
        "ExpMemberMonthly", "MEMBERCOST(TCO_ExpUsers,TCO_ExpMemberPrice)"),)),
    Row("Cheaper", (calc("ExpCheaper", 'IF(TCO_ExpUsers=0,"",IF(TCO_ExpMemberMonthly<'
                         'TCO_ExpLoginMonthly,"Members","Login pool"))', "General"),)),
    Row("Annual cost (the cheaper)", (calc(
        "ExpAnnual", "MIN(TCO_ExpLoginMonthly,TCO_ExpMemberMonthly)*12"),)),
    Row("Per-org capacity", kind="section"),
    Row("Data storage used (GB)", (inp("StorageUsedGB", 0, 18, "#,##0.0"),)),
    Row("Allocation above the base (GB, per-licence increment)",
        (inp("ExtraAllocGB", 0, 0, "#,##0.0"),)),
    Row("Storage above allocation, annual", (calc(
        "StorageAnnual", "STORAGECOST(TCO_StorageUsedGB,storage_base_gb+TCO_ExtraAllocGB,"
        "storage_price_per_gb)*12"),)),
    Row("Full Copy sandboxes", (inp("Sandboxes", 0, 1, COUNT),)),
    Row("Sandboxes, annual", (calc("SandboxAnnual",
                                   "SANDBOXCOST(TCO_Sandboxes,sandbox_full_copy)*12"),)),
    Row("Marketing Cloud Growth orgs", (inp("MarketingOrgs", 0, 0, COUNT),)),
    Row("Marketing Cloud, annual", (calc("MarketingAnnual",
                                         "TCO_MarketingOrgs*marketing_growth_org*12"),)),
    Row("Data Cloud credits per year", (inp("DataCloudCredits", 0, 0, COUNT),)),
    Row("Data Cloud, annual", (calc("DataCloudAnnual", "DATACLOUDCOST(TCO_DataCloudCredits,"
                                    "datacloud_pack_price,datacloud_pack_size)"),)),
    Row("Annual cost", (calc("CapacityAnnual", "TCO_StorageAnnual+TCO_SandboxAnnual+"
                             "TCO_MarketingAnnual+TCO_DataCloudAnnual"),)),
    Row("Agentforce: three pricing models (only one can be active in an org)", kind="section"),
    Row("Interactions per month", (inp("Interactions", 0, 10000, COUNT),)),
    Row("Interaction mix", kind="header", columns=("Share", "Actions each")),
    *(Row(label, (inp(f"MixShare{i}", share, share, "0%"),
                  inp(f"MixActions{i}", actions, actions, "0.0")))
      for i, (label, share, actions) in enumerate(MIX_ROWS, 1)),
    Row("Agents on per-user licences", (inp("Agents", 0, 50, COUNT),)),
    Row("Flex Credits discount", (inp("FlexDiscount", 0, 0, "0%",
                                      prompt="Pre-purchase discount as a fraction, e.g. 25%."),)),
    Row("Actions per month", (calc("Actions", "MIXACTIONS(TCO_Interactions,TCO_MixShares,"
                                   "TCO_MixActions)", COUNT),)),
    Row("Price per action", (calc("ActionPrice", "FLEXACTIONPRICE(TCO_FlexDiscount,"
                                  "flex_credits_per_action,flex_pack_price,flex_pack_size)",
                                  "$0.0000"),)),
    Row("Model", kind="header", columns=("Monthly", "Annual", "Saving vs dearest", "")),
    Row("Per conversation", (
        calc("ConvMonthly", "CONVERSATIONCOST(TCO_Interactions,agentforce_conversation_price)"),
        calc("ConvAnnual", "TCO_ConvMonthly*12"),
        calc("ConvSaving", f"MAX({ANNUALS})-TCO_ConvAnnual"),
        calc("ConvFlag", flag("Conv"), "General"))),
    Row("Flex Credits", (
        calc("FlexMonthly", "FLEXCOST(TCO_Actions,TCO_FlexDiscount,flex_credits_per_action,"
                            "flex_pack_price,flex_pack_size)"),
        calc("FlexAnnual", "TCO_FlexMonthly*12"),
        calc("FlexSaving", f"MAX({ANNUALS})-TCO_FlexAnnual"),
        calc("FlexFlag", flag("Flex"), "General"))),
    Row("Per user", (
        calc("UserMonthly", "AGENTUSERCOST(TCO_Agents,agentforce_user_price)"),
        calc("UserAnnual", "TCO_UserMonthly*12"),
        calc("UserSaving", f"MAX({ANNUALS})-TCO_UserAnnual"),
        calc("UserFlag", flag("User"), "General"))),
    Row("Cheapest model", (calc("Cheapest", cheapest(), "General"),)),
    Row("Annual cost (the cheapest)", (calc("AgentforceAnnual", f"MIN({ANNUALS})"),)),
    Row("Crossover: actions per interaction where Flex stops being cheaper", (calc(
        "Crossover", "FLEXCROSSOVER(agentforce_conversation_price,TCO_ActionPrice)", "0.0"),)),
    Row("Per-user break-even: actions per user per month", (calc(
        "UserBreakeven", "FLEXUSERBREAKEVEN(agentforce_user_price,TCO_ActionPrice)", COUNT),)),
    Row("Whole packs for a year's actions", (calc(
        "Packs", "FLEXPACKS(TCO_Actions*12,1,flex_credits_per_action,flex_pack_size)",
        COUNT),)),
    Row("Cost of those packs", (calc("PackCost",
                                     "TCO_Packs*flex_pack_price*(1-TCO_FlexDiscount)"),)),
    Row("Value of the free Foundations credits", (calc(
        "FoundationsValue", "FOUNDATIONSVALUE(flex_foundations_credits,flex_pack_price,"
        "flex_pack_size)"),)),
    Row("Data Cloud budget for data-heavy agents, annual", (calc(
        "DataCloudEstimate", "DATACLOUDEST(TCO_FlexAnnual,datacloud_share_of_flex)"),)),
    Row("Support plan", kind="section"),
    Row("Plan", (inp("SupportPlan", "Standard", "Premier", choices="List_Support"),)),
    Row("Signature share of fees (Signature only)", (inp("SignatureShare", None, None,
                                                         RATE_FMT),)),
    Row("Share of fees", (calc("SupportShare", choose(
        "List_Support", "TCO_SupportPlan", ("support_standard", "support_premier",
                                            "support_premier_plus", "TCO_SignatureShare")),
        RATE_FMT),)),
    Row("Licence and AI spend it is priced on", (calc(
        "NetLicence", "TCO_EditionAnnual+TCO_PlatformAnnual+TCO_ExpAnnual+"
        "TCO_AgentforceAnnual"),)),
    Row("Support, annual", (calc("SupportAnnual", "SUPPORTCOST(TCO_NetLicence,"
                                 "TCO_SupportPlan,TCO_SupportShare)"),)),
    Row("Totals and the multi-year term", kind="section"),
    Row("Annual total (year 1)", (calc("AnnualTotal", "TCO_EditionAnnual+TCO_PlatformAnnual+"
                                       "TCO_ExpAnnual+TCO_CapacityAnnual+TCO_AgentforceAnnual+"
                                       "TCO_SupportAnnual"),)),
    Row(f"Term in years (1-{TERM_YEARS})", (inp("Years", 3, 3, "0", whole=(1, TERM_YEARS),
                                             prompt="Whole years of the term."),)),
    Row("Annual uplift at renewal (blank = Rates uplift_capped)", (inp("Uplift", None, 0.07,
                                                                       RATE_FMT),)),
    Row("Uplift cap in the contract (blank = none)", (inp("UpliftCap", None, None, RATE_FMT),)),
    Row("Uplift applied", (calc("AppliedUplift", 'IF(TCO_Uplift="",uplift_capped,TCO_Uplift)',
                                RATE_FMT),)),
    Row("Term total", (calc("TermTotal", "TERMCOST(TCO_AnnualTotal,TCO_Years,"
                            "TCO_AppliedUplift,TCO_UpliftCap)"),)),
    *(Row(f"Year {n}", (calc(f"Year{n}", f'IF({n}>TCO_Years,"",'
                                         f"TCO_AnnualTotal*(1+{APPLIED})^{n - 1})"),))
      for n in range(1, TERM_YEARS + 1)),
    Row("Savings identified, per year", kind="section"),
    Row("Platform substitution", (calc("SaveSubst", "TCO_SubstSaving"),)),
    Row("Login pool or members: the cheaper", (calc(
        "SaveLogins", "ABS(TCO_ExpLoginMonthly-TCO_ExpMemberMonthly)*12"),)),
    Row("Edition right-sizing (to the target edition)", (calc(
        "SaveEdition", "MAX(-TCO_EditionChange,0)"),)),
    Row("Agentforce model choice (cheapest against dearest)", (calc(
        "SaveAgentforce", f"MAX({ANNUALS})-MIN({ANNUALS})"),)),
    Row("Total savings identified", (calc("SaveTotal", "TCO_SaveSubst+TCO_SaveLogins+"
                                          "TCO_SaveEdition+TCO_SaveAgentforce"),)),
)

# Ranges the formulas use as a whole: name -> the cell keys it spans (a column block)
TCO_RANGES = {
    "TCO_MixShares": tuple(f"MixShare{i}" for i in range(1, len(MIX_ROWS) + 1)),
    "TCO_MixActions": tuple(f"MixActions{i}" for i in range(1, len(MIX_ROWS) + 1)),
}
TCO_INPUTS = tuple(c for r in TCO for c in r.cells if c.is_input)

# TCO components the dashboard charts, with their labels
TCO_COMPONENTS = (("Per-user licences", "TCO_EditionAnnual"),
                  ("Platform licences", "TCO_PlatformAnnual"),
                  ("Experience Cloud", "TCO_ExpAnnual"),
                  ("Per-org capacity", "TCO_CapacityAnnual"),
                  ("Agentforce", "TCO_AgentforceAnnual"),
                  ("Support", "TCO_SupportAnnual"))
