"""Reading back what users entered into an xlcredits workbook.

The file is opened by :func:`xlcredits.tables.open_xlsx`, whose safety checks run before
any XML is parsed; the sheets are read by :func:`xlcredits.tables.sheet_rows`, which reads
the cells the file holds, whatever its ``<dimension>`` declares.

Entries are read by the schema version stored in the workbook and by header text and
defined names, never by fixed positions. What a spreadsheet program rewrites on its own
when it saves (the case of function names, ``_xlfn.`` prefixes, spacing, sheet-name
quoting) is not an edit: formulas are compared by :func:`formula_key`.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections import Counter
from datetime import date, timedelta
from functools import cache, lru_cache
from importlib.resources import as_file, files
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from openpyxl.comments.comment_sheet import CommentSheet
from openpyxl.formula.translate import Translator
from openpyxl.packaging.relationship import get_dependents, get_rels_path
from openpyxl.utils import column_index_from_string, get_column_letter

from .. import rates as rate_card
from ..errors import ReadError
from ..tables import open_xlsx, sheet_rows
from . import schema as s
from .build import FIRST_ROW, TITLE, build, register_formula
from .entries import Entries, Formula, Note, UserSheet, Value, template_entries
from .files import CUSTOM_TYPE, LABEL_TYPE
from .xstring import decode

__all__ = ["ReadError", "changed_parts", "formula_key", "open_workbook", "read", "read_entries", "schema_version",
           "unsupported_parts"]

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


MAX_REGISTER_ROW = 100_000  # an entry further down is refused (the register is built whole)
FIRST_DATE_SERIAL, LAST_DATE_SERIAL = 61, 2958465  # 1900-03-01 .. 9999-12-31
EPOCH = date(1899, 12, 30)


def entry(cell, default_format: str) -> object:
    """What a user typed into a cell, exactly: formulas as Formula, text as text, a whole
    serial in a date cell as that date; any other number (in a date cell too) as itself."""
    value = cell.value
    if value is None:
        return None
    if cell.data_type == "f":
        value = Formula(value)
        value.cached = cell.cached
    elif isinstance(value, str):
        value = decode(value)
    elif cell.is_date and type(value) is int and FIRST_DATE_SERIAL <= value <= LAST_DATE_SERIAL:
        value = EPOCH + timedelta(days=value)
    fmt = cell.number_format
    return value if format_key(fmt) == format_key(default_format) else Value(value, fmt)


@lru_cache(maxsize=256)
def format_key(number_format: str) -> str:
    r"""A number format as compared: LibreOffice rewrites ``yyyy-mm-dd`` as
    ``yyyy\-mm\-dd`` and ``"$"#,##0`` as ``\$#,##0``, the same format.

    >>> format_key(r'YYYY\-MM\-DD') == format_key('yyyy-mm-dd')
    True
    >>> format_key(r'\$#,##0') == format_key('"$"#,##0')
    True
    """
    return number_format.replace("\\", "").replace('"', "").lower()


_LITERAL = re.compile(r'("(?:[^"]|"")*")')
_PREFIX = re.compile(r"_XL(?:FN|UDF|WS)\.")
_QUOTED_SHEET = re.compile(r"'([A-Z_][A-Z0-9_.]*)'!")


@lru_cache(maxsize=4096)
def formula_key(text: str) -> str:
    """A formula as compared: what a spreadsheet program changes when it saves a formula
    nobody touched (function and reference case, ``_xlfn.``/``_xludf.``/``_xlws.``
    prefixes, spaces, needless quotes around a sheet name) is removed; text in quotes is
    kept exactly.

    >>> formula_key("=IF(F4>0, _xlfn.creditlapse( F4 , 'Rates'!$B$2),\\"a  b\\")")
    '=IF(F4>0,CREDITLAPSE(F4,RATES!$B$2),"a  b")'
    """
    parts = _LITERAL.split(text)
    for i in range(0, len(parts), 2):
        plain = re.sub(r"\s+", "", parts[i].upper())
        parts[i] = _QUOTED_SHEET.sub(r"\1!", _PREFIX.sub("", plain))
    return "".join(parts)


def _same(value, reference) -> bool:
    if value == reference:
        return True
    return (isinstance(value, str) and isinstance(reference, str) and value.startswith("=")
            and reference.startswith("=") and formula_key(value) == formula_key(reference))


def _name_cell(wb, name: str) -> tuple[str, str] | None:
    """The (sheet, coordinate) a defined name points at, if it is one cell."""
    dn = wb.defined_names.get(name)
    if dn is None:
        return None
    try:
        dests = list(dn.destinations)
    except Exception:  # noqa: BLE001 -- a name damaged by hand is no input cell
        return None
    if len(dests) != 1 or dests[0][0] not in wb.sheetnames:
        return None
    sheet, ref = dests[0]
    return sheet, ref.replace("$", "").split(":")[0]


def read_entries(path: Path, wb) -> Entries:
    """Everything users entered: register rows, TCO inputs, rate overrides, as-of date."""
    return read(path, wb, check=False)[0]


def read(path: Path, wb, check: bool = True, notices: list | None = None
         ) -> tuple[Entries, list[str]]:
    """The entries, and (with ``check``) the cells holding what the new template has no
    place for: outside every input area and different from the blank template of the
    workbook's version. Register rows are input wherever they are (the new register grows
    to hold them) and keep their row numbers."""
    version = schema_version(path, wb)
    for sheet in ("Register", "TCO", "Rates", "Start"):
        if sheet not in wb.sheetnames:
            raise ReadError(path, f"has no {sheet} sheet: not an xlcredits workbook")
    cells = {ws.title: {c.coordinate: c for _, row in sheet_rows(path, wb, ws) for c in row}
             for ws in wb.worksheets if ws.title != "Register"}
    by_header = {c.header: c for c in s.REGISTER_INPUTS}
    columns: dict[str, int] = {}
    register_cells: list = []
    wanted: set[int] = set()  # without check, only the input columns' cells are kept
    for index, row in sheet_rows(path, wb, wb["Register"]):
        if index == 1:
            for cell in row:
                if cell.value in by_header:
                    columns[by_header[cell.value].key] = cell.column
            wanted = set(columns.values()) if not check else wanted
        elif index > MAX_REGISTER_ROW:
            raise ReadError(path, f"has data in Register row {index:,}, beyond the "
                                  f"{MAX_REGISTER_ROW:,} rows a register may have; move it up")
        else:
            register_cells.append((index, [c for c in row if c.column in wanted]
                                   if wanted else row))
    missing = [c.header for c in s.REGISTER_INPUTS if c.key not in columns
               and c.since <= version]  # a column added later is blank in an older workbook
    if missing:
        raise ReadError(path, "Register lacks the columns " + ", ".join(missing))
    by_column = {i: by_header_key for by_header_key, i in columns.items()}
    formats = {c.key: c.number_format for c in s.REGISTER_INPUTS}
    found: dict[int, dict] = {}
    for index, row in register_cells:
        values = {}
        for cell in row:
            key = by_column.get(cell.column)
            if key is not None:
                values[key] = entry(cell, formats[key])
        if values:
            found[index] = values
    last = max(found, default=1)
    register = [found.get(i, {}) for i in range(2, last + 1)]
    stray: list[str] = []
    if check:
        last_row = max((i for i, _ in register_cells), default=1)
        rows_held = s.register_capacity(0, max(last_row - 1, 0))
        reference = (blank_reference(rows_held) if version == s.SCHEMA_VERSION
                     else released_reference(version, rows_held))
        stray += stray_cells(cells, reference)
        values = reference[1]
        stray += [f"Register!{c.coordinate}" for _, row in register_cells for c in row
                  if c.column not in by_column
                  and not _same(c.value, values.get(("Register", c.coordinate)))]
        if notices is not None:
            notices += _formatting(wb, [c for _, row in register_cells for c in row
                                        if c.column in by_column])
    tco = {}
    for c in s.TCO_INPUTS:
        where = _name_cell(wb, c.name)
        if where is not None:
            cell = cells.get(where[0], {}).get(where[1])
            tco[c.key] = entry(cell, c.number_format) if cell is not None else None
    rates = {}
    rate_cells = cells["Rates"]
    card = rate_card.card()
    for coordinate, cell in rate_cells.items():
        if coordinate.startswith("A") and coordinate[1:].isdigit() \
                and isinstance(cell.value, str) and cell.value in card:
            value_cell = rate_cells.get(f"B{coordinate[1:]}")
            value = entry(value_cell, value_cell.number_format) if value_cell else None
            if value != card[cell.value].value:
                rates[cell.value] = value
    where = _name_cell(wb, s.AS_OF_NAME)
    as_of = None
    if where is not None and where[1] in cells.get(where[0], {}):
        as_of = entry(cells[where[0]][where[1]], s.DATE)
    template_sheets = set(s.SHEETS)
    sheets = {ws.title: _user_sheet(ws, cells[ws.title]) for ws in wb.worksheets
              if ws.title not in template_sheets}
    notes = {}
    for ws in wb.worksheets:
        for coordinate, note in _notes(path, wb, ws).items():
            notes[_place(ws.title, coordinate, by_column)] = note
    names = {n: dn.attr_text for n, dn in wb.defined_names.items()
             if n not in _template_names() and not n.startswith("_xlnm.")}
    # the template sets the Register's print area (its entries) each time it is built;
    # any other print area is the user's, and carried
    areas = {ws.title: ",".join(re.sub(r"^.*!", "", part) for part in
                                str(ws._print_area).split(","))
             for ws in wb.worksheets
             if getattr(ws, "_print_area", None) and ws.title != "Register"}
    return Entries(register=register, tco=tco, rates=rates, as_of=as_of, notes=notes,
                   names=names, sheets=sheets, print_areas=areas,
                   properties=_properties(wb), custom=_part(path, CUSTOM_TYPE),
                   label=_part(path, LABEL_TYPE)), stray


def _part(path: Path, kind: str) -> bytes | None:
    """The package part a relationship of type ``kind`` from the package points to (the
    custom properties, Office's sensitivity label), as written; None if there is none.
    (A second such part is refused by :func:`unsupported_parts`.)"""
    found = _targets(path, kind)
    if not found:
        return None
    with zipfile.ZipFile(path) as z:
        return z.read(found[0])


def _targets(path: Path, kind: str) -> list[str]:
    """The parts relationships of type ``kind`` from the package point to."""
    with zipfile.ZipFile(path) as z:
        if "_rels/.rels" not in z.namelist():
            return []
        try:
            rels = fromstring(z.read("_rels/.rels"))
        except ParseError as e:
            raise ReadError(path, f"part _rels/.rels is damaged ({e}); save the workbook "
                                  "again") from None
        except DefusedXmlException as e:
            raise ReadError(path, "part _rels/.rels contains XML entity or DTD declarations, "
                                  f"which are refused ({type(e).__name__})") from None
        parts = {name.lower(): name for name in z.namelist()}  # names compare without case
        return sorted({parts[target] for target in (
            posixpath.normpath(rel.get("Target", "").lstrip("/")).lower() for rel in rels
            if rel.get("Type") == kind and rel.get("TargetMode") != "External")
            if target in parts})


PROPERTIES = ("title", "subject", "keywords", "description", "category", "contentStatus",
              "identifier", "language", "version", "creator")  # what a user sets in File > Info


def _properties(wb) -> dict:
    """The document properties a user set (the title only when it is not the template's,
    the author when it is not xlcredits of some version)."""
    found = {key: getattr(wb.properties, key, None) for key in PROPERTIES}
    return {key: value for key, value in found.items() if value not in (None, "")
            and not (key == "title" and value == TITLE)
            and not (key == "creator" and re.fullmatch(r"xlcredits \S+", str(value)))}


def _formatting(wb, cells: list) -> list[str]:
    """A notice naming the register entries a user formatted (a fill or a font other than
    their column's), which the new template lays out afresh; none if there are none."""
    def look(style: int) -> tuple:
        try:
            array = wb._cell_styles[style]
            return wb._fonts[array.fontId], wb._fills[array.fillId]
        except (IndexError, AttributeError):
            return None, None
    by_column: dict[int, Counter] = {}
    for c in cells:
        by_column.setdefault(c.column, Counter())[c.style] += 1
    usual = {column: look(styles.most_common(1)[0][0]) for column, styles in by_column.items()}
    looks: dict[int, tuple] = {}
    odd = [c.coordinate for c in cells if c.style  # the default style: nothing to lose
           and looks.setdefault(c.style, look(c.style)) != usual[c.column]]
    if not odd:
        return []
    shown = ", ".join(odd[:3]) + (f" and {len(odd) - 3:,} more" if len(odd) > 3 else "")
    return [(f"the fills and fonts of {len(odd):,} register cells ({shown}) are the new "
            "template's, not their own")]


def _place(sheet: str, coordinate: str, by_column: dict) -> tuple:
    """Where a note is carried: a register input cell by row and column key (so that it
    follows its column), any other cell by coordinate."""
    if sheet == "Register":
        letters = coordinate.rstrip("0123456789")
        key = by_column.get(column_index_from_string(letters))
        row = int(coordinate[len(letters):])
        if key is not None and row > 1:
            return ("Register", row, key)
    return (sheet, coordinate)


def _user_sheet(ws, cells: dict) -> UserSheet:
    """A sheet the user added: every value and formula as typed, with its number format."""
    last = max((c.column for c in cells.values()), default=1)
    widths = {}
    for attrs in getattr(ws, "read_columns", {}).values():
        if "width" in attrs and attrs.get("customWidth", "1") in ("1", "true"):
            first, end = int(attrs.get("min", 1)), int(attrs.get("max", 1))
            for i in range(first, min(end, max(last, first)) + 1):
                widths[get_column_letter(i)] = float(attrs["width"])
    return UserSheet(cells={k: entry(c, "General") for k, c in cells.items()}, widths=widths,
                     state=ws.sheet_state)


def _notes(path: Path, wb, ws) -> dict:
    """A sheet's comments and hyperlinks, by coordinate."""
    archive = wb._archive
    rels_path = get_rels_path(ws._worksheet_path)
    rels = get_dependents(archive, rels_path) if rels_path in archive.namelist() else []
    found: dict[str, dict] = {}
    for rel in rels:
        if rel.Type.endswith("/comments") and rel.target in archive.namelist():
            sheet = CommentSheet.from_tree(fromstring(archive.read(rel.target)))
            for ref, comment in sheet.comments:
                found.setdefault(ref, {}).update(comment=comment.content,
                                                 author=comment.author or None)
    targets = {rel.Id: rel.Target for rel in rels}
    for link in getattr(ws, "read_hyperlinks", []):
        found.setdefault(link.ref, {}).update(
            link=targets.get(link.id) if link.id else None, location=link.location,
            tooltip=link.tooltip)
    return {ref: Note(**values) for ref, values in found.items()}


def _reference_cells(wb) -> tuple[frozenset, dict]:
    """A template's input cells (unlocked: where users may type) and the value of every
    other cell, keyed by (sheet, coordinate)."""
    inputs, values = set(), {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.protection.locked is False:
                    inputs.add((ws.title, c.coordinate))
                elif c.value is not None:
                    values[(ws.title, c.coordinate)] = c.value
    return frozenset(inputs), values


@cache
def _blank() -> tuple[frozenset, dict, int, frozenset]:
    """The blank template with a one-row register: its reference cells (as
    :func:`_reference_cells`), its number of charts and its defined names."""
    wb = build(template_entries(), exact_rows=1)
    return (*_reference_cells(wb), sum(len(ws._charts) for ws in wb.worksheets),
            frozenset(wb.defined_names))


@lru_cache(maxsize=4)
def blank_reference(register_rows: int) -> tuple[frozenset, dict]:
    """The blank template with that many register rows: its input cells (where users may
    type) and the value of every other cell, keyed by (sheet, coordinate).

    Built once with one register row; the other rows are each column's input cell or
    formula, as :func:`build` writes them (a test pins that the two agree)."""
    inputs, values, _, _ = _blank()
    inputs, values = set(inputs), dict(values)
    for col, column in enumerate(s.REGISTER, 1):
        letter = get_column_letter(col)
        for row in range(FIRST_ROW + 1, FIRST_ROW + register_rows):
            if column.is_input:
                inputs.add(("Register", f"{letter}{row}"))
            else:
                values[("Register", f"{letter}{row}")] = register_formula(column, row)
    return frozenset(inputs), values


@lru_cache(maxsize=4)
def released_reference(version: int, register_rows: int) -> tuple[frozenset, dict]:
    """The blank template of an older schema version as released (a copy of
    tests/frozen/ shipped in the package), with its register formulas extended to
    ``register_rows`` rows, keyed as :func:`blank_reference` keys them."""
    name = f"xlcredits-template-v{version}.xlsx"
    with as_file(files("xlcredits") / "data" / "templates" / name) as frozen:
        if not frozen.exists():
            raise ReadError(Path(name), f"schema {version} has no migration")
        wb = open_xlsx(frozen, read_only=False)
    inputs, values = _reference_cells(wb)
    register = wb["Register"]
    for cell in register[2]:  # rows the frozen file lacks: its row 2, moved down
        if isinstance(cell.value, str) and cell.value.startswith("="):
            for row in range(register.max_row + 1, register_rows + 2):
                target = f"{cell.column_letter}{row}"
                values[("Register", target)] = Translator(cell.value, cell.coordinate) \
                    .translate_formula(target)
    return frozenset(inputs), values


def stray_cells(cells: dict, reference: tuple[frozenset, dict]) -> list[str]:
    """Cells (``{sheet: {coordinate: cell}}``) that are neither input cells of the
    reference template nor equal to its cell there (formulas compared by
    :func:`formula_key`)."""
    inputs, values = reference
    sheets = {sheet for sheet, _ in values} | {sheet for sheet, _ in inputs}
    stray = []
    for title, found in cells.items():
        if title not in sheets:
            continue  # a sheet the user added: carried whole
        stray += [f"{title}!{coordinate}" for coordinate, c in found.items()
                  if (title, coordinate) not in inputs
                  and not _same(c.value, values.get((title, coordinate)))]
    return stray


@cache
def template_charts(version: int) -> int:
    """How many charts the template of ``version`` has (the current one as built, an older
    one as released in xlcredits/data/templates/)."""
    if version == s.SCHEMA_VERSION:
        return _blank()[2]
    with as_file(files("xlcredits") / "data" / "templates" /
                 f"xlcredits-template-v{version}.xlsx") as frozen, zipfile.ZipFile(frozen) as z:
        return sum(1 for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))


SHAPES = re.compile(rb"<(?:\w+:)?(?:sp|pic|grpSp|cxnSp)[ >]")  # in a drawing: not a chart
# [^<>]: a search from each "<" stops at the next, so a run of "<f t" in a comment or
# CDATA costs linear time, not quadratic (an attribute value holds no "<")
DATA_TABLE = re.compile(rb"""<(?:\w+:)?f\s[^<>]*\bt\s*=\s*["']dataTable["']""")
UNSUPPORTED = (  # part name pattern, what it is
    (re.compile(r"xl/media/"), "images"),
    (re.compile(r"xl/pivot(Tables|CacheDefinitions)/"), "pivot tables"),
    (re.compile(r"xl/vbaProject\.bin$", re.IGNORECASE), "macros"),
    (re.compile(r"xl/slicer"), "slicers"),
    (re.compile(r"xl/timeline"), "timelines"),
    (re.compile(r"xl/tables/"), "tables (Format as Table)"),
    (re.compile(r"xl/ctrlProps/|xl/activeX/"), "form controls"),
    (re.compile(r"xl/externalLinks/"), "links to other workbooks"),
)


CHANGED = (  # part name pattern, what regeneration makes of it
    (re.compile(r"xl/threadedComments/"), ("threaded comments become notes (with their "
     "replies, the text Excel keeps for older versions)")),
)


def changed_parts(path: Path) -> list[str]:
    """What the workbook holds that regeneration carries in another form, to be said."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
    return [what for pattern, what in CHANGED if any(pattern.match(n) for n in names)]


def unsupported_parts(path: Path, wb) -> list[str]:
    """What the workbook holds that regeneration cannot carry: charts the user added,
    images, pivot tables, macros, slicers, Excel tables, names defined for one sheet..."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            drawn = [n for n in names if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n)
                     and SHAPES.search(z.read(n))]
            # the sheets' parts wherever the workbook's relationships put them, and any
            # other part in xl/worksheets/
            sheets = {ws._worksheet_path.lstrip("/") for ws in wb.worksheets} | \
                {n for n in names if n.startswith("xl/worksheets/")
                 and n.lower().endswith(".xml")}
            tables_ = [n for n in sorted(sheets) if n in names
                       and DATA_TABLE.search(z.read(n))]
    except (zipfile.BadZipFile, zlib.error, OSError) as e:
        raise ReadError(path, f"is a damaged zip package ({e})") from None
    lost = [what for pattern, what in UNSUPPORTED if any(pattern.match(n) for n in names)]
    if drawn:
        lost.append("shapes or pictures drawn on a sheet")
    if tables_:
        lost.append("What-If data tables")
    charts = sum(1 for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
    expected = template_charts(schema_version(path, wb))
    if charts > expected:
        lost.append(f"{charts - expected} chart(s) added")
    local = sorted(f"{ws.title}!{n}" for ws in wb.worksheets
                   for n in getattr(ws, "defined_names", {}))
    if local:
        lost.append("names defined for one sheet " + ", ".join(local[:5])
                    + (f" and {len(local) - 5} more" if len(local) > 5 else ""))
    if wb.chartsheets:
        lost.append("chart sheets " + ", ".join(c.title for c in wb.chartsheets))
    for kind, what in ((LABEL_TYPE, "sensitivity label"), (CUSTOM_TYPE, "custom properties")):
        found = _targets(path, kind)
        if len(found) > 1:  # the first is carried, the others would be lost
            lost.append(f"two {what} parts ({', '.join(found)})")
    return lost


def _template_names() -> frozenset:
    return _blank()[3]
