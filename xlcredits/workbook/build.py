"""Build the workbook from the schema with openpyxl: the template, or one filled with entries."""

from __future__ import annotations

from datetime import date

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink

from .. import __version__, rates
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
SERIAL_2000, SERIAL_2100 = 36526, 73415  # date validation bounds: 2000-01-01 .. 2100-12-31


def put(cell, value) -> None:
    """Write one entry exactly: text stays text (even "=1+1" or "#N/A"), formulas stay
    formulas, and a user's own number format is kept."""
    if isinstance(value, Value):
        cell.number_format = value.number_format
        value = value.value
    if isinstance(value, str) and not isinstance(value, Formula):
        cell.value = encode(value)
        cell.data_type = "s"
    else:
        cell.value = value


def define(wb: Workbook, name: str, sheet: str, ref: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(sheet)}!{ref}")


def absolute(col: int, row: int, col2: int | None = None, row2: int | None = None) -> str:
    ref = f"${get_column_letter(col)}${row}"
    return ref if col2 is None else f"{ref}:${get_column_letter(col2)}${row2}"


def register_letters() -> dict[str, str]:
    return {c.key: get_column_letter(i) for i, c in enumerate(s.REGISTER, 1)}


def register_formula(column: s.Column, row: int) -> str:
    """A register column's formula for one row: {key} placeholders become same-row cells."""
    return "=" + column.formula.format(**{k: f"{v}{row}" for k, v in register_letters().items()})


def build(entries: Entries, register_rows: int = 0) -> Workbook:
    """The whole workbook, filled with ``entries``; the register has room for them and at
    least ``register_rows`` rows (see :func:`schema.register_capacity`)."""
    wb = Workbook()
    wb.remove(wb.active)
    for title in s.SHEETS:
        wb.create_sheet(title)
    wb.properties.title = "xlcredits: Salesforce credits register and TCO"
    wb.properties.creator = f"xlcredits {__version__}"
    wb.calculation.fullCalcOnLoad = True
    wb.defined_names[s.VERSION_NAME] = DefinedName(s.VERSION_NAME,
                                                   attr_text=str(s.SCHEMA_VERSION))
    build_lists(wb)
    build_rates(wb, entries.rates)
    build_start(wb, entries.as_of)
    build_register(wb, entries.register, s.register_capacity(len(entries.register),
                                                             register_rows))
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


def protect(ws) -> None:
    """Lock formula cells (inputs are unlocked): no password; sorting and filtering allowed."""
    p = ws.protection
    p.sheet = True
    p.sort = p.autoFilter = p.formatColumns = p.formatRows = False


def build_lists(wb: Workbook) -> None:
    ws = wb["Lists"]
    ws.sheet_state = "hidden"
    for col, (name, items) in enumerate(s.LISTS.items(), 1):
        header(ws, 1, [name])
        ws.column_dimensions[get_column_letter(col)].width = 34
        ws.cell(1, col, name)
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
    protect(ws)


START_TEXT = (
    ("xlcredits: Salesforce credits register and TCO model", "title"),
    ("What this workbook is for", "section"),
    (("Track every Salesforce credit you hold (Flex Credits, Data Cloud, Marketing Cloud, "
      "success funds, training and partner vouchers), see what will expire unused, and "
      "compare the total cost of your licences, editions and Agentforce pricing models."), ""),
    ("Turn the formulas on (once per computer)", "section"),
    ("1. pip install xlcredits   (it brings xlwings)", ""),
    ("2. xlwings addin install   then, in Excel, xlwings tab > Import Functions", ""),
    (("3. The xlwings.conf sheet of this workbook names the functions' module "
      "(UDF Modules = xlcredits.udfs). Without the add-in, cells that use xlcredits "
      "functions show #NAME?."), ""),
    ("Fill the register", "section"),
    (("One row per entitlement on the Register sheet: type into the blue columns; the grey "
      "columns compute remaining balance, projected lapse, value at risk and the alert. "
      "Update consumption monthly, review quarterly."), ""),
    (("Alerts: EXPIRED; LAPSE RISK when more than 20% is projected to expire unused "
      "(start an acceleration plan: Catch-up per month says how much more to use); "
      "50% / 75% / 90% of the balance consumed (review, reforecast, escalate)."), ""),
    ("Prices: the Rates sheet holds every list price; type negotiated ones there.", ""),
)


def build_start(wb: Workbook, as_of: date | None) -> None:
    ws = wb["Start"]
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 100
    row = 1
    for text, kind in START_TEXT:
        cell = ws.cell(row, 1 if kind else 2, text)
        if kind == "title":
            cell.font = Font(bold=True, size=16, color="1F3864")
        elif kind == "section":
            row += 1
            cell = ws.cell(row, 1, text)
            cell.font = Font(bold=True, size=12)
        else:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        row += 1
    row += 1
    ws.cell(row, 1, "As-of date").font = Font(bold=True)
    cell = ws.cell(row, 2)
    cell.number_format = s.DATE
    put(cell, as_of)
    cell.protection, cell.fill, cell.font = UNLOCKED, INPUT_FILL, INPUT_FONT
    cell.alignment = Alignment(horizontal="left")
    define(wb, s.AS_OF_NAME, "Start", absolute(2, row))
    dv = DataValidation(type="date", operator="between", formula1=str(SERIAL_2000),
                        formula2=str(SERIAL_2100), allow_blank=True, showErrorMessage=True,
                        showInputMessage=True, promptTitle="As-of date",
                        prompt="The day consumption figures are counted to. Blank = today.",
                        errorTitle="Not a date", error="Enter a date from 2000 to 2100.")
    dv.add(cell.coordinate)
    ws.add_data_validation(dv)
    ws.cell(row + 1, 2, "Every date formula uses this day. Leave it blank for today.").font = \
        Font(italic=True)
    ws.cell(row + 3, 1, "Template version")
    ws.cell(row + 3, 2, f"schema {s.SCHEMA_VERSION}, xlcredits {__version__}")
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
    if column.kind in ("number", "money"):
        return DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                              error="Enter a number, zero or more.", **common)
    if column.key == "expiry":
        return DataValidation(type="date", operator="greaterThanOrEqual",
                              formula1=f"{letters['start']}{FIRST_ROW}",
                              error="Enter a date on or after the start date.", **common)
    if column.kind == "date":
        return DataValidation(type="date", operator="between", formula1=str(SERIAL_2000),
                              formula2=str(SERIAL_2100),
                              error="Enter a date from 2000 to 2100.", **common)
    if column.key == "id":
        col = letters["id"]
        return DataValidation(type="custom", formula1=f"COUNTIF(${col}${FIRST_ROW}:${col}"
                              f"${last},{first})<=1", error="This ID is already used.",
                              **common)
    return None


def build_register(wb: Workbook, entries: list[dict], rows: int) -> None:
    ws = wb["Register"]
    header(ws, 1, [c.header for c in s.REGISTER], [c.width for c in s.REGISTER])
    ws.row_dimensions[1].height = 32
    last = FIRST_ROW + rows - 1
    for col, column in enumerate(s.REGISTER, 1):
        letter = get_column_letter(col)
        define(wb, f"Reg_{column.key}", "Register", absolute(col, FIRST_ROW, col, last))
        for row in range(FIRST_ROW, last + 1):
            cell = ws.cell(row, col)
            cell.number_format = column.number_format
            if column.is_input:
                cell.protection = UNLOCKED
                entry = entries[row - FIRST_ROW] if row - FIRST_ROW < len(entries) else {}
                put(cell, entry.get(column.key))
            else:
                cell.value = register_formula(column, row)
                cell.fill = FORMULA_FILL
        if column.is_input:
            dv = validation(column, f"{letter}{FIRST_ROW}", last)
            if dv:
                dv.add(f"{letter}{FIRST_ROW}:{letter}{last}")
                ws.add_data_validation(dv)
    alert = get_column_letter(s.REGISTER.index(
        next(c for c in s.REGISTER if c.key == "alert")) + 1)
    for text, fill, font in s.ALERT_STYLES:
        ws.conditional_formatting.add(
            f"{alert}{FIRST_ROW}:{alert}{last}",
            CellIsRule(operator="equal", formula=[f'"{text}"'],
                       fill=PatternFill("solid", start_color=fill, end_color=fill),
                       font=Font(bold=True, color=font)))
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(s.REGISTER))}{last}"
    protect(ws)


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
            else:
                cell.value = "=" + c.formula
                cell.fill = FORMULA_FILL
            define(wb, c.name, "TCO", absolute(col, row))
    for name, keys in s.TCO_RANGES.items():
        (col, first), (_, last) = positions[keys[0]], positions[keys[-1]]
        define(wb, name, "TCO", absolute(col, first, col, last))
    ws.freeze_panes = "B2"
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


def bar_chart(ws, title: str, first: int, last: int, y_title: str) -> None:
    """A bar chart of a dashboard table (labels in A, values in B), below the last chart."""
    anchor = ws.cell(3 + CHART_ROWS * len(ws._charts), CHART_COLUMN).coordinate
    chart = BarChart()
    chart.type = "bar"
    chart.title, chart.y_axis.title = title, y_title
    chart.legend = None
    chart.height, chart.width = 7.5, 16
    chart.add_data(Reference(ws, min_col=2, min_row=first, max_row=last))
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    ws.add_chart(chart, anchor)


def build_dashboard(wb: Workbook) -> None:
    ws = wb["Dashboard"]
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 16
    ws.cell(1, 1, "Dashboard").font = Font(bold=True, size=16, color="1F3864")
    types = s.LISTS["List_CreditTypes"]
    first, last = summary(ws, 3, "Value at risk by credit type ($)", [
        (t, f'=SUMIF(Reg_credit_type,A{i},Reg_value_at_risk)')
        for i, t in enumerate(types, 4)], s.MONEY0)
    bar_chart(ws, "Value at risk by credit type", first, last, "$")
    top = last + 2
    states = [state for state, *_ in s.ALERT_STYLES]
    rows = [(st, f'=COUNTIF(Reg_alert,"{st}")') for st in states]
    rows.append(("OK", f"=COUNT(Reg_balance)-SUM(B{top + 1}:B{top + len(states)})"))
    first, last = summary(ws, top, "Register entries by alert state", rows, "0")
    bar_chart(ws, "Register by alert state", first, last, "entries")
    top = last + 2
    first, last = summary(ws, top, "TCO by component, annual ($)",
                          [(label, f"={name}") for label, name in s.TCO_COMPONENTS], s.MONEY0)
    bar_chart(ws, "TCO by component (annual)", first, last, "$")
    top = last + 2
    first, last = summary(ws, top, "Agentforce pricing models, annual ($)",
                          [(label, f"=TCO_{key}Annual") for key, label in s.MODELS], s.MONEY0)
    bar_chart(ws, "Agentforce: cost of each model (annual)", first, last, "$")
    protect(ws)


def build_conf(wb: Workbook) -> None:
    ws = wb["xlwings.conf"]
    ws["A1"], ws["B1"] = "UDF Modules", "xlcredits.udfs"
    ws.column_dimensions["A"].width = ws.column_dimensions["B"].width = 20


def build_users_own(wb: Workbook, entries: Entries) -> None:
    """What the user added to the workbook: sheets, defined names, print areas, and the
    comments and hyperlinks of cells (a register note follows its column)."""
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
