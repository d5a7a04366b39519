"""Many registers: split a flat export into workbooks, and roll registers up into a report.

The report's numbers come from the core (:mod:`xlcredits.register`), so they match what
Excel computes in each workbook.
"""

from __future__ import annotations

import math
import os
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from . import register
from .dates import today
from .errors import InputError, ReadError, XlcreditsError, show
from .tables import read_table
from .workbook import schema as s
from .workbook.build import build
from .workbook.entries import (
    Entries,
    Formula,
    Value,
    register_date_order,
    register_rows,
    template_entries,
)
from .workbook.files import WriteFailed, find_workbooks, safe_filename, save_workbook
from .workbook.read import open_workbook, read_entries
from .workbook.reports import REPORT_NAME

__all__ = ["LeftOut", "collect", "entries_table", "rollups", "split_build"]


def split_build(data: Path, by: str, out: Path, date_order: str | None = None):
    """One workbook per value of column ``by``: every line is checked, then (path, rows,
    outcome) is yielded as each workbook is written, the outcome as
    :func:`~xlcredits.workbook.files.save_workbook` says (a backup's path when an existing
    workbook with other content was replaced). Slash dates follow ``date_order``, else
    the order the file's own dates prove."""
    rows = read_table(data, sheet="Register")
    if by not in rows.header:
        raise InputError("column", by, "is not a column of " + Path(data).name,
                         "use one of " + ", ".join(h for h in rows.header if h))
    order = register_date_order(rows, date_order, Path(data).name)
    groups: dict[str | None, list[dict]] = {}
    for row in rows:
        key = row.get(by)
        groups.setdefault(None if key in (None, "") else  # canonically equal text is one
                          unicodedata.normalize("NFC", str(key)), []).append(row)
    books, used = [], set()
    # a blank value's file is "unassigned", or next to one of that name: named last
    for key, group in sorted(groups.items(), key=lambda item: item[0] is None):
        name = safe_filename("unassigned" if key is None else key)
        n, stem = 1, name
        while name.casefold() in used:  # one name on a case-blind disk: ΟΔΟΣ, οδος
            n += 1
            name = f"{stem}-{n}"
        used.add(name.casefold())
        fields = [{h: v for h, v in r.items() if h} for r in group]
        entries = Entries(register=register_rows(fields, order, rows.decimal_comma),
                          tco=template_entries().tco)
        books.append((Path(out) / f"{name}.xlsx", len(group), entries))
    # every line converted before the first file is written: a bad value writes nothing
    for path, _, _ in books:
        if path.is_dir():
            raise WriteFailed(f"{path} is a folder; rename or move it, or write elsewhere")
    # written as asked for: a failure half way leaves told what was written before it
    return ((path, n, save_workbook(build(entries), path)) for path, n, entries in books)


NUMBERS = ("balance", "consumed", "unit_value", "planned", "grace_days")
DATES = ("start", "expiry")


@dataclass
class LeftOut:
    """A register entry the report could not count, and why."""
    path: Path
    row: int
    id: object
    field: str
    reason: str
    sheet: str = "Register"

    def __str__(self) -> str:
        return (f"{self.path}: {self.sheet} row {self.row} (ID {self.id or '(blank)'}), "
                f"{self.field}: {self.reason}")


def _plain(value):
    """An entry's value for computing: a user's formula by the value the spreadsheet
    program computed and saved for it (None if the file holds none)."""
    if isinstance(value, Value):
        value = value.value
    return value.cached if isinstance(value, Formula) else value


def _needs_recalculation(value) -> bool:
    value = value.value if isinstance(value, Value) else value
    return isinstance(value, Formula) and value.cached is None


def _check(row: dict) -> tuple[str, str] | None:
    """(field, what is wrong) for the first value the core cannot take, else None."""
    headers = {c.key: c.header for c in s.REGISTER_INPUTS}
    for key in NUMBERS:
        v = row.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))
                              or not math.isfinite(v)):
            return headers[key], f"{show(v)} is not a number; type a number"
    for key in DATES:
        v = row.get(key)
        if v is None:
            return headers[key], "is blank; a balance needs start and expiry dates"
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if not FIRST_SERIAL <= v <= LAST_SERIAL:
                return headers[key], f"{show(v)} is not a date; type a date"
        elif not isinstance(v, (date, datetime)):
            return headers[key], f"{show(v)} is not a date; type a date"
    return None


FIRST_SERIAL, LAST_SERIAL = 61, 2958465


def collect(paths, as_of: date | None = None, exclude=()
            ) -> tuple[pd.DataFrame, list[tuple[Path, str]], list[LeftOut]]:
    """Every register entry of every workbook, evaluated as of ``as_of`` (default: each
    workbook's own as-of date, else today; the ``as_of`` column says which) at the
    workbook's own alert thresholds (each file once, however it is named; the files in
    ``exclude``, e.g. the report itself, never); the files that were refused; and the
    entries left out of the totals (a bad value, or an input formula whose value the file
    does not hold: "needs recalculation")."""
    skip = {os.path.realpath(p) for p in exclude}
    frames, refused, left_out = [], [], []
    for path in find_workbooks(paths):
        if os.path.realpath(path) in skip:
            continue
        try:
            wb = open_workbook(path)
            try:
                if REPORT_NAME in wb.defined_names:
                    continue  # a report xlcredits wrote: not a register
                entries = read_entries(path, wb)
            finally:
                wb.close()
        except ReadError as e:
            refused.append((path, e.reason))
            continue
        day = as_of or _plain(entries.as_of) or today()
        rates = {k: _plain(v) for k, v in entries.rates.items()}  # its alert thresholds
        good = []
        for number, entry in enumerate(entries.register, 2):
            if not entry or entry.get("balance") is None:
                continue
            row = {k: _plain(v) for k, v in entry.items()}
            formula = next((c for c in s.REGISTER_INPUTS
                            if _needs_recalculation(entry.get(c.key))), None)
            if formula is not None:
                left_out.append(LeftOut(path, number, row.get("id"), formula.header,
                                        f"needs recalculation: {_plain_text(entry, formula)} "
                                        "has no saved value; open the file in a spreadsheet "
                                        "program, save it, and run again"))
                continue
            problem = _check(row)
            if problem is None:
                try:
                    register.evaluate([row], day, rates)
                except XlcreditsError as e:
                    problem = ("(entry)", str(e))
            if problem:
                left_out.append(LeftOut(path, number, row.get("id"), *problem))
                continue
            good.append(row)
        df = register.evaluate(good, day, rates) if good else pd.DataFrame()
        if not df.empty:
            df.insert(0, "workbook", str(path))
            df.insert(1, "as_of", day)
            frames.append(df)
    return ((pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), refused,
            left_out)


def _plain_text(entry: dict, column) -> str:
    value = entry[column.key]
    return str(value.value if isinstance(value, Value) else value)


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


ENTRY_COLUMNS = (("workbook", "Workbook"), ("as_of", "As of"), ("id", "ID"), ("credit_type", "Credit type"),
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
