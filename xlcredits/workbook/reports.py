"""The workbooks the commands write: the portfolio report, the usage drawdown, the login mix.

Each writer takes values computed elsewhere (the core and the views over it: tables of
rows, DataFrames, lists of labelled facts) and lays them out on the template's styles:
a title, the as-of date, the sources and options used; real tables (numbers stored as
numbers with their formats, widths that fit, a frozen header, an autofilter, a totals
row where a total means something); Summary first; printed landscape, one page wide,
with the header repeated. No number is computed here beyond a column's total.

Input text never becomes a formula: every string goes through
:func:`xlcredits.workbook.build.put` (text type forced, so ``=cmd|' /C calc'!A0`` is
stored as the text it is, unchanged) and gets Excel's quote prefix when it starts like a
formula, so that editing the cell does not turn it into one either. A CSV cannot carry a
type, so there every field is quoted and text that a spreadsheet would run is prefixed
with ``'`` (:func:`escape_csv`, OWASP's guidance on CSV injection).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference, ScatterChart, Series
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.styles import Alignment, Border, Font
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from .. import __version__
from ..errors import XlcreditsError
from .build import FORMULA_START, HEADER_FILL, HEADER_FONT, SECTION_FILL, THIN, put
from .files import save_bytes, save_workbook

__all__ = ["Column", "escape_csv", "write_logins", "write_report", "write_usage"]

TITLE_FONT = Font(bold=True, size=14, color="1F3864")
SECTION_FONT = Font(bold=True, size=11, color="1F3864")
LABEL_FONT = Font(bold=True, color="595959")
BOLD = Font(bold=True)
TEXT_AFTER_FIRST = Alignment(horizontal="left", indent=1)
FORMATS = {"text": "General", "count": "#,##0", "units": "#,##0", "number": "#,##0.00",
           "dollars": '"$"#,##0', "money": '"$"#,##0.00', "price": '"$"#,##0.00###',
           "date": "yyyy-mm-dd", "percent": "0%"}
WIDTH_MIN, WIDTH_MAX = 9, 48


def escape_csv(value):
    """OWASP CSV-injection guard: text that a spreadsheet would run is prefixed with '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    """A table column: its header, how its values are shown, whether it has a total."""
    header: str
    kind: str = "text"  # a key of FORMATS
    total: bool = False


def _blank(value) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _plain(value):
    """A value openpyxl can store: numpy scalars as Python numbers, timestamps as dates."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    return value


def _write(cell, value, kind: str = "text") -> None:
    """One value into one cell: text through :func:`put`, numbers and dates with a format."""
    value = _plain(value)
    if _blank(value):
        return
    if isinstance(value, str):
        put(cell, value)
        return
    if isinstance(value, float) and not math.isfinite(value):
        raise XlcreditsError(f"{cell.parent.title}!{cell.coordinate} cannot be written: the "
                             "result is too large to compute (it overflows)")
    cell.value = value
    if isinstance(value, (date, datetime)):
        cell.number_format = FORMATS["date"]
    elif kind in FORMATS and not isinstance(value, bool):
        cell.number_format = FORMATS[kind]


def _shown_width(value, kind: str) -> int:
    value = _plain(value)
    if _blank(value):
        return 0
    if isinstance(value, (date, datetime)):
        return 10
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        decimals = {"count": 0, "units": 0, "dollars": 0, "price": 5}.get(kind, 2)
        return len(f"{value:,.{decimals}f}") + (1 if kind in ("money", "dollars", "price") else 0)
    return max(len(line) for line in str(value).splitlines() or [""])


class _Sheet:
    """A report sheet: a title block, then tables one below the other."""

    def __init__(self, wb: Workbook, title: str, heading: str, facts=()):
        self.ws = wb.create_sheet(title)
        self.widths: dict[int, int] = {}
        self.tables: list[tuple[int, int, int]] = []  # header row, last data row, columns
        ws = self.ws
        _write(ws.cell(1, 1), heading)
        ws.cell(1, 1).font = TITLE_FONT
        self.row = 2
        for fact in facts:
            self.fact(*fact)
        self.row += 1
        ws.sheet_view.showGridLines = False
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.oddFooter.left.text = heading.replace("&", "&&")
        ws.oddFooter.right.text = "Page &P of &N"

    def fact(self, label: str, value, kind: str | None = None) -> None:
        """A labelled fact of the title block: label in A, value in B (money when the
        label says "($", a count for whole numbers, two decimals otherwise)."""
        if kind is None:
            kind = ("money" if "($" in label else "count" if isinstance(_plain(value), int)
                    or (isinstance(value, float) and value.is_integer()) else "number")
        _write(self.ws.cell(self.row, 1), label)
        self.ws.cell(self.row, 1).font = LABEL_FONT
        _write(self.ws.cell(self.row, 2), value, kind)
        self.ws.cell(self.row, 2).alignment = Alignment(horizontal="left")
        self._fit(1, label)
        if not isinstance(value, str):  # a date or number must show; text may overflow
            self._fit(2, value, kind)
        self.row += 1

    def section(self, text: str) -> None:
        _write(self.ws.cell(self.row, 1), text)
        self.ws.cell(self.row, 1).font = SECTION_FONT
        self.row += 1

    def table(self, columns: list[Column], rows, total_label: str | None = "Total",
              filter: bool = True, freeze: bool = True) -> tuple[int, int]:
        """A table at the current row; returns (first, last) data rows (totals excluded)."""
        ws, top = self.ws, self.row
        for c, col in enumerate(columns, 1):
            cell = ws.cell(top, c)
            _write(cell, col.header)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.alignment = TEXT_AFTER_FIRST if col.kind == "text" and c > 1 else \
                Alignment(horizontal="left" if col.kind == "text" else "right")
            self._fit(c, " " * math.ceil(len(col.header) * 1.2))  # bold text is wider
        r = top
        sums = [0.0 if col.total else None for col in columns]
        for values in rows:
            r += 1
            for c, (col, value) in enumerate(zip(columns, values), 1):
                _write(ws.cell(r, c), value, col.kind)
                ws.cell(r, c).border = Border(bottom=THIN)
                if col.kind == "text" and c > 1:  # a space between a number and text
                    ws.cell(r, c).alignment = TEXT_AFTER_FIRST
                self._fit(c, value, col.kind)
                if col.total and not _blank(_plain(value)):
                    sums[c - 1] += float(_plain(value))
        first, last = top + 1, r
        if total_label and any(col.total for col in columns) and last >= first:
            r += 1
            _write(ws.cell(r, 1), total_label)
            for c, (col, total) in enumerate(zip(columns, sums), 1):
                if total is not None:
                    _write(ws.cell(r, c), total, col.kind)
                    self._fit(c, total, col.kind)
                ws.cell(r, c).font = BOLD
                ws.cell(r, c).fill = SECTION_FILL
                ws.cell(r, c).border = Border(top=THIN, bottom=THIN)
        if filter and not self.tables and last >= first:
            ws.auto_filter.ref = f"A{top}:{get_column_letter(len(columns))}{last}"
            if freeze:
                ws.freeze_panes = ws.cell(top + 1, 1).coordinate
            ws.print_title_rows = f"{top}:{top}"
        self.tables.append((top, last, len(columns)))
        self.row = r + 2
        return first, last

    def _fit(self, column: int, value, kind: str = "text") -> None:
        width = _shown_width(value, kind)
        self.widths[column] = max(self.widths.get(column, 0), width)

    def finish(self) -> None:
        for column, width in self.widths.items():
            self.ws.column_dimensions[get_column_letter(column)].width = \
                min(max(width + 3, WIDTH_MIN), WIDTH_MAX)


def _workbook(title: str) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.title = title
    wb.properties.creator = f"xlcredits {__version__}"
    return wb


def _axes(chart) -> None:
    """Axes shown (openpyxl 3.1 marks them deleted, which hides them in Excel)."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _save(wb: Workbook, sheets: list[_Sheet], out: Path) -> str:
    for sheet in sheets:
        sheet.finish()
    return save_workbook(wb, Path(out))


# --- the portfolio report ---------------------------------------------------------------

REPORT_NAME = "xlcredits_report"  # marks a report, which `report` never reads as a register

ROLLUP_COLUMNS = (Column("Entries", "count", True), Column("Value ($)", "dollars", True),
                  Column("Value at risk ($)", "dollars", True))
ENTRY_KINDS = {"Contracted balance": "units", "Consumed to date": "units",
               "Expiry date": "date", "Unit value ($)": "price", "Remaining": "units",
               "Projected lapse": "units", "Value at risk ($)": "dollars"}
ENTRY_TOTALS = ("Value at risk ($)",)  # units of different credits do not add up


def write_report(rollups: dict[str, pd.DataFrame], entries: pd.DataFrame, out: Path,
                 facts=()) -> list[tuple[Path, str]]:
    """The report as an xlsx (Summary: the roll-ups and two charts; Entries: every entry)
    and a CSV of the entries beside it. ``rollups``: label -> table of (label, Entries,
    Value ($), Value at risk ($)), rows in the order to show. ``facts``: (label, value)
    pairs for the title block (as of, sources, options). Returns (path, outcome) for each
    file written, outcome as :func:`~xlcredits.workbook.files.save_workbook` says."""
    out = Path(out)
    wb = _workbook("xlcredits: credits portfolio report")
    summary = _Sheet(wb, "Summary", "Credits portfolio report", facts)
    anchors = {}
    for label, table in rollups.items():
        summary.section(f"By {label.lower()}")
        columns = [Column(label)] + list(ROLLUP_COLUMNS)
        anchors[label] = summary.table(columns, table.itertuples(index=False), filter=False)
    charts = [("Credit type", "Value at risk by credit type ($)"),
              ("Alert", "Value at risk by alert state, most severe first ($)")]
    for n, (label, title) in enumerate(charts):
        first, last = anchors[label]
        if last < first:
            continue
        chart = BarChart()
        chart.type, chart.title, chart.legend = "bar", title, None
        chart.add_data(Reference(summary.ws, min_col=4, min_row=first, max_row=last))
        chart.set_categories(Reference(summary.ws, min_col=1, min_row=first, max_row=last))
        chart.x_axis.scaling.orientation = "maxMin"  # first row at the top, as in the table
        chart.y_axis.numFmt = '"$"#,##0,"k";;"$0"'
        chart.y_axis.crosses = "max"  # the value axis below the bars, categories reversed
        chart.y_axis.majorGridlines = None
        _axes(chart)
        chart.height, chart.width = 7, 15
        summary.ws.add_chart(chart, f"G{summary.tables[0][0] + n * 15}")
    sheet = _Sheet(wb, "Entries", "Credits portfolio report: every entry, highest value at "
                   "risk first", facts)
    columns = [Column(h, ENTRY_KINDS.get(h, "text"), h in ENTRY_TOTALS)
               for h in entries.columns]
    sheet.table(columns, entries.itertuples(index=False))
    wb.defined_names[REPORT_NAME] = DefinedName(REPORT_NAME, attr_text='"report"')
    written = [(out, _save(wb, [summary, sheet], out))]
    csv_path = out.with_suffix(".csv")
    save_bytes(csv_text(entries).encode("utf-8-sig"), csv_path)
    written.append((csv_path, "written"))
    return written


def csv_text(table: pd.DataFrame) -> str:
    """A table as CSV text: every field quoted, formula-like text prefixed (OWASP), dates
    as ISO dates, blanks empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([escape_csv(str(h)) for h in table.columns])
    for row in table.itertuples(index=False):
        values = []
        for v in map(_plain, row):
            if _blank(v):
                v = ""
            elif isinstance(v, (date, datetime)):
                v = v.isoformat()
            values.append(escape_csv(v))
        writer.writerow(values)
    return buffer.getvalue()


# --- usage statements -------------------------------------------------------------------

DRAWDOWN_KINDS = ("text", "text", "text", "units", "units", "units", "units", "units",
                  "units", "money")
SUMMARY_COLUMNS = [Column("Product"), Column("Contract"), Column("Opening", "units"),
                   Column("New", "units"), Column("Drawn", "units"),
                   Column("Lapsed", "units"), Column("Closing", "units"),
                   Column("Overage units", "units"), Column("Overage cost ($)", "money", True)]


def write_usage(table: list[tuple], by_contract: list[tuple], out: Path, facts=(),
                notes=()) -> list[tuple[Path, str]]:
    """The usage statement: Summary (per product and contract: opening, new, drawn,
    lapsed, closing, overage units and cost; then ``notes``), the monthly Drawdown
    (``table``, header first, as :func:`xlcredits.statements.drawdown_table` lays it
    out) and Balances, each entitlement's closing balance by month with its chart."""
    wb = _workbook("xlcredits: usage statement drawdown")
    summary = _Sheet(wb, "Summary", "Usage statement: pooled drawdown", facts)
    summary.table(SUMMARY_COLUMNS, by_contract)
    if notes:
        summary.section("Notes")
        for note in notes:
            _write(summary.ws.cell(summary.row, 1), note)
            summary.row += 1
    drawdown = _Sheet(wb, "Drawdown", "Usage statement: drawdown month by month", facts)
    drawdown.table([Column(h, k, h == "Overage cost") for h, k in
                    zip(table[0], DRAWDOWN_KINDS)], table[1:])
    balances = _Sheet(wb, "Balances", "Closing balance of each entitlement, by month", facts)
    rows = [r for r in table[1:] if r[2] != "overage"]
    seen = list(dict.fromkeys((r[1], r[2]) for r in rows))
    products = list(dict.fromkeys(p for p, _ in seen))
    contracts = [pc for p in products for pc in seen if pc[0] == p]  # grouped by product
    months = sorted({r[0] for r in rows})
    closing = {(r[0], (r[1], r[2])): r[7] for r in rows}
    anchor = balances.row
    balances.row += 17 * len(products)  # a chart per product first (units differ), the table
    first, last = balances.table(
        [Column("Month")] + [Column(f"{c} ({p})", "units") for p, c in contracts],
        ([m] + [closing.get((m, c)) for c in contracts] for m in months), freeze=False)
    for n, product in enumerate(products if months else []):
        cols = [i for i, (p, _) in enumerate(contracts, 2) if p == product]
        chart = LineChart()  # straight segments between month ends: no smoothing
        chart.title = f"{product}: closing balance of each entitlement (units, month end)"
        chart.add_data(Reference(balances.ws, min_col=cols[0], max_col=cols[-1],
                                 min_row=first - 1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(balances.ws, min_col=1, min_row=first, max_row=last))
        for series in chart.series:
            series.smooth = False
            series.marker.symbol = "circle"
        chart.y_axis.numFmt = "#,##0"
        chart.y_axis.scaling.min = 0
        chart.legend.position = "b"
        _axes(chart)
        chart.height, chart.width = 8, 20
        balances.ws.add_chart(chart, f"A{anchor + 17 * n}")
    return [(Path(out), _save(wb, [summary, drawdown, balances], out))]


# --- the login mix ----------------------------------------------------------------------

def write_logins(facts, options: list[tuple], mix, login_days: pd.DataFrame, out: Path
                 ) -> list[tuple[Path, str]]:
    """The login mix: Summary (``facts``; each option's monthly and annual cost; the mix;
    a chart of every user's login-days a month against the break-even), Users, Months,
    Distribution. ``options``: (option, monthly cost) rows."""
    wb = _workbook("xlcredits: Experience Cloud licence mix")
    summary = _Sheet(wb, "Summary", "Experience Cloud licences: members or a login pool",
                     facts)
    summary.section("What each option costs")
    summary.table([Column("Option"), Column("Monthly ($)", "money"),
                   Column("Annual ($)", "money")],
                  ((name, monthly, monthly * 12) for name, monthly in options),
                  total_label=None, filter=False)
    summary.section("The best mix")
    counts = mix.users["licence"].value_counts()
    summary.table([Column("Licence"), Column("Users", "count", True)],
                  ((k, int(counts.get(k, 0))) for k in ("Member", "Login pool")),
                  filter=False)
    users = mix.users.sort_values(["per_month", "user"], ascending=[False, True],
                                  kind="stable").reset_index(drop=True)
    sheet = _Sheet(wb, "Users", "Every user, most login-days a month first", ())
    anchor = sheet.row
    sheet.row += 20  # the chart first, the table it plots below it
    first, last = sheet.table(
        [Column("Rank", "count"), Column("User"), Column("Months active", "count"),
         Column("Login-days", "count", True), Column("Login-days a month", "number"),
         Column("Licence")],
        ([i, r.user, r.months_active, r.login_days, r.per_month, r.licence]
         for i, r in enumerate(users.itertuples(index=False), 1)), freeze=False)
    n = last - first + 1
    if n > 0:
        chart = ScatterChart()  # one point per user; the break-even a line at its value
        chart.title = (f"Login-days a month of each user: members above the break-even "
                       f"({mix.breakeven:,.2f})")
        chart.style = 13
        chart.x_axis.title, chart.y_axis.title = "users, most active first", "login-days a month"
        xs = Reference(sheet.ws, min_col=1, min_row=first, max_row=last)
        per_user = Series(Reference(sheet.ws, min_col=5, min_row=first - 1, max_row=last), xs,
                          title_from_data=True)
        per_user.marker.symbol, per_user.marker.size = "circle", 6
        per_user.marker.graphicalProperties = GraphicalProperties(solidFill="1F3864")
        per_user.marker.graphicalProperties.line.solidFill = "1F3864"
        per_user.graphicalProperties.line.noFill = True
        # the break-even line's two points, in hidden columns beside the table
        _write(sheet.ws.cell(first - 1, 8), "Break-even: x")
        _write(sheet.ws.cell(first - 1, 9), "y")
        for r, x in enumerate((0, n + 1), first):
            sheet.ws.cell(r, 8, x)
            sheet.ws.cell(r, 9, mix.breakeven)
        for letter in "HI":
            sheet.ws.column_dimensions[letter].hidden = True
        chart.visible_cells_only = False
        be = Series(Reference(sheet.ws, min_col=9, min_row=first, max_row=first + 1),
                    Reference(sheet.ws, min_col=8, min_row=first, max_row=first + 1),
                    title=f"Break-even {mix.breakeven:,.2f}")
        be.marker.symbol = "none"
        be.graphicalProperties.line.solidFill = "C00000"
        be.graphicalProperties.line.dashStyle = "dash"
        for series in (per_user, be):
            series.smooth = False
            chart.series.append(series)
        chart.x_axis.scaling.min, chart.x_axis.scaling.max = 0, n + 1
        chart.x_axis.majorUnit = max(1, round(n / 10))
        chart.x_axis.numFmt = "#,##0"
        chart.x_axis.majorGridlines = None
        chart.y_axis.scaling.min = 0
        chart.y_axis.numFmt = "#,##0.0"
        chart.legend.position = "b"
        _axes(chart)
        chart.height, chart.width = 9, 20
        sheet.ws.add_chart(chart, f"A{anchor}")
    months = _Sheet(wb, "Months", "Month by month: login pool need and cost", ())
    months.table(
        [Column("Month"), Column("Users", "count"), Column("Login-days", "count", True),
         Column("Login pool need", "count", True), Column("Login pool cost ($)", "money", True),
         Column("Members cost ($)", "money", True), Column("Best mix cost ($)", "money", True)],
        ([r.month, r.users, r.login_days, r.pool_need, r.pool_cost, r.members_cost,
          r.pool_cost + r.members_cost] for r in mix.months.itertuples(index=False)))
    dist = _Sheet(wb, "Distribution", "How many login-days users have in a month", ())
    counts = login_days["login_days"].value_counts()
    top = int(max(counts.index.max() if len(counts) else 0, math.ceil(mix.breakeven), 1))
    anchor = dist.row
    dist.row += 20  # the chart first, its table below
    first, last = dist.table(
        [Column("Login-days in a month", "count"),
         Column(f"User-months at or below {mix.breakeven:,.2f}", "count", True),
         Column(f"User-months above {mix.breakeven:,.2f}", "count", True)],
        ([d] + ([int(counts.get(d, 0)), None] if d <= mix.breakeven
                else [None, int(counts.get(d, 0))]) for d in range(1, top + 1)), freeze=False)
    chart = BarChart()  # one bar per count, coloured by the side of the break-even it is on
    chart.grouping, chart.overlap = "stacked", 100
    chart.title = (f"User-months by login-days in the month (break-even "
                   f"{mix.breakeven:,.2f} login-days)")
    chart.x_axis.title, chart.y_axis.title = "login-days in a month", "user-months"
    chart.add_data(Reference(dist.ws, min_col=2, max_col=3, min_row=first - 1, max_row=last),
                   titles_from_data=True)
    chart.set_categories(Reference(dist.ws, min_col=1, min_row=first, max_row=last))
    chart.legend.position = "b"
    _axes(chart)
    chart.height, chart.width = 9, 20
    dist.ws.add_chart(chart, f"A{anchor}")
    return [(Path(out), _save(wb, [summary, sheet, months, dist], out))]
