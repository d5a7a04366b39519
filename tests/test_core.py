"""The four headline functions: DOMAIN.md's worked figures, hand computations, properties."""

from datetime import date, datetime

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from xlcredits import InputError, rates
from xlcredits.agentforce import flex_cost
from xlcredits.credits import credit_lapse
from xlcredits.dates import ordinals
from xlcredits.editions import edition_uplift
from xlcredits.logins import login_breakeven

# --- FLEXCOST -------------------------------------------------------------------------

def test_flexcost_domain_worked_example():
    # DOMAIN.md section 1: 10,000 interactions, 60% x 3 + 30% x 7 + 10% x 14 = 53,000 actions
    assert flex_cost(53_000) == 5_300.0  # "Flex $5,300"
    assert flex_cost(53_000, 0.25) == 3_975.0  # "with a 25% pre-purchase discount $3,975"
    assert flex_cost(53_000 * 12) == 63_600.0  # "$63,600/yr" (pro rata)
    assert flex_cost(2 * 53_000 * 12) == 127_200.0  # "if volume doubles ... $127,200/yr"
    assert flex_cost(10_000 * 18) == 18_000.0  # "every interaction takes 18 actions"


def test_flexcost_breakevens_and_foundations():
    # DOMAIN.md section 1: $125 per user buys 1,250 actions at $0.10 an action
    assert flex_cost(1_250) == 125.0
    # 100,000 Foundations credits = 5,000 actions = $500 of list value
    assert flex_cost(5_000) == 500.0
    # 20-35% off: $0.08 and $0.065 an action
    assert flex_cost(1, 0.20) == pytest.approx(0.08)
    assert flex_cost(1, 0.35) == pytest.approx(0.065)


def test_flexcost_prices_are_overridable():
    # negotiated: 25 credits an action (long prompts), $450 a pack: 1000 x 25 x 450 / 100000
    assert flex_cost(1000, 0, 25, 450) == pytest.approx(112.5)
    assert flex_cost(1000, None, None, None, 50_000) == 200.0  # half-size pack at $500


def test_flexcost_shapes():
    assert type(flex_cost(10)) is float
    out = flex_cost(np.array([[1000.0], [2000.0]]), [0.0, 0.5])
    assert out.shape == (2, 2)
    assert out.tolist() == [[100.0, 50.0], [200.0, 100.0]]


@pytest.mark.parametrize("kwargs, fragment", [
    ({"actions": -1}, "actions=-1 is negative"),
    ({"actions": 1, "discount": 25}, "discount=25 is not a fraction below 1; enter 25% or 0.25"),
    ({"actions": 1, "discount": 1}, "discount=1 is not a fraction below 1"),
    ({"actions": 1, "discount": -0.1}, "discount=-0.1 is negative"),
    ({"actions": "many"}, "actions='many' is text; enter a number"),
    ({"actions": float("nan")}, "actions=nan is not a finite number"),
    ({"actions": 1, "pack_size": 0}, "pack_size=0 is not above zero"),
    ({"actions": [1, 2, 3], "discount": [0.1, 0.2]}, "have different sizes"),
])
def test_flexcost_refuses_bad_input(kwargs, fragment):
    with pytest.raises(InputError, match=fragment.replace("(", r"\(")):
        flex_cost(**kwargs)


@given(a=st.floats(0, 1e9), b=st.floats(0, 1e9), d=st.floats(0, 0.99))
def test_flexcost_is_linear_and_non_decreasing(a, b, d):
    assert flex_cost(a + b, d) == pytest.approx(flex_cost(a, d) + flex_cost(b, d), rel=1e-9)
    assert flex_cost(max(a, b), d) >= flex_cost(min(a, b), d)
    assert flex_cost(a, d) >= 0


# --- LOGINBREAKEVEN -------------------------------------------------------------------

def test_login_breakeven_list_prices():
    # DOMAIN.md section 2: member / login = 2.5 for all three licences at list
    assert login_breakeven(10, 25) == 2.5  # Partner Community
    assert login_breakeven(2, 5) == 2.5  # Customer Community
    assert login_breakeven(6, 15) == 2.5  # Customer Community Plus
    # the "four-login rule" holds only when logins are discounted 37.5%: 25 / 6.25 = 4
    assert login_breakeven(10 * (1 - 0.375), 25) == 4.0


def test_login_breakeven_from_the_rate_card_and_refusals():
    assert login_breakeven(rates.rate("partner.login_price"), rates.rate("partner.member_price")) == 2.5
    with pytest.raises(InputError, match="login_price=0 is not above zero"):
        login_breakeven(0, 25)
    with pytest.raises(InputError, match="member_price=-5 is not above zero"):
        login_breakeven(10, -5)


# --- EDITIONUPLIFT --------------------------------------------------------------------

def test_edition_uplift_domain_examples():
    # DOMAIN.md section 3: 500 seats x $175 x 12 = $1,050,000 a year, Enterprise to Unlimited
    assert edition_uplift(500, "Enterprise", "Unlimited") == 1_050_000.0
    # platform substitution: 200 x $150 x 12 = $360,000 saved (a downgrade is negative)
    assert edition_uplift(200, "Enterprise", rates.rate("platform.starter")) == -360_000.0


def test_edition_uplift_names_are_forgiving():
    assert edition_uplift(1, " enterprise EDITION ", "Unlimited Edition") == 2100.0  # 175 x 12
    assert edition_uplift(1, "Pro Suite", "starter suite") == -900.0  # -75 x 12
    assert edition_uplift(1, "Unlimited", "Agentforce 1") == 2400.0  # 200 x 12


def test_edition_uplift_multi_year_compounds():
    # 3 years at 7%: 1,050,000 x (1 + 1.07 + 1.07^2) = 1,050,000 x 3.2149 = 3,375,645
    assert edition_uplift(500, "Enterprise", "Unlimited", 3, 0.07) == pytest.approx(3_375_645.0)
    # 0% over 3 years is three first years
    assert edition_uplift(500, "Enterprise", "Unlimited", 3) == 3_150_000.0


def test_edition_uplift_arrays_of_names():
    out = edition_uplift([[10], [20]], [["Pro", "Enterprise"]], "Unlimited")
    # 10 x (350-100) x 12 = 30,000; 10 x 175 x 12 = 21,000; doubled for 20 seats
    assert out.tolist() == [[30_000.0, 21_000.0], [60_000.0, 42_000.0]]


@pytest.mark.parametrize("args, fragment", [
    ((500, "Enterprise", "Ultimate"), ("to_edition='Ultimate' is not an edition; enter one of "
                                      "Starter, Pro, Enterprise, Unlimited, Agentforce")),
    ((500, "Enterprise", "Unlimited", 2.5), "years=2.5 is not a whole number"),
    ((500, "Enterprise", "Unlimited", 0), "years=0 is not a whole number"),
    ((500, "Enterprise", "Unlimited", 2, 7), "annual_uplift=7 .*enter 7% or 0.07"),
    ((-1, "Enterprise", "Unlimited"), "seats=-1 is negative"),
])
def test_edition_uplift_refuses_bad_input(args, fragment):
    with pytest.raises(InputError, match=fragment):
        edition_uplift(*args)


# --- CREDITLAPSE ----------------------------------------------------------------------

def test_credit_lapse_worked_case():
    # issue 2: 181 days elapsed (Jan 1 - Jun 30), 184 remaining (Jul 1 - Dec 31)
    # 300,000 / 181 x 184 = 304,972.38 more; 1,200,000 - 604,972.38 = 595,027.62
    got = credit_lapse(1_200_000, 300_000, date(2026, 1, 1), date(2026, 12, 31), date(2026, 6, 30))
    assert round(got, 2) == 595_027.62


def test_credit_lapse_across_a_leap_day_and_month_ends():
    # start Jan 31 2024, as of Feb 29 2024: elapsed = 29 + 1 = 30 days, 300 used = 10 a day
    # remaining Mar 1 - Dec 31 2024 = 306 days; use 300 + 3,060 = 3,360; lapse 3,650 - 3,360 = 290
    assert credit_lapse(3650, 300, "2024-01-31", "2024-12-31", "2024-02-29") == pytest.approx(290)
    # the same case in 2023 (no Feb 29; as of Feb 28): elapsed 29, remaining 306
    # 300/29 x 306 = 3,165.52; lapse = 3,650 - 3,465.52 = 184.48
    assert credit_lapse(3650, 300, "2023-01-31", "2023-12-31", "2023-02-28") == pytest.approx(
        3650 - 300 - 300 / 29 * 306)


def test_credit_lapse_with_a_monthly_rate():
    # 100,000 a month x 12 / 365 x 184 days left = 604,931.51; lapse 1e6 - 604,931.51 = 395,068.49
    got = credit_lapse(1e6, 0, "2026-01-01", "2026-12-31", "2026-06-30", 100_000)
    assert round(got, 2) == 395_068.49
    # 200,000 a month would use 1,209,863 > balance: nothing lapses
    assert credit_lapse(1e6, 0, "2026-01-01", "2026-12-31", "2026-06-30", 200_000) == 0.0
    # 10,000 a month: 184 x 120,000 / 365 = 60,493.15; 1e6 - 300,000 - 60,493.15 = 639,506.85
    got = credit_lapse(1e6, 300_000, "2026-01-01", "2026-12-31", "2026-06-30", 10_000)
    assert got == pytest.approx(1e6 - 300_000 - 184 * 120_000 / 365)


def test_credit_lapse_before_start_and_after_expiry():
    # before the start and no rate: the whole unconsumed balance is at risk
    assert credit_lapse(1000, 0, "2026-07-01", "2026-12-31", "2026-06-01") == 1000.0
    # before the start with a rate: use runs over the 184 usable days, Jul 1 - Dec 31
    # 100 x 12 / 365 x 184 = 604.93; lapse 395.07
    got = credit_lapse(1000, 0, "2026-07-01", "2026-12-31", "2026-06-01", 100)
    assert got == pytest.approx(1000 - 1200 / 365 * 184)
    # on and after expiry: what is left lapses
    assert credit_lapse(1000, 400, "2026-01-01", "2026-12-31", "2026-12-31") == 600.0
    assert credit_lapse(1000, 400, "2026-01-01", "2026-12-31", "2027-03-01") == 600.0
    # over-consumed: nothing lapses, never negative
    assert credit_lapse(1000, 1500, "2026-01-01", "2026-12-31", "2027-03-01") == 0.0


def test_credit_lapse_date_forms_agree():
    by_date = credit_lapse(1_200_000, 300_000, date(2026, 1, 1), date(2026, 12, 31), date(2026, 6, 30))
    by_datetime = credit_lapse(1_200_000, 300_000, datetime(2026, 1, 1, 9, 30),
                               datetime(2026, 12, 31), datetime(2026, 6, 30, 23, 59))
    by_serial = credit_lapse(1_200_000, 300_000, 46023, 46387, 46203.75)  # time ignored
    by_numpy = credit_lapse(1_200_000, 300_000, np.datetime64("2026-01-01"),
                            np.datetime64("2026-12-31"), np.datetime64("2026-06-30"))
    assert by_date == by_datetime == by_serial == by_numpy


def test_excel_serials_of_the_1900_system():
    # Excel: 1 = 1900-01-01, 59 = 1900-02-28, 60 = the phantom 1900-02-29, 61 = 1900-03-01
    as_dates = [date.fromordinal(int(o)) for o in ordinals("d", [1, 59, 61, 45658, 46022])]
    assert as_dates == [date(1900, 1, 1), date(1900, 2, 28), date(1900, 3, 1),
                        date(2025, 1, 1), date(2025, 12, 31)]
    with pytest.raises(InputError, match="1900-02-29, a day that did not exist"):
        ordinals("d", 60)
    with pytest.raises(InputError, match="d='31/12/2026' is a slash date, and whether the day or the month comes first is not known; enter a date"):
        ordinals("d", "31/12/2026")


def test_credit_lapse_as_of_defaults_to_today(monkeypatch):
    from xlcredits import dates
    monkeypatch.setattr(dates, "today", lambda: date(2026, 6, 30))
    import xlcredits.credits as credits_module
    monkeypatch.setattr(credits_module, "today", lambda: date(2026, 6, 30))
    assert round(credit_lapse(1_200_000, 300_000, "2026-01-01", "2026-12-31"), 2) == 595_027.62


@pytest.mark.parametrize("args, fragment", [
    ((1000, 0, "2026-12-31", "2026-01-01", "2026-06-30"), "expiry_date=2026-01-01 is before start_date"),
    ((-5, 0, "2026-01-01", "2026-12-31", "2026-06-30"), "balance=-5 is negative"),
    ((1000, -1, "2026-01-01", "2026-12-31", "2026-06-30"), "consumed=-1 is negative"),
    ((1000, 0, "2026-01-01", "2026-12-31", "2026-06-30", -3), "monthly_rate=-3 is negative"),
    ((1000, 0, None, "2026-12-31", "2026-06-30"), "start_date is blank"),
])
def test_credit_lapse_refuses_bad_input(args, fragment):
    with pytest.raises(InputError, match=fragment):
        credit_lapse(*args)


dates_2026 = st.integers(46023, 46387)  # serials of 2026-01-01 .. 2026-12-31


@given(balance=st.floats(0, 1e12), used=st.floats(0, 1e12), more=st.floats(0, 1e12),
       as_of=dates_2026, rate=st.one_of(st.none(), st.floats(0, 1e10)))
def test_credit_lapse_bounded_and_non_increasing_in_consumed(balance, used, more, as_of, rate):
    lapse = credit_lapse(balance, used, 46023, 46387, as_of, rate)
    assert 0.0 <= lapse <= balance
    assert credit_lapse(balance, used + more, 46023, 46387, as_of, rate) <= lapse + 1e-6 * max(1.0, balance)


# --- grace days (DOMAIN.md section 6: a grace period after expiry) ------------------------

def test_grace_days_extend_use_alert_depletion_and_catchup():
    from xlcredits import credits as c
    from xlcredits.errors import InputError as Bad
    case = (1_200_000, 300_000, "2026-01-01", "2026-12-31", "2026-06-30")
    # no grace and a blank grace are the worked case: 595,027.62
    assert round(c.credit_lapse(*case, None, None), 2) == round(c.credit_lapse(*case, None, 0),
                                                                2) == 595027.62
    # 90 days: 274 days left, 300,000/181 x 274 = 454,143.65 more, 445,856.35 lapse
    assert round(c.credit_lapse(*case, None, 90), 2) == 445856.35
    # catch-up to 20% (240,000): 205,856.35 over 274 days x 365/12 = 22,852.06 a month
    assert round(c.credit_catchup(*case, None, None, 90), 2) == 22852.06
    # 900,000 left at 300,000/181 a day runs out after 543 days: beyond expiry + 90 either way
    assert str(c.credit_depletion(*case, None, 90)) == "NaT"
    # 1000 with 500 used by Jan 10 (50 a day): 10 more days, inside a grace or not
    assert str(c.credit_depletion(1000, 500, "2026-01-01", "2026-01-15", "2026-01-10", None,
                                  30)) == "2026-01-20"
    # expired on Dec 31: 15 days later, EXPIRED without grace, not with 30 days of it
    late = (1000, 400, "2026-01-01", "2026-12-31", "2027-01-15")
    assert c.credit_alert(*late) == "EXPIRED"
    assert c.credit_alert(*late, grace_days=30) == "LAPSE RISK"  # 600 of 1000 will lapse
    # the edge: with 15 days the last day of use is Jan 15 itself; with 14 it was Jan 14
    assert c.credit_alert(*late, grace_days=15) == "LAPSE RISK"
    assert c.credit_alert(*late, grace_days=14) == "EXPIRED"
    for bad, words in ((-1, "negative"), (1.5, "whole"), (3651, "at most 3650")):
        with pytest.raises(Bad, match=words):
            c.credit_lapse(*case, None, bad)
