"""Reading tables from files: CSV and xlsx, matched to declared fields by header text.

Every command that reads a file reads it here. An xlsx is opened safely (:func:`open_xlsx`:
zip checks before any XML is parsed, defusedxml for the XML); a CSV is read as text. A
table's headers are matched to the fields the caller declares (:class:`Field` of
:mod:`xlcredits.statements`, or any object with ``key``, ``header``, ``aliases`` and
``optional``), ignoring case, spacing and punctuation; the missing ones are named together
with the spellings accepted.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.cell.text import Text
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE, is_date_format
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._reader import VALUE_TAG, WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from .errors import InputError, ReadError

__all__ = ["Cell", "Table", "check_archive", "header_key", "open_xlsx", "read_table", "records",
           "sheet_rows"]

MAX_UNCOMPRESSED = 256 * 1024 * 1024  # bytes, all members together
MAX_RATIO = 200  # uncompressed / compressed, per member larger than 1 MB
MAX_MEMBERS = 5000
MAX_CELLS = 2_000_000  # cells (with a value or a style) a sheet may really hold
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def check_archive(path: Path) -> None:
    """Refuse, without parsing XML, what is not a sane xlsx package."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as e:
        raise ReadError(path, f"cannot be opened ({e.strerror})") from None
    if head == OLE_MAGIC:
        raise ReadError(path, "is encrypted (password-protected) or a legacy .xls file; "
                              "save it unprotected as .xlsx")
    if not zipfile.is_zipfile(path):
        if head.startswith(b"PK\x03\x04"):
            raise ReadError(path, "is damaged or truncated (its zip directory is missing)")
        raise ReadError(path, "is not an xlsx workbook (not a zip package)")
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            if len(infos) > MAX_MEMBERS:
                raise ReadError(path, f"has {len(infos)} parts (limit {MAX_MEMBERS})")
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED:
                raise ReadError(path, f"declares {total / 2**20:,.0f} MB uncompressed "
                                      f"(limit {MAX_UNCOMPRESSED / 2**20:,.0f} MB): a zip bomb?")
            for i in infos:
                if i.file_size > 2**20 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
                    raise ReadError(path, f"part {i.filename} expands {i.file_size // max(i.compress_size, 1)}"
                                          f"-fold (limit {MAX_RATIO}): a zip bomb?")
    except zipfile.BadZipFile as e:
        raise ReadError(path, f"is a damaged zip package ({e})") from None


def open_xlsx(path: Path, read_only: bool = True):
    """Load a workbook after the safety checks; every failure is a one-line ReadError.

    Read-only mode (the default) streams the sheets: several times faster, and all that
    reading entries needs. Close the workbook when done (``wb.close()``)."""
    check_archive(path)
    try:
        return load_workbook(path, read_only=read_only)
    except Exception as e:  # noqa: BLE001 -- openpyxl raises many kinds; each becomes one line
        for cause in _chain(e):
            if isinstance(cause, DefusedXmlException):
                raise ReadError(path, f"contains XML entity or DTD declarations, which are "
                                      f"refused ({type(cause).__name__})") from None
        reason = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
        raise ReadError(path, f"cannot be read as a workbook: {reason}") from None


def _chain(error: BaseException):
    """An exception and its causes and contexts, innermost last."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__



class Cell:
    """A cell as the sheet's XML holds it: ``value`` is what was typed (numbers stay numbers
    whatever their format, text exactly, formulas as their text starting with "="),
    ``cached`` the value a spreadsheet program computed for a formula (None if absent)."""

    __slots__ = ("cached", "column", "data_type", "number_format", "row", "value")

    def __init__(self, row, column, value, data_type, number_format, cached=None):
        self.row, self.column, self.value, self.data_type = row, column, value, data_type
        self.number_format, self.cached = number_format, cached

    @property
    def coordinate(self) -> str:
        return f"{get_column_letter(self.column)}{self.row}"

    @property
    def is_date(self) -> bool:
        return self.data_type == "n" and is_date_format(self.number_format)


class _Parser(WorkSheetParser):
    """openpyxl's sheet parser, keeping what it would drop: a formula's cached value, a
    number in a date cell (as the number), text with its escapes (decoded once, later)."""

    def parse_cell(self, element):
        cell = super().parse_cell(element)
        if cell["data_type"] == "f":
            raw, kind = element.findtext(VALUE_TAG), element.get("t", "n")
            cell["cached"] = _cached(raw, kind, self.shared_strings)
        return cell


def _cached(raw, kind: str, strings):
    if raw is None:
        return None
    try:
        if kind == "n":
            return float(raw) if any(ch in raw for ch in ".eE") else int(raw)
        if kind == "s":
            return strings[int(raw)]
        if kind == "b":
            return raw.strip() in ("1", "true")
    except (ValueError, IndexError):
        return None
    return raw  # str, e (an error text such as #N/A)


def _shared_strings(wb) -> list[str]:
    """The shared strings as written, ``_xHHHH_`` escapes left in place (openpyxl removes
    the ``_x005F_`` escape, which makes a typed ``_x000D_`` indistinguishable from a CR)."""
    archive = wb._archive
    part = next((n for n in archive.namelist() if n.lower() == "xl/sharedstrings.xml"), None)
    if part is None:
        return []
    tag = f"{{{SHEET_MAIN_NS}}}si"
    strings = []
    with archive.open(part) as f:
        for _, node in iterparse(f):
            if node.tag == tag:
                strings.append(Text.from_tree(node).content)
                node.clear()
    return strings


def sheet_rows(path: Path, wb, ws, limit: int | None = None):
    """The rows a sheet of a read-only workbook really holds, as (row number, [Cell]),
    cells with no value left out; its ``<dimension>`` is not trusted (it may be stale,
    missing or absurd). More than ``limit`` cells is refused; so is damaged XML.
    After the last row, ``ws.read_hyperlinks`` holds the sheet's hyperlinks (openpyxl's
    Hyperlink, target unresolved) and ``ws.read_columns`` its column attributes."""
    limit = MAX_CELLS if limit is None else limit
    strings = getattr(wb, "_xlcredits_strings", None)
    if strings is None:
        strings = wb._xlcredits_strings = _shared_strings(wb)
    formats: dict[int, str] = {}
    count = 0
    try:
        with ws._get_source() as src:
            parser = _Parser(src, strings, date_formats=set(), timedelta_formats=set())
            for index, row in parser.parse():
                count += len(row)
                if count > limit:
                    raise ReadError(path, f"sheet {ws.title} holds more than {limit:,} cells")
                cells = []
                for c in row:
                    if c["value"] is None:
                        continue
                    sid = c["style_id"] or 0
                    fmt = formats.get(sid)
                    if fmt is None:
                        fmt = formats[sid] = _number_format(wb, sid)
                    value = c["value"]
                    if c["data_type"] == "f" and not isinstance(value, str):
                        value = getattr(value, "text", None) or str(value)  # array formula
                    cells.append(Cell(c["row"], c["column"], value, c["data_type"], fmt,
                                      c.get("cached")))
                if cells:
                    yield index, cells
            ws.read_hyperlinks = list(parser.hyperlinks.hyperlink)
            ws.read_columns = dict(parser.column_dimensions)
    except ReadError:
        raise
    except Exception as e:  # noqa: BLE001 -- damaged XML, zip or numbers: one line
        reason = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
        raise ReadError(path, f"sheet {ws.title} cannot be read: {reason}") from None


def _number_format(wb, style_id: int) -> str:
    try:
        fmt_id = wb._cell_styles[style_id].numFmtId
    except IndexError:
        return "General"
    if fmt_id < BUILTIN_FORMATS_MAX_SIZE:
        return BUILTIN_FORMATS.get(fmt_id, "General")
    try:
        return wb._number_formats[fmt_id - BUILTIN_FORMATS_MAX_SIZE]
    except IndexError:
        return "General"


class Table(list):
    """Rows of a file as dicts keyed by header text, each with its ``_line`` in the file."""

    def __init__(self, header: list[str], rows, source: str):
        super().__init__(rows)
        self.header, self.source = header, source


def read_table(path: Path, sheet: str | None = None) -> Table:
    """The rows of a CSV, or of a sheet of an xlsx (``sheet`` if it has one, else the
    first), keyed by header text; blank rows are left out."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        wb = open_xlsx(path)
        try:
            ws = wb[sheet] if sheet in wb.sheetnames else wb.worksheets[0]
            lines = ws.iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(lines, [])]
            rows = [dict(zip(header, r)) | {"_line": i} for i, r in enumerate(lines, 2)
                    if any(v is not None and str(v).strip() != "" for v in r)]
        finally:
            wb.close()
        return Table(header, rows, path.name)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader, [])]
            rows = [dict(zip(header, r)) | {"_line": reader.line_num} for r in reader
                    if any(v.strip() for v in r)]
    except UnicodeDecodeError as e:
        raise ReadError(path, f"is not UTF-8 text (byte {e.start}); save it as CSV UTF-8"
                        ) from None
    except OSError as e:
        raise ReadError(path, f"cannot be read ({e.strerror})") from None
    return Table(header, rows, path.name)


def header_key(text) -> str:
    """A header as compared: lower case, letters and digits only.

    >>> header_key(" Usage-Rate ($) "), header_key("UsageRate")
    ('usagerate', 'usagerate')
    """
    return re.sub(r"[^0-9a-z]+", "", str(text or "").lower())


def records(table: Table, fields) -> list[dict]:
    """The table's rows as {field key: value} (and ``_line``); a missing required column
    is refused, naming every one missing and the spellings accepted."""
    by_key = {header_key(h): h for h in table.header if h}
    found, missing = {}, []
    for f in fields:
        match = next((by_key[k] for k in map(header_key, (f.header, *f.aliases))
                      if k in by_key), None)
        if match is None and not f.optional:
            missing.append(f"{f.header}" + (f" (or {', '.join(f.aliases)})" if f.aliases
                                            else ""))
        found[f.key] = match
    if missing:
        raise InputError(table.source, ", ".join(h for h in table.header if h)[:120] or
                         "(no header)", "lacks the columns " + "; ".join(missing),
                         "name the columns " + ", ".join(f.header for f in fields))
    return [{k: (row.get(h) if h else None) for k, h in found.items()} | {"_line": row["_line"]}
            for row in table]
