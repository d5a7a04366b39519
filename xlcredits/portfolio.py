"""Many registers: split a flat export into workbooks, and roll registers up into a report.

The report's numbers come from the core (:mod:`xlcredits.register`), so they match what
Excel computes in each workbook.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

from . import register
from .errors import InputError
from .workbook.build import Entries, Formula, Value, build, template_entries
from .workbook.files import save_workbook
from .workbook.read import ReadError, open_workbook, read_entries
from .workbook.records import register_rows

RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
            *(f"LPT{i}" for i in range(1, 10))}
INJECTION = ("=", "+", "-", "@", "\t", "\r")


def safe_filename(name: str) -> str:
    """A file name from any text: no path separators or traversal, no reserved device names.

    >>> safe_filename("../../etc/passwd"), safe_filename("CON"), safe_filename("EMEA / Sales")
    ('etc_passwd', '_CON', 'EMEA _ Sales')
    """
    clean = re.sub(r"[^\w .-]", "_", str(name), flags=re.ASCII)
    clean = re.sub(r"_+", "_", clean).strip(" ._")[:100] or "_"
    return f"_{clean}" if clean.split(".")[0].upper() in RESERVED else clean


def read_table(path: Path) -> list[dict]:
    """Rows of a flat register export (CSV, or the first sheet / Register sheet of an xlsx)."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8-sig") as f:
            return list(csv.DictReader(f))
    wb = open_workbook(path)
    try:
        ws = wb["Register"] if "Register" in wb.sheetnames else wb.worksheets[0]
        rows = ws.iter_rows(values_only=True)
        header = [str(h) if h is not None else "" for h in next(rows, [])]
        return [dict(zip(header, r)) for r in rows if any(v is not None for v in r)]
    finally:
        wb.close()


def split_build(data: Path, by: str, out: Path) -> list[tuple[Path, int]]:
    """One workbook per value of column ``by``; returns (path, rows) for each."""
    rows = read_table(data)
    if rows and by not in rows[0]:
        raise InputError("--by", by, "is not a column of " + Path(data).name,
                         "use one of " + ", ".join(h for h in rows[0] if h))
    groups: dict[str, list[dict]] = {}
    for row in rows:
        key = row.get(by)
        groups.setdefault("unassigned" if key in (None, "") else str(key), []).append(row)
    written, used = [], set()
    for key, group in groups.items():
        name = safe_filename(key)
        n, stem = 1, name
        while name.lower() in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name.lower())
        fields = [{h: v for h, v in r.items() if h} for r in group]
        entries = Entries(register=register_rows(fields), tco=template_entries().tco)
        path = Path(out) / f"{name}.xlsx"
        save_workbook(build(entries), path)
        written.append((path, len(group)))
    return written


def plain(value):
    """An entry's value for computing: a user's formula cannot be evaluated here (None)."""
    if isinstance(value, Value):
        value = value.value
    return None if isinstance(value, Formula) else value


def collect(paths) -> tuple[pd.DataFrame, list[tuple[Path, str]]]:
    """Every register entry of every workbook, evaluated; and the files that were refused."""
    from .batch import find_workbooks

    frames, refused = [], []
    for path in find_workbooks(paths):
        try:
            wb = open_workbook(path)
            try:
                entries = read_entries(path, wb)
            finally:
                wb.close()
        except ReadError as e:
            refused.append((path, e.reason))
            continue
        rows = [{k: plain(v) for k, v in r.items()} for r in entries.register if r]
        df = register.evaluate(rows, plain(entries.as_of))
        if not df.empty:
            df.insert(0, "workbook", str(path))
            frames.append(df)
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), refused


def rollups(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Totals and value at risk by credit type, owner, alert state and expiry quarter."""
    df = df.assign(value=df["balance"] * df["unit_value"].fillna(0),
                   alert_state=df["alert"].replace("", "OK"),
                   expiry_quarter=pd.to_datetime(df["expiry"]).dt.to_period("Q").astype(str),
                   owner=df.get("owner", pd.Series(index=df.index, dtype=object))
                   .fillna("(no owner)"))
    out = {}
    for label, column in (("Credit type", "credit_type"), ("Owner", "owner"),
                          ("Alert", "alert_state"), ("Expiry quarter", "expiry_quarter")):
        g = df.fillna({column: "(blank)"}).groupby(column, sort=True)
        out[label] = pd.DataFrame({"Entries": g.size(), "Value ($)": g["value"].sum(),
                                   "Value at risk ($)": g["value_at_risk"].sum()}
                                  ).rename_axis(label).reset_index()
    return out


def escape_csv(value):
    """OWASP CSV-injection guard: text that a spreadsheet would run is prefixed with '."""
    if isinstance(value, str) and value.startswith(INJECTION):
        return "'" + value
    return value


ENTRY_COLUMNS = (("workbook", "Workbook"), ("id", "ID"), ("credit_type", "Credit type"),
                 ("product", "Product / entitlement"), ("owner", "Owner"),
                 ("balance", "Contracted balance"), ("consumed", "Consumed to date"),
                 ("expiry", "Expiry date"), ("unit_value", "Unit value ($)"),
                 ("remaining", "Remaining"), ("lapse", "Projected lapse"),
                 ("value_at_risk", "Value at risk ($)"), ("alert", "Alert"))


def entries_table(df: pd.DataFrame) -> pd.DataFrame:
    """Every entry, highest value at risk first, with the register's header texts."""
    table = df.reindex(columns=[k for k, _ in ENTRY_COLUMNS])
    table = table.sort_values("value_at_risk", ascending=False, kind="stable")
    return table.rename(columns=dict(ENTRY_COLUMNS))


def write_report(df: pd.DataFrame, out: Path) -> tuple[Path, Path]:
    """The report as an xlsx (summary tables, a chart, the entries) and a CSV of the entries."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    out = Path(out)
    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws.column_dimensions["A"].width = 36
    row = 1
    anchors = {}
    for label, table in rollups(df).items():
        ws.cell(row, 1, f"By {label.lower()}").font = Font(bold=True, size=12)
        for col, h in enumerate(table.columns, 1):
            ws.cell(row + 1, col, h).font = Font(bold=True)
        for i, values in enumerate(table.itertuples(index=False), row + 2):
            for col, v in enumerate(values, 1):
                cell = ws.cell(i, col, escape_csv(v) if isinstance(v, str) else v)
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
    table = entries_table(df)
    entries = wb.create_sheet("Entries")
    entries.append(list(table.columns))
    for values in table.itertuples(index=False):
        entries.append([None if pd.isna(v) else escape_csv(v) if isinstance(v, str) else v
                        for v in values])
    entries.freeze_panes = "A2"
    save_workbook(wb, out)
    csv_path = out.with_suffix(".csv")
    table.map(escape_csv).to_csv(csv_path, index=False)
    return out, csv_path
