"""Build the workbook from the schema with openpyxl: the template, or one filled with entries."""

from __future__ import annotations

from copy import copy
from datetime import date
from functools import cache

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import PageSetupProperties

from .. import __version__, credits, rates
from . import schema as s
from .entries import Entries, Formula, Value
from .xstring import encode

INPUT_FILL = PatternFill("solid", start_color="DDEBF7")
FORMULA_FILL = PatternFill("solid", start_color="F2F2F2")
HEADER_FILL = PatternFill("solid", start_color="1F3864")
SECTION_FILL = PatternFill("solid", start_color="D9E1F2")
HEADER_FONT = Font(bold=True, color="FFFFFF")
INPUT_FONT = Font(color="1F4E79")
THIN = Side(style="thin", color="BFBFBF")
UNLOCKED = Protection(locked=False)
FIRST_ROW = 2  # the register's first entry; row 1 is the header
EPOCH = date(1899, 12, 30)  # serial 0 of the 1900 date system, for serials after 1900-03-01
SERIAL_FIRST, SERIAL_LAST = ((d - EPOCH).days for d in (s.FIRST_DAY, s.LAST_DAY))
RED = (PatternFill("solid", start_color="C00000"), Font(bold=True, color="FFFFFF"))
GREEN = (PatternFill("solid", start_color="E2EFDA"), Font(bold=True, color="375623"))
TITLE = "xlcredits: Salesforce credits register and TCO"  # the workbook's document title
NEEDS_ADDIN = "needs the add-in"
ADDIN_MISSING = "XLC_Missing"  # 1 when the xlcredits functions are not available here
CHECKS_TOTAL = "Checks_Total"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")  # what a spreadsheet may run (OWASP)


def put(cell, value) -> None:
    """Write one entry exactly: text stays text (even "=1+1" or "#N/A"), formulas stay
    formulas, and a user's own number format is kept. This is the one place that decides
    how text is written: its type forced to text, so openpyxl does not make "=..." a
    formula, and the value unchanged (no prefix added to what a user typed); text that
    starts like a formula also gets Excel's quote prefix, so that editing the cell in Excel
    or LibreOffice keeps it text."""
    if isinstance(value, Value):
        cell.number_format = value.number_format
        value = value.value
    if isinstance(value, str) and not isinstance(value, Formula):
        cell.value = encode(value)
        cell.data_type = "s"
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True
    else:
        cell.value = value


def define(wb: Workbook, name: str, sheet: str, ref: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(sheet)}!{ref}")


def absolute(col: int, row: int, col2: int | None = None, row2: int | None = None) -> str:
    ref = f"${get_column_letter(col)}${row}"
    return ref if col2 is None else f"{ref}:${get_column_letter(col2)}${row2}"


def register_letters() -> dict[str, str]:
    return {c.key: get_column_letter(i) for i, c in enumerate(s.REGISTER, 1)}


ROW_MARK = "\0"  # stands for the row number in a formula pattern; no formula holds it


@cache
def _formula_pattern(formula: str) -> str:
    return "=" + formula.format(**{k: f"{v}{ROW_MARK}" for k, v in register_letters().items()})


def register_formula(column: s.Column, row: int) -> str:
    """A register column's formula for one row: {key} placeholders become same-row cells."""
    return _formula_pattern(column.formula).replace(ROW_MARK, str(row))


def build(entries: Entries, register_rows: int = 0, *, exact_rows: int | None = None
          ) -> Workbook:
    """The whole workbook, filled with ``entries``; the register has room for them and at
    least ``register_rows`` rows (see :func:`schema.register_capacity`), or exactly
    ``exact_rows`` (a register of any size, for tests and previews)."""
    rows = s.register_capacity(len(entries.register), register_rows) if exact_rows is None \
        else max(exact_rows, len(entries.register))
    wb = Workbook()
    wb.remove(wb.active)
    for title in s.SHEETS:
        wb.create_sheet(title)
    wb.properties.title = TITLE
    wb.properties.creator = f"xlcredits {__version__}"
    wb.calculation.fullCalcOnLoad = True
    wb.defined_names[s.VERSION_NAME] = DefinedName(s.VERSION_NAME,
                                                   attr_text=str(s.SCHEMA_VERSION))
    build_lists(wb)
    build_rates(wb, entries.rates)
    build_start(wb, entries.as_of)
    build_register(wb, entries.register, rows)
    build_tco(wb, entries.tco)
    build_dashboard(wb)
    build_conf(wb)
    build_users_own(wb, entries)
    wb.active = wb.sheetnames.index("Register" if entries.register else "Start")
    return wb


def header(ws, row: int, labels, widths=None) -> None:
    for col, label in enumerate(labels, 1):
        cell = ws.cell(row, col, label)
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if widths:
            ws.column_dimensions[get_column_letter(col)].width = widths[col - 1]


def page(ws, landscape: bool = False, tall: bool = True, titles: str | None = None,
         area: str | None = None) -> None:
    """Print settings: one page wide (and one page tall unless ``tall``), titles repeated."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0 if tall else 1
    ws.page_margins.left = ws.page_margins.right = 0.4
    if titles:
        ws.print_title_rows = titles
    if area:
        ws.print_area = area


def red_when_not_zero(ws, ref: str) -> None:
    ws.conditional_formatting.add(ref, CellIsRule(operator="notEqual", formula=["0"],
                                                  fill=RED[0], font=RED[1]))


def protect(ws) -> None:
    """Lock formula cells (inputs are unlocked): no password; sorting and filtering allowed."""
    p = ws.protection
    p.sheet = True
    p.sort = p.autoFilter = p.formatColumns = p.formatRows = False


def build_lists(wb: Workbook) -> None:
    ws = wb["Lists"]
    ws.sheet_state = "hidden"
    lists = {**s.LISTS, "List_Alerts": tuple(f"={f}" for f in s.ALERT_STATES) + (s.OK,)}
    header(ws, 1, [name.removeprefix("List_") for name in lists], [34] * len(lists))
    for col, (name, items) in enumerate(lists.items(), 1):
        for row, item in enumerate(items, 2):
            ws.cell(row, col, item)
        define(wb, name, "Lists", absolute(col, 2, col, len(items) + 1))
    protect(ws)


def build_rates(wb: Workbook, overrides: dict) -> None:
    ws = wb["Rates"]
    header(ws, 1, rates.TABLE_HEADER, [32, 14, 18, 12, 9, 90])
    card = rates.card()
    for row, r in enumerate(card.values(), 2):
        value = overrides.get(r.key, r.value)
        for col, v in enumerate((r.key, value, r.unit, r.basis, r.source, r.description), 1):
            ws.cell(row, col, v)
        cell = ws.cell(row, 2)
        cell.protection, cell.fill, cell.font = UNLOCKED, INPUT_FILL, INPUT_FONT
        cell.number_format = "0.00%" if r.unit.startswith("fraction") else "#,##0.#####"
        define(wb, s.rate_name(r.key), "Rates", absolute(2, row))
    last = len(card) + 1
    define(wb, "RateKeys", "Rates", absolute(1, 2, 1, last))
    define(wb, "RateValues", "Rates", absolute(2, 2, 2, last))
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:F{last}"
    note = ws.cell(last + 2, 1, "Blue cells are editable: enter negotiated prices and rates "
                   "here and every formula in the workbook uses them. Basis 'assumption' "
                   "marks a figure no source gives.")
    note.font = Font(italic=True)
    page(ws, landscape=True, titles="1:1")
    protect(ws)


ALERT_TEXT = ('="Alerts: EXPIRED after the expiry date (and its grace days); LAPSE RISK when '
              'more than "&TEXT(credits_lapse_alert,"0%")&" of the balance is projected to '
              'expire unused (start an acceleration plan: Catch-up per month says how much '
              'more to use); "&TEXT(credits_alert_review,"0%")&" / "&TEXT('
              'credits_alert_reforecast,"0%")&" / "&TEXT(credits_alert_escalate,"0%")&" of '
              'the balance consumed (review, reforecast, escalate). The thresholds are on the '
              'Rates sheet (credits.*)."')
START_TEXT = (
    ("xlcredits: Salesforce credits register and TCO model", "title"),
    ("What this workbook is for", "section"),
    (("Track every Salesforce credit you hold (Flex Credits, Data Cloud, Marketing Cloud, "
      "success funds, training and partner vouchers), see what will expire unused, and "
      "compare the total cost of your licences, editions and Agentforce pricing models."), ""),
    ("Turn the formulas on", "section"),
    (("The grey cells use xlcredits functions (CREDITLAPSE, FLEXCOST...), run by xlwings. "
      "Where they are not available (no add-in, or LibreOffice) those cells show #NAME? "
      "and the Dashboard says 'needs the add-in' and its Checks fail: nothing else is "
      "wrong with the workbook."), ""),
    (("Windows, classic xlwings: install Python, then the xlcredits package (not on PyPI "
      "yet: pip install a wheel or the source folder your team provides) and "
      "xlwings addin install; this workbook's xlwings.conf sheet names the module "
      "(UDF Modules = xlcredits.udfs)."), ""),
    (("Windows, macOS or Excel on the web: the xlwings Lite add-in (no local Python): its "
      "requirements.txt lists the xlcredits wheel and main.py holds "
      "from xlcredits.udfs import *. See the README."), ""),
    ("Fill the register", "section"),
    (("One row per entitlement on the Register sheet: type into the blue columns; the grey "
      "columns compute remaining balance, projected lapse, value at risk and the alert. "
      "Grace days: days after expiry the contract still lets you use the credits. "
      "Update consumption monthly, review quarterly. Sort and filter with the header's "
      "filter buttons."), ""),
    (ALERT_TEXT, ""),
    ("Prices: the Rates sheet holds every list price; type negotiated ones there.", ""),
)
STATUS = ('=IF({missing}=1,"CHECKS FAIL: the xlcredits functions are not available in this '
          'program, so grey cells show errors and the Dashboard shows \'needs the add-in\'. '
          'See Turn the formulas on, below.",IF({total}=0,"Checks: all pass (Dashboard)",'
          '"CHECKS FAIL: "&{total}&" problem(s): see the Checks on the Dashboard."))')


def build_start(wb: Workbook, as_of: date | None) -> None:
    ws = wb["Start"]
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 100
    ws.cell(1, 1, START_TEXT[0][0]).font = Font(bold=True, size=16, color="1F3864")
    ws.cell(2, 1, "Status").font = Font(bold=True)
    status = ws.cell(2, 2, STATUS.format(missing=ADDIN_MISSING, total=CHECKS_TOTAL))
    status.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = 30
    ws.conditional_formatting.add("B2", FormulaRule(formula=[f"{CHECKS_TOTAL}<>0"],
                                                    fill=RED[0], font=RED[1]))
    ws.conditional_formatting.add("B2", FormulaRule(formula=[f"{CHECKS_TOTAL}=0"],
                                                    fill=GREEN[0], font=GREEN[1]))
    row = 3
    for text, kind in START_TEXT[1:]:
        if kind == "section":
            row += 1
            ws.cell(row, 1, text).font = Font(bold=True, size=12)
        else:
            cell = ws.cell(row, 2, text)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            # explicit heights: LibreOffice does not grow rows for wrapped text it computes
            ws.row_dimensions[row].height = 15 * (1 + len(text) // 90)
        row += 1
    row += 1
    ws.cell(row, 1, "As-of date").font = Font(bold=True)
    cell = ws.cell(row, 2)
    cell.number_format = s.DATE
    put(cell, as_of)
    cell.protection, cell.fill, cell.font = UNLOCKED, INPUT_FILL, INPUT_FONT
    cell.alignment = Alignment(horizontal="left")
    define(wb, s.AS_OF_NAME, "Start", absolute(2, row))
    dv = DataValidation(type="date", operator="between", formula1=str(SERIAL_FIRST),
                        formula2=str(SERIAL_LAST), allow_blank=True, showErrorMessage=True,
                        showInputMessage=True, promptTitle="As-of date",
                        prompt="The day consumption figures are counted to. Blank = today.",
                        errorTitle="Not a date",
                        error=f"Enter a date from {s.FIRST_DAY.year} to {s.LAST_DAY.year}.")
    dv.add(cell.coordinate)
    ws.add_data_validation(dv)
    ws.cell(row + 1, 2, "Every date formula uses this day. Leave it blank for today.").font = \
        Font(italic=True)
    ws.cell(row + 3, 1, "Template version")
    ws.cell(row + 3, 2, f"schema {s.SCHEMA_VERSION}, xlcredits {__version__}")
    page(ws)
    protect(ws)


def validation(column: s.Column, first: str, last: int) -> DataValidation | None:
    """The data validation of a register input column; ``first`` is its first cell."""
    common = {"allow_blank": True, "showErrorMessage": True, "showInputMessage": True,
              "promptTitle": column.header[:32], "prompt": column.prompt[:255],
              "errorTitle": f"Check {column.header}"[:32]}
    letters = register_letters()
    if column.choices:
        strict = column.key == "credit_type"
        return DataValidation(type="list", formula1=f"={column.choices}",
                              errorStyle="stop" if strict else "information",
                              error=f"Pick one of the list ({column.choices[5:]}).", **common)
    if column.key == "grace_days":
        return DataValidation(type="whole", operator="between", formula1="0",
                              formula2=str(credits.MAX_GRACE_DAYS),
                              error=f"Enter whole days from 0 to {credits.MAX_GRACE_DAYS}.",
                              **common)
    if column.kind in ("number", "money"):
        return DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                              error="Enter a number, zero or more.", **common)
    if column.key == "expiry":
        return DataValidation(type="date", operator="greaterThanOrEqual",
                              formula1=f"{letters['start']}{FIRST_ROW}",
                              error="Enter a date on or after the start date.", **common)
    if column.kind == "date":
        return DataValidation(type="date", operator="between", formula1=str(SERIAL_FIRST),
                              formula2=str(SERIAL_LAST),
                              error=f"Enter a date from {s.FIRST_DAY.year} to {s.LAST_DAY.year}.",
                              **common)
    if column.key == "id":
        col = letters["id"]
        return DataValidation(type="custom", formula1=f"COUNTIF(${col}${FIRST_ROW}:${col}"
                              f"${last},{first})<=1", error="This ID is already used.",
                              **common)
    return None


def build_register(wb: Workbook, entries: list[dict], rows: int) -> None:
    """The register. Its sheet is not protected: Excel refuses to sort a range holding
    locked cells on a protected sheet whatever the protection allows, and sorting is what
    a register is for. Its formulas are restored by regeneration, and a formula typed over
    is refused there as data the template has no place for."""
    ws = wb["Register"]
    header(ws, 1, [c.header for c in s.REGISTER], [c.width for c in s.REGISTER])
    ws.row_dimensions[1].height = 32
    last = FIRST_ROW + rows - 1
    for col, column in enumerate(s.REGISTER, 1):
        letter = get_column_letter(col)
        define(wb, f"Reg_{column.key}", "Register", absolute(col, FIRST_ROW, col, last))
        style = ws.cell(FIRST_ROW, col)  # styled once; the column's cells share its style
        style.number_format = column.number_format
        if column.is_input:
            style.protection, style.fill, style.font = UNLOCKED, INPUT_FILL, INPUT_FONT
        else:
            style.fill = FORMULA_FILL
        for row in range(FIRST_ROW, last + 1):
            cell = ws.cell(row, col)
            cell._style = copy(style._style)  # as openpyxl copies styles: no re-hashing
            if column.is_input:
                entry = entries[row - FIRST_ROW] if row - FIRST_ROW < len(entries) else {}
                put(cell, entry.get(column.key))
            else:
                cell.value = register_formula(column, row)
        if column.is_input:
            dv = validation(column, f"{letter}{FIRST_ROW}", last)
            if dv:
                dv.add(f"{letter}{FIRST_ROW}:{letter}{last}")
                ws.add_data_validation(dv)
    alert = register_letters()["alert"]
    for label, fill, font in s.ALERT_STYLES:
        ws.conditional_formatting.add(
            f"{alert}{FIRST_ROW}:{alert}{last}",
            CellIsRule(operator="equal", formula=[label],
                       fill=PatternFill("solid", start_color=fill, end_color=fill),
                       font=Font(bold=True, color=font)))
    ws.freeze_panes = "C2"
    end = get_column_letter(len(s.REGISTER))
    ws.auto_filter.ref = f"A1:{end}{last}"
    page(ws, landscape=True, titles="1:1", area=f"A1:{end}{FIRST_ROW + max(len(entries), 1) - 1}")


def build_tco(wb: Workbook, values: dict) -> None:
    ws = wb["TCO"]
    ws.column_dimensions["A"].width = 64
    for col in "BCDE":
        ws.column_dimensions[col].width = 18
    positions: dict[str, tuple[int, int]] = {}
    for row, item in enumerate(s.TCO, 1):
        label = ws.cell(row, 1, item.label)
        if item.kind == "title":
            label.font = Font(bold=True, size=16, color="1F3864")
        elif item.kind == "section":
            for col in range(1, 6):
                ws.cell(row, col).fill = SECTION_FILL
            label.font = Font(bold=True, size=12)
        elif item.kind == "header":
            label.font = Font(bold=True)
            for col, text in enumerate(item.columns, 2):
                if text:
                    ws.cell(row, col, text).font = Font(bold=True)
        elif item.kind == "note":
            label.font = Font(italic=True, color="595959")
            label.alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[row].height = 15 * (1 + len(item.label) // 70)
        for col, c in enumerate(item.cells, 2):
            cell = ws.cell(row, col)
            cell.number_format = c.number_format
            cell.border = Border(bottom=THIN)
            positions[c.key] = (col, row)
            if c.is_input:
                put(cell, values.get(c.key, c.default))
                cell.protection, cell.fill, cell.font = UNLOCKED, INPUT_FILL, INPUT_FONT
                if c.choices:
                    dv = DataValidation(type="list", formula1=f"={c.choices}",
                                        showErrorMessage=True, error="Pick one of the list.",
                                        showInputMessage=bool(c.prompt), prompt=c.prompt)
                    dv.add(cell.coordinate)
                    ws.add_data_validation(dv)
                if c.whole:
                    low, high = c.whole
                    dv = DataValidation(type="whole", operator="between", formula1=str(low),
                                        formula2=str(high), showErrorMessage=True,
                                        error=f"Enter a whole number from {low} to {high}.",
                                        showInputMessage=bool(c.prompt), prompt=c.prompt)
                    dv.add(cell.coordinate)
                    ws.add_data_validation(dv)
            else:
                cell.value = "=" + c.formula
                cell.fill = FORMULA_FILL
            define(wb, c.name, "TCO", absolute(col, row))
    for name, keys in s.TCO_RANGES.items():
        (col, first), (_, last) = positions[keys[0]], positions[keys[-1]]
        define(wb, name, "TCO", absolute(col, first, col, last))
    ws.freeze_panes = "B2"
    define(wb, "TCO_Cells", "TCO", absolute(2, 1, 5, len(s.TCO)))
    page(ws)
    protect(ws)


def summary(ws, top: int, title: str, rows, number_format: str) -> tuple[int, int]:
    """A small label/formula table on the dashboard; returns its first and last data rows."""
    ws.cell(top, 1, title).font = Font(bold=True, size=12)
    for i, (label, formula) in enumerate(rows, top + 1):
        ws.cell(i, 1, label)
        cell = ws.cell(i, 2, formula)
        cell.number_format = number_format
    return top + 1, top + len(rows)


CHART_COLUMN = 4  # the dashboard's charts stand in a column to the right of its tables
CHART_ROWS = 16  # rows each chart takes (7.5 cm at the default row height, and a gap)


def bar_chart(ws, title: str, first: int, last: int, y_title: str, top: int) -> None:
    """A bar chart of a dashboard table (labels in A, values in B), below the last chart."""
    anchor = ws.cell(top + CHART_ROWS * len(ws._charts), CHART_COLUMN).coordinate
    chart = BarChart()
    chart.type = "bar"
    chart.title, chart.y_axis.title = title, y_title
    chart.legend = None
    chart.height, chart.width = 7.5, 16
    chart.add_data(Reference(ws, min_col=2, min_row=first, max_row=last))
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    ws.add_chart(chart, anchor)


MONTHS_AHEAD = 12


def next_twelve_months(ws, top: int) -> tuple[int, int]:
    """Per month from the as-of month: the value of credits whose last usable day falls in
    it (native: works without the add-in) and their value at risk (needs the add-in)."""
    ws.cell(top, 1, "Next twelve months: expiring ($)").font = Font(bold=True, size=12)
    for col, text in ((1, "Month"), (2, "Value expiring"), (3, "Value at risk")):
        ws.cell(top + 1, col, text).font = Font(bold=True)
    ws.cell(top + 1, 3).alignment = Alignment(indent=2)  # over its figures
    first = top + 2
    for i in range(MONTHS_AHEAD):
        row = first + i
        month = ws.cell(row, 1, f"=DATE(YEAR({s.AS_OF_TODAY}),MONTH({s.AS_OF_TODAY})+{i},1)")
        month.number_format, month.alignment = "mmm yyyy", Alignment(horizontal="left")
        within = f'Reg_last_day,">="&A{row},Reg_last_day,"<"&DATE(YEAR(A{row}),MONTH(A{row})+1,1)'
        ws.cell(row, 2, f"=SUMIFS(Reg_value_left,{within})").number_format = s.MONEY0
        risk = ws.cell(row, 3, needs_addin(f"SUMIFS(Reg_value_at_risk,{within})"))
        # column C is wide (the checks' notes): under its header, not at its far edge
        risk.number_format, risk.alignment = s.MONEY0, Alignment(horizontal="left", indent=2)
    return first, first + MONTHS_AHEAD - 1


def month_chart(ws, first: int, last: int, top: int) -> None:
    """Columns of value expiring and value at risk per month, below the last chart."""
    chart = BarChart()
    chart.type, chart.grouping = "col", "clustered"
    chart.title, chart.y_axis.title = "Next twelve months: value expiring and at risk", "$"
    chart.height, chart.width = 7.5, 16
    chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=first - 1, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.legend.position = "b"
    ws.add_chart(chart, ws.cell(top + CHART_ROWS * len(ws._charts), CHART_COLUMN).coordinate)


def needs_addin(formula: str) -> str:
    """A dashboard figure computed from xlcredits cells: plainly not computed without them."""
    return f'=IF({ADDIN_MISSING}=1,"{NEEDS_ADDIN}",{formula})'


def checks() -> list[tuple[str, str, str]]:
    """The Checks block, as the FAST Standard asks: (label, native formula, explanation).
    Each counts problems; every one must be 0."""
    formulas = [c for c in s.REGISTER if not c.is_input]
    shown = ([f"SUMPRODUCT(--ISERROR(Reg_{c.key}))" for c in formulas]
             + [f'COUNTIF(Reg_{c.key},"{s.xlcredits_function(c)}:*")' for c in formulas
                if s.xlcredits_function(c)]
             + ['SUMPRODUCT(--ISERROR(TCO_Cells))', 'COUNTIF(TCO_Cells,"*: *")'])
    entry = "+".join(f'(Reg_{k}<>"")' for k in s.REGISTER_IDENTIFY)
    lacking = "+".join(f'(Reg_{k}="")' for k in s.REGISTER_REQUIRED)
    required = ", ".join(c.header.lower() for c in s.REGISTER_INPUTS if c.required)
    return [
        ("xlcredits functions not available", "=IF(ISERROR(CREDITREMAINING(1,0)),1,0)",
         ("1 when this program cannot run the xlcredits functions (no add-in, LibreOffice): "
          "every grey cell then shows an error; install the add-in (Start sheet).")),
        ("Cells showing an error or a message", "=" + "+".join(shown),
         ("Register and TCO cells that show an error (#NAME?, #VALUE!...) or an xlcredits "
          "message (\"CREDITLAPSE: ...\"): read the cell and fix the input it names.")),
        ("Entries missing a required input", f"=SUMPRODUCT((({entry})>0)*(({lacking})>0))",
         f"Register rows with an entry but a blank {required}."),
        ("Entries expiring before they start",
         "=SUMPRODUCT((Reg_start<>\"\")*(Reg_expiry<>\"\")*(Reg_expiry<Reg_start))",
         "Register rows whose expiry date is before the start date."),
    ]


def build_dashboard(wb: Workbook) -> None:
    ws = wb["Dashboard"]
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 60
    ws.cell(1, 1, "Dashboard").font = Font(bold=True, size=16, color="1F3864")
    ws.cell(3, 1, "Checks (each must be 0)").font = Font(bold=True, size=12)
    rows = checks()
    for i, (label, formula, why) in enumerate(rows, 4):
        ws.cell(i, 1, label).alignment = Alignment(vertical="top")
        value = ws.cell(i, 2, formula)
        value.number_format, value.alignment = "0", Alignment(vertical="top")
        note = ws.cell(i, 3, why)
        note.font, note.alignment = Font(italic=True, color="595959", size=9), \
            Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[i].height = 12 * (1 + len(why) // 60)
    define(wb, ADDIN_MISSING, "Dashboard", absolute(2, 4))
    total = 4 + len(rows)
    ws.cell(total, 1, "Problems found").font = Font(bold=True)
    cell = ws.cell(total, 2, f"=SUM(B4:B{total - 1})")
    cell.font, cell.number_format = Font(bold=True), "0"
    ws.cell(total, 3, "0 when every check passes; the Start sheet shows it.").font = \
        Font(italic=True, color="595959", size=9)
    define(wb, CHECKS_TOTAL, "Dashboard", absolute(2, total))
    red_when_not_zero(ws, f"B4:B{total}")
    charts = top = total + 2
    types = s.LISTS["List_CreditTypes"]
    first, last = summary(ws, top, "Value at risk by credit type ($)", [
        (t, needs_addin(f"SUMIF(Reg_credit_type,A{i},Reg_value_at_risk)"))
        for i, t in enumerate(types, top + 1)], s.MONEY0)
    bar_chart(ws, "Value at risk by credit type", first, last, "$", charts)
    top = last + 2
    rows = [(f"={label}", needs_addin(f"COUNTIF(Reg_alert,A{i})"))
            for i, (label, *_) in enumerate(s.ALERT_STYLES, top + 1)]
    rows.append((s.OK, needs_addin('COUNTIFS(Reg_balance,">=0",Reg_alert,"")')))
    first, last = summary(ws, top, "Register entries by alert state", rows, "0")
    for i, (label, fill, font) in enumerate(s.ALERT_STYLES, first):
        ws.cell(i, 1).fill = PatternFill("solid", start_color=fill, end_color=fill)
        ws.cell(i, 1).font = Font(bold=True, color=font)
    bar_chart(ws, "Register by alert state", first, last, "entries", charts)
    first, last = next_twelve_months(ws, last + 2)
    month_chart(ws, first, last, charts)
    top = last + 2
    first, last = summary(ws, top, "TCO by component, annual ($)",
                          [(label, f"={name}") for label, name in s.TCO_COMPONENTS], s.MONEY0)
    bar_chart(ws, "TCO by component (annual)", first, last, "$", charts)
    top = last + 2
    first, last = summary(ws, top, "Agentforce pricing models, annual ($)",
                          [(label, f"=TCO_{key}Annual") for key, label in s.MODELS], s.MONEY0)
    bar_chart(ws, "Agentforce: cost of each model (annual)", first, last, "$", charts)
    page(ws, landscape=True, tall=False)
    protect(ws)


def build_conf(wb: Workbook) -> None:
    ws = wb["xlwings.conf"]
    ws["A1"], ws["B1"] = "UDF Modules", "xlcredits.udfs"
    ws.column_dimensions["A"].width = ws.column_dimensions["B"].width = 20


def build_users_own(wb: Workbook, entries: Entries) -> None:
    """What the user added to the workbook: sheets, defined names, print areas, the
    comments and hyperlinks of cells (a register note follows its column), and document
    properties (a subject, keywords; the custom properties and a sensitivity label part
    are carried as written by :func:`~xlcredits.workbook.files.workbook_bytes`)."""
    for key, value in entries.properties.items():
        setattr(wb.properties, key, value)
    for title, sheet in entries.sheets.items():
        ws = wb.create_sheet(title)
        ws.sheet_state = sheet.state
        for coordinate, value in sheet.cells.items():
            put(ws[coordinate], value)
        for letter, width in sheet.widths.items():
            ws.column_dimensions[letter].width = width
    for name, text in entries.names.items():
        if name not in wb.defined_names:
            wb.defined_names[name] = DefinedName(name, attr_text=text)
    for title, area in entries.print_areas.items():
        if title in wb.sheetnames:
            wb[title].print_area = area
    letters = register_letters()
    for place, note in entries.notes.items():
        if place[0] == "Register" and len(place) == 3:
            cell = wb["Register"][f"{letters[place[2]]}{place[1]}"]
        elif place[0] in wb.sheetnames:
            cell = wb[place[0]][place[1]]
        else:
            continue
        if note.comment is not None:
            cell.comment = Comment(note.comment, note.author or "")
        if note.link or note.location:
            cell.hyperlink = Hyperlink(ref=cell.coordinate, target=note.link,
                                       location=note.location, tooltip=note.tooltip)
