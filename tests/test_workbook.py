"""The template and the example, checked by things we did not write: the `formulas`
engine (with our functions registered), LibreOffice, and openpyxl reading them back."""

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import reference
from openpyxl import load_workbook
from openpyxl.formula import Tokenizer
from openpyxl.utils import range_boundaries

from xlcredits.devtools import libreoffice
from xlcredits.devtools.engine import EXCEL_FUNCTIONS, evaluate
from xlcredits.workbook import schema as s
from xlcredits.workbook.build import build
from xlcredits.workbook.entries import example_entries, template_entries
from xlcredits.workbook.files import same_content, write_workbook

ROOT = Path(__file__).parents[1]
TEMPLATE = ROOT / "templates" / "xlcredits-template.xlsx"
EXAMPLE = ROOT / "workbooks" / "example.xlsx"
COLUMN = {c.key: i for i, c in enumerate(s.REGISTER, 1)}


def cell(col_key: str, row: int) -> str:
    from openpyxl.utils import get_column_letter
    return f"{get_column_letter(COLUMN[col_key])}{row}"


def tco_cells(path: Path) -> dict[str, str]:
    """TCO_ name -> cell coordinate on the TCO sheet, from the workbook's defined names."""
    wb = load_workbook(path)
    return {n: dn.attr_text.split("!")[1].replace("$", "")
            for n, dn in wb.defined_names.items() if n.startswith("TCO_")
            and ":" not in dn.attr_text}


@pytest.fixture(scope="module")
def example_values(tmp_path_factory):
    """The example's entries in a register of 20 rows (the committed file holds the same
    entries in 500: test_committed_workbooks_are_current), computed by the formula engine."""
    path = tmp_path_factory.mktemp("engine") / "example-20.xlsx"
    build(example_entries(), exact_rows=20).save(path)
    return evaluate(path)


# --- the committed files are what the commands write -------------------------------

@pytest.mark.parametrize("path, entries", [(TEMPLATE, template_entries),
                                           (EXAMPLE, example_entries)])
def test_committed_workbooks_are_current(path, entries, tmp_path):
    fresh = tmp_path / path.name
    write_workbook(build(entries()), fresh)
    assert same_content(path, fresh), (
        f"{path.relative_to(ROOT)} is stale: run `xlcredits example` and commit it")


# --- structure: what a well-made workbook has ----------------------------------------

def test_structure_of_the_template():
    wb = load_workbook(TEMPLATE)
    assert wb.sheetnames == list(s.SHEETS)
    ws = wb["Register"]
    headers = [c.value for c in ws[1]]
    for text in ("ID", "Credit type", "Product / entitlement", "Contract reference", "Unit",
                 "Contracted balance", "Consumed to date", "Start date", "Expiry date",
                 "Unit value ($)", "Owner", "Purpose", "Notes", "Remaining", "Consumed %",
                 "Projected lapse", "Lapse %", "Value at risk ($)", "Alert"):
        assert text in headers
    last = 1 + s.REGISTER_ROWS
    # Excel refuses to sort a range with locked cells on a protected sheet, whatever the
    # protection allows: the register is left unprotected so that sorting works
    assert ws.freeze_panes == "C2" and not ws.protection.sheet
    assert ws.auto_filter.ref == f"A1:{cell(s.REGISTER[-1].key, last)}"
    assert ws[cell("lapse", last)].value == (
        '=IF(F501="","",CREDITLAPSE(F501,G501,H501,I501,AsOfDate,L501,J501))')
    assert ws[cell("balance", last)].protection.locked is False
    assert ws[cell("balance", 2)].fill.start_color.rgb.endswith("DDEBF7")  # inputs are blue
    assert ws[cell("lapse", 2)].protection.locked is True
    assert ws.print_title_rows == "$1:$1" and ws.page_setup.orientation == "landscape"
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws[cell("start", 2)].number_format == "yyyy-mm-dd"
    rules = {(str(dv.sqref), dv.type, dv.formula1) for dv in ws.data_validations.dataValidation}
    assert ("B2:B501", "list", "=List_CreditTypes") in rules
    assert ("F2:F501", "decimal", "0") in rules
    assert ("I2:I501", "date", "H2") in rules  # expiry on or after start
    assert ("J2:J501", "whole", "0") in rules  # grace days
    assert all(dv.error and dv.prompt for dv in ws.data_validations.dataValidation)
    cf = [r.formula[0] for rng in ws.conditional_formatting for r in rng.rules]
    assert cf == ['"EXPIRED"', '"LAPSE RISK"', 'TEXT(credits_alert_escalate,"0%")',
                  'TEXT(credits_alert_reforecast,"0%")', 'TEXT(credits_alert_review,"0%")']
    names = wb.defined_names
    assert names[s.VERSION_NAME].attr_text == str(s.SCHEMA_VERSION)
    assert names["AsOfDate"].attr_text.startswith("'Start'!$B$")
    assert names["flex_pack_price"].attr_text.startswith("'Rates'!$B$")
    conf = wb["xlwings.conf"]
    assert (conf["A1"].value, conf["B1"].value) == ("UDF Modules", "xlcredits.udfs")
    assert len(wb["Dashboard"]._charts) == 5  # credit types, alerts, twelve months, TCO, models


def test_every_tco_price_is_read_through_the_rates_names():
    wb = load_workbook(TEMPLATE)
    rate_names = {s.rate_name(k) for k in __import__("xlcredits").rates.card()}
    numbers = re.compile(r"(?<![A-Za-z_$\d.])(\d+\.?\d*)(?![\d.]*[A-Za-z_(])")
    for row in wb["TCO"].iter_rows():
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("="):
                literals = {float(n) for n in numbers.findall(c.value)}
                # only counts and exponents appear as literals: no prices
                assert literals <= {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12}, (c.coordinate, c.value)
    used = {t.value for row in wb["TCO"].iter_rows() for c in row
            if isinstance(c.value, str) and c.value.startswith("=")
            for t in Tokenizer(c.value).items if t.subtype == "RANGE"}
    assert {"flex_pack_price", "edition_enterprise", "partner_login_price",
            "support_premier", "agentforce_user_price"} <= used & rate_names


# --- 1. the formula engine computes the example; results equal the core ------------

@pytest.mark.slow
def test_register_formulas_equal_an_independent_computation_to_the_cent(example_values):
    entries = example_entries()
    rows = [e for e in entries.register if e.get("balance") is not None]
    for i, entry in enumerate(rows, 2):
        want = reference.position(entry, entries.as_of)  # plain Python, no xlcredits code
        got = {k: example_values[("REGISTER", cell(k, i))]
               for k in ("remaining", "lapse", "value_at_risk", "alert")}
        assert round(got["remaining"], 2) == round(want["remaining"], 2)
        assert round(got["lapse"], 2) == round(want["lapse"], 2), entry["id"]
        assert round(got["value_at_risk"], 2) == round(want["value_at_risk"], 2)
        assert got["alert"] == want["alert"], entry["id"]
    # rows without a balance stay blank
    assert example_values[("REGISTER", cell("lapse", len(rows) + 2))] == ""
    # every alert state appears in the example
    assert {reference.position(e, entries.as_of)["alert"] for e in rows} == {
        "EXPIRED", "LAPSE RISK", "90%", "75%", "50%", ""}


@pytest.mark.slow
def test_tco_shows_the_domain_worked_figures(example_values):
    at = tco_cells(EXAMPLE)
    v = {name: example_values[("TCO", ref)] for name, ref in at.items()}
    # DOMAIN.md section 1 (002)
    assert v["TCO_Actions"] == 53000
    assert (v["TCO_ConvMonthly"], v["TCO_FlexMonthly"], v["TCO_UserMonthly"]) == (20000, 5300, 6250)
    assert (v["TCO_ConvAnnual"], v["TCO_FlexAnnual"], v["TCO_UserAnnual"]) == (240000, 63600, 75000)
    assert v["TCO_FlexSaving"] == 176400 and v["TCO_FlexFlag"] == "cheapest"
    assert v["TCO_UserAnnual"] - v["TCO_FlexAnnual"] == 11400
    assert (v["TCO_Crossover"], v["TCO_UserBreakeven"]) == (20, 1250)
    assert (v["TCO_Packs"], v["TCO_PackCost"]) == (128, 64000)  # 12.72M credits
    # DOMAIN.md section 3: 1,050,000 and 360,000; section 2: 20,000 against 2,500
    assert v["TCO_EditionChange"] == 1050000 and v["TCO_SubstSaving"] == 360000
    assert (v["TCO_ExpLoginMonthly"], v["TCO_ExpMemberMonthly"]) == (20000, 2500)
    assert v["TCO_ExpBreakeven"] == 2.5 and v["TCO_ExpCheaper"] == "Members"
    # support: 30% (001/002) of 1,050,000 + 30,000 + 63,600 = 1,143,600 -> 343,080
    assert v["TCO_SupportAnnual"] == pytest.approx(343080)
    # year 1 = 1,050,000 + 0 + 30,000 + 30,000 (12,000 storage + 18,000 sandbox) + 63,600
    # + 343,080 = 1,516,680; 3 years at 7%: x (1 + 1.07 + 1.1449) = 4,875,974.53
    assert v["TCO_AnnualTotal"] == pytest.approx(1516680)
    assert round(v["TCO_TermTotal"], 2) == 4875974.53
    assert v["TCO_Year1"] + v["TCO_Year2"] + v["TCO_Year3"] == pytest.approx(v["TCO_TermTotal"])
    assert v["TCO_Year4"] == ""


# --- 2. LibreOffice opens and recalculates; errors only where the add-in is missing --

def udf_dependent_cells(path: Path) -> set[tuple[str, str]]:
    """Cells whose formula calls an xlcredits function or refers to a cell that does."""
    wb = load_workbook(path)
    names = {n.upper(): dn.attr_text for n, dn in wb.defined_names.items()}
    formulas_ = {(ws.title, c.coordinate): c.value for ws in wb.worksheets
                 for row in ws.iter_rows() for c in row
                 if isinstance(c.value, str) and c.value.startswith("=")}

    def cells_of(ref: str, sheet: str):
        ref = names.get(ref.upper(), ref)
        if "!" in ref:
            sheet, ref = ref.rsplit("!", 1)
            sheet = sheet.strip("'")
        if not re.fullmatch(r"\$?[A-Z]+\$?\d+(:\$?[A-Z]+\$?\d+)?", ref):
            return
        c1, r1, c2, r2 = range_boundaries(ref.replace("$", ""))
        from openpyxl.utils import get_column_letter
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                yield sheet, f"{get_column_letter(c)}{r}"

    memo: dict = {}

    def depends(key) -> bool:
        if key not in formulas_:
            return False
        if key not in memo:
            memo[key] = False
            tokens = Tokenizer(formulas_[key]).items
            memo[key] = any(t.type == "FUNC" and t.subtype == "OPEN"
                            and t.value[:-1].upper() in EXCEL_FUNCTIONS for t in tokens) or \
                any(depends(k) for t in tokens if t.subtype == "RANGE"
                    for k in cells_of(t.value, key[0]))
        return memo[key]

    return {k for k in formulas_ if depends(k)}


needs_libreoffice = pytest.mark.skipif(
    not libreoffice.executable() and not os.environ.get("XLCREDITS_REQUIRE_LIBREOFFICE"),
    reason="LibreOffice is not installed (CI installs it and sets XLCREDITS_REQUIRE_LIBREOFFICE)")


@needs_libreoffice
@pytest.mark.slow
@pytest.mark.parametrize("path", [TEMPLATE, EXAMPLE], ids=["template", "example"])
def test_libreoffice_recalculates_without_errors_but_missing_addin(path, tmp_path):
    out = libreoffice.convert(path, "xlsx", tmp_path)
    computed = load_workbook(out, data_only=True)
    allowed = udf_dependent_cells(path)
    errors, native = [], 0
    original = load_workbook(path)
    for ws in original.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if not (isinstance(c.value, str) and c.value.startswith("=")):
                    continue
                value = computed[ws.title][c.coordinate].value
                if isinstance(value, str) and value.startswith("#"):
                    if (ws.title, c.coordinate) not in allowed or value != "#NAME?":
                        errors.append((ws.title, c.coordinate, value, c.value))
                elif (ws.title, c.coordinate) not in allowed:
                    native += 1
    assert errors == []
    assert native > 500  # LibreOffice really computed the native formulas
    tco = computed["TCO"]
    at = tco_cells(path)
    assert tco[at["TCO_EditionPrice"]].value == 175  # CHOOSE/MATCH over the Rates names
    if path == EXAMPLE:
        assert tco[at["TCO_EditionAnnual"]].value == 1050000  # 500 x 175 x 12
        assert computed["Register"][cell("remaining", 2)].value == 5320000  # 12.72M - 7.4M


def expiring_by_month(entries) -> dict[date, float]:
    """By hand, from the entries: per month from the as-of month, the dollar value still
    unused of the entries whose last usable day (expiry + grace days) falls in it."""
    out = {}
    for i in range(12):
        y, m = divmod(entries.as_of.month - 1 + i, 12)
        out[date(entries.as_of.year + y, m + 1, 1)] = 0.0
    for e in entries.register:
        if e.get("balance") is None:
            continue
        last = e["expiry"] + timedelta(days=int(e.get("grace_days") or 0))
        month = date(last.year, last.month, 1)
        if month in out:
            out[month] += max(e["balance"] - e["consumed"], 0) * e["unit_value"]
    return out


def months_block(ws) -> int:
    """The first data row of the Dashboard's next-twelve-months table."""
    return next(c.row for c in ws["A"] if str(c.value).startswith("Next twelve months")) + 2


@pytest.mark.slow
def test_days_to_expiry_and_the_next_twelve_months(example_values):
    entries = example_entries()  # as of 2026-10-31
    rows = [e for e in entries.register if e.get("balance") is not None]
    for i, e in enumerate(rows, 2):
        last = e["expiry"] + timedelta(days=int(e.get("grace_days") or 0))
        assert example_values[("REGISTER", cell("days_left", i))] == \
            (last - entries.as_of).days, e["id"]
    # MC-001 expires on the as-of day, 2026-10-31, with 30 grace days: usable through
    # 2026-11-30, 30 days on (without its grace it would read 0)
    mc = rows.index(next(e for e in rows if e["id"] == "MC-001")) + 2
    assert example_values[("REGISTER", cell("days_left", mc))] == 30
    first = months_block(build(entries, exact_rows=20)["Dashboard"])
    want = expiring_by_month(entries)
    got = {}
    for r in range(first, first + 12):
        serial = example_values[("DASHBOARD", f"A{r}")]
        got[date(1899, 12, 30) + timedelta(days=int(serial))] = \
            example_values[("DASHBOARD", f"B{r}")]
    assert got == pytest.approx(want)
    assert sum(want.values()) > 0 and list(got) == list(want)  # October 2026 first


@needs_libreoffice
@pytest.mark.slow
def test_the_twelve_months_without_the_addin(tmp_path):
    # LibreOffice has no add-in: value expiring is native and computes; value at risk
    # says it needs the add-in rather than showing a total that looks fine
    out = libreoffice.convert(EXAMPLE, "xlsx", tmp_path)
    ws = load_workbook(out, data_only=True)["Dashboard"]
    first = months_block(load_workbook(EXAMPLE)["Dashboard"])
    want = list(expiring_by_month(example_entries()).values())
    assert [ws.cell(r, 2).value for r in range(first, first + 12)] == pytest.approx(want)
    assert {ws.cell(r, 3).value for r in range(first, first + 12)} == {"needs the add-in"}


# --- 3. a licence manager fills the blank template --------------------------------------

@pytest.mark.slow
def test_filling_the_blank_template(tmp_path):
    wb = load_workbook(TEMPLATE)
    sheet, ref = wb.defined_names["AsOfDate"].attr_text.split("!")
    wb[sheet.strip("'")][ref.replace("$", "")] = date(2026, 6, 30)
    ws = wb["Register"]
    rows = [  # as typed: ID, type, product, contract, unit, balance, consumed, start, expiry,
        # grace days, value
        ("A-1", "Flex Credits", "Packs", "Q-1", "credits", 1_200_000, 300_000,
         date(2026, 1, 1), date(2026, 12, 31), None, 0.005),
        ("A-2", "Training credits and vouchers", "Vouchers", "T-9", "vouchers", 10, 9,
         date(2026, 1, 1), date(2026, 12, 31), None, 400),
        ("A-3", "Customer success funds", "Co-funding", "C-3", "USD", 5000, 1000,
         date(2025, 1, 1), date(2025, 12, 31), None, 1),
        ("A-4", "Flex Credits", "Packs", "Q-1", "credits", 1_200_000, 300_000,
         date(2026, 1, 1), date(2026, 12, 31), 90, 0.005),
        ("A-5", "Customer success funds", "Co-funding", "C-3", "USD", 5000, 1000,
         date(2026, 1, 1), date(2026, 5, 31), 60, 1),
    ]
    for r, values in enumerate(rows, 2):
        for col, v in enumerate(values, 1):
            ws.cell(r, col, v)
    path = tmp_path / "filled.xlsx"
    wb.save(path)
    v = evaluate(path)
    get = lambda key, r: v[("REGISTER", cell(key, r))]
    # the worked case of issue 2: lapse 595,027.62 of 1.2M, x $0.005 = $2,975.14
    assert get("remaining", 2) == 900000
    assert round(get("lapse", 2), 2) == 595027.62
    assert round(get("value_at_risk", 2), 2) == 2975.14
    assert get("alert", 2) == "LAPSE RISK"
    # 9 of 10 used in 181 days; 9/181 x 184 = 9.15 more: nothing lapses; 90% reached
    assert (get("lapse", 3), get("alert", 3)) == (0, "90%")
    # expired a year before: 4,000 left lapses, $4,000 at risk
    assert (get("lapse", 4), get("value_at_risk", 4), get("alert", 4)) == (4000, 4000, "EXPIRED")
    # A-1 with 90 days of grace: 274 days left, 300,000/181 x 274 = 454,143.65 more
    # used, so 445,856.35 lapse (37% > 20%): still LAPSE RISK; catch-up (445,856.35 -
    # 240,000) / 274 x 365/12 = 22,852.06 a month
    assert round(get("lapse", 5), 2) == 445856.35 and get("alert", 5) == "LAPSE RISK"
    assert round(get("catch_up", 5), 2) == 22852.06
    # expired on May 31 but 60 days of grace run to July 30, after June 30: not
    # EXPIRED; 1,000 used in 181 days (Jan 1 to Jun 30), x 30 days left = 165.75 more
    # used, 3,834.25 lapse
    assert round(get("lapse", 6), 2) == 3834.25 and get("alert", 6) == "LAPSE RISK"
    assert get("lapse", 7) == ""  # an empty row stays blank
