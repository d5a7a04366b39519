"""Reading tables from files: CSV and xlsx, matched to declared fields by header text.

Every command that reads a file reads it here. An xlsx is opened safely (:func:`open_xlsx`:
zip checks before any XML is parsed, defusedxml for the XML); a CSV is read as text. A
table's headers are matched to the fields the caller declares (:class:`Field` of
:mod:`xlcredits.statements`, or any object with ``key``, ``header``, ``aliases`` and
``optional``), ignoring case, spacing and punctuation; the missing ones are named together
with the spellings accepted.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import itertools
import logging
import re
import zipfile
import zlib
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element, TreeBuilder, tostring
from xml.parsers.expat import ParserCreate

from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.cell.text import Text
from openpyxl.formula.translate import Translator
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE, is_date_format
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet import _reader as openpyxl_reader
from openpyxl.worksheet._reader import VALUE_TAG, WorkSheetParser, _cast_number
from openpyxl.worksheet.formula import DataTableFormula
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from .dates import infer_order, text_to_ordinal
from .errors import InputError, ReadError
from .inputs import number_of_text

__all__ = ["EMPTY", "Cell", "Table", "check_archive", "detect_encoding", "header_key", "is_xlsx",
           "number_of_text", "open_bytes", "open_text", "open_xlsx", "read_table", "records",
           "sheet_rows", "sniff_delimiter"]

log = logging.getLogger(__name__)
EMPTY = "is empty: it has no header line; check that it is the file you exported"
MAX_UNCOMPRESSED = 256 * 1024 * 1024  # bytes, all members together
MAX_RATIO = 200  # uncompressed / compressed, per member larger than 1 MB
MAX_MEMBERS = 5000
INFLATE = 1 << 16  # bytes of a part read and inflated at a time by check_archive
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
            with open(path, "rb") as f:
                for i in infos:
                    _check_part(path, f, i)
    except (zipfile.BadZipFile, zlib.error, OSError) as e:
        raise ReadError(path, f"is a damaged zip package ({e})") from None


def _check_part(path: Path, f, info: zipfile.ZipInfo) -> None:
    """Refuse a part that decompresses to more than it declares, a chunk at a time.

    The limits above trust the declared sizes; zipfile does not check them until it
    has decompressed a whole read at once (up to 2 GB, which openpyxl asks for), so a
    small file declaring small parts could take gigabytes of memory. An xlsx (OPC) part
    is stored or deflated, never encrypted."""
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or \
            info.flag_bits & 1:
        raise ReadError(path, f"part {info.filename} is encrypted or compressed as no xlsx "
                              f"is (method {info.compress_type}); save the workbook again")
    f.seek(info.header_offset)
    head = f.read(30)
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"part {info.filename} has no header")
    f.seek(info.header_offset + 30 + int.from_bytes(head[26:28], "little")
           + int.from_bytes(head[28:30], "little"))
    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left, size = info.compress_size, 0
    while left > 0 and not (inflate and inflate.eof):
        data = f.read(min(left, INFLATE))
        if not data:
            break  # truncated: zipfile says so when the part is read
        left -= len(data)
        while data:
            if inflate is None:
                piece, data = data, b""
            else:
                piece = inflate.decompress(data, INFLATE)
                data = inflate.unconsumed_tail
            size += len(piece)
            if size > info.file_size:
                raise ReadError(path, f"part {info.filename} holds more than the "
                                      f"{info.file_size:,} bytes it declares: a zip bomb?")


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
    ``cached`` the value a spreadsheet program computed for a formula (None if absent),
    ``style`` its index in the workbook's cell styles (0: the default)."""

    __slots__ = ("cached", "column", "data_type", "number_format", "row", "style", "value")

    def __init__(self, row, column, value, data_type, number_format, cached=None, style=0):
        self.row, self.column, self.value, self.data_type = row, column, value, data_type
        self.number_format, self.cached, self.style = number_format, cached, style

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
        for index, row in _raw_rows(ws, strings):
            count += len(row)
            if count > limit:
                raise ReadError(path, f"sheet {ws.title} holds more than {limit:,} cells")
            cells = []
            for r, column, value, kind, sid, cached in row:
                if value is None:
                    continue
                fmt = formats.get(sid)
                if fmt is None:
                    fmt = formats[sid] = _number_format(wb, sid)
                if kind == "f" and not isinstance(value, str):
                    value = _formula_text(value)
                cells.append(Cell(r, column, value, kind, fmt, cached, sid))
            if cells:
                yield index, cells
    except ReadError:
        raise
    except Exception as e:  # noqa: BLE001 -- damaged XML, zip or numbers: one line
        reason = str(e).splitlines()[0][:160] if str(e) else type(e).__name__
        raise ReadError(path, f"sheet {ws.title} cannot be read: {reason}") from None


def _formula_text(formula) -> str:
    """An array formula's text; a What-If data table as Excel shows it, ``=TABLE(r1,r2)``."""
    if isinstance(formula, DataTableFormula):
        def on(flag):
            return str(flag).lower() in ("1", "true")
        r1, r2 = formula.r1 or "", formula.r2 or ""
        return f"=TABLE({r1},{r2})" if on(formula.dt2D) else \
            f"=TABLE({r1},)" if on(formula.dtr) else f"=TABLE(,{r1})"
    return formula.text


def _raw_rows(ws, strings: list[str]):
    """Each ``<row>`` of a sheet as openpyxl's parser reads it: (row number, [(row, column,
    value, data type, style id, cached value)]).

    :class:`_FastSheet` reads the plain forms every spreadsheet program writes, in half the
    time; from the first thing it leaves to openpyxl (a form it does not know,
    damaged XML, a DOCTYPE, hyperlinks, a part of the sheet openpyxl refuses: sheet
    views, margins, validations...), openpyxl's parser reads the sheet again and the
    rows already given are skipped. Both give the same rows: tests/test_fast_sheet.py
    compares them on files written by xlcredits, LibreOffice and by hand."""
    given = 0
    try:
        with ws._get_source() as src:
            fast = _FastSheet(strings)
            while True:
                chunk = src.read(CHUNK)
                fast.parser.Parse(chunk, not chunk)
                fast.check()
                for row in fast.take():
                    given += 1
                    yield row
                if not chunk:
                    break
        ws.read_hyperlinks, ws.read_columns = [], fast.columns
        return
    except Exception as e:  # noqa: BLE001 -- _Unusual, ExpatError or a bad value
        log.debug("sheet %s: openpyxl's parser reads on after row %d (%s)", ws.title, given, e)
    with ws._get_source() as src:
        parser = _Parser(src, strings, date_formats=set(), timedelta_formats=set())
        for index, row in itertools.islice(parser.parse(), given, None):
            yield index, [(c["row"], c["column"], c["value"], c["data_type"],
                           c["style_id"] or 0, c.get("cached")) for c in row]
        ws.read_hyperlinks = list(parser.hyperlinks.hyperlink)
        ws.read_columns = dict(parser.column_dimensions)


CHUNK = 1 << 16  # bytes of sheet XML given to expat at a time
_NS = SHEET_MAIN_NS + " "  # expat's "namespace name" with namespace_separator=" "
_C, _V, _F, _IS, _T, _ROW, _COL = (_NS + tag for tag in ("c", "v", "f", "is", "t", "row",
                                                          "col"))
_PARTS = {_V: "v", _F: "f", _IS: "is"}  # what a cell may hold, as openpyxl finds it
_LEFT = frozenset(_NS + tag for tag in ("hyperlinks", "hyperlink"))
# the sheet's other parts openpyxl's parser reads (and refuses when damaged): the fast
# reader has openpyxl's parser read them too (:meth:`_FastSheet.check`)
_CHECKED = frozenset(getattr(openpyxl_reader, name).replace("}", " ")[1:] for name in (
    "PROT_TAG", "EXT_TAG", "CF_TAG", "LEGACY_TAG", "ROW_BREAK_TAG", "COL_BREAK_TAG",
    "CUSTOM_VIEWS_TAG", "PRINT_TAG", "MARGINS_TAG", "PAGE_TAG", "HEADER_TAG", "FILTER_TAG",
    "VALIDATION_TAG", "PROPERTIES_TAG", "VIEWS_TAG", "FORMAT_TAG", "SCENARIOS_TAG",
    "TABLE_TAG", "MERGE_TAG"))


def _clark(name: str) -> str:
    """expat's "namespace name" as ElementTree's "{namespace}name"."""
    namespace, space, local = name.rpartition(" ")
    return f"{{{namespace}}}{local}" if space else name


class _Unusual(Exception):
    """The sheet holds a form :class:`_FastSheet` leaves to openpyxl's parser."""


class _FastSheet:
    """Expat callbacks that read a sheet's rows as openpyxl's ``WorkSheetParser`` (with
    :class:`_Parser`'s cached values) does, without building an element per node.

    Known forms: rows and cells with their reference; numbers, shared strings, booleans,
    errors and ``str`` text; inline text as one ``<is><t>`` (what openpyxl writes);
    formulas (plain, array, shared) with cached values; column attributes. Anything else
    raises :class:`_Unusual`."""

    def __init__(self, strings: list[str]):
        self.strings, self.rows, self.columns, self.shared = strings, [], {}, {}
        self.row = self.cell = self.text = None
        self.inside: list[str] = []  # the elements open below the current <c>
        self.part: TreeBuilder | None = None  # building one of the sheet's _CHECKED parts
        self.depth, self.parts = 0, []  # its open elements; the parts built, not checked
        self.parser = p = ParserCreate(namespace_separator=" ")
        p.buffer_text = True
        p.StartElementHandler, p.EndElementHandler = self._start, self._end
        p.CharacterDataHandler = self._text
        p.StartDoctypeDeclHandler = p.EntityDeclHandler = self._refuse

    def take(self) -> list:
        rows, self.rows = self.rows, []
        return rows

    def check(self) -> None:
        """Have openpyxl's parser read the sheet's parts built since the last check, as it
        would: if it refuses one, so does the sheet (the reader hands over to it)."""
        if not self.parts:
            return
        sheet = Element(f"{{{SHEET_MAIN_NS}}}worksheet")
        sheet.extend(self.parts)
        self.parts = []
        try:
            for _ in WorkSheetParser(io.BytesIO(tostring(sheet)), []).parse():
                raise _Unusual("a row inside another part")
        except Exception as e:  # noqa: BLE001 -- whatever openpyxl refuses, it says why
            raise _Unusual(f"openpyxl refuses a part: {e}") from None

    def _refuse(self, *_):
        raise _Unusual("a DOCTYPE or an entity: defusedxml decides")

    def _start(self, name, attrs):
        if self.part is not None:
            if name == _ROW or name == _COL or name in _LEFT:
                raise _Unusual(f"{name} inside another part")
            self.depth += 1
            self.part.start(_clark(name), {_clark(k): v for k, v in attrs.items()})
            return
        cell = self.cell
        if cell is not None:
            part = _PARTS.get(name) if not self.inside else \
                "t" if self.inside == [_IS] and name == _T else None
            if part is None or part in cell or self.text is not None:
                raise _Unusual(f"{name} in a cell")
            if part == "is" and attrs:  # openpyxl's Text takes them as arguments (t="text")
                raise _Unusual("an <is> with attributes")
            self.inside.append(name)
            cell[part] = None
            if part == "f":
                cell["formula"] = attrs
            if part != "is":
                self.text = []
        elif name == _C and self.row is not None:
            if "r" not in attrs:
                raise _Unusual("a cell without a reference")
            self.cell = {"attrs": attrs}
        elif name == _ROW:
            if self.row is not None or "r" not in attrs:
                raise _Unusual("a row without a number")
            self.row = (int(attrs["r"]), [])
        elif self.row is not None:
            raise _Unusual(f"{name} in a row")
        elif name == _COL:
            attrs = {_clark(k): v for k, v in attrs.items()}
            attrs["index"] = get_column_letter(int(attrs["min"]))
            self.columns[attrs["index"]] = attrs
        elif name in _LEFT:
            raise _Unusual(name)
        elif name in _CHECKED:
            self.part, self.depth = TreeBuilder(), 0
            self._start(name, attrs)

    def _text(self, data):
        if self.text is not None:
            self.text.append(data)
        elif self.part is not None:
            self.part.data(data)

    def _end(self, name):
        if self.part is not None:
            self.part.end(_clark(name))
            self.depth -= 1
            if not self.depth:
                self.parts.append(self.part.close())
                self.part = None
            return
        cell = self.cell
        if cell is None:
            if name == _ROW:
                self.rows.append(self.row)
                self.row = None
        elif self.inside:
            self.inside.pop()
            if self.text is not None:
                cell["t" if name == _T else _PARTS[name]] = "".join(self.text)
                self.text = None
        else:  # </c>
            self.row[1].append(self._cell(cell))
            self.cell = None

    def _cell(self, cell: dict) -> tuple:
        """The cell as ``_Parser.parse_cell`` reads it, as :func:`_raw_rows` gives it."""
        attrs = cell["attrs"]
        kind, coordinate, style = attrs.get("t", "n"), attrs["r"], attrs.get("s")
        if kind == "d":
            raise _Unusual("an ISO date")
        letters = coordinate.rstrip("0123456789")
        row, column = int(coordinate[len(letters):]), column_index_from_string(letters)
        style = int(style) if style else 0
        raw = cell.get("v")
        if "f" in cell:
            return (row, column, self._formula(cell["formula"], "=" + (cell["f"] or ""),
                                               coordinate),
                    "f", style, _cached(raw, kind, self.strings))
        if kind == "inlineStr":
            return (row, column, cell.get("t") or "", "s", style, None) if "is" in cell \
                else (row, column, None, kind, style, None)
        if not raw:
            value = None
        elif kind == "n":
            value = _cast_number(raw)
        elif kind == "s":
            value = self.strings[int(raw)]
        elif kind == "b":
            value = bool(int(raw))
        else:
            value = raw
            kind = "s" if kind == "str" else kind
        return row, column, value, kind, style, None

    def _formula(self, attrs: dict, text: str, coordinate: str) -> str:
        kind = attrs.get("t")
        if kind == "shared":
            index = attrs.get("si")
            if index in self.shared:
                return self.shared[index].translate_formula(coordinate)
            if text != "=":
                self.shared[index] = Translator(text, coordinate)
        elif kind not in (None, "normal", "array"):
            raise _Unusual(f"a {kind} formula")
        return text


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
    """Rows of a file as dicts keyed by header text, each with its ``_line`` in the file;
    ``encoding`` and ``delimiter`` say how a text file was read (a semicolon file writes
    decimal commas)."""

    def __init__(self, header: list[str], rows, source: str, encoding: str = "",
                 delimiter: str = ","):
        super().__init__(rows)
        self.header, self.source = header, source
        self.encoding, self.delimiter = encoding, delimiter

    @property
    def decimal_comma(self) -> bool:
        return self.delimiter == ";"


MAX_LINE = 1_000_000  # characters in one line of a text table
SAMPLE = 256 * 1024  # bytes read to detect the encoding
DELIMITERS = (",", ";", "\t")
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGIC = b"PK\x03\x04"


def _head(path: Path, n: int = 8) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(n)
    except OSError as e:
        raise ReadError(path, f"cannot be opened ({e.strerror})") from None


def is_xlsx(path: Path) -> bool:
    """Whether ``path`` is an xlsx (by its content, whatever its name)."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return True
    if _head(path, 4) != ZIP_MAGIC:
        return False
    try:
        with zipfile.ZipFile(path) as z:
            return "xl/workbook.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


def open_bytes(path: Path):
    """The bytes of a text table: plain, gzip-compressed (Setup's GZIP download) or the one
    table of a zip archive. A stream to close after use."""
    path = Path(path)
    head = _head(path, 4)
    if head.startswith(GZIP_MAGIC):
        return gzip.open(path, "rb")
    if head == ZIP_MAGIC:
        try:
            z = zipfile.ZipFile(path)
        except zipfile.BadZipFile as e:
            raise ReadError(path, f"is a damaged zip archive ({e})") from None
        members = [i for i in z.infolist() if not i.is_dir()
                   and not i.filename.startswith("__MACOSX/")]
        if len(members) != 1:
            z.close()
            raise ReadError(path, f"holds {len(members)} files; a zip archive must hold "
                                  "exactly one table (unzip it and give the table)")
        if members[0].file_size > MAX_UNCOMPRESSED_TEXT:
            z.close()
            raise ReadError(path, f"expands to {members[0].file_size / 2**20:,.0f} MB "
                                  f"(limit {MAX_UNCOMPRESSED_TEXT / 2**20:,.0f} MB)")
        return z.open(members[0])
    return open(path, "rb")


MAX_UNCOMPRESSED_TEXT = 16 * 2**30


def detect_encoding(sample: bytes) -> str:
    r"""The encoding of a text table from its first bytes: a byte-order mark (UTF-8,
    UTF-16), UTF-16 without one, UTF-8, else what charset-normalizer finds among the
    Western single-byte encodings Excel and Salesforce write (cp1252, Latin-1).

    >>> detect_encoding("Caf\u00e9".encode("cp1252")), detect_encoding("Caf\u00e9".encode())
    ('cp1252', 'utf-8')
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    even, odd = sample[0:200:2], sample[1:200:2]
    if len(sample) >= 4 and odd.count(0) > len(odd) * 0.4 and even.count(0) == 0:
        return "utf-16-le"
    if len(sample) >= 4 and even.count(0) > len(even) * 0.4 and odd.count(0) == 0:
        return "utf-16-be"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        if len(sample) >= SAMPLE and e.start >= len(sample) - 3 and \
                e.reason.startswith("unexpected end"):
            return "utf-8"  # a character cut by the sample's end
    # imported here: only a file that is not UTF needs it, and it costs every process
    # that imports tables (each regeneration worker) 4 MB
    import charset_normalizer

    best = charset_normalizer.from_bytes(sample, cp_isolation=["cp1252", "latin_1"]).best()
    return best.encoding if best is not None else "latin_1"


def sniff_delimiter(header_line: str) -> str:
    r"""Comma, semicolon or tab: the one the header line uses most (outside quotes).

    >>> sniff_delimiter('"Month";"Quantity"'), sniff_delimiter("a,b\tc\td")
    (';', '\t')
    """
    bare = re.sub(r'"[^"]*"', "", header_line)
    counts = {d: bare.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _check_text(path: Path, sample: bytes, encoding: str) -> None:
    """Refuse what is not text: NULs or control characters where a table has none."""
    text = sample[: SAMPLE - 4].decode(encoding, errors="replace")
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\t\r\n")
    if "\x00" in text or controls > max(2, len(text) // 100):
        raise ReadError(path, "is not a text table (binary content): export it as CSV or "
                              "xlsx")


def _lines(path: Path, stream):
    """The lines of a text stream, each at most MAX_LINE characters (in bounded memory)."""
    n = 0
    while True:
        try:
            line = stream.readline(MAX_LINE + 1)
        except UnicodeDecodeError as e:
            raise ReadError(path, f"line {n + 1} is not {stream.encoding} text like the lines "
                                  f"before it (byte {e.start}); save the file as CSV UTF-8"
                            ) from None
        if not line:
            return
        n += 1
        if len(line) > MAX_LINE and not line.endswith(("\n", "\r")):
            raise ReadError(path, f"line {n} is longer than {MAX_LINE:,} characters: not a "
                                  "table export (check the file)")
        yield line


@contextmanager
def open_text(path: Path):
    """(lines, encoding, delimiter) of a text table, compressed or not, in any encoding
    :func:`detect_encoding` knows; lines are read lazily."""
    path = Path(path)
    try:
        with open_bytes(path) as raw:
            sample = raw.read(SAMPLE)
        raw = open_bytes(path)
    except OSError as e:
        raise ReadError(path, f"cannot be read ({e.strerror})") from None
    except (EOFError, zlib.error) as e:
        raise ReadError(path, f"is a damaged compressed file ({e})") from None
    try:
        encoding = detect_encoding(sample)
        _check_text(path, sample, encoding)
        stream = io.TextIOWrapper(raw, encoding=encoding, newline="")
        lines = _lines(path, stream)
        blank, first = [], next(lines, "")
        while first and not first.strip():  # the delimiter is the header's, below them
            blank.append(first)
            first = next(lines, "")
        delimiter = sniff_delimiter(first)
        yield itertools.chain(blank, [first], lines), encoding, delimiter
    except (OSError, EOFError, zlib.error) as e:
        raise ReadError(path, f"cannot be read: {e}") from None
    finally:
        raw.close()


def read_table(path: Path, sheet: str | None = None) -> Table:
    """The rows of a text table (CSV with comma, semicolon or tab; plain, gzip or zip; any
    encoding :func:`detect_encoding` knows), or of a sheet of an xlsx (``sheet`` if it has
    one, else the first), keyed by header text; blank rows are left out."""
    path = Path(path)
    if is_xlsx(path):
        wb = open_xlsx(path)
        try:
            ws = wb[sheet] if sheet in wb.sheetnames else wb.worksheets[0]
            ws.reset_dimensions()  # read every row the sheet holds, not what <dimension> says
            lines = enumerate(ws.iter_rows(values_only=True), 1)
            header = _header(path, lines, lambda v: v is not None and str(v).strip() != "")
            rows = [_row(path, header, r, i) for i, r in lines
                    if any(v is not None and str(v).strip() != "" for v in r)]
        finally:
            wb.close()
        return Table(header, rows, path.name)
    with open_text(path) as (lines, encoding, delimiter):
        reader = csv.reader(lines, delimiter=delimiter)
        try:
            header = _header(path, ((reader.line_num, r) for r in reader),
                             lambda v: v.strip() != "")
            rows = [_row(path, header, r, reader.line_num) for r in reader
                    if any(v.strip() for v in r)]
        except csv.Error as e:
            raise ReadError(path, f"line {reader.line_num + 1}: {e}; check the file") from None
    return Table(header, rows, path.name, encoding, delimiter)


def _row(path: Path, header: list[str], values, line: int) -> dict:
    """A line as {header: value}; a value under no header (a blank one, or right of the
    last) is refused: it would be lost."""
    if len(values) > len(header) or "" in header:
        for i, v in enumerate(values):
            if (i >= len(header) or not header[i]) and v is not None and str(v).strip():
                raise ReadError(path, f"line {line}, column {get_column_letter(i + 1)} holds "
                                      f"{str(v).strip()[:40]!r} under no header; give the "
                                      "column a header or delete the value")
    return dict(zip(header, values)) | {"_line": line}


def _header(path: Path, lines, filled) -> list[str]:
    """The header: the first line with a value (blank lines above it are skipped); a
    header text twice is refused (each row would keep one of the two columns' values)."""
    for _, line in lines:
        if any(filled(v) for v in line):
            break
    else:
        raise ReadError(path, EMPTY)
    header = [str(h).strip() if h is not None else "" for h in line]
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if h and h in seen:
            raise ReadError(path, f"has two columns headed {h!r} ({get_column_letter(seen[h] + 1)}"
                                  f" and {get_column_letter(i + 1)}); rename or delete one")
        seen.setdefault(h, i)
    return header


def header_key(text) -> str:
    """A header as compared: lower case, letters and digits only.

    >>> header_key(" Usage-Rate ($) "), header_key("UsageRate")
    ('usagerate', 'usagerate')
    """
    return re.sub(r"[^0-9a-z]+", "", str(text or "").lower())


def _bare(header) -> str:
    """A header as compared, without Data Cloud's ``std__`` prefix and ``__c`` suffix."""
    text = re.sub(r"^(?:std|ssot)__|__c$", "", str(header or "").strip(), flags=re.IGNORECASE)
    return header_key(text)


def records(table: Table, fields, date_order: str | None = None) -> list[dict]:
    """The table's rows as {field key: value} (and ``_line``); a missing required column
    is refused, naming every one missing and the spellings accepted.

    Fields of kind ``number`` are read as exports write numbers (:func:`number_of_text`,
    decimal commas in a semicolon file); fields of kind ``date`` follow the one date policy:
    slash dates in the order ``date_order`` gives, or that the file's own dates prove
    (:func:`xlcredits.dates.infer_order`), become dates; other texts are left for the caller.
    """
    by_key = {}
    for h in table.header:
        if h:
            by_key.setdefault(header_key(h), h)
            by_key.setdefault(_bare(h), h)
    found, missing = {}, []
    for f in fields:
        match = next((by_key[k] for k in map(_bare, (f.header, *f.aliases))
                      if k in by_key), None)
        if match is None and not f.optional:
            missing.append(f"{f.header}" + (f" (or {', '.join(f.aliases)})" if f.aliases
                                            else ""))
        found[f.key] = match
    if missing:
        raise InputError(table.source, ", ".join(h for h in table.header if h)[:120] or
                         "(no header)", "lacks the columns " + "; ".join(missing),
                         "name the columns " + ", ".join(f.header for f in fields
                                                         if not f.optional))
    kinds = {f.key: getattr(f, "kind", "text") for f in fields if found[f.key]}
    date_keys = [k for k, kind in kinds.items() if kind == "date"]
    order = infer_order(f"{table.source} dates", (row.get(found[k]) for row in table
                                                   for k in date_keys), date_order)
    out = []
    for row in table:
        record = {"_line": row["_line"]}
        for key, header in found.items():
            value = row.get(header) if header else None
            if isinstance(value, str) and kinds.get(key) == "number" and value.strip():
                number = number_of_text(value, table.decimal_comma)
                if number is None:
                    raise InputError(f"{table.source} line {row['_line']} {header}", value,
                                     "is not a number", "enter a number such as 1234.5, "
                                     "1,234.5 or $0.006" + (" (decimal comma: 1234,5)"
                                                           if table.decimal_comma else ""))
                value = number
            elif isinstance(value, str) and kinds.get(key) == "date" and order and \
                    "/" in value:
                value = date.fromordinal(text_to_ordinal(
                    f"{table.source} line {row['_line']} {header}", value, order))
            record[key] = value
        out.append(record)
    return out
