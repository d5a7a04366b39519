"""One source for every rule the workbook shows, and checks that tell the truth.

The alert thresholds on the Rates sheet drive the labels, colours and Dashboard counts;
the TCO sheet's cheapest model and term limit are the core's; without the add-in the
Dashboard says so instead of showing counts (LibreOffice has no add-in: it is the test).
"""

import os
from dataclasses import replace
from pathlib import Path

import pytest
from openpyxl import load_workbook

from xlcredits import agentforce, credits, register, terms
from xlcredits.devtools import libreoffice
from xlcredits.devtools.engine import evaluate
from xlcredits.errors import InputError
from xlcredits.workbook import schema as s
from xlcredits.workbook.build import NEEDS_ADDIN, build
from xlcredits.workbook.entries import example_entries, template_entries

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "workbooks" / "example.xlsx"
needs_libreoffice = pytest.mark.skipif(
    not libreoffice.executable() and not os.environ.get("XLCREDITS_REQUIRE_LIBREOFFICE"),
    reason="LibreOffice is not installed (CI installs it and sets XLCREDITS_REQUIRE_LIBREOFFICE)")
REVIEW_60 = {"credits.alert_review": 0.6}


def named(wb, name: str) -> tuple[str, str]:
    sheet, ref = wb.defined_names[name].attr_text.split("!")
    return sheet.strip("'"), ref.replace("$", "")


def dashboard_table(wb, values, title: str) -> dict[str, object]:
    """A Dashboard summary table as label -> value, from computed ``values``."""
    ws = wb["Dashboard"]
    top = next(c.row for c in ws["A"] if c.value == title)
    out = {}
    for row in range(top + 1, ws.max_row + 1):
        if ws.cell(row, 1).value is None:
            break
        label = values.get(("DASHBOARD", f"A{row}"), ws.cell(row, 1).value)
        out[label] = values[("DASHBOARD", f"B{row}")]
    return out


@pytest.fixture(scope="module")
def review_60(tmp_path_factory):
    """The example with the review threshold typed as 60% on the Rates sheet."""
    path = tmp_path_factory.mktemp("rules") / "review60.xlsx"
    build(replace(example_entries(), rates=REVIEW_60)).save(path)
    return path


# --- the core: one place for the labels -------------------------------------------------

def test_the_core_labels_alerts_as_excel_text_does():
    # TEXT(0.625,"0%") is "63%" in Excel and LibreOffice (half away from zero)
    assert credits.alert_label(0.625) == "63%" and credits.alert_label(0.6) == "60%"
    # 700 used in 304 days, 61 left: 140 more, 160 (16%) lapse, below LAPSE RISK
    assert credits.credit_alert(1000, 700, "2026-01-01", "2026-12-31", "2026-10-31",
                                review=0.6) == "60%"
    assert credits.alert_states(review=0.6) == ("EXPIRED", "LAPSE RISK", "90%", "75%", "60%")


def test_the_register_summary_counts_the_states_of_the_rates_it_is_given():
    entries = example_entries()
    df = register.evaluate(entries.register, entries.as_of, REVIEW_60)
    text = register.position(df, REVIEW_60)
    # DC-001 is 62% consumed (3.1M of 5M): 60% at a 60% review threshold, not OK
    assert "60% 1, OK 2" in text and "50%" not in text


# --- the formula engine: labels and counts follow the Rates sheet ------------------------

@pytest.mark.slow
def test_thresholds_on_the_rates_sheet_drive_labels_and_counts(review_60):
    values = evaluate(review_60)
    wb = load_workbook(review_60)
    entries = replace(example_entries(), rates=REVIEW_60)
    expected = register.evaluate(entries.register, entries.as_of, REVIEW_60)
    column = {c.key: i for i, c in enumerate(s.REGISTER, 1)}
    alert = wb["Register"].cell(1, column["alert"]).column_letter
    shown = [values[("REGISTER", f"{alert}{r}")] for r in range(2, 2 + len(expected))]
    assert shown == list(expected["alert"])  # the sheet's labels are the core's
    assert "60%" in shown and "50%" not in shown
    counts = dashboard_table(wb, values, "Register entries by alert state")
    # hand count of the table above: EXPIRED PSV-001; LAPSE RISK FLX-001, SP-001; 90% FLX-002,
    # MC-001; 75% FLX-003, DEV-001, TRN-001, EXT-001; 60% DC-001; OK CSF-001, DC-002
    assert counts == {"EXPIRED": 1, "LAPSE RISK": 2, "90%": 2, "75%": 4, "60%": 1, "OK": 2}
    # the colour rules compare with the very label formulas the Dashboard and Lists show
    rules = [r.formula[0] for rng in wb["Register"].conditional_formatting for r in rng.rules]
    labels = [wb["Lists"].cell(r, 6).value for r in range(2, 7)]
    assert ["=" + f for f in rules] == [f"={f}" for f in s.ALERT_STATES] == labels
    assert [values[("LISTS", f"F{r}")] for r in range(2, 8)] == [
        "EXPIRED", "LAPSE RISK", "90%", "75%", "60%", "OK"]
    checks = named(wb, "Checks_Total")
    assert values[(checks[0].upper(), checks[1])] == 0  # with the add-in: every check passes


@pytest.mark.slow
def test_the_sheet_breaks_a_tie_as_the_core_does(tmp_path):
    # the blank template: every model costs 0, a three-way tie
    path = tmp_path / "blank.xlsx"
    build(template_entries()).save(path)
    values = evaluate(path)
    wb = load_workbook(path)
    sheet, ref = named(wb, "TCO_Cheapest")
    core = agentforce.agentforce_cheapest(0, [1], [0], 0)
    assert core == "Per conversation"
    assert values[(sheet.upper(), ref)] == core
    flags = [values[named(wb, f"TCO_{k}Flag")[0].upper(), named(wb, f"TCO_{k}Flag")[1]]
             for k, _ in s.MODELS]
    assert flags == ["cheapest", "", ""]  # one model flagged, the one named


def test_the_term_limit_is_the_cores():
    wb = build(template_entries())
    ws = wb["TCO"]
    years = [c.value for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("Year ")]
    assert len(years) == terms.MAX_TERM_YEARS == s.TERM_YEARS
    _, ref = named(wb, "TCO_Years")
    [dv] = [dv for dv in ws.data_validations.dataValidation if ref in str(dv.sqref)]
    assert (dv.type, dv.formula1, dv.formula2) == ("whole", "1", str(terms.MAX_TERM_YEARS))
    assert terms.term_cost(100, terms.MAX_TERM_YEARS) == 100 * terms.MAX_TERM_YEARS
    with pytest.raises(InputError, match="too long"):
        terms.term_cost(100, terms.MAX_TERM_YEARS + 1)


# --- checks: what the workbook shows where the functions cannot run ----------------------

@pytest.mark.slow
def test_the_checks_catch_a_missing_input_and_a_reversed_term(tmp_path):
    entries = example_entries()
    rows = [dict(r) for r in entries.register]
    del rows[0]["consumed"]  # FLX-001: a blank required input (and CREDITLAPSE's message)
    rows[1]["start"], rows[1]["expiry"] = rows[1]["expiry"], rows[1]["start"]  # FLX-002
    path = tmp_path / "bad.xlsx"
    build(replace(entries, register=rows)).save(path)
    values = evaluate(path)
    wb = load_workbook(path)
    checks = {wb["Dashboard"].cell(r, 1).value: values[("DASHBOARD", f"B{r}")]
              for r in range(4, 9)}
    assert checks["xlcredits functions not available"] == 0
    assert checks["Entries missing a required input"] == 1
    assert checks["Entries expiring before they start"] == 1
    # FLX-001: lapse, alert, catch-up show a message; FLX-002: the same three
    assert checks["Cells showing an error or a message"] >= 6
    assert checks["Problems found"] == sum(v for k, v in checks.items() if k != "Problems found")
    assert values[("START", "B2")].startswith("CHECKS FAIL: ")


@needs_libreoffice
@pytest.mark.slow
def test_without_the_addin_the_dashboard_says_so_and_counts_nothing(review_60, tmp_path):
    out = libreoffice.convert(review_60, "xlsx", tmp_path)
    wb = load_workbook(out, data_only=True)
    ws = wb["Dashboard"]
    values = {("DASHBOARD", c.coordinate): c.value for row in ws.iter_rows() for c in row}
    counts = dashboard_table(wb, values, "Register entries by alert state")
    # labels still follow the Rates sheet; no count, least of all an OK, pretends to be true
    assert list(counts) == ["EXPIRED", "LAPSE RISK", "90%", "75%", "60%", "OK"]
    assert set(counts.values()) == {NEEDS_ADDIN}
    at_risk = dashboard_table(wb, values, "Value at risk by credit type ($)")
    assert set(at_risk.values()) == {NEEDS_ADDIN}
    checks = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(4, 9)}
    assert checks["xlcredits functions not available"] == 1
    # 12 entries x 5 register columns that call xlcredits (or use one that does) ...
    assert checks["Cells showing an error or a message"] >= 60
    assert checks["Problems found"] > 0
    assert wb["Start"]["B2"].value.startswith("CHECKS FAIL: the xlcredits functions are not")
    assert [wb["Lists"].cell(r, 6).value for r in range(2, 8)] == [
        "EXPIRED", "LAPSE RISK", "90%", "75%", "60%", "OK"]


@needs_libreoffice
@pytest.mark.slow
def test_the_example_prints_briefly_and_its_pdf_tells_the_truth(tmp_path):
    import subprocess

    pdf = libreoffice.convert(EXAMPLE, "pdf", tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages")))
    # Start 1, Register 1 (12 entries, one page wide), TCO 2, Rates 2, Dashboard 1,
    # xlwings.conf 1: was 57 pages before print settings
    assert pages <= 8
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "CHECKS FAIL: the xlcredits functions are not available" in text
    dashboard = text[text.index("Checks (each must be 0)"):]
    # each state's row says "needs the add-in"; no state is followed by a count (the
    # charts' axis labels stand alone on their lines)
    rows = [line.replace("LAPSE RISK", "LAPSE_RISK").split() for line in dashboard.splitlines()]
    states = ("EXPIRED", "LAPSE_RISK", "90%", "75%", "50%", "OK")
    shown = [r[0] for r in rows if len(r) >= 4 and r[0] in states and r[1:4] == [
        "needs", "the", "add-in"]]
    assert shown == list(states)
    assert not [r for r in rows if len(r) >= 2 and r[0] in states and r[1].isdigit()]
    problems = next(line for line in dashboard.splitlines() if "Problems found" in line)
    assert int(problems.split()[2]) > 0  # the failing check, visible
