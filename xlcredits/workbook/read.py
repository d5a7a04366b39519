"""Reading back what users entered into an xlcredits workbook.

The file is opened by :func:`xlcredits.tables.open_xlsx`, whose safety checks run before
any XML is parsed.

Entries are read by the schema version stored in the workbook and by header text and
defined names, never by fixed positions.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from .. import rates as rate_card
from ..errors import ReadError
from ..tables import open_xlsx
from . import schema as s
from .build import build
from .entries import Entries, Formula, Value, template_entries
from .xstring import decode

__all__ = ["ReadError", "open_workbook", "read", "read_entries", "schema_version"]

open_workbook = open_xlsx  # the one safe way to open a workbook



def schema_version(path: Path, wb) -> int:
    name = wb.defined_names.get(s.VERSION_NAME)
    if name is None:
        raise ReadError(path, f"is not an xlcredits workbook (no {s.VERSION_NAME} name)")
    try:
        version = int(name.attr_text)
    except ValueError:
        raise ReadError(path, f"has an unreadable schema version {name.attr_text!r}") from None
    if version > s.SCHEMA_VERSION:
        raise ReadError(path, f"was made by a newer xlcredits (schema {version}; this is "
                              f"{s.SCHEMA_VERSION}): upgrade xlcredits")
    if version < 1:
        raise ReadError(path, f"has an invalid schema version {version}")
    return version


def named_cell(wb, name: str):
    dn = wb.defined_names.get(name)
    if dn is None:
        return None
    dests = list(dn.destinations)
    if len(dests) != 1:
        return None
    sheet, ref = dests[0]
    if sheet not in wb.sheetnames:
        return None
    return wb[sheet][ref.replace("$", "").split(":")[0]]


def entry(cell, default_format: str) -> object:
    """What a user typed into a cell, exactly: formulas as Formula, text as text."""
    value = cell.value
    if value is None:
        return None
    if cell.data_type == "f":
        value = Formula(value)
    elif isinstance(value, str):
        value = decode(value)
    elif isinstance(value, datetime) and value.time() == datetime.min.time() \
            and cell.is_date and not any(t in cell.number_format.lower() for t in "hs"):
        value = value.date()
    fmt = cell.number_format if cell.number_format != default_format else None
    return Value(value, fmt) if fmt else value


def read_entries(path: Path, wb) -> Entries:
    """Everything users entered: register rows, TCO inputs, rate overrides, as-of date."""
    return read(path, wb, check=False)[0]


def read(path: Path, wb, check: bool = True) -> tuple[Entries, list[str]]:
    """The entries, and (with ``check``) the cells holding what the new template has no
    place for: outside every input area and different from the blank template of the
    workbook's version. Register rows are input wherever they are (the new register grows
    to hold them). The Register, the large sheet, is read in one pass for both."""
    version = schema_version(path, wb)
    for sheet in ("Register", "TCO", "Rates", "Start"):
        if sheet not in wb.sheetnames:
            raise ReadError(path, f"has no {sheet} sheet: not an xlcredits workbook")
    ws = wb["Register"]
    by_header = {c.header: c for c in s.REGISTER_INPUTS}
    columns = {}
    for i, cell in enumerate(next(ws.iter_rows(min_row=1, max_row=1), ())):
        if cell.value in by_header:
            columns[by_header[cell.value].key] = i
    missing = [c.header for c in s.REGISTER_INPUTS if c.key not in columns
               and c.since <= version]  # a column added later is blank in an older workbook
    if missing:
        raise ReadError(path, "Register lacks the columns " + ", ".join(missing))
    stray: list[str] = []
    if check:
        rows_held = s.register_capacity(0, max(ws.max_row - 1, 0))
        reference = (blank_reference(rows_held) if version == s.SCHEMA_VERSION
                     else released_reference(version, rows_held))
        stray += stray_cells(wb, reference, skip="Register")
    input_positions = set(columns.values())
    rows = []
    for cells in ws.iter_rows(min_row=2):
        row = {}
        for c in s.REGISTER_INPUTS:
            i = columns.get(c.key, len(cells))  # a column the workbook's version lacks: blank
            value = entry(cells[i], c.number_format) if i < len(cells) else None
            if value is not None:
                row[c.key] = value
        rows.append(row)
        if check:
            stray += [f"Register!{cell.coordinate}" for i, cell in enumerate(cells)
                      if i not in input_positions and cell.value is not None
                      and cell.value != reference[1].get(("Register", cell.coordinate))]
    while rows and not rows[-1]:
        rows.pop()
    tco = {}
    for c in s.TCO_INPUTS:
        cell = named_cell(wb, c.name)
        if cell is not None:
            tco[c.key] = entry(cell, c.number_format)
    rates = {}
    for row in wb["Rates"].iter_rows(min_row=2):
        key, cell = row[0].value, row[1]
        if isinstance(key, str) and key in rate_card.card():
            value = entry(cell, cell.number_format)
            if value != rate_card.card()[key].value:
                rates[key] = value
    as_of_cell = named_cell(wb, s.AS_OF_NAME)
    as_of = entry(as_of_cell, s.DATE) if as_of_cell is not None else None
    return Entries(register=rows, tco=tco, rates=rates, as_of=as_of), stray


@lru_cache(maxsize=4)
def blank_reference(register_rows: int) -> tuple[frozenset, dict]:
    """The blank template with that many register rows: its input cells (where users may
    type) and the value of every other cell, keyed by (sheet, coordinate)."""
    blank = build(template_entries(), register_rows)
    inputs, values = set(), {}
    for ws in blank.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.protection.locked is False:
                    inputs.add((ws.title, c.coordinate))
                elif c.value is not None:
                    values[(ws.title, c.coordinate)] = c.value
    return frozenset(inputs), values


@lru_cache(maxsize=4)
def released_reference(version: int, register_rows: int) -> tuple[frozenset, dict]:
    """The blank template of an older schema version as released (a copy of
    tests/frozen/ shipped in the package), with its register formulas extended to
    ``register_rows`` rows, keyed as :func:`blank_reference` keys them."""
    from importlib.resources import as_file, files

    from openpyxl.formula.translate import Translator

    name = f"xlcredits-template-v{version}.xlsx"
    with as_file(files("xlcredits") / "data" / "templates" / name) as frozen:
        if not frozen.exists():
            raise ReadError(Path(name), f"schema {version} has no migration")
        wb = open_xlsx(frozen, read_only=False)
    inputs, values = set(), {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.protection.locked is False:
                    inputs.add((ws.title, c.coordinate))
                elif c.value is not None:
                    values[(ws.title, c.coordinate)] = c.value
    register = wb["Register"]
    for cell in register[2]:  # rows the frozen file lacks: its row 2, moved down
        if isinstance(cell.value, str) and cell.value.startswith("="):
            for row in range(register.max_row + 1, register_rows + 2):
                target = f"{cell.column_letter}{row}"
                values[("Register", target)] = Translator(cell.value, cell.coordinate) \
                    .translate_formula(target)
    return frozenset(inputs), values


def stray_cells(wb, reference: tuple[frozenset, dict], skip: str = "") -> list[str]:
    """Cells of ``wb`` (but sheet ``skip``) that are neither input cells of the reference
    template nor equal to its cell there."""
    inputs, values = reference
    sheets = {sheet for sheet, _ in values} | {sheet for sheet, _ in inputs}
    stray = []
    for ws in wb.worksheets:
        if ws.title == skip:
            continue
        for row in ws.iter_rows():
            found = [c for c in row if c.value is not None]
            if found and ws.title not in sheets:
                stray.append(f"{ws.title} (a sheet the template does not have)")
                break
            stray += [f"{ws.title}!{c.coordinate}" for c in found
                      if (ws.title, c.coordinate) not in inputs
                      and c.value != values.get((ws.title, c.coordinate))]
    return stray
