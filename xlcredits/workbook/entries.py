"""What a workbook holds for its user: the entries typed into it, whatever wrote them.

:class:`Entries` is what regeneration carries from one file to the next; :class:`Formula`
and :class:`Value` mark a user's own formula or number format in an input cell. Entries
also come from flat tables (a register export, the bundled sample) by header text.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from importlib import resources

from ..dates import infer_order, to_ordinal
from ..errors import InputError
from ..inputs import number_of_text
from . import schema as s

__all__ = [
    "EXAMPLE_AS_OF",
    "Entries",
    "Formula",
    "Note",
    "UserSheet",
    "Value",
    "example_entries",
    "register_date_order",
    "register_rows",
    "template_entries",
]


class Formula(str):
    """A user's own formula in an input cell: written back as a formula, not as text.

    ``cached`` is the value the spreadsheet program last computed for it, if the file
    holds one (openpyxl writes none); it is not part of the formula's identity."""

    cached = None


@dataclass(frozen=True)
class Value:
    """An entry whose number format differs from the template's (a user's date format)."""
    value: object
    number_format: str



@dataclass
class Entries:
    """What users type into a workbook: everything the template carries from file to file."""
    register: list[dict] = field(default_factory=list)  # column key -> value, per entry
    tco: dict = field(default_factory=dict)  # TCO input key -> value
    rates: dict = field(default_factory=dict)  # rate key -> value (overrides)
    as_of: date | None = None
    notes: dict = field(default_factory=dict)  # place -> Note (a comment, a hyperlink)
    names: dict = field(default_factory=dict)  # a user's defined name -> what it refers to
    sheets: dict = field(default_factory=dict)  # a sheet the user added -> UserSheet
    print_areas: dict = field(default_factory=dict)  # sheet -> print area
    properties: dict = field(default_factory=dict)  # document property -> what a user set
    custom: bytes | None = None  # the custom properties part (MSIP labels...), as written
    label: bytes | None = None  # Office's sensitivity label part (LabelInfo.xml), as written


@dataclass(frozen=True)
class Note:
    """A cell's comment and hyperlink. Its place is ("Register", row, column key) in the
    register's input columns (so that it moves with the column), else (sheet, coordinate)."""
    comment: str | None = None
    author: str | None = None
    link: str | None = None  # an address outside the workbook
    location: str | None = None  # a place inside it (Sheet!A1)
    tooltip: str | None = None


@dataclass
class UserSheet:
    """A sheet the user added: its cells (coordinate -> entry) and column widths."""
    cells: dict = field(default_factory=dict)
    widths: dict = field(default_factory=dict)
    state: str = "visible"


def template_entries() -> Entries:
    return Entries(tco={c.key: c.default for c in s.TCO_INPUTS})



EXAMPLE_AS_OF = date(2026, 10, 31)


def _convert(column: s.Column, value, line: int, order: str | None = None,
             decimal_comma: bool = False):
    """One cell of a flat table as the register stores it; blanks become None."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    where = f"{column.header} (line {line})"
    if column.kind in ("number", "money"):
        number = number_of_text(value, decimal_comma) if isinstance(value, str) else None
        if number is not None:
            return number
        try:
            return float(value)
        except (TypeError, ValueError):
            raise InputError(where, value, "is not a number", "enter a number such as "
                             "1234.5, 1,234.5 or $1,234.50") from None
    if column.kind == "date":
        if isinstance(value, datetime):
            return value.date()
        return date.fromordinal(to_ordinal(where, value, order))
    return str(value)


def register_date_order(rows: list[dict], order: str | None, source: str) -> str | None:
    """The order of a flat table's slash dates: ``order``, else what its date columns
    prove (:func:`xlcredits.dates.infer_order`)."""
    dated = [c.header for c in s.REGISTER_INPUTS if c.kind == "date"]
    return infer_order(f"{source} dates", (row.get(h) for row in rows for h in dated), order)


def register_rows(rows: list[dict], order: str | None = None, decimal_comma: bool = False
                  ) -> list[dict]:
    """Rows keyed by header text as register entries keyed by column key (``order``: of
    slash dates, see :mod:`xlcredits.dates`; ``decimal_comma``: numbers as a semicolon
    file writes them)."""
    by_header = {c.header: c for c in s.REGISTER_INPUTS}
    if rows:
        unknown = [h for h in rows[0] if h not in by_header and h != "_line"]
        if unknown:
            raise InputError("columns", ", ".join(unknown), "are not register input columns",
                             "use the register's header texts: " + ", ".join(by_header))
    out = []
    for line, row in enumerate(rows, 2):
        line = row.get("_line", line)
        entry = {by_header[h].key: _convert(by_header[h], v, line, order, decimal_comma)
                 for h, v in row.items() if h != "_line"}
        out.append({k: v for k, v in entry.items() if v is not None})
    return out


def example_entries() -> Entries:
    """The bundled sample: a dozen register entries and the DOMAIN.md section-1 TCO case."""
    text = resources.files("xlcredits").joinpath("data/sample_register.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return Entries(register=register_rows(rows),
                   tco={c.key: c.example for c in s.TCO_INPUTS},
                   as_of=EXAMPLE_AS_OF)
