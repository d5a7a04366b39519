"""The fast sheet reader (tables._FastSheet, expat callbacks) gives exactly what openpyxl's
parser gives (issue 10: "a faster reader ... where it gives the same answers").

Each case reads a sheet twice: as xlcredits reads it (the fast reader, handing over to
openpyxl's parser at the first form it leaves to it) and with openpyxl's parser alone. The
rows (every Cell attribute), hyperlinks, column attributes and errors must be identical.
The sheets are the files the project ships, and sheets written by hand in the forms Excel,
LibreOffice and other programs write: shared strings, shared and array formulas, rich
inline text, ISO dates, rows and cells without references, prefixed namespaces, DOCTYPEs,
damaged XML."""

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from xlcredits import tables
from xlcredits.errors import ReadError
from xlcredits.workbook.build import build
from xlcredits.workbook.entries import template_entries
from xlcredits.workbook.files import write_workbook
from xlcredits.workbook.read import open_workbook

ROOT = Path(__file__).parents[1]
SHIPPED = sorted([*ROOT.glob("templates/*.xlsx"), *ROOT.glob("workbooks/*.xlsx"),
                  *ROOT.glob("tests/frozen/*.xlsx"), *ROOT.glob("tests/data/*.xlsx"),
                  *ROOT.glob("xlcredits/data/templates/*.xlsx")])
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class _OpenpyxlOnly:
    """Stands in for _FastSheet: hands every sheet to openpyxl's parser at once."""

    def __init__(self, strings):
        raise tables._Unusual("openpyxl only")


def read_all(path: Path):
    """Every sheet as ({title: rows}, {title: hyperlinks}, {title: columns}), or the error."""
    try:
        wb = open_workbook(path)
        try:
            rows, links, columns = {}, {}, {}
            for ws in wb.worksheets:
                rows[ws.title] = [(index, [(c.row, c.column, c.value, c.data_type,
                                            c.number_format, c.cached) for c in cells])
                                  for index, cells in tables.sheet_rows(path, wb, ws)]
                links[ws.title] = [(h.ref, h.id, h.location, h.tooltip, h.display)
                                   for h in ws.read_hyperlinks]
                columns[ws.title] = ws.read_columns
            return rows, links, columns
        finally:
            wb.close()
    except ReadError as e:
        return f"ReadError: {e}"


def both(path: Path, monkeypatch):
    fast = read_all(path)
    with monkeypatch.context() as m:
        m.setattr(tables, "_FastSheet", _OpenpyxlOnly)
        slow = read_all(path)
    return fast, slow


def sheet_file(tmp_path: Path, body: str, strings: list[str] | None = None,
               head: str = "", root: str = "worksheet", prefix: str = "") -> Path:
    """A one-sheet workbook whose sheet XML is ``body`` (inside <worksheet>), with these
    shared strings."""
    path = tmp_path / "hand.xlsx"
    wb = Workbook()
    wb.active.title = "S"
    wb.save(path)
    ns = f'xmlns{":" + prefix if prefix else ""}="{MAIN}"'
    tag = f"{prefix}:{root}" if prefix else root
    xml = f'<?xml version="1.0" encoding="UTF-8"?>{head}<{tag} {ns} xmlns:r="{REL}">' \
          f"{body}</{tag}>"
    out = tmp_path / "hand-out.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = xml.encode()
            elif item.filename == "[Content_Types].xml" and strings is not None:
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                                    b'ContentType="application/vnd.openxmlformats-'
                                    b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif item.filename == "xl/_rels/workbook.xml.rels" and strings is not None:
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSS" Type="'
                                    b'http://schemas.openxmlformats.org/officeDocument/2006/'
                                    b'relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                    b"</Relationships>")
            dst.writestr(item, data)
        if strings is not None:
            items = "".join(f"<si><t xml:space=\"preserve\">{s}</t></si>" for s in strings)
            dst.writestr("xl/sharedStrings.xml", f'<sst xmlns="{MAIN}" count="{len(strings)}" '
                                                 f'uniqueCount="{len(strings)}">{items}</sst>')
    return out


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_shipped_workbook_reads_the_same(path, monkeypatch):
    fast, slow = both(path, monkeypatch)
    assert not isinstance(fast, str), fast
    assert fast == slow


def test_xlcredits_own_workbooks_never_need_openpyxls_parser(tmp_path, monkeypatch):
    """The speed comes from the fast reader doing all of a workbook xlcredits writes."""
    path = tmp_path / "t.xlsx"
    write_workbook(build(template_entries(), exact_rows=30), path)

    class Refuse:
        def __init__(self, *args, **kwargs):
            raise AssertionError("openpyxl's parser was needed")

    monkeypatch.setattr(tables, "_Parser", Refuse)
    rows, _, _ = read_all(path)
    assert len(rows["Register"]) == 31  # the header and 30 rows of formulas


SHEETS = {
    "numbers, shared strings, booleans, errors, str text, empty values": (
        ('<sheetData><row r="1"><c r="A1"><v>42</v></c><c r="B1" t="n"><v>1.5E3</v></c>'
        '<c r="C1" t="s"><v>1</v></c><c r="D1" t="b"><v>1</v></c><c r="E1" t="e"><v>#N/A</v>'
        '</c><c r="F1" t="str"><v>text</v></c><c r="G1"><v/></c><c r="H1" s="0"/>'
        '<c r="I1" t="s"><v>0</v></c></row></sheetData>'), ["_x000D_ kept", "zwei"]),
    "formulas with cached values of every kind, an empty formula": (
        ('<sheetData><row r="2"><c r="A2"><f>1+1</f><v>2</v></c><c r="B2" t="str"><f>"a"&amp;"b"'
        '</f><v>ab</v></c><c r="C2" t="b"><f>TRUE()</f><v>1</v></c><c r="D2" t="e"><f>1/0</f>'
        '<v>#DIV/0!</v></c><c r="E2"><f/></c><c r="F2" t="s"><f>X</f><v>0</v></c>'
        '<c r="G2"><f>A2</f><v>1.0</v></c><c r="H2"><f>A2</f><v>oops</v></c></row>'
        '</sheetData>'), ["cached"]),
    "shared formulas as Excel writes them": (
        ('<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B1"><f t="shared" ref="B1:B3" '
        'si="0">A1*2</f><v>2</v></c></row><row r="2"><c r="A2"><v>2</v></c><c r="B2"><f '
        't="shared" si="0"/><v>4</v></c></row><row r="3"><c r="B3"><f t="shared" si="0"/>'
        '</c></row></sheetData>'), None),
    "an array formula": (
        ('<sheetData><row r="1"><c r="A1"><f t="array" ref="A1:A2">SUM(B1:B2*C1:C2)</f>'
        '<v>5</v></c></row></sheetData>'), None),
    "inline text, plain and rich, and an empty one": (
        ('<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>plain</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t/></is></c><c r="C1" t="inlineStr"><is/></c>'
        '<c r="D1" t="inlineStr"/></row><row r="2"><c r="A2" t="inlineStr"><is><r><t>ri</t>'
        '</r><r><rPr><b/></rPr><t>ch</t></r><rPh><t>x</t></rPh></is></c></row></sheetData>'),
        None),
    "an ISO date cell": (
        ('<sheetData><row r="1"><c r="A1" t="d"><v>2026-03-15T00:00:00</v></c></row>'
        '</sheetData>'), None),
    "rows and cells without references": (
        ('<sheetData><row><c><v>1</v></c><c><v>2</v></c></row><row r="5"><c r="C5"><v>3</v>'
        '</c><c><v>4</v></c></row></sheetData>'), None),
    "a data table formula": (
        ('<sheetData><row r="1"><c r="A1"><f t="dataTable" ref="A1:B2" dt2D="0" dtr="0" '
        'r1="C1"/><v>1</v></c></row></sheetData>'), None),
    "columns and hyperlinks": (
        ('<cols><col min="1" max="3" width="20.5" customWidth="1"/><col min="5" max="5" '
        'width="9" hidden="1"/></cols><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c>'
        '</row></sheetData><hyperlinks><hyperlink ref="A1" r:id="rId9" tooltip="tip"/>'
        '<hyperlink ref="B1" location="S!A1" display="here"/></hyperlinks>'), ["link"]),
    "an element a cell does not usually hold": (
        ('<sheetData><row r="1"><c r="A1"><v>1</v><extLst/></c><c r="B1"><v>2</v></c></row>'
        '</sheetData>'), None),
    "a row holding something other than cells": (
        '<sheetData><row r="1"><c r="A1"><v>1</v></c><extLst/></row></sheetData>', None),
    "a value with an element inside it": (
        '<sheetData><row r="1"><c r="A1"><v>1<x/>2</v></c></row></sheetData>', None),
    "two values in one cell": (
        '<sheetData><row r="1"><c r="A1"><v>1</v><v>2</v></c></row></sheetData>', None),
    "a bad reference, a bad number, a shared string out of range": (
        '<sheetData><row r="1"><c r="1A"><v>1</v></c></row></sheetData>', None),
    "a number that is not one": (
        '<sheetData><row r="1"><c r="A1"><v>1,5</v></c></row></sheetData>', None),
    "a shared string index out of range": (
        '<sheetData><row r="1"><c r="A1" t="s"><v>7</v></c></row></sheetData>', ["only"]),
    "a fractional row number": (
        '<sheetData><row r="2.0"><c r="A2"><v>1</v></c></row></sheetData>', None),
    "damaged XML": ('<sheetData><row r="1"><c r="A1"><v>1</v></row></sheetData>', None),
    "inline text given as an attribute of <is> (openpyxl's Text reads it)": (
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is t="attribute"/></c></row></sheetData>',
        None),
    "an <is> with an attribute openpyxl's Text refuses": (
        ('<sheetData><row r="1"><c r="A1" t="inlineStr"><is foo="1"><t>b</t></is></c></row>'
        '</sheetData>'), None),
    # openpyxl's parser also reads the sheet's other parts, and refuses damaged ones
    "damaged page margins after the rows": (
        ('<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'
        '<pageMargins left="wide" right="0.7" top="0.75" bottom="0.75" header="0.3" '
        'footer="0.3"/>'), None),
    "a damaged sheet view before the rows": (
        ('<sheetViews><sheetView workbookViewId="first"/></sheetViews>'
        '<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'), None),
    "a damaged merged range": (
        ('<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><mergeCells count="1">'
        '<mergeCell ref="ZZZZ1:A1"/></mergeCells>'), None),
    "a data validation of an unknown type": (
        ('<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><dataValidations '
        'count="1"><dataValidation type="often" sqref="A1"/></dataValidations>'), None),
    "a conditional format of an unknown type": (
        ('<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><conditionalFormatting '
        'sqref="A1"><cfRule type="sometimes" priority="1"/></conditionalFormatting>'), None),
    "the sheet's other parts, sound, in the forms Excel writes": (
        ('<sheetPr><tabColor rgb="FF00B050"/><pageSetUpPr fitToPage="1"/></sheetPr>'
        '<dimension ref="A1:B2"/><sheetViews><sheetView tabSelected="1" workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection '
        'pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews><sheetFormatPr '
        'defaultRowHeight="15" x14ac:dyDescent="0.25" xmlns:x14ac="http://schemas.microsoft.'
        'com/office/spreadsheetml/2009/9/ac"/><cols><col min="1" max="1" width="12" '
        'customWidth="1"/></cols><sheetData><row r="1" spans="1:2"><c r="A1"><v>1</v></c>'
        '</row></sheetData><sheetProtection sheet="1" objects="1" scenarios="1"/><autoFilter '
        'ref="A1:B2"/><mergeCells count="1"><mergeCell ref="A2:B2"/></mergeCells>'
        '<conditionalFormatting sqref="A1:A9"><cfRule type="cellIs" dxfId="0" priority="1" '
        'operator="lessThan"><formula>0</formula></cfRule></conditionalFormatting>'
        '<dataValidations count="1"><dataValidation type="list" allowBlank="1" sqref="B1:B9">'
        '<formula1>"a,b"</formula1></dataValidation></dataValidations><printOptions '
        'gridLines="1"/><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" '
        'header="0.3" footer="0.3"/><pageSetup orientation="landscape"/><headerFooter>'
        '<oddFooter>&amp;CPage &amp;P of &amp;N</oddFooter></headerFooter><rowBreaks count="1" '
        'manualBreakCount="1"><brk id="1" max="16383" man="1"/></rowBreaks>'), None),
    "text a sheet may hold between elements": (
        ('<sheetData>\n  <row r="1">\n    <c r="A1">\n      <v>1</v>\n    </c>\n  </row>\n'
        '</sheetData>'), None),
}


@pytest.mark.parametrize("name", list(SHEETS))
def test_hand_written_sheets_read_the_same(name, tmp_path, monkeypatch):
    body, strings = SHEETS[name]
    fast, slow = both(sheet_file(tmp_path, body, strings), monkeypatch)
    assert fast == slow


def test_a_prefixed_namespace_reads_the_same(tmp_path, monkeypatch):
    body = ('<x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>prefixed</x:t>'
            '</x:is></x:c><x:c r="B1"><x:f>A1</x:f><x:v>0</x:v></x:c></x:row></x:sheetData>')
    fast, slow = both(sheet_file(tmp_path, body, prefix="x"), monkeypatch)
    assert fast == slow
    assert fast[0]["S"][0][1][0][2] == "prefixed"


def test_a_doctype_is_left_to_defusedxml(tmp_path, monkeypatch):
    head = '<!DOCTYPE worksheet [<!ENTITY e "expanded">]>'
    body = '<sheetData><row r="1"><c r="A1" t="str"><v>&e;</v></c></row></sheetData>'
    fast, slow = both(sheet_file(tmp_path, body, head=head), monkeypatch)
    assert fast == slow
    assert isinstance(fast, str) and "entity" in fast and "refused" in fast
    sheet = tables._FastSheet([])  # the fast reader itself stops at the DOCTYPE
    with pytest.raises(tables._Unusual):
        sheet.parser.Parse(f"{head}<worksheet/>".encode(), True)


def test_an_unusual_form_far_down_a_long_sheet_loses_and_repeats_no_row(tmp_path,
                                                                           monkeypatch):
    """The fast reader gives many chunks of rows, then meets a form it leaves to openpyxl;
    openpyxl's parser goes on from the next row."""
    rows = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c><c r="B{i}" t="inlineStr"><is>'
                   f"<t>row {i}</t></is></c></row>" for i in range(1, 3001))
    rich = ('<row r="3001"><c r="A3001" t="inlineStr"><is><r><t>rich</t></r></is></c></row>'
            '<row r="3002"><c r="A3002"><v>3002</v></c></row>')
    body = f"<sheetData>{rows}{rich}</sheetData>"
    assert len(body) > 2 * tables.CHUNK
    given = []

    class Counting(tables._FastSheet):
        def take(self):
            rows = super().take()
            given.extend(rows)
            return rows

    path = sheet_file(tmp_path, body)
    monkeypatch.setattr(tables, "_FastSheet", Counting)
    fast = read_all(path)
    monkeypatch.undo()
    assert 2000 < len(given) < 3001  # the fast reader gave most rows, not all
    _, slow = both(path, monkeypatch)
    assert fast == slow
    values = [cells[0][2] for _, cells in fast[0]["S"]]
    assert values == [*range(1, 3001), "rich", 3002]


class _Source:
    """A worksheet as _raw_rows reads it: a title and the sheet XML."""

    title = "S"

    def __init__(self, xml: bytes):
        self.xml = xml

    def _get_source(self):
        import io
        from contextlib import nullcontext
        return nullcontext(io.BytesIO(self.xml))


def _raw(xml: bytes, fast: bool):
    """_raw_rows' rows (array formulas as text), hyperlinks and columns, or the error."""
    ws, rows = _Source(xml), []
    saved = tables._FastSheet
    if not fast:
        tables._FastSheet = _OpenpyxlOnly
    try:
        for index, row in tables._raw_rows(ws, ["zero", "one"]):
            rows.append((index, [(r, c, v if isinstance(v, (str, int, float, bool, type(None)))
                                  else tables._formula_text(v), k, s, cached)
                                 for r, c, v, k, s, cached in row]))
        return rows, [(h.ref, h.id, h.location) for h in ws.read_hyperlinks], ws.read_columns
    except Exception as e:  # noqa: BLE001 -- the error is what is compared
        return rows, type(e).__name__, str(e)
    finally:
        tables._FastSheet = saved


def _random_sheet(rng) -> bytes:
    """A sheet mixing the usual forms with odd ones: values with spaces, entities, CDATA,
    numbers as "1e5", "-0", "inf", "true"; cells without or with bad references, unknown
    types, several or misplaced children; shared formulas with masters before or after
    their dependants; rows out of order; damaged and sound parts around the rows."""
    texts = [" 1", "1e5", "-0", "inf", "NaN", "true", "1", "0", "2.0", "a&amp;b", "&#13;x",
             "<![CDATA[3]]>", "", "x", "1_0", "\u0663", "#N/A", " ", "1 ", "A1*2", "0x1"]

    def attrs(**kw):
        return "".join(f' {k}="{v}"' for k, v in kw.items() if v is not None)

    def cell(row, col):
        ref = rng.choice([f"{'ABCDEFG'[col]}{row}"] * 6 + [f"{'abc'[col % 3]}{row}", None, "",
                                                            f"A{row} "])
        kids = []
        for _ in range(rng.choice([0, 1, 1, 1, 2, 2, 3])):
            kind = rng.choice(["v", "v", "f", "is", "extLst", "t"])
            if kind == "v":
                kids.append(f"<v>{rng.choice(texts)}</v>" if rng.random() < .9 else "<v/>")
            elif kind == "f":
                f = attrs(t=rng.choice([None, None, "shared", "shared", "array", "normal",
                                        "dataTable", ""]), si=rng.choice([None, "0", "1"]),
                          ref=rng.choice([None, "A1:B3"]), ca=rng.choice([None, "1"]))
                kids.append(f"<f{f}>{rng.choice(['A1*2', 'B1+1', '', 'SUM(A1:A3)'])}</f>"
                            if rng.random() < .85 else f"<f{f}/>")
            elif kind == "is":
                kids.append(rng.choice(["<is>", "<is>", '<is t="q">']) + rng.choice(
                    ["<t>plain</t>", "<t/>", "", "<r><t>a</t></r>", "<t>a</t><t>b</t>",
                     '<t xml:space="preserve"> sp </t>']) + "</is>")
            else:
                kids.append("<extLst/>" if kind == "extLst" else "<t>z</t>")
        a = attrs(r=ref, t=rng.choice([None] * 3 + ["n", "s", "b", "e", "str", "inlineStr",
                                                    "d", "x", ""]),
                  s=rng.choice([None] * 4 + ["0", "1", " 1"]))
        return f"<c{a}>{rng.choice(['', ' ', chr(10)]).join(kids)}</c>"

    rows = []
    for i in range(rng.choice([1, 2, 3, 5, 20])):
        number = rng.choice([i + 1] * 5 + [i + 3, 1])
        r = rng.choice([str(number)] * 6 + [None, f"{number}.0", f" {number}", ""])
        rows.append(f"<row{attrs(r=r)}>"
                    + "".join(cell(number, c) for c in range(rng.choice([0, 1, 2, 3])))
                    + "</row>")
    before = rng.choice(["", "", '<cols><col min="1" max="2" width="3"/></cols>',
                         '<sheetViews><sheetView workbookViewId="0"/></sheetViews>',
                         '<sheetFormatPr defaultRowHeight="x"/>'])
    after = rng.choice(["", "", ('<pageMargins left="0.7" right="0.7" top="0.75" '
                                 'bottom="0.75" header="0.3" footer="0.3"/>'),
                        '<pageMargins left="q"/>',
                        '<hyperlinks><hyperlink ref="A1" location="S!A1"/></hyperlinks>',
                        '<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>',
                        "<extLst/>"])
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">{before}'
            f'<sheetData>{"".join(rows)}</sheetData>{after}</worksheet>').encode()


@pytest.mark.parametrize("chunk", [1, 7, tables.CHUNK])
def test_random_sheets_read_the_same_with_any_chunk_size(chunk, monkeypatch):
    """900 random sheets (seeded), given to expat a byte, 7 bytes or a chunk at a time,
    and in UTF-16: the fast reader and openpyxl's parser agree on every one."""
    import random
    import warnings

    rng = random.Random(chunk)
    monkeypatch.setattr(tables, "CHUNK", chunk)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns of the odd parts it drops
        for _ in range(300):
            xml = _random_sheet(rng)
            for data in (xml, xml.decode().replace('"UTF-8"', '"UTF-16"').encode("utf-16")):
                assert _raw(data, fast=True) == _raw(data, fast=False), data
