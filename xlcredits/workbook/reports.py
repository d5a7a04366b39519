"""The workbooks the commands write: the portfolio report, the usage drawdown, the login mix.

Each takes values computed elsewhere (the core and the views over it) and lays them out;
no number is computed here. Every text that came from an input file goes through
:func:`text` (and into a CSV through :func:`escape_csv`), so that it stays text.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.workbook.defined_name import DefinedName

from .files import save_bytes, save_workbook

__all__ = ["escape_csv", "text", "write_logins", "write_report", "write_usage"]

INJECTION = ("=", "+", "-", "@", "\t", "\r", "\n")
BOLD = Font(bold=True)


def escape_csv(value):
    """OWASP CSV-injection guard: text that a spreadsheet would run is prefixed with '."""
    if isinstance(value, str) and value.startswith(INJECTION):
        return "'" + value
    return value


def text(value):
    """A value for a cell: input text that a spreadsheet would run stays inert."""
    return escape_csv(value) if isinstance(value, str) else value


def _table(ws, header, rows) -> None:
    """A header row in bold, frozen, then the rows."""
    ws.append(list(header))
    for cell in ws[ws.max_row]:
        cell.font = BOLD
    ws.freeze_panes = ws.cell(ws.max_row + 1, 1).coordinate
    for row in rows:
        ws.append([None if (isinstance(v, float) and math.isnan(v)) or v is pd.NaT
                   else text(v) for v in row])


def _new_workbook(first_sheet: str) -> tuple[Workbook, object]:
    wb = Workbook()
    ws = wb.active
    ws.title = first_sheet
    return wb, ws


# --- the portfolio report ---------------------------------------------------------------

REPORT_NAME = "xlcredits_report"  # marks a report, which `report` never reads as a register


def write_report(rollups: dict[str, pd.DataFrame], entries: pd.DataFrame, out: Path
                 ) -> tuple[Path, Path]:
    """The report as an xlsx (roll-up tables, a chart, the entries) and a CSV of the entries."""
    out = Path(out)
    wb, ws = _new_workbook("Summary")
    ws.column_dimensions["A"].width = 36
    row = 1
    anchors = {}
    for label, table in rollups.items():
        ws.cell(row, 1, f"By {label.lower()}").font = Font(bold=True, size=12)
        for col, h in enumerate(table.columns, 1):
            ws.cell(row + 1, col, h).font = BOLD
        for i, values in enumerate(table.itertuples(index=False), row + 2):
            for col, v in enumerate(values, 1):
                cell = ws.cell(i, col, text(v))
                if col > 2:
                    cell.number_format = '"$"#,##0'
        anchors[label] = (row + 2, row + 1 + len(table))
        row += len(table) + 3
    first, last = anchors["Credit type"]
    chart = BarChart()
    chart.type, chart.title, chart.legend = "bar", "Value at risk by credit type", None
    chart.add_data(Reference(ws, min_col=4, min_row=first, max_row=last))
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.height, chart.width = 9, 16
    ws.add_chart(chart, "F2")
    _table(wb.create_sheet("Entries"), entries.columns, entries.itertuples(index=False))
    wb.defined_names[REPORT_NAME] = DefinedName(REPORT_NAME, attr_text='"report"')
    save_workbook(wb, out)
    csv_path = out.with_suffix(".csv")
    save_bytes(entries.map(escape_csv).to_csv(index=False).encode("utf-8"), csv_path)
    return out, csv_path


# --- usage statements -------------------------------------------------------------------

def write_usage(table: list[tuple], summary_lines: list[str], out: Path) -> Path:
    """The drawdown table, a summary and a chart of each contract's closing balance."""
    wb, ws = _new_workbook("Drawdown")
    _table(ws, table[0], table[1:])
    summary = wb.create_sheet("Summary")
    for line in summary_lines:
        summary.append([text(line)])
    summary.column_dimensions["A"].width = 100
    balances = wb.create_sheet("Balances")
    rows = [r for r in table[1:] if r[2] != "overage"]
    contracts = list(dict.fromkeys(f"{r[2]} ({r[1]})" for r in rows))
    months = sorted({r[0] for r in rows})
    closing = {(r[0], f"{r[2]} ({r[1]})"): r[7] for r in rows}
    _table(balances, ["Month"] + contracts,
           ([m] + [closing.get((m, c)) for c in contracts] for m in months))
    if contracts and months:
        chart = LineChart()
        chart.title, chart.y_axis.title = "Closing balance of each entitlement", "units"
        chart.add_data(Reference(balances, min_col=2, max_col=len(contracts) + 1, min_row=1,
                                 max_row=len(months) + 1), titles_from_data=True)
        chart.set_categories(Reference(balances, min_col=1, min_row=2, max_row=len(months) + 1))
        chart.height, chart.width = 9, 20
        balances.add_chart(chart, balances.cell(2, min(len(contracts) + 3, 21)).coordinate)
    save_workbook(wb, out)
    return Path(out)


# --- the login mix ----------------------------------------------------------------------

def write_logins(summary_lines: list[str], mix, login_days: pd.DataFrame, out: Path) -> Path:
    """The login mix: summary, per-user table, monthly table, distribution chart."""
    wb, ws = _new_workbook("Summary")
    ws.column_dimensions["A"].width = 28
    for line in summary_lines:
        ws.append([text(line)])
    ws["A1"].font = BOLD
    _table(wb.create_sheet("Users"),
           ["User", "Months active", "Login-days", "Login-days per month", "Licence"],
           ([r.user, r.months_active, r.login_days, r.per_month, r.licence]
            for r in mix.users.itertuples(index=False)))
    _table(wb.create_sheet("Months"),
           ["Month", "Users", "Login-days", "Login pool need", "Login pool cost",
            "Members cost", "Best mix cost"],
           ([r.month, r.users, r.login_days, r.pool_need, r.pool_cost, r.members_cost,
             r.pool_cost + r.members_cost] for r in mix.months.itertuples(index=False)))
    dist = wb.create_sheet("Distribution")
    counts = login_days["login_days"].value_counts()
    top = int(max(counts.index.max() if len(counts) else 0, math.ceil(mix.breakeven), 1))
    peak = int(counts.max()) if len(counts) else 1
    _table(dist, ["Login-days in a month", "User-months", "Break-even"],
           ([d, int(counts.get(d, 0)), peak if d == math.ceil(mix.breakeven) else 0]
            for d in range(1, top + 1)))
    chart = BarChart()
    chart.title = (f"Login-days per user per month (break-even {mix.breakeven:.2f}: "
                   "members above it)")
    chart.x_axis.title, chart.y_axis.title = "login-days in a month", "user-months"
    chart.add_data(Reference(dist, min_col=2, max_col=3, min_row=1, max_row=top + 1),
                   titles_from_data=True)
    chart.set_categories(Reference(dist, min_col=1, min_row=2, max_row=top + 1))
    chart.height, chart.width = 9, 20
    dist.add_chart(chart, "E2")
    save_workbook(wb, out)
    return Path(out)
