"""Register entries from flat tables (the bundled sample, a CSV or xlsx export) by header text."""

from __future__ import annotations

import csv
from datetime import date, datetime
from importlib import resources

from ..dates import ordinals
from ..errors import InputError
from . import schema as s
from .build import Entries

EXAMPLE_AS_OF = date(2026, 10, 31)


def convert(column: s.Column, value, line: int):
    """One cell of a flat table as the register stores it; blanks become None."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    where = f"{column.header} (line {line})"
    if column.kind in ("number", "money"):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise InputError(where, value, "is not a number", "enter a number") from None
    if column.kind == "date":
        if isinstance(value, datetime):
            return value.date()
        return date.fromordinal(int(ordinals(where, value)))
    return str(value)


def register_rows(rows: list[dict]) -> list[dict]:
    """Rows keyed by header text as register entries keyed by column key."""
    by_header = {c.header: c for c in s.REGISTER_INPUTS}
    if rows:
        unknown = [h for h in rows[0] if h not in by_header]
        if unknown:
            raise InputError("columns", ", ".join(unknown), "are not register input columns",
                             "use the register's header texts: " + ", ".join(by_header))
    out = []
    for line, row in enumerate(rows, 2):
        entry = {by_header[h].key: convert(by_header[h], v, line) for h, v in row.items()}
        out.append({k: v for k, v in entry.items() if v is not None})
    return out


def example_entries() -> Entries:
    """The bundled sample: a dozen register entries and the DOMAIN.md section-1 TCO case."""
    text = resources.files("xlcredits").joinpath("data/sample_register.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return Entries(register=register_rows(rows),
                   tco={c.key: c.example for c in s.TCO_INPUTS},
                   as_of=EXAMPLE_AS_OF)
