"""The formula catalogue as Excel calls it: DOMAIN.md's worked figures by formulas alone,
and for every function a sourced reference value, a bad input and a range."""

from datetime import datetime

import pytest
from test_xlwings_compat import EXCEL_FUNCTIONS

from xlcredits import udfs as x

MIX_SHARES = [[0.6], [0.3], [0.1]]  # a column of three cells, as xlwings passes it (ndim=2)
MIX_ACTIONS = [[3.0], [7.0], [14.0]]


def test_domain_section_1_worked_example_by_formulas_alone():
    # DOMAIN.md section 1 (002): 10,000 interactions a month, 60% x 3, 30% x 7, 10% x 14
    actions = x.MIXACTIONS(10000.0, MIX_SHARES, MIX_ACTIONS)
    assert actions == 53000.0
    per_conversation = x.CONVERSATIONCOST(10000.0)
    flex = x.FLEXCOST(actions)
    flex_discounted = x.FLEXCOST(actions, 0.25)
    per_user = x.AGENTUSERCOST(50.0)
    assert (per_conversation, flex, flex_discounted, per_user) == (20000.0, 5300.0, 3975.0, 6250.0)
    # annual: $240,000, $63,600, $47,700, $75,000
    assert [12 * v for v in (per_conversation, flex, flex_discounted, per_user)] == [
        240000.0, 63600.0, 47700.0, 75000.0]
    table = x.AGENTFORCECOMPARE(10000.0, MIX_SHARES, MIX_ACTIONS, 50.0)
    assert table[0] == ["Model", "Monthly cost", "Annual cost", "Saving vs dearest", "Cheapest"]
    rows = {r[0]: r[1:] for r in table[1:]}
    assert rows["Flex Credits"] == [5300.0, 63600.0, 176400.0, "cheapest"]  # saves $176,400/yr
    assert rows["Per user"][1] - rows["Flex Credits"][1] == 11400.0  # $11,400 against per-user
    assert x.AGENTFORCECHEAPEST(10000.0, MIX_SHARES, MIX_ACTIONS, 50.0) == "Flex Credits"
    # volume doubles: Flex $127,200/yr while per-user stays $75,000
    doubled = x.MIXACTIONS(20000.0, MIX_SHARES, MIX_ACTIONS)
    assert 12 * x.FLEXCOST(doubled) == 127200.0
    assert x.AGENTFORCECHEAPEST(20000.0, MIX_SHARES, MIX_ACTIONS, 50.0) == "Per user"
    # every interaction takes 18 actions: 180,000 actions, $18,000 against $20,000
    eighteen = x.MIXACTIONS(10000.0, [[1.0]], [[18.0]])
    assert (eighteen, x.FLEXCOST(eighteen)) == (180000.0, 18000.0)
    # crossover 20 actions per interaction; per-user break-even 1,250 actions a month
    assert (x.FLEXCROSSOVER(), x.FLEXUSERBREAKEVEN()) == (20.0, 1250.0)
    # whole packs: 12 x 1,060,000 credits = 128 packs = $64,000
    packs = x.FLEXPACKS(12 * actions)
    assert (packs, packs * x.SFPRICE("flex.pack_price")) == (128.0, 64000.0)
    # Foundations: 100,000 credits = 5,000 actions, $500 of list value
    assert (x.FOUNDATIONSACTIONS(), x.FOUNDATIONSVALUE()) == (5000.0, 500.0)
    # Premier on AI spend: $200,000 of Flex Credits plus $60,000 of Premier
    assert x.SUPPORTCOST(200000.0, "Premier") == 60000.0


def test_domain_sections_2_3_5_6_by_formulas_alone():
    # section 2: 100 partner users at 20 logins = 2,000 x $10 = $20,000 against 100 x $25
    assert x.LOGINCOST(100.0, 20.0, "Partner Community") == 20000.0
    assert x.MEMBERCOST(100.0, "Partner Community") == 2500.0
    assert x.LOGINBREAKEVEN(x.SFPRICE("partner.login_price"), x.SFPRICE("partner.member_price")) == 2.5
    # section 3: 500 seats Enterprise to Unlimited = $1,050,000 a year
    assert x.EDITIONUPLIFT(500.0, "Enterprise", "Unlimited") == 1050000.0
    # section 3: 200 users Enterprise to Platform Starter save $360,000 a year
    assert x.PLATFORMSAVING(200.0, "Enterprise", "Platform Starter") == 360000.0
    # section 5: Premier on $1M of licences is ~$300K (001); 000's 20% gives $200K
    assert x.SUPPORTCOST(1e6) == 300000.0
    assert x.SUPPORTCOST(1e6, "Premier", x.SFPRICE("support.premier_low")) == 200000.0
    # section 6: $500,000 of credits a year at 50% consumption = $250,000 lost.
    # Credits worth $1 each, consumed at 250,000 a year (20,833.33 a month), seen before
    # the start: 250,000 x 12/12 ... = 20,833.33 x 12 / 365 x 365 days = 250,000 used.
    lapse = x.CREDITLAPSE(500000.0, 0.0, datetime(2026, 1, 1), datetime(2026, 12, 31),
                          datetime(2025, 12, 31), 250000.0 / 12)
    assert round(x.VALUEATRISK(lapse, 1.0), 2) == 250000.0


# One reference call per function: (function, Excel arguments, expected, where it comes from)
REFERENCES = [
    (x.FLEXCOST, (53000.0, 0.25), 3975.0, "DOMAIN 1"),
    (x.LOGINBREAKEVEN, (10.0, 25.0), 2.5, "DOMAIN 2"),
    (x.EDITIONUPLIFT, (500.0, "Enterprise", "Unlimited"), 1050000.0, "DOMAIN 3"),
    (x.CREDITLAPSE, (1.2e6, 3e5, 46023.0, 46387.0, 46203.0), 595027.6243093922, "issue 2 case"),
    (x.CONVERSATIONCOST, (10000.0,), 20000.0, "DOMAIN 1"),
    (x.AGENTUSERCOST, (50.0,), 6250.0, "DOMAIN 1"),
    (x.FLEXACTIONPRICE, (0.25,), 0.075, "DOMAIN 1: $0.10 less 25%"),
    (x.FLEXCROSSOVER, (2.0, 0.08), 25.0, "2 / (0.10 less 20%)"),
    (x.FLEXUSERBREAKEVEN, (125.0,), 1250.0, "DOMAIN 1"),
    (x.MIXACTIONS, (10000.0, MIX_SHARES, MIX_ACTIONS), 53000.0, "DOMAIN 1"),
    (x.AGENTFORCECHEAPEST, (10000.0, MIX_SHARES, MIX_ACTIONS, 50.0), "Flex Credits", "DOMAIN 1"),
    (x.FLEXPACKS, (636000.0,), 128.0, "DOMAIN 1: 12.72M credits"),
    # 80% of 12.72M = 10.176M -> 102 packs = $51,000; 2.52M credits x $0.00625 = $15,750
    (x.FLEXSPLITCOST, (636000.0,), 66750.0, "hand"),
    (x.FOUNDATIONSACTIONS, (), 5000.0, "DOMAIN 1"),
    (x.FOUNDATIONSVALUE, (), 500.0, "DOMAIN 1"),
    (x.FLEXSANDBOXCOST, (53000.0,), 2650.0, "DOMAIN 1: 50% of $5,300"),
    (x.DATACLOUDEST, (63600.0, 0.5), 31800.0, "DOMAIN 1: 50% of Flex spend"),
    (x.DATACLOUDCOST, (100000.0,), 1000.0, "DOMAIN 1: $1,000 per 100,000"),
    (x.LICENCEPRICE, ("Unlimited Edition",), 350.0, "DOMAIN 3"),
    (x.PLATFORMSAVING, (200.0, "Enterprise", "Platform Starter"), 360000.0, "DOMAIN 3"),
    (x.LOGINCOST, (100.0, 20.0, 10.0), 20000.0, "DOMAIN 2"),
    (x.MEMBERCOST, (100.0, 25.0), 2500.0, "DOMAIN 2"),
    (x.SUPPORTCOST, (1e6, "Premier"), 300000.0, "DOMAIN 5 (001)"),
    # DOMAIN 7: 40 SMS to Japan at 30:1 = 1,200 units
    (x.USAGEUNITS, (40.0, "SMS", "Japan", None, 46082.0, [["SMS", "Japan", None, 30.0, None]]),
     1200.0, "DOMAIN 7"),
    # one contract of 100 units at $2 overage; 130 used in January: 100 drawn, 30 x $2 = $60
    (x.USAGEDRAWDOWN, ([["C", "P", 100.0, 46023.0, 46053.0, 2.0]], [["2026-01", "P", "u", None,
                                                                     None, 130.0]]),
     [["Month", "Product", "Contract", "Opening", "New", "Drawn", "Lapsed", "Closing",
       "Overage units", "Overage cost"],
      ["2026-01", "P", "C", 0.0, 100.0, 100.0, 0.0, 0.0, None, None],
      ["2026-01", "P", "overage", None, None, None, None, None, 30.0, 60.0]], "hand"),
    # 100 partner users at 20 login-days: 100 x $25 as members beats 2,000 x $10 (DOMAIN 2)
    (x.LOGINMIXMEMBERS, ([[20.0]] * 100, 10.0, 25.0), 100, "DOMAIN 2"),
    (x.LOGINMIXPOOL, ([[20.0], [2.0], [2.5], [None]], 10.0, 25.0), 4.5, "2 + 2.5 <= 2.5"),
    (x.LOGINMIXCOST, ([[20.0]] * 100, "Partner Community", "Partner Community"), 2500.0,
     "DOMAIN 2"),
    (x.STORAGECOST, (18.0,), 1000.0, "(18 - 10 GB) x $125"),
    (x.SANDBOXCOST, (2.0, 3000.0), 6000.0, "DOMAIN 4 high end"),
    # 1,050,000 x (1 + 1.07 + 1.07^2) = 3,375,645; a 10% uplift capped at 7% is the same
    (x.TERMCOST, (1050000.0, 3.0, 0.10, 0.07), 3375645.0, "hand"),
    (x.TERMSCHEDULE, (1050000.0, 3.0, 0.07), [[1050000.0], [1123500.0], [1202145.0]],
     "1,050,000 x 1.07^k"),
    (x.SFPRICE, ("edition.enterprise",), 175.0, "DOMAIN 3"),
    (x.CREDITREMAINING, (1.2e6, 3e5), 900000.0, "issue 2 case"),
    (x.CREDITUSED, (1.2e6, 3e5), 0.25, "issue 2 case"),
    (x.CREDITALERT, (1.2e6, 3e5, 46023.0, 46387.0, 46203.0), "LAPSE RISK",
     "595,027.62 > 20% of 1.2M"),
    # 1,000 used in 10 days (Jan 1-10) = 100 a day; 1,000 left -> 10 days after Jan 10
    (x.CREDITDEPLETION, (2000.0, 1000.0, 46023.0, 46387.0, 46032.0), datetime(2026, 1, 20),
     "hand"),
    (x.VALUEATRISK, (250000.0, 1.0), 250000.0, "DOMAIN 6"),
    # (595,027.62 - 240,000) / 184 days x 365 / 12 = 58,688.90 a month
    (x.CREDITCATCHUP, (1.2e6, 3e5, 46023.0, 46387.0, 46203.0),
     (595027.6243093922 - 240000) / 184 * 365 / 12, "hand"),
]

# One bad input per function, and the message it must give.
BAD = [
    (x.FLEXCOST, (-1.0,), "FLEXCOST: actions=-1 is negative"),
    (x.LOGINBREAKEVEN, (10.0, 0.0), "LOGINBREAKEVEN: member_price=0 is not above zero"),
    (x.EDITIONUPLIFT, (1.0, "Gold", "Pro"), "EDITIONUPLIFT: from_edition='Gold' is not an edition"),
    (x.CREDITLAPSE, (1.0, 0.0, 46387.0, 46023.0), "CREDITLAPSE: expiry_date=2026-01-01 is before"),
    (x.CONVERSATIONCOST, ("ten",), "CONVERSATIONCOST: interactions='ten' is text"),
    (x.AGENTUSERCOST, (True,), "AGENTUSERCOST: users=True is TRUE/FALSE"),
    (x.FLEXACTIONPRICE, (30.0,), "FLEXACTIONPRICE: discount=30 is not a fraction below 1; enter 30% or 0.3"),
    (x.FLEXCROSSOVER, (2.0, 0.0), "FLEXCROSSOVER: price_per_action=0 is not above zero"),
    (x.FLEXUSERBREAKEVEN, (-125.0,), "FLEXUSERBREAKEVEN: user_price=-125 is not above zero"),
    (x.MIXACTIONS, (10000.0, [[0.6], [0.3]], [[3.0], [7.0]]),
     "MIXACTIONS: shares=0.9 is what the shares sum to; make them sum to 100% (1)"),
    (x.AGENTFORCECHEAPEST, (10000.0, MIX_SHARES, [[3.0], [7.0]], 50.0),
     "AGENTFORCECHEAPEST: shares='3 cells' do not match actions_per_interaction (2 cells)"),
    (x.FLEXPACKS, (1000.0, 80.0), "FLEXPACKS: share=80 is not a fraction"),
    (x.FLEXSPLITCOST, (1000.0, None, None, -0.01), "FLEXSPLITCOST: payg_credit_price=-0.01 is negative"),
    (x.FOUNDATIONSACTIONS, (-1.0,), "FOUNDATIONSACTIONS: credits=-1 is negative"),
    (x.FOUNDATIONSVALUE, ("lots",), "FOUNDATIONSVALUE: credits='lots' is text"),
    (x.FLEXSANDBOXCOST, (100.0, 50.0), "FLEXSANDBOXCOST: sandbox_rate=50 is not a fraction"),
    (x.DATACLOUDEST, (1000.0, 40.0), "DATACLOUDEST: share=40 is not a fraction"),
    (x.DATACLOUDCOST, (-5.0,), "DATACLOUDCOST: credits=-5 is negative"),
    (x.LICENCEPRICE, ("Enterprize",), "LICENCEPRICE: licence='Enterprize' is not a licence"),
    (x.PLATFORMSAVING, (200.0, "Enterprise", "Platform Gold"), "PLATFORMSAVING: to_licence='Platform Gold' is not a licence"),
    (x.LOGINCOST, (100.0, 20.0, "Partner"), "LOGINCOST: login_price='Partner' is not an Experience Cloud licence"),
    (x.MEMBERCOST, (100.0, None), "MEMBERCOST: member_price is blank"),
    (x.SUPPORTCOST, (1e6, "Signature"), "SUPPORTCOST: share is needed for Signature"),
    (x.USAGEUNITS, (-40.0, "SMS", "", "", 46082.0, None), "USAGEUNITS: quantity=-40 is negative"),
    (x.USAGEDRAWDOWN, ([["C", "P", 100.0, 46053.0, 46023.0, 2.0]], [["2026-01", "P", "u", None,
                                                                     None, 1.0]]),
     "USAGEDRAWDOWN: entitlement C=2026-01-01 expires before it starts"),
    (x.LOGINMIXMEMBERS, ([[1.0], [-2.0]], 10.0, 25.0), "LOGINMIXMEMBERS: login_days=-2 is negative"),
    (x.LOGINMIXPOOL, ([[1.0]], 0.0, 25.0), "LOGINMIXPOOL: login_price=0 is not above zero"),
    (x.LOGINMIXCOST, ([[1.0]], 10.0, "Gold"), "LOGINMIXCOST: member_price='Gold' is not an Experience"),
    (x.STORAGECOST, (-1.0,), "STORAGECOST: used_gb=-1 is negative"),
    (x.SANDBOXCOST, ("two",), "SANDBOXCOST: sandboxes='two' is text"),
    (x.TERMCOST, (1000.0, 2.5), "TERMCOST: years=2.5 is not a whole number"),
    (x.TERMSCHEDULE, (1000.0, 500.0), "TERMSCHEDULE: years=500 is too long a term"),
    (x.SFPRICE, ("flex.pack_prise",), "SFPRICE: key='flex.pack_prise' is not on the rate card; did you mean flex.pack_price"),
    (x.CREDITREMAINING, (-1.0, 0.0), "CREDITREMAINING: balance=-1 is negative"),
    (x.CREDITUSED, (0.0, 0.0), "CREDITUSED: balance=0 is not above zero"),
    (x.CREDITALERT, (1.0, 0.0, 46023.0, 46387.0, 46203.0, None, 20.0), "CREDITALERT: lapse_threshold=20 is not a fraction"),
    (x.CREDITDEPLETION, (1.0, 0.0, "soon", 46387.0), "CREDITDEPLETION: start_date='soon' is text"),
    (x.VALUEATRISK, (100.0, "#N/A"), "VALUEATRISK: unit_value='#N/A' is an error value"),
    (x.CREDITCATCHUP, (1.0, 0.0, 46023.0, 46387.0, 46203.0, None, 2.0), "CREDITCATCHUP: target_share=2 is not a fraction"),
]

# A column in gives a column out: (function, args with one column, expected column)
ARRAYS = [
    (x.FLEXCOST, ([[1000.0], [53000.0]],), [[100.0], [5300.0]]),
    (x.LOGINBREAKEVEN, ([[2.0], [6.0]], [[5.0], [15.0]]), [[2.5], [2.5]]),
    (x.EDITIONUPLIFT, ([[1.0], [2.0]], "Enterprise", "Unlimited"), [[2100.0], [4200.0]]),
    (x.CREDITLAPSE, ([[1000.0], [1000.0]], [[400.0], [1000.0]], 46023.0, 46387.0, 46400.0),
     [[600.0], [0.0]]),
    (x.CONVERSATIONCOST, ([[1.0], [2.0]],), [[2.0], [4.0]]),
    (x.AGENTUSERCOST, ([[1.0], [2.0]],), [[125.0], [250.0]]),
    (x.FLEXACTIONPRICE, ([[0.0], [0.5]],), [[0.1], [0.05]]),
    (x.FLEXCROSSOVER, ([[2.0], [4.0]],), [[20.0], [40.0]]),
    (x.FLEXUSERBREAKEVEN, ([[125.0], [250.0]],), [[1250.0], [2500.0]]),
    (x.MIXACTIONS, ([[10000.0], [20000.0]], MIX_SHARES, MIX_ACTIONS), [[53000.0], [106000.0]]),
    (x.FLEXPACKS, ([[5000.0], [5001.0]],), [[1.0], [2.0]]),  # 100,000 credits fit one pack
    (x.FLEXSPLITCOST, ([[0.0], [5000.0]], 1.0), [[0.0], [500.0]]),
    (x.FOUNDATIONSACTIONS, ([[100000.0], [200000.0]],), [[5000.0], [10000.0]]),
    (x.FOUNDATIONSVALUE, ([[100000.0], [200000.0]],), [[500.0], [1000.0]]),
    (x.FLEXSANDBOXCOST, ([[1000.0], [2000.0]],), [[50.0], [100.0]]),
    (x.DATACLOUDEST, ([[1000.0], [2000.0]],), [[300.0], [600.0]]),
    (x.DATACLOUDCOST, ([[100000.0], [50000.0]],), [[1000.0], [500.0]]),
    (x.LICENCEPRICE, ([["Pro"], ["Platform Plus"]],), [[100.0], [100.0]]),
    (x.PLATFORMSAVING, ([[1.0], [2.0]], "Enterprise", "Platform Starter"), [[1800.0], [3600.0]]),
    (x.LOGINCOST, ([[1.0], [2.0]], 3.0, "Customer Community"), [[6.0], [12.0]]),
    (x.MEMBERCOST, ([[1.0], [2.0]], "Customer Community Plus"), [[15.0], [30.0]]),
    (x.SUPPORTCOST, (1000.0, [["Standard"], ["Premier"]]), [[0.0], [300.0]]),
    (x.USAGEUNITS, ([[40.0], [40.0]], "SMS", "Japan", None, [[46095.0], [46096.0]],
                    [["SMS", "Japan", None, 30.0, 46023.0], ["SMS", "Japan", None, 40.0, 46096.0]]),
     [[1200.0], [1600.0]]),  # the multiplier changes on 2026-03-15 (serial 46096)
    (x.STORAGECOST, ([[5.0], [12.0]],), [[0.0], [250.0]]),
    (x.SANDBOXCOST, ([[1.0], [2.0]],), [[1500.0], [3000.0]]),
    (x.TERMCOST, ([[100.0], [200.0]], 2.0, 0.1), [[210.0], [420.0]]),
    (x.TERMSCHEDULE, (1000.0, 3.0, 0.1), [[1000.0], [1100.0], [1210.0]]),
    (x.SFPRICE, ([["edition.pro"], ["platform.plus"]],), [[100.0], [100.0]]),
    (x.CREDITREMAINING, ([[10.0], [20.0]], 5.0), [[5.0], [15.0]]),
    (x.CREDITUSED, ([[10.0], [20.0]], 5.0), [[0.5], [0.25]]),
    (x.CREDITALERT, ([[1000.0], [1000.0], [1000.0], [1000.0]], [[500.0], [760.0], [950.0], [0.0]],
                     46023.0, 46387.0, 46387.0), [["LAPSE RISK"], ["LAPSE RISK"], ["90%"], ["LAPSE RISK"]]),
    (x.CREDITDEPLETION, ([[1000.0], [1000.0]], [[500.0], [100.0]], 46023.0, 46387.0, 46032.0),
     [[datetime(2026, 1, 20)], [datetime(2026, 4, 10)]]),
    (x.VALUEATRISK, ([[10.0], [20.0]], 2.0), [[20.0], [40.0]]),
    (x.CREDITCATCHUP, ([[1000.0], [1000.0]], [[1000.0], [0.0]], 46023.0, 46387.0, 46388.0),
     [[0.0], ["too late: expired"]]),
]


def names(table):
    return sorted({row[0].__name__ for row in table})


@pytest.mark.parametrize("table", [REFERENCES, BAD])
def test_every_function_has_a_reference_and_a_bad_input(table):
    scalar_only = {"SFRATES", "AGENTFORCECOMPARE"}  # tested separately below
    assert names(table) == sorted(set(EXCEL_FUNCTIONS) - scalar_only)


def test_every_function_that_takes_a_range_has_an_array_case():
    single_only = {"SFRATES", "AGENTFORCECOMPARE", "AGENTFORCECHEAPEST",  # one result
                   "LOGINMIXMEMBERS", "LOGINMIXPOOL", "LOGINMIXCOST",  # for a whole range
                   "USAGEDRAWDOWN"}  # a table from tables
    assert names(ARRAYS) == sorted(set(EXCEL_FUNCTIONS) - single_only)


@pytest.mark.parametrize("func, args, expected, source", REFERENCES,
                         ids=[r[0].__name__ for r in REFERENCES])
def test_reference_values(func, args, expected, source):
    got = func(*args)
    if isinstance(expected, list) and len(expected[0]) == 1:  # a spilled column
        got, expected = [r[0] for r in got], [r[0] for r in expected]
    elif isinstance(expected, list):  # a spilled table
        assert got == expected
        return
    assert got == (pytest.approx(expected, rel=1e-9) if isinstance(expected, (float, list))
                   else expected)


@pytest.mark.parametrize("func, args, fragment", BAD, ids=[r[0].__name__ for r in BAD])
def test_bad_input_names_function_argument_and_fix(func, args, fragment):
    out = func(*args)
    assert isinstance(out, str) and out.startswith(fragment), out
    assert "\n" not in out and len(out) <= 250 and "Traceback" not in out


@pytest.mark.parametrize("func, args, expected", ARRAYS, ids=[r[0].__name__ for r in ARRAYS])
def test_a_range_in_gives_an_array_out(func, args, expected):
    got = func(*args)
    assert len(got) == len(expected) and all(len(r) == 1 for r in got)
    for g, e in zip(got, expected):
        assert g[0] == (pytest.approx(e[0]) if isinstance(e[0], float) else e[0])


def test_sfrates_spills_the_whole_rate_card():
    from xlcredits import rates
    table = x.SFRATES()
    assert table[0] == ["Key", "Value", "Unit", "Basis", "Source", "Description"]
    assert len(table) == len(rates.card()) + 1
    row = {r[0]: r for r in table[1:]}["flex.payg_credit_price"]
    assert row[1:5] == [0.00625, "USD/credit", "assumption", "002"]


def test_agentforce_compare_with_negotiated_prices():
    # 25% off Flex; conversations at $1.50; users at $100: 53,000 x $0.075 = $3,975
    table = x.AGENTFORCECOMPARE(10000.0, MIX_SHARES, MIX_ACTIONS, 50.0, 0.25, 1.5, 100.0)
    assert [r[1] for r in table[1:]] == [15000.0, 3975.0, 5000.0]
    assert x.AGENTFORCECOMPARE(10000.0, MIX_SHARES, MIX_ACTIONS, [[50.0], [60.0]]) == \
        "AGENTFORCECOMPARE: users='2 cells' is a range; give a single cell"


# --- register functions: precedence and properties ---------------------------------

from hypothesis import given
from hypothesis import strategies as st

from xlcredits import credits


def test_alert_precedence_and_thresholds():
    # 2026-01-01 .. 2026-12-31, as of 2026-06-30: run rate projects consumed x 365/181
    alert = lambda consumed, as_of="2026-06-30", **kw: credits.credit_alert(
        1000, consumed, "2026-01-01", "2026-12-31", as_of, **kw)
    assert alert(400) == ""  # 40% used; 400 x 365/181 = 806.6 projected: lapse 19.3% <= 20%
    assert alert(390) == "LAPSE RISK"  # 390 x 365/181 = 786.5 projected: lapse 21.35%
    assert alert(500) == "50%" and alert(750) == "75%" and alert(900) == "90%"
    assert alert(900, "2027-01-01") == "EXPIRED"  # EXPIRED comes first
    assert alert(100, "2027-01-01") == "EXPIRED"
    # thresholds overridable: 60% / 80% / 95%
    assert alert(820, review=0.6, reforecast=0.8, escalate=0.95) == "80%"
    assert alert(500, lapse_threshold=0.0) == "50%"  # 500 x 365/181 > 1000: nothing lapses


@given(balance=st.floats(1, 1e9), used_share=st.floats(0, 1), as_of=st.integers(46023, 46386),
       target=st.floats(0, 0.9))
def test_catch_up_brings_the_lapse_to_the_target(balance, used_share, as_of, target):
    args = (balance, balance * used_share, 46023, 46387, as_of)
    extra = credits.credit_catchup(*args, None, target)
    lapse = credits.credit_lapse(*args)
    if lapse <= target * balance:
        assert extra == 0.0
        return
    run_rate = balance * used_share / (as_of - 46023 + 1) * 365 / 12  # per month
    after = credits.credit_lapse(*args, run_rate + extra)
    assert after == pytest.approx(target * balance, rel=1e-6, abs=1e-6 * balance)


def test_the_readme_lists_every_function():
    from pathlib import Path
    readme = (Path(__file__).parents[1] / "README.md").read_text("utf-8")
    assert [n for n in EXCEL_FUNCTIONS if f"`{n}(" not in readme] == []
