"""Many registers: split a flat export into workbooks, and roll registers up into a report.

The report's numbers come from the core (:mod:`xlcredits.register`), so they match what
Excel computes in each workbook.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from . import register
from .dates import today
from .errors import InputError, ReadError
from .tables import read_table
from .workbook.build import build
from .workbook.entries import (
    Entries,
    Formula,
    Value,
    register_date_order,
    register_rows,
    template_entries,
)
from .workbook.files import find_workbooks, safe_filename, save_workbook
from .workbook.read import open_workbook, read_entries

__all__ = ["collect", "entries_table", "rollups", "split_build"]


def split_build(data: Path, by: str, out: Path, date_order: str | None = None
                ) -> list[tuple[Path, int, str]]:
    """One workbook per value of column ``by``; returns (path, rows, outcome) for each, the
    outcome as :func:`~xlcredits.workbook.files.save_workbook` says (a backup's path when
    an existing workbook with other content was replaced). Slash dates follow
    ``date_order``, else the order the file's own dates prove."""
    rows = read_table(data, sheet="Register")
    if by not in rows.header:
        raise InputError("column", by, "is not a column of " + Path(data).name,
                         "use one of " + ", ".join(h for h in rows.header if h))
    order = register_date_order(rows, date_order, Path(data).name)
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
        entries = Entries(register=register_rows(fields, order, rows.decimal_comma),
                          tco=template_entries().tco)
        path = Path(out) / f"{name}.xlsx"
        written.append((path, len(group), save_workbook(build(entries), path)))
    return written


def _plain(value):
    """An entry's value for computing: a user's formula cannot be evaluated here (None)."""
    if isinstance(value, Value):
        value = value.value
    return None if isinstance(value, Formula) else value


def collect(paths, as_of: date | None = None) -> tuple[pd.DataFrame, list[tuple[Path, str]]]:
    """Every register entry of every workbook, evaluated as of ``as_of`` (default: each
    workbook's own as-of date, else today; the ``as_of`` column says which); and the files
    that were refused."""
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
        rows = [{k: _plain(v) for k, v in r.items()} for r in entries.register if r]
        day = as_of or _plain(entries.as_of) or today()
        rates = {k: _plain(v) for k, v in entries.rates.items()}  # its alert thresholds
        df = register.evaluate(rows, day, rates)
        if not df.empty:
            df.insert(0, "workbook", str(path))
            df["as_of"] = day
            frames.append(df)
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), refused


def rollups(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Totals and value at risk by credit type, owner, alert state (most severe first) and
    expiry quarter."""
    df = df.assign(value=df["balance"] * df["unit_value"].fillna(0),
                   alert_state=df["alert"].replace("", "OK"),
                   expiry_quarter=pd.to_datetime(df["expiry"]).dt.to_period("Q").astype(str),
                   owner=df.get("owner", pd.Series(index=df.index, dtype=object))
                   .fillna("(no owner)"))
    out = {}
    for label, column in (("Credit type", "credit_type"), ("Owner", "owner"),
                          ("Alert", "alert_state"), ("Expiry quarter", "expiry_quarter")):
        g = df.fillna({column: "(blank)"}).groupby(column, sort=True)
        table = pd.DataFrame({"Entries": g.size(), "Value ($)": g["value"].sum(),
                              "Value at risk ($)": g["value_at_risk"].sum()})
        if column == "alert_state":  # most severe first, as the register ranks them
            table = table.sort_index(key=lambda s: s.map(register.severity))
        out[label] = table.rename_axis(label).reset_index()
    return out


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
