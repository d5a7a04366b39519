"""Usage statements: multipliers, pooled drawdown, overage, lapse; hand-computed cases,
conservation properties, bad input, the command and the formulas."""

from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from xlcredits import InputError, udfs
from xlcredits.cli import main
from xlcredits.statements import (
    USAGE_FIELDS,
    Entitlement,
    Multiplier,
    Usage,
    consumed_units,
    drawdown,
    to_usage,
)
from xlcredits.tables import Table, records

MC = "Marketing Cloud"


def test_domain_sms_to_japan():
    # DOMAIN.md section 7: SMS to Japan at 30:1, 40 messages consume 1,200 units
    line = Usage(date(2026, 3, 1), MC, "SMS", 40, "Japan")
    assert consumed_units(line, [Multiplier("SMS", 30, subtype="Japan")]) == 1200


THREE = [Entitlement("C-A", MC, 1000, date(2026, 1, 1), date(2026, 3, 31), 0.12),
         Entitlement("C-B", MC, 2000, date(2026, 1, 1), date(2026, 6, 30), 0.10),
         Entitlement("C-C", MC, 500, date(2026, 2, 1), date(2026, 12, 31), 0.15)]
MONTHLY = [Usage(date(2026, m, 1), MC, "Email", q, monthly=True)
           for m, q in ((1, 600), (2, 300), (4, 1500), (5, 800), (6, 400))]


def test_three_contracts_by_hand():
    # Jan: A (expires first, Mar 31) gives 600 -> A 400, B 2,000.
    # Feb: C arrives with 500; 300 more from A -> A 100.
    # Mar: no usage; A expires: its 100 lapse.
    # Apr: 1,500 from B (expires Jun 30, before C) -> B 500.
    # May: 800: B's 500, then 300 from C -> B 0, C 200.
    # Jun: 400: C's 200, then 200 of overage at the lowest of the three rates ($0.10, B's,
    #      though B is empty) = $20.00. B expires with nothing left: lapses 0.
    result = drawdown(THREE, MONTHLY)
    rows = {(r["month"], r["contract"]): r for r in result.rows}
    assert rows[("2026-01", "C-A")] | {} == {"month": "2026-01", "product": MC, "contract": "C-A",
                                             "opening": 0, "new": 1000, "drawn": 600,
                                             "lapsed": 0, "closing": 400}
    assert (rows[("2026-02", "C-A")]["drawn"], rows[("2026-02", "C-C")]["new"]) == (300, 500)
    assert (rows[("2026-03", "C-A")]["lapsed"], rows[("2026-03", "C-A")]["closing"]) == (100, 0)
    assert rows[("2026-04", "C-B")]["drawn"] == 1500
    assert (rows[("2026-05", "C-B")]["drawn"], rows[("2026-05", "C-C")]["drawn"]) == (500, 300)
    assert rows[("2026-06", "C-C")]["drawn"] == 200 and rows[("2026-06", "C-B")]["lapsed"] == 0
    assert result.overage == [{"month": "2026-06", "product": MC, "units": 200, "rate": 0.10,
                               "cost": pytest.approx(20.0)}]
    assert ("2026-04", "C-A") not in rows  # gone after its expiry month


def test_an_entitlement_is_not_drawn_before_its_start_or_after_its_expiry():
    ents = [Entitlement("E", MC, 100, date(2026, 3, 10), date(2026, 3, 20), 1.0)]
    days = [Usage(date(2026, 3, d), MC, "Email", 10) for d in (5, 15, 25)]
    result = drawdown(ents, days)
    # only the Mar 15 line falls in Mar 10..20: 10 drawn; 20 units of overage; 90 lapse
    assert [(r["drawn"], r["lapsed"]) for r in result.rows] == [(10, 90)]
    assert result.overage[0]["units"] == 20


def test_a_multiplier_change_mid_month_applies_from_its_effective_date():
    table = [Multiplier("SMS", 30, date(2026, 1, 1), "Japan"),
             Multiplier("SMS", 40, date(2026, 3, 15), "Japan")]
    before = Usage(date(2026, 3, 14), MC, "SMS", 40, "Japan")
    on = Usage(date(2026, 3, 15), MC, "SMS", 40, "Japan")
    assert (consumed_units(before, table), consumed_units(on, table)) == (1200, 1600)
    ents = [Entitlement("E", MC, 10_000, date(2026, 1, 1), date(2026, 12, 31), 0.01)]
    march = [r for r in drawdown(ents, [before, on], table).rows if r["month"] == "2026-03"]
    assert march[0]["drawn"] == 2800


def test_sandbox_and_subtype_specific_multipliers_win_over_general_ones():
    table = [Multiplier("SMS", 1), Multiplier("SMS", 30, subtype="Japan"),
             Multiplier("SMS", 15, subtype="Japan", environment="sandbox")]
    assert consumed_units(Usage(date(2026, 1, 1), MC, "SMS", 2, "Japan", "sandbox"), table) == 30
    assert consumed_units(Usage(date(2026, 1, 1), MC, "SMS", 2, "Japan"), table) == 60
    assert consumed_units(Usage(date(2026, 1, 1), MC, "SMS", 2, "France"), table) == 2


def test_missing_multipliers_and_entitlements_are_reported():
    result = drawdown([], [Usage(date(2026, 1, 5), "Data Cloud", "Query", 50)])
    assert result.no_multiplier == {("Query", "", "production"): 1}
    assert result.no_entitlement == {"Data Cloud": 50}
    assert result.overage[0]["cost"] is None


@pytest.mark.parametrize("ents, lines, message", [
    ([Entitlement("E", MC, -1, date(2026, 1, 1), date(2026, 2, 1))], [],
     "entitlement E=-1 has a negative quantity"),
    ([Entitlement("E", MC, 1, date(2026, 1, 1), date(2026, 6, 1)),
      Entitlement("E", MC, 1, date(2026, 3, 1), date(2026, 9, 1))], [],
     "appears twice with overlapping dates"),
    ([], [Usage(date(2026, 1, 1), MC, "SMS", -4)], "is a negative quantity"),
])
def test_bad_input_is_refused(ents, lines, message):
    with pytest.raises(InputError, match=message):
        drawdown(ents, lines)


def test_file_errors_name_the_file_line_and_field():
    header = ["Month", "Product", "Usage type", "Quantity"]
    rows = [{"Month": "2026-01", "Product": MC, "Usage type": "SMS", "Quantity": "40",
             "_line": 2},
            {"Month": "2026-02", "Product": MC, "Usage type": "SMS", "Quantity": "-3",
             "_line": 3}]
    with pytest.raises(InputError, match="usage.csv line 3 Quantity=-3 is negative"):
        to_usage(records(Table(header, rows, "usage.csv"), USAGE_FIELDS), "usage.csv")
    with pytest.raises(InputError, match=r"usage.csv=.* lacks the columns Product \(or CardDefinitionDeveloperName, Card, "
                       r"CardName\); Usage type \(or UsageTypeDeveloperName"):
        records(Table(["Month", "Quantity"], [], "usage.csv"), USAGE_FIELDS)


day = st.dates(date(2026, 1, 1), date(2026, 12, 31))


@st.composite
def cases(draw):
    ents = []
    for i in range(draw(st.integers(0, 4))):
        start = draw(day)
        ents.append(Entitlement(f"C{i}", MC, draw(st.integers(0, 5000)), start,
                                start + timedelta(days=draw(st.integers(0, 400))),
                                draw(st.floats(0.01, 1))))
    lines = [Usage(draw(day), MC, "Email", draw(st.integers(0, 3000)),
                   monthly=draw(st.booleans())) for _ in range(draw(st.integers(0, 12)))]
    return ents, lines


@settings(max_examples=80, deadline=None)
@given(case=cases())
def test_units_are_conserved_and_no_balance_goes_negative(case):
    ents, lines = case
    result = drawdown(ents, lines)
    for r in result.rows:
        # each month: drawn + lapsed + closing = opening + new
        assert r["drawn"] + r["lapsed"] + r["closing"] == pytest.approx(r["opening"] + r["new"])
        assert min(r["opening"], r["closing"], r["drawn"], r["lapsed"]) >= -1e-9
    drawn = sum(r["drawn"] for r in result.rows)
    overage = sum(o["units"] for o in result.overage)
    assert drawn + overage == pytest.approx(sum(u.quantity for u in lines))  # usage = drawn + overage
    # every entitlement ends drawn or lapsed, or still held after the last month
    for e in ents:
        mine = [r for r in result.rows if r["contract"] == e.contract]
        assert sum(r["drawn"] + r["lapsed"] for r in mine) + mine[-1]["closing"] == \
            pytest.approx(e.quantity)


def test_cli_and_workbook(tmp_path):
    (tmp_path / "ent.csv").write_text(
        "Contract reference,Product,Quantity,Start,Expiry,Usage rate\n"
        + "\n".join(f"{e.contract},{e.product},{e.quantity},{e.start},{e.expiry},{e.usage_rate}"
                    for e in THREE), encoding="utf-8")
    (tmp_path / "use.csv").write_text(
        "Month,Product,Usage type,Quantity\n"
        + "\n".join(f"{u.day:%Y-%m},{u.product},{u.usage_type},{u.quantity}" for u in MONTHLY),
        encoding="utf-8")
    out = tmp_path / "dd.xlsx"
    result = CliRunner().invoke(main, ["usage", str(tmp_path / "ent.csv"),
                                       str(tmp_path / "use.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Marketing Cloud                      3,500         3,400           100           200" \
        "         20.00" in result.output
    from openpyxl import load_workbook
    wb = load_workbook(out)
    assert wb.sheetnames == ["Summary", "Drawdown", "Balances"]  # Summary first
    assert len(wb["Balances"]._charts) == 1
    (tmp_path / "bad.csv").write_text("Month,Product,Usage type,Quantity\n2026-01,MC,SMS,x\n")
    result = CliRunner().invoke(main, ["usage", str(tmp_path / "ent.csv"),
                                       str(tmp_path / "bad.csv")])
    assert result.exit_code == 1
    assert "bad.csv line 2 Quantity='x' is not a number" in result.output


def test_drawdown_formula_as_excel_passes_ranges():
    ents = [["Contract", "Product", "Quantity", "Start", "Expiry", "Usage rate"]] + [
        [e.contract, e.product, float(e.quantity), float((e.start - date(1899, 12, 30)).days),
         float((e.expiry - date(1899, 12, 30)).days), e.usage_rate] for e in THREE]
    lines = [[f"{u.day:%Y-%m}", u.product, u.usage_type, None, None, float(u.quantity)]
             for u in MONTHLY]
    table = udfs.USAGEDRAWDOWN(ents, lines, None)
    assert table[0][:3] == ["Month", "Product", "Contract"]
    overage = [r for r in table if r[2] == "overage"]
    assert overage == [["2026-06", MC, "overage", None, None, None, None, None, 200.0,
                        pytest.approx(20.0)]]
