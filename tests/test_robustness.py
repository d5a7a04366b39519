"""Regeneration and reading survive what other programs write and what file systems do
(issue 11): stale, missing and absurd <dimension>s, a spreadsheet program's own rewriting
of formulas, numbers in date cells, what users add (comments, hyperlinks, names, sheets),
concurrent saves, lock files, damaged files, read-only places, full disks, symlinks; and a
report as sturdy as regeneration."""

import dataclasses
import errno
import gc
import os
import re
import shutil
import subprocess
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from built import workbook_file
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from xlcredits import batch, tables
from xlcredits.cli import main
from xlcredits.workbook import files
from xlcredits.workbook import schema as s
from xlcredits.workbook.entries import Entries, Formula, Note, example_entries, template_entries
from xlcredits.workbook.read import formula_key, open_workbook, read_entries

REGISTER_PART = "xl/worksheets/sheet2.xml"  # openpyxl writes the sheets in SHEETS order
TCO_PART = "xl/worksheets/sheet3.xml"


def entries_of(path: Path) -> Entries:
    wb = open_workbook(path)
    try:
        return read_entries(path, wb)
    finally:
        wb.close()


def write(entries: Entries, path: Path) -> Path:
    return workbook_file(entries, path)  # built once per run for the same entries


def nineteen() -> Entries:
    """The example's 12 entries and 7 more (IDs X-1..X-7), 19 in all."""
    e = example_entries()
    extra = [dict(e.register[i % 12], id=f"X-{i + 1}") for i in range(7)]
    return Entries(register=e.register + extra, tco=e.tco, as_of=e.as_of)


def patch(path: Path, part: str, edit) -> Path:
    """Rewrite one part of an xlsx package with ``edit(text) -> text``."""
    tmp = path.with_suffix(".patching")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == part:
                data = edit(data.decode("utf-8")).encode("utf-8")
            dst.writestr(item, data)
    os.replace(tmp, path)
    return path


def regenerate(path: Path) -> batch.Outcome:
    # forced: a file xlcredits wrote is up to date; the write and its round trip are tested
    return batch.regenerate([path], force=True)[0]


# --- 1. read what the file holds, not what it declares ----------------------------------

def set_dimension(text: str, element: str | None) -> str:
    text = re.sub(r"<dimension[^>]*/>", "", text)
    if element is None:
        return text
    return text.replace("<sheetViews>", element + "<sheetViews>", 1)


def test_a_stale_dimension_loses_no_entry(tmp_path):
    """A1:U13 declared, 19 entries down to row 20: all 19 are carried and reported."""
    path = write(nineteen(), tmp_path / "stale.xlsx")
    patch(path, REGISTER_PART, lambda t: set_dimension(t, '<dimension ref="A1:U13"/>'))
    assert load_workbook(path, read_only=True)["Register"].max_row == 13  # openpyxl trusts it
    outcome = regenerate(path)
    assert (outcome.result, outcome.rows) == ("regenerated", 19), outcome.message
    assert entries_of(path) == nineteen()
    result = CliRunner().invoke(main, ["report", str(path), "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0, result.output
    assert "19 entries in 1 workbook," in result.output


def test_an_export_with_a_stale_dimension_is_read_whole(tmp_path):
    """An xlsx export (here a flat register for `xlcredits build`) declaring A1:B3 while it
    holds 12 rows of 14 columns: read_table used to give 2 rows of 2 columns, silently."""
    sample = tables.read_table(Path(__file__).parents[1] / "xlcredits" / "data" /
                               "sample_register.csv")
    wb = Workbook()
    ws = wb.active
    ws.title = "Register"
    ws.append(sample.header)
    for row in sample:
        ws.append([row[h] for h in sample.header])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    patch(path, "xl/worksheets/sheet1.xml",
          lambda t: set_dimension(t, '<dimension ref="A1:B3"/>'))
    assert load_workbook(path, read_only=True).active.max_row == 3  # openpyxl trusts it
    table = tables.read_table(path, sheet="Register")
    assert (len(table), table.header) == (len(sample), sample.header)
    assert [r[sample.header[-1]] for r in table] == [r[sample.header[-1]] or None
                                                     for r in sample]
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["build", str(path), "--by", "Owner", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sum(int(n) for n in re.findall(r"(\d+) entr", result.output)) == len(sample)


@pytest.mark.parametrize("element", [
    None,  # no <dimension> at all: it is optional in the file format
    '<dimension  ref="a1:xfd1048576" />',  # lower case, spaces, and absurd
    '<dimension ref="A1:XFD1048576"/>',
])
def test_a_missing_or_absurd_dimension_is_neither_trusted_nor_refused(tmp_path, element):
    path = write(example_entries(), tmp_path / "w.xlsx")
    patch(path, REGISTER_PART, lambda t: set_dimension(t, element))
    start = time.perf_counter()
    outcome = regenerate(path)
    assert outcome.result == "regenerated", outcome.message
    assert time.perf_counter() - start < 20
    assert entries_of(path) == example_entries()


def test_a_dimension_far_into_the_sheet_is_not_a_way_around_the_limits(tmp_path):
    """The declared size sits after 8 KB of sheet properties; nothing reads it anyway."""
    path = write(example_entries(), tmp_path / "w.xlsx")
    pad = '<!--' + "x" * 8192 + '-->'
    patch(path, REGISTER_PART, lambda t: set_dimension(
        t, pad + '<dimension ref="A1:XFD1048576"/>'))
    start = time.perf_counter()
    assert regenerate(path).result == "regenerated"
    assert time.perf_counter() - start < 20


def test_libreoffice_after_a_row_deletion_declares_the_whole_sheet(tmp_path):
    """LibreOffice 7.4 writes A1:U1048576 and an empty row 1048576 (research/lo/NOTES.md)."""
    path = write(example_entries(), tmp_path / "w.xlsx")
    empty_row = ('<row r="1048576" customFormat="false" ht="12.8" hidden="false" '
                 'customHeight="false" outlineLevel="0" collapsed="false"></row>')
    patch(path, REGISTER_PART, lambda t: set_dimension(
        t, '<dimension ref="A1:U1048576"/>').replace("</sheetData>", empty_row + "</sheetData>"))
    outcome = regenerate(path)
    assert (outcome.result, outcome.rows) == ("regenerated", 12), outcome.message
    assert entries_of(path) == example_entries()


def test_a_sheet_that_really_holds_too_many_cells_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "MAX_CELLS", 1000)
    path = write(example_entries(), tmp_path / "w.xlsx")
    before = path.read_bytes()
    outcome = regenerate(path)
    assert outcome.result == "refused"
    assert "holds more than 1,000 cells" in outcome.message
    assert path.read_bytes() == before


def test_an_entry_a_million_rows_down_is_refused_not_built(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    far = '<row r="900000"><c r="A900000" t="inlineStr"><is><t>far</t></is></c></row>'
    patch(path, REGISTER_PART, lambda t: t.replace("</sheetData>", far + "</sheetData>"))
    outcome = regenerate(path)
    assert outcome.result == "refused"
    assert "Register row 900,000" in outcome.message


# --- 2. a spreadsheet program's own rewriting is not an edit -----------------------------

def test_formula_key_ignores_what_programs_rewrite_and_keeps_text():
    assert formula_key("=IF(F2=\"\",\"\",creditlapse(F2,G2))") == \
        formula_key("=IF(F2=\"\",\"\",CREDITLAPSE(F2,G2))")
    assert formula_key("=_xlfn._xlws.SORT( A1:A3 )") == formula_key("=SORT(A1:A3)")
    assert formula_key("=_xludf.FLEXCOST('Rates'!B2)") == formula_key("=FLEXCOST(Rates!B2)")
    assert formula_key('=IF(A1="ok",1,0)') != formula_key('=IF(A1="OK",1,0)')
    assert formula_key("=F2-G2") != formula_key("=F2+G2")


def lower_functions(text: str) -> str:
    """What LibreOffice does to functions it does not know: CREDITLAPSE( -> creditlapse(;
    and what Excel does to newer ones: an _xlfn. prefix; and spaces."""
    text = re.sub(r"\b(CREDIT[A-Z]+|EDITION[A-Z]+|FLEX[A-Z]+|TERM[A-Z]+)\(",
                  lambda m: m.group(1).lower() + "(", text)
    return text.replace("<f>IF(", "<f>_xlfn.IF( ")


def test_formulas_rewritten_by_a_spreadsheet_program_regenerate(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    patch(path, REGISTER_PART, lower_functions)
    patch(path, TCO_PART, lower_functions)
    with zipfile.ZipFile(path) as z:
        assert "creditlapse(" in z.read(REGISTER_PART).decode()
    outcome = regenerate(path)
    assert outcome.result == "regenerated", outcome.message
    assert entries_of(path) == example_entries()


def test_shared_formulas_as_excel_writes_them_regenerate(tmp_path):
    """Excel writes a column of like formulas once (t="shared") and refers to it below."""
    path = write(example_entries(), tmp_path / "w.xlsx")

    col = {c.key: get_column_letter(i) for i, c in enumerate(s.REGISTER, 1)}
    rem, bal, used = col["remaining"], col["balance"], col["consumed"]

    def share(text):
        def formula(row):
            return f'IF({bal}{row}="","",{bal}{row}-{used}{row})'
        text = re.sub(rf'(<c r="{rem}2"[^>]*>)<f>{re.escape(formula(2))}</f>',
                      rf'\1<f t="shared" ref="{rem}2:{rem}4" si="0">{formula(2)}</f>', text)
        for row in (3, 4):
            text = re.sub(rf'(<c r="{rem}{row}"[^>]*>)<f>{re.escape(formula(row))}</f>',
                          r'\1<f t="shared" si="0"/>', text)
        assert text.count('t="shared"') == 3
        return text

    patch(path, REGISTER_PART, share)
    outcome = regenerate(path)
    assert outcome.result == "regenerated", outcome.message
    assert entries_of(path) == example_entries()


def test_a_formula_really_changed_is_refused_naming_the_cell(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    wb = load_workbook(path)
    lapse = get_column_letter(next(i for i, c in enumerate(s.REGISTER, 1) if c.key == "lapse"))
    wb["Register"][f"{lapse}3"] = "=0"
    wb.save(path)
    outcome = regenerate(path)
    assert outcome.result == "refused"
    assert f"Register!{lapse}3" in outcome.message


# --- 3. everything a user can put in an input area is carried or named -------------------

@pytest.mark.parametrize("number", [20270131, 1e308, -1e308, 60, 2958466, 0.5])
def test_a_number_in_a_date_cell_stays_that_number(tmp_path, number):
    entries = example_entries()
    entries.register[0]["start"] = number
    path = write(entries, tmp_path / "w.xlsx")
    outcome = regenerate(path)
    assert outcome.result == "regenerated", outcome.message
    start = entries_of(path).register[0]["start"]
    assert start == number and type(start) is type(number)
    wb = load_workbook(path)
    assert wb["Register"]["H2"].number_format == "yyyy-mm-dd"  # still a date cell


def test_serial_61_and_later_are_dates_and_come_back_the_same_day(tmp_path):
    entries = example_entries()
    entries.register[0]["start"] = date(1900, 3, 1)  # serial 61
    path = write(entries, tmp_path / "w.xlsx")
    assert regenerate(path).result == "regenerated"
    assert entries_of(path).register[0]["start"] == date(1900, 3, 1)


def test_escape_like_text_comes_back_exactly(tmp_path):
    text = "literal _x000D_ and _x0041_ text, _x005F_ too"
    entries = example_entries()
    entries.register[0]["notes"] = text
    path = write(entries, tmp_path / "w.xlsx")
    assert regenerate(path).result == "regenerated"
    assert entries_of(path).register[0]["notes"] == text


def test_comments_hyperlinks_names_sheets_and_print_areas_are_carried(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    wb = load_workbook(path)
    reg = wb["Register"]
    reg["A2"].comment = Comment("Checked by finance", "Ana")
    reg["M3"].hyperlink = "https://example.com/contract"
    wb["TCO"]["B4"].comment = Comment("from the order form", "Ana")
    mine = wb.create_sheet("My notes")
    mine["A1"], mine["B1"], mine["B2"] = "Flex total", "=Register!F2+Register!F3", 42.5
    mine["B2"].number_format = "0.00"
    mine.column_dimensions["A"].width = 31
    wb.defined_names["MyBalance"] = DefinedName("MyBalance", attr_text="Register!$F$2")
    wb["TCO"].print_area = "A1:E40"
    wb.save(path)
    outcome = regenerate(path)
    assert outcome.result == "regenerated", outcome.message
    after = load_workbook(path)
    assert after["Register"]["A2"].comment.text == "Checked by finance"
    assert after["Register"]["A2"].comment.author == "Ana"
    assert after["Register"]["M3"].hyperlink.target == "https://example.com/contract"
    assert after["TCO"]["B4"].comment.text == "from the order form"
    assert after["My notes"]["B1"].value == "=Register!F2+Register!F3"
    assert (after["My notes"]["B2"].value, after["My notes"]["B2"].number_format) == (42.5, "0.00")
    assert after["My notes"].column_dimensions["A"].width == 31
    assert after.defined_names["MyBalance"].attr_text == "Register!$F$2"
    assert after["TCO"].print_area == "'TCO'!$A$1:$E$40"
    notes = entries_of(path).notes
    assert notes[("Register", 2, "id")] == Note("Checked by finance", "Ana")


def test_a_chart_or_image_the_user_added_is_refused_listing_it(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    wb = load_workbook(path)
    chart = LineChart()
    chart.add_data(Reference(wb["Register"], min_col=6, min_row=1, max_row=13))
    wb["Register"].add_chart(chart, "W2")
    wb.save(path)
    before = path.read_bytes()
    outcome = regenerate(path)
    assert outcome.result == "refused"
    assert "1 chart(s) added" in outcome.message and "Nothing was written" in outcome.message
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["w.xlsx"]


def test_a_shape_drawn_on_a_sheet_is_refused(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    shape = ('<twoCellAnchor><from><col>0</col><colOff>0</colOff><row>0</row><rowOff>0'
             '</rowOff></from><to><col>2</col><colOff>0</colOff><row>2</row><rowOff>0</rowOff>'
             '</to><sp macro="" textlink=""><nvSpPr><cNvPr id="99" name="Arrow"/><cNvSpPr/>'
             '</nvSpPr><spPr/></sp><clientData/></twoCellAnchor>')  # an arrow someone drew
    patch(path, "xl/drawings/drawing1.xml", lambda t: t.replace("</wsDr>", shape + "</wsDr>"))
    outcome = regenerate(path)
    assert outcome.result == "refused"
    assert "shapes or pictures drawn on a sheet" in outcome.message


def test_a_what_if_data_table_on_a_users_sheet_is_refused(tmp_path):
    """A data table (What-If Analysis) is no formula openpyxl can write back: refused, where
    it was once carried as the text of a Python object."""
    entries = example_entries()
    path = write(entries, tmp_path / "w.xlsx")
    wb = load_workbook(path)
    ws = wb.create_sheet("What if")
    ws["A1"] = 1
    wb.save(path)
    sheet = f"xl/worksheets/sheet{len(wb.sheetnames)}.xml"
    table = '<c r="B2"><f t="dataTable" ref="B2:B3" dt2D="0" dtr="0" r1="A1"/><v>5</v></c>'
    patch(path, sheet, lambda t: t.replace("</row>", "</row><row r=\"2\">" + table + "</row>",
                                           1))
    outcome = regenerate(path)
    assert outcome.result == "refused", outcome
    assert "What-If data tables" in outcome.message


@pytest.mark.parametrize("part", ["xl/worksheets/sheet8.XML", "xl/what-if.xml"])
def test_a_data_table_in_a_sheet_part_named_otherwise_is_refused_too(tmp_path, part):
    """A package may name a sheet's part as it likes (the workbook's relationships say
    where it is): a data table there was not seen, and the new workbook held the plain
    formula TABLE(,A1) in its place: the data table was gone."""
    path = write(example_entries(), tmp_path / "w.xlsx")
    wb = load_workbook(path)
    ws = wb.create_sheet("What if")
    ws["A1"] = 1
    wb.save(path)
    sheet = f"xl/worksheets/sheet{len(wb.sheetnames)}.xml"
    table = '<c r="B2"><f t="dataTable" ref="B2:B3" dt2D="0" dtr="0" r1="A1"/><v>5</v></c>'
    patch(path, sheet, lambda t: t.replace("</row>", "</row><row r=\"2\">" + table + "</row>",
                                           1))
    moved = tmp_path / "moved.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(moved, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                data = data.replace(sheet.removeprefix("xl/").encode(),
                                    part.removeprefix("xl/").encode())
            dst.writestr(part if item.filename == sheet else item.filename, data)
    moved.replace(path)
    assert load_workbook(path)["What if"]["A1"].value == 1  # openpyxl finds the sheet
    outcome = regenerate(path)
    assert outcome.result == "refused", outcome
    assert "What-If data tables" in outcome.message


def test_a_sheet_full_of_formula_like_text_is_searched_for_data_tables_in_linear_time(
        tmp_path):
    """The search for data tables once took time growing as the square of a run of "<f t"
    inside a comment or CDATA (well-formed XML): 150 KB of it took over half a minute."""
    entries = example_entries()
    path = write(entries, tmp_path / "w.xlsx")
    wb = load_workbook(path)
    wb.create_sheet("Notes")["A1"] = 1
    wb.save(path)
    sheet = f"xl/worksheets/sheet{len(wb.sheetnames)}.xml"
    comment = "<!--" + "<f t " * 30_000 + "-->"
    patch(path, sheet, lambda t: t.replace("<sheetData>", comment + "<sheetData>", 1))
    start = time.perf_counter()
    outcome = regenerate(path)
    assert outcome.result == "regenerated", outcome
    assert time.perf_counter() - start < 10


@pytest.mark.parametrize("form", ['<f t="dataTable" ref="B2:B3" dt2D="0" dtr="0" r1="A1"/>',
                                  "<x:f ref='B2:B3' t = 'dataTable' r1='A1'/>",
                                  '<f\nt="dataTable"\tr1="A1"></f>'])
def test_a_data_table_is_found_in_any_form(form):
    from xlcredits.workbook.read import DATA_TABLE
    assert DATA_TABLE.search(f'<c r="B2">{form}<v>5</v></c>'.encode())
    assert not DATA_TABLE.search(f'<c r="B2">{form.replace("dataTable", "shared")}</c>'.encode())


# --- 4. the file the user is working on wins ---------------------------------------------

def test_a_workbook_saved_while_regenerating_is_left_as_the_user_saved_it(tmp_path,
                                                                           monkeypatch):
    path = write(example_entries(), tmp_path / "w.xlsx")
    users = example_entries()
    users.register[0]["consumed"] = 7_500_000
    real_build = batch.build

    def build_while_the_user_saves(entries, *args):
        write(users, path)  # the user saves from a spreadsheet program meanwhile
        return real_build(entries, *args)

    monkeypatch.setattr(batch, "build", build_while_the_user_saves)
    outcome = regenerate(path)
    assert outcome.result == "failed"
    assert "changed while regenerating; run again" in outcome.message
    assert entries_of(path) == users
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.xlsx"]  # no backup, no temp


@pytest.mark.parametrize("lock", ["~$w.xlsx", ".~lock.w.xlsx#"])
def test_a_workbook_open_in_a_spreadsheet_program_is_skipped(tmp_path, lock):
    path = write(example_entries(), tmp_path / "w.xlsx")
    (tmp_path / lock).write_bytes(b"owner")
    before = path.read_bytes()
    outcome = regenerate(path)
    assert outcome.result == "refused"
    assert "open in a spreadsheet program" in outcome.message
    assert "close it and run again" in outcome.message
    assert path.read_bytes() == before


# --- 5. failures belong to one file ------------------------------------------------------

def test_an_unexpected_error_in_one_file_does_not_stop_the_batch(tmp_path, monkeypatch):
    import zlib
    good = write(example_entries(), tmp_path / "a.xlsx")
    bad = write(example_entries(), tmp_path / "b.xlsx")
    real_read = batch.read

    def read(path, wb, *args, **kwargs):
        if Path(path).name == "b.xlsx":
            raise zlib.error("Error -3 while decompressing data: invalid distance")
        return real_read(path, wb, *args, **kwargs)

    monkeypatch.setattr(batch, "read", read)
    result = CliRunner().invoke(main, ["regenerate", "--force", str(tmp_path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert re.search(r"b\.xlsx +failed .*invalid distance", result.output)
    assert re.search(r"a\.xlsx +regenerated", result.output)
    assert "1 of 2 workbooks were not regenerated." in result.output
    assert entries_of(good) == entries_of(bad) == example_entries()


@pytest.mark.parametrize("n", [pytest.param(20, marks=pytest.mark.slow),
                               pytest.param(300, marks=pytest.mark.slow)])  # 20+ workbooks
def test_many_single_byte_corruptions_never_stop_the_batch(tmp_path, n):
    """n copies of a real workbook, each with one byte changed (spread over the file):
    no traceback, every file has its row, the table prints."""
    source = write(example_entries(), tmp_path / "source.xlsx").read_bytes()
    folder = tmp_path / "copies"
    folder.mkdir()
    for i in range(n):
        data = bytearray(source)
        at = (i * 7919) % len(data)
        data[at] ^= 0x5A
        (folder / f"c{i:03}.xlsx").write_bytes(bytes(data))
    result = CliRunner().invoke(main, ["regenerate", str(folder)], catch_exceptions=False)
    assert "Traceback" not in result.output
    rows = [line for line in result.output.splitlines() if re.match(r"\S+c\d{3}\.xlsx ", line)
            or re.match(r"c\d{3}\.xlsx ", line.split("/")[-1])]
    table = result.output.split("\n\n")[-2] if "were not" in result.output else result.output
    assert sum(1 for i in range(n) if f"c{i:03}.xlsx" in table) == n
    assert rows
    assert not list(folder.glob(".*.tmp.xlsx"))


def test_a_folder_that_cannot_be_written_is_named(tmp_path, monkeypatch):
    path = write(example_entries(), tmp_path / "w.xlsx")
    before = path.read_bytes()

    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    outcome = regenerate(path)
    assert outcome.result == "failed"
    assert f"cannot write in {tmp_path}: permission denied" in outcome.message
    assert path.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only folders")
def test_a_read_only_folder_is_refused_even_in_a_dry_run(tmp_path):
    path = write(example_entries(), tmp_path / "ro" / "w.xlsx")
    path.parent.chmod(0o555)
    try:
        for args in (["--dry-run"], []):
            result = CliRunner().invoke(main, ["regenerate", *args, str(path)])
            assert result.exit_code == 1 and "Traceback" not in result.output
            assert "permission denied" in result.output
    finally:
        path.parent.chmod(0o755)


def test_a_read_only_folder_is_refused_in_a_dry_run(tmp_path, monkeypatch):
    path = write(example_entries(), tmp_path / "w.xlsx")
    real_access = os.access
    monkeypatch.setattr(batch.os, "access", lambda p, mode: False if Path(p) == tmp_path
                        else real_access(p, mode))
    outcome = batch.regenerate([path], dry_run=True)[0]
    assert outcome.result == "refused"
    assert f"cannot write in {tmp_path}: permission denied" in outcome.message


def test_a_read_only_workbook_is_refused(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    path.chmod(0o444)
    outcome = regenerate(path)
    assert outcome.result == "refused"
    assert outcome.message == "is read-only; make it writable to regenerate it"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.xlsx"]


def test_a_symlink_stays_a_link_and_its_target_is_regenerated(tmp_path):
    real = write(example_entries(), tmp_path / "store" / "real.xlsx")
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    old, inode = real.read_bytes(), real.stat().st_ino
    outcome = regenerate(link)
    assert outcome.result == "regenerated", outcome.message
    assert link.is_symlink() and link.resolve() == real
    assert real.stat().st_ino != inode  # the target was replaced (the new file, not the link)
    assert entries_of(real) == example_entries()
    backups = list(tmp_path.glob("link.*.bak.xlsx"))
    assert len(backups) == 1 and backups[0].read_bytes() == old


def test_a_backup_that_cannot_be_written_leaves_nothing_behind(tmp_path, monkeypatch):
    path = write(example_entries(), tmp_path / "w.xlsx")
    before = path.read_bytes()
    real_copy = shutil.copyfileobj

    def disk_full(src, dst, *args):
        if getattr(src, "name", None) != str(path):  # openpyxl copying a sheet into the zip
            return real_copy(src, dst, *args)
        dst.write(src.read(1000))  # the disk fills up a kilobyte into the backup
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.shutil, "copyfileobj", disk_full)
    outcome = regenerate(path)
    assert outcome.result == "failed"
    assert "no space left on the device" in outcome.message
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.xlsx"]  # no 0-byte backup


@pytest.fixture
def small_disk(tmp_path):
    """A 400 KB tmpfs, where the machine allows mounting one (root in a container)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(mount)],
            capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        yield mount
    finally:
        gc.collect()  # a failed save's zip file may still hold a file open there
        if subprocess.run(["umount", str(mount)], capture_output=True,
                          check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(folder: Path, leave: int) -> None:
    """Fill the file system of ``folder`` until about ``leave`` bytes are free."""
    free = shutil.disk_usage(folder).free
    (folder / "filler").write_bytes(b"\0" * max(free - leave, 0))


def test_a_full_disk_fails_one_file_cleanly(small_disk, tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    target = small_disk / "w.xlsx"
    shutil.copy(path, target)
    fill(small_disk, 20_000)
    outcome = regenerate(target)
    assert outcome.result == "failed"
    assert f"cannot write in {small_disk}: no space left on the device" in outcome.message
    assert target.read_bytes() == path.read_bytes()
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "w.xlsx"]


def test_a_full_disk_fails_template_and_report_with_one_line(small_disk, tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    fill(small_disk, 8_000)
    runner = CliRunner()
    for args in (["template", "--out", str(small_disk / "t.xlsx")],
                 ["report", str(path), "--out", str(small_disk / "r.xlsx")]):
        result = runner.invoke(main, args)
        assert result.exit_code == 1, (args, result.output)
        assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
        assert "no space left on the device" in result.output
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


def test_temporaries_of_a_killed_run_are_ignored(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    shutil.copy(path, tmp_path / ".w.abc123.tmp.xlsx")  # what a killed run leaves
    assert files.find_workbooks([tmp_path]) == [path]


# --- 6. report as sturdy as regenerate -----------------------------------------------------

def with_formula(path: Path, cell: str, formula: str, cached: str | None) -> Path:
    """Type a formula into an input cell, with the value a spreadsheet program saved."""
    wb = load_workbook(path)
    wb["Register"][cell] = formula
    wb.save(path)
    if cached is not None:
        patch(path, REGISTER_PART, lambda t: t.replace(
            f"<f>{formula[1:]}</f><v />", f"<f>{formula[1:]}</f><v>{cached}</v>"))
    return path


def report(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["report", *map(str, args)])
    assert "Traceback" not in result.output and result.exception in (None,) or \
        isinstance(result.exception, SystemExit)
    return result.exit_code, result.output


def test_an_input_formula_counts_by_its_cached_value(tmp_path):
    plain = write(example_entries(), tmp_path / "a" / "plain.xlsx")
    code, expected = report(plain, "--out", tmp_path / "a.xlsx")
    typed = write(example_entries(), tmp_path / "b" / "typed.xlsx")
    with_formula(typed, "G2", "=7000000+400000", "7400000")  # FLX-001 consumed 7,400,000
    code2, output = report(typed, "--out", tmp_path / "b.xlsx")
    assert code == code2 == 0, output
    total = re.search(r"value at risk \$([\d,]+)", expected).group(1)
    assert f"value at risk ${total}." in output and "12 entries" in output


def test_a_date_formula_counts_by_its_cached_serial(tmp_path):
    plain = write(example_entries(), tmp_path / "a" / "plain.xlsx")
    _, expected = report(plain, "--out", tmp_path / "a.xlsx")
    typed = write(example_entries(), tmp_path / "b" / "typed.xlsx")
    with_formula(typed, "H2", "=DATE(2026,1,1)", "46023")  # FLX-001's start: serial 46023
    code, output = report(typed, "--out", tmp_path / "b.xlsx")
    assert code == 0, output
    total = re.search(r"value at risk \$([\d,]+)", expected).group(1)
    assert f"value at risk ${total}." in output


def test_an_input_formula_without_a_value_needs_recalculation(tmp_path):
    typed = write(example_entries(), tmp_path / "typed.xlsx")
    with_formula(typed, "G2", "=7000000+400000", None)
    code, output = report(typed, "--out", tmp_path / "r.xlsx")
    assert code == 1
    assert re.search(r"typed\.xlsx: Register row 2 \(ID FLX-001\), Consumed to date: needs "
                     r"recalculation", output)
    assert "11 entries in 1 workbook," in output


def test_bad_entries_are_listed_and_left_out(tmp_path):
    entries = example_entries()
    entries.register[1]["balance"] = "50,000"  # FLX-002, row 3
    entries.register[2]["consumed"] = "#N/A"  # FLX-003, row 4
    del entries.register[3]["start"]  # DC-001, row 5
    path = write(entries, tmp_path / "w.xlsx")
    code, output = report(path, "--out", tmp_path / "r.xlsx")
    assert code == 1
    assert "Register row 3 (ID FLX-002), Contracted balance: '50,000' is not a number" in output
    assert "Register row 4 (ID FLX-003), Consumed to date: '#N/A' is not a number" in output
    assert "Register row 5 (ID DC-001), Start date: is blank" in output
    assert "9 entries in 1 workbook," in output


def test_each_file_is_read_once_and_the_report_never_reads_itself(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    (tmp_path / "again.xlsx").symlink_to(path)
    out = tmp_path / "report.xlsx"
    for _ in range(2):  # the second run finds the first run's report in the folder
        code, output = report(tmp_path, path, "./" + os.path.relpath(path), "--out", out)
        assert code == 0, output
        assert "12 entries in 1 workbook," in output and "refused" not in output


def test_only_xlcredits_own_backup_names_are_skipped(tmp_path):
    write(example_entries(), tmp_path / "Ops.bak.xlsx")  # what `build --by` writes for "Ops.bak"
    write(example_entries(), tmp_path / "Ops.20261124-061826.bak.xlsx")  # a backup
    code, output = report(tmp_path, "--out", tmp_path.parent / f"{tmp_path.name}-r.xlsx")
    assert code == 0 and "12 entries in 1 workbook," in output
    outcomes = batch.regenerate([tmp_path])
    assert [o.path.name for o in outcomes] == ["Ops.bak.xlsx"]


def test_the_as_of_date_is_printed_and_written(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    code, output = report(path, "--out", tmp_path / "r.xlsx")
    assert code == 0 and "as of 2026-10-31" in output  # the example's as-of date
    wb = load_workbook(tmp_path / "r.xlsx")
    rows = list(wb["Entries"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if "As of" in r and "ID" in r)  # below the title
    header = rows[at]
    values = {row[header.index("As of")] for row in rows[at + 1:]}
    assert {v.date() for v in values if v is not None} == {date(2026, 10, 31)}


def test_carried_formula_keeps_its_text_and_cached_value_is_not_identity():
    a, b = Formula("=1+1"), Formula("=1+1")
    a.cached = 2
    assert a == b and template_entries() == template_entries()


def test_a_workbook_is_up_to_date_only_when_the_template_would_write_the_same(tmp_path,
                                                                              monkeypatch):
    """Up to date means: the current template writes these entries to the same bytes. A
    change of look (here the input cells' fill) is a change, and regenerates."""
    from openpyxl.styles import PatternFill

    from xlcredits.workbook import build as build_module

    path = write(example_entries(), tmp_path / "w.xlsx")
    assert batch.regenerate([path])[0].result == "up to date"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.xlsx"]  # no write, no backup
    monkeypatch.setattr(build_module, "INPUT_FILL", PatternFill("solid", start_color="FFF2CC"))
    outcome = batch.regenerate([path])[0]
    assert outcome.result == "regenerated", outcome
    assert entries_of(path) == example_entries()
    assert batch.regenerate([path])[0].result == "up to date"


def test_a_missing_temporary_folder_fails_one_file_cleanly(tmp_path, monkeypatch):
    """openpyxl writes each sheet through the system's temporary folder while it makes
    the new workbook: when that folder is gone the file fails with the reason."""
    import tempfile

    path = write(example_entries(), tmp_path / "w.xlsx")
    before = path.read_bytes()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no such folder"))
    outcome = regenerate(path)
    assert outcome.result == "failed"
    assert outcome.message == (f"cannot write in {tmp_path / 'no such folder'}: No such file "
                               "or directory; the original is untouched")
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.xlsx"]


def _swap_part_raw(src: Path, out: Path, part: str, raw: bytes, method: int, size: int,
                   crc: int) -> Path:
    """Copy an xlsx, the part's bytes replaced by ``raw`` as stored, while both zip headers
    declare compression ``method``, ``size`` bytes and ``crc``: what a hostile or damaged
    file may declare."""
    import struct

    with zipfile.ZipFile(src) as z, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as d:
        for item in z.infolist():
            if item.filename != part:
                d.writestr(item, z.read(item))
                continue
            d.writestr(zipfile.ZipInfo(part, item.date_time), raw, zipfile.ZIP_STORED)
            info = d.getinfo(part)  # the central directory is written from it at close
            info.compress_type, info.file_size, info.CRC = method, size, crc
    data = bytearray(out.read_bytes())
    with zipfile.ZipFile(out) as z:
        at = z.getinfo(part).header_offset
    struct.pack_into("<H", data, at + 8, method)  # the local header
    struct.pack_into("<I", data, at + 14, crc)
    struct.pack_into("<I", data, at + 22, size)
    out.write_bytes(bytes(data))
    return out


def _bomb(src: Path, out: Path, part: str, expand: int) -> Path:
    """The part's real bytes followed by ``expand`` spaces in one deflate stream, while the
    headers declare the real size and CRC: a small file that decompresses to ``expand``."""
    import zlib

    with zipfile.ZipFile(src) as z:
        real = z.read(part)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    spaces = b" " * 2**20
    raw = c.compress(real) + b"".join(c.compress(spaces) for _ in range(expand // 2**20))
    raw += c.flush()
    return _swap_part_raw(src, out, part, raw, zipfile.ZIP_DEFLATED, len(real),
                          zlib.crc32(real))


def test_comparing_a_zip_bomb_with_the_template_takes_little_memory(tmp_path):
    """A 100 KB file whose docProps/app.xml declares the template's 205 bytes but
    decompresses to 100 MB: same_content read each part whole (zipfile decompresses a
    whole read at once, up to 2 GB) and peaked at over 100 MB; it compares in chunks."""
    import tracemalloc

    template = write(example_entries(), tmp_path / "w.xlsx")
    bomb = _bomb(template, tmp_path / "bomb.xlsx", "docProps/app.xml", 100 * 2**20)
    assert bomb.stat().st_size < 400_000
    tracemalloc.start()
    try:
        files.same_content(template, bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20


def test_a_part_twice_in_the_zip_is_no_same_content(tmp_path):
    """Two entries of one name: zipfile reads the last; the first held something else."""
    template = write(example_entries(), tmp_path / "w.xlsx")
    twice = tmp_path / "twice.xlsx"
    with zipfile.ZipFile(template) as z, zipfile.ZipFile(twice, "w") as d:
        d.writestr("xl/worksheets/sheet2.xml", b"<worksheet>the user's</worksheet>")
        for item in z.infolist():
            if item.filename == "xl/worksheets/sheet2.xml":
                with pytest.warns(UserWarning, match="Duplicate name"):
                    d.writestr(item, z.read(item))
            else:
                d.writestr(item, z.read(item))
    assert not files.same_content(template, twice)
    assert files.same_content(template, template.read_bytes())


def test_a_part_in_a_compression_xlsx_never_uses_is_no_same_content(tmp_path):
    """zipfile raises NotImplementedError for an unknown method (here 99, AES): not the
    same content, not a traceback."""
    template = write(example_entries(), tmp_path / "w.xlsx")
    with zipfile.ZipFile(template) as z:
        info = z.getinfo("docProps/app.xml")
        raw = z.read(info)
    odd = _swap_part_raw(template, tmp_path / "odd.xlsx", "docProps/app.xml", raw, 99,
                         info.file_size, info.CRC)
    assert files.same_content(template, odd) is False


def test_a_part_that_holds_more_than_it_declares_is_refused_before_any_reading(tmp_path):
    """check_archive trusted the sizes a zip declares: xl/workbook.xml declaring its real
    13 KB, but decompressing to 100 MB passed, and openpyxl's whole read of it peaked at
    over 200 MB (2 GB from a 4 MB file: enough to kill a regeneration worker, and with it
    the batch). Each part is now decompressed a chunk at a time and refused past its
    declared size."""
    import tracemalloc

    template = write(example_entries(), tmp_path / "w.xlsx")
    bomb = _bomb(template, tmp_path / "bomb.xlsx", "xl/workbook.xml", 100 * 2**20)
    tracemalloc.start()
    try:
        outcome = batch.regenerate([bomb])[0]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert outcome.result == "refused", outcome
    with zipfile.ZipFile(template) as z:
        size = z.getinfo("xl/workbook.xml").file_size  # what the bomb declares
    assert outcome.message == (f"part xl/workbook.xml holds more than the {size:,} bytes it "
                               "declares: a zip bomb?")
    assert peak < 20 * 2**20


def test_a_part_compressed_as_no_xlsx_is_refused_in_one_line(tmp_path):
    template = write(example_entries(), tmp_path / "w.xlsx")
    with zipfile.ZipFile(template) as z:
        info = z.getinfo("xl/styles.xml")
        raw = z.read(info)
    odd = _swap_part_raw(template, tmp_path / "odd.xlsx", "xl/styles.xml", raw, 99,
                         info.file_size, info.CRC)
    outcome = batch.regenerate([odd])[0]
    assert outcome.result == "refused", outcome
    assert outcome.message == ("part xl/styles.xml is encrypted or compressed as no xlsx "
                               "is (method 99); save the workbook again")


# Office writes a sensitivity label (Microsoft Purview / MSIP) as custom document
# properties, all strings, in docProps/custom.xml (the shape of a labelled file's part)
LABEL = "MSIP_Label_f42aa342-8706-4288-bd11-ebb85995028c"
CUSTOM_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<Properties xmlns="http://'
    'schemas.openxmlformats.org/officeDocument/2006/custom-properties" xmlns:vt="http://'
    'schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">' + "".join(
        f'<property fmtid="{{D5CDD505-2E9C-101B-9397-08002B2CF9AE}}" pid="{pid}" '
        f'name="{LABEL}_{key}"><vt:lpwstr>{value}</vt:lpwstr></property>'
        for pid, (key, value) in enumerate([
            ("Enabled", "true"), ("SetDate", "2026-09-01T08:12:44Z"), ("Method", "Standard"),
            ("Name", "Confidential"), ("SiteId", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
            ("ActionId", "3c8f4a1e-0a5b-4b8e-9f2c-1d2e3f4a5b6c"), ("ContentBits", "0")], 2))
    + "</Properties>")


def _with_custom(path: Path, props: str) -> bytes:
    """The workbook at ``path`` with ``props`` as its custom properties part; its bytes."""
    patch(path, "[Content_Types].xml", lambda t: t.replace(
        "</Types>", '<Override PartName="/docProps/custom.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.custom-properties+xml"/></Types>'))
    patch(path, "_rels/.rels", lambda t: t.replace(
        "</Relationships>", '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org'
        '/officeDocument/2006/relationships/custom-properties" Target="docProps/custom.xml"'
        "/></Relationships>"))
    part = (CUSTOM_XML.replace("</Properties>", "") + props + "</Properties>").encode()
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("docProps/custom.xml", part)
    return part


def _label_rels(path: Path, rels: str, parts: dict) -> Path:
    patch(path, "[Content_Types].xml", lambda t: t.replace(
        "</Types>", '<Override PartName="/docMetadata/LabelInfo.xml" ContentType="application'
        '/vnd.ms-office.classificationlabels+xml"/></Types>'))
    patch(path, "_rels/.rels", lambda t: t.replace("</Relationships>", rels + "</Relationships>"))
    with zipfile.ZipFile(path, "a") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def _label_rel(target: str, rid: str = "rId5") -> str:
    return (f'<Relationship Id="{rid}" Type="http://schemas.microsoft.com/office/2020/02/'
            f'relationships/classificationlabels" Target="{target}"/>')


def test_a_sensitivity_label_and_document_properties_are_carried(tmp_path):
    """Regeneration dropped docProps/custom.xml (a sensitivity label: a compliance
    matter) and the subject and keywords a user set in File > Info."""
    path = write(example_entries(), tmp_path / "w.xlsx")
    wb = load_workbook(path)
    wb.properties.subject, wb.properties.keywords = "FY27 credits", "credits; renewal"
    wb.save(path)
    _with_custom(path, "")  # the label's seven properties, as Office writes them
    outcome = regenerate(path)
    assert outcome.result == "regenerated", outcome.message
    after = load_workbook(path)
    assert (after.properties.subject, after.properties.keywords) == ("FY27 credits",
                                                                     "credits; renewal")
    label = {p.name[len(LABEL) + 1:]: p.value for p in after.custom_doc_props.props}
    assert label["Name"] == "Confidential" and label["Enabled"] == "true" and len(label) == 7
    with zipfile.ZipFile(path) as z:
        assert f'name="{LABEL}_Method"' in z.read("docProps/custom.xml").decode()


# Office 2021+ keeps a sensitivity label in its own part, found by a package relationship
# (MS-OFFCRYPTO 2.6.2 and 2.6.4; MS-OI29500 3.4.1.5); with the label policy opted in to
# it, the custom properties no longer hold the label
LABEL_INFO = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<clbl:labelList xmlns:clbl='
    b'"http://schemas.microsoft.com/office/2020/mipLabelMetadata"><clbl:label id="{f42aa342-'
    b'8706-4288-bd11-ebb85995028c}" enabled="1" method="Standard" siteId="{72f988bf-86f1-41af'
    b'-91ab-2d7cd011db47}" contentBits="0" removed="0"/></clbl:labelList>')


def test_a_labelinfo_sensitivity_label_is_carried(tmp_path):
    path = _label_rels(write(example_entries(), tmp_path / "w.xlsx"),
                       _label_rel("docMetadata/LabelInfo.xml"),
                       {"docMetadata/LabelInfo.xml": LABEL_INFO})
    outcome = regenerate(path)
    assert outcome.result == "regenerated", outcome.message
    with zipfile.ZipFile(path) as z:
        assert z.read("docMetadata/LabelInfo.xml") == LABEL_INFO
        assert "relationships/classificationlabels" in z.read("_rels/.rels").decode()
        assert "classificationlabels+xml" in z.read("[Content_Types].xml").decode()
    assert entries_of(path) == dataclasses.replace(example_entries(), label=LABEL_INFO)
    assert batch.regenerate([path])[0].result == "up to date"  # and it stays so


def test_threaded_comments_become_notes_and_the_outcome_says_so(tmp_path):
    """Excel 365 writes a threaded comment twice: in xl/threadedComments/ (which openpyxl
    drops) and as a note with the thread's text for older versions (which is carried).
    Regeneration keeps the note and says that the thread became one."""
    thread_id = "{2E8C1F3A-5B7D-4C9E-8F10-3A2B4C5D6E7F}"
    path = write(example_entries(), tmp_path / "w.xlsx")
    wb = load_workbook(path)
    fallback = ("[Threaded comment]\n\nYour version of Excel allows you to read this threaded "
                "comment; however, any edits to it will get removed if the file is opened in "
                "a newer version of Excel. Learn more: https://go.microsoft.com/fwlink/?"
                "linkid=870924\n\nComment:\n    Check the renewal date with Sales")
    wb["Register"]["A2"].comment = Comment(fallback, f"tc={thread_id}")
    wb.save(path)
    thread = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n<ThreadedComments '
              'xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments" '
              'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<threadedComment ref="A2" dT="2026-11-02T09:15:27.43" personId="{6B0C36D0-1A4F-'
              f'4B52-9D0A-0B1C5E7F9A11}}" id="{thread_id}"><text>Check the renewal date with '
              "Sales</text></threadedComment></ThreadedComments>")
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/threadedComments/threadedComment1.xml", thread)
    dry = batch.regenerate([path], dry_run=True)[0]
    assert dry.result == "would regenerate" and "threaded comments become notes" in dry.message
    outcome = regenerate(path)
    assert outcome.result == "regenerated", outcome.message
    assert "threaded comments become notes" in outcome.message
    note = load_workbook(path)["Register"]["A2"].comment
    assert note is not None and note.text.endswith("Check the renewal date with Sales")


def test_custom_properties_of_every_type_are_carried_as_written(tmp_path):
    """openpyxl reads six of the property types (others it drops with a warning), moves a
    time with an offset to UTC by dropping the offset (08:12+02:00 came back as 08:12Z, two
    hours later), drops fractions of a second, writes a float with 16 digits and a link's
    cached value as blank: regeneration lost such properties silently, or failed on them
    for good. The part is carried as written."""
    path = write(example_entries(), tmp_path / "w.xlsx")
    fmtid = "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}"
    props = "".join(f'<property fmtid="{fmtid}" pid="{pid}" name="{name}"{extra}>{value}'
                    "</property>" for pid, (name, value, extra) in enumerate([
                        ("Big", "<vt:i8>9000000000</vt:i8>", ""),
                        ("Plain", "<vt:lpstr>FY27</vt:lpstr>", ""),
                        ("Reviewed", "<vt:filetime>2026-09-01T08:12:44+02:00</vt:filetime>",
                         ""),
                        ("Stamp", "<vt:filetime>2026-09-01T08:12:44.123Z</vt:filetime>", ""),
                        ("Share", "<vt:r8>0.30000000000000004</vt:r8>", ""),
                        ("Linked", "<vt:lpwstr>EMEA</vt:lpwstr>", ' linkTarget="Region"')],
                        20))
    part = _with_custom(path, props)
    outcome = regenerate(path)
    assert outcome.result == "regenerated", outcome.message
    with zipfile.ZipFile(path) as z:
        assert z.read("docProps/custom.xml") == part
    assert batch.regenerate([path])[0].result == "up to date"


def test_a_label_found_by_a_path_with_dot_dot_is_carried(tmp_path):
    """A relationship's target is a path (ECMA-376 Part 2, 9.3): docMetadata/../docMetadata/
    LabelInfo.xml names the label part too; it was not found, and the label was lost."""
    path = _label_rels(write(example_entries(), tmp_path / "w.xlsx"),
                       _label_rel("docMetadata/../docMetadata/LabelInfo.xml"),
                       {"docMetadata/LabelInfo.xml": LABEL_INFO})
    assert regenerate(path).result == "regenerated"
    with zipfile.ZipFile(path) as z:
        assert z.read("docMetadata/LabelInfo.xml") == LABEL_INFO


def test_two_label_parts_or_damaged_relationships_are_refused_in_one_line(tmp_path):
    """The second of two label parts was dropped silently; a damaged _rels/.rels (which
    openpyxl does not read) failed as 'unclosed token: line 1, column 518'."""
    two = _label_rels(write(example_entries(), tmp_path / "two.xlsx"),
                      _label_rel("docMetadata/LabelInfo.xml")
                      + _label_rel("docMetadata/LabelInfo2.xml", "rId6"),
                      {"docMetadata/LabelInfo.xml": LABEL_INFO,
                       "docMetadata/LabelInfo2.xml": LABEL_INFO})
    outcome = batch.regenerate([two])[0]
    assert (outcome.result, outcome.message) == (
        "refused", ("holds what regeneration cannot carry, which would be lost: two "
                    "sensitivity label parts (docMetadata/LabelInfo.xml, docMetadata/"
                    "LabelInfo2.xml). Nothing was written"))
    result = CliRunner().invoke(main, ["report", str(two), "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0 and "refused" not in result.output, result.output  # read
    damaged = patch(write(example_entries(), tmp_path / "damaged.xlsx"), "_rels/.rels",
                    lambda t: t.replace("</Relationships>", "<Relationship"))
    outcome = batch.regenerate([damaged])[0]
    assert outcome.result == "refused"
    assert outcome.message.startswith("part _rels/.rels is damaged (unclosed token")


def test_an_author_a_user_set_is_carried(tmp_path):
    """File > Info's Author (the core properties' creator) was set back to 'xlcredits
    <version>' by every regeneration; an author xlcredits wrote still becomes the current
    version."""
    path = write(example_entries(), tmp_path / "w.xlsx")
    ours = patch(write(example_entries(), tmp_path / "ours.xlsx"), "docProps/core.xml",
                 lambda t: re.sub(r"<dc:creator>[^<]*", "<dc:creator>xlcredits 0.0.1", t))
    patch(path, "docProps/core.xml",
          lambda t: re.sub(r"<dc:creator>[^<]*", "<dc:creator>Finance Team", t))
    for p in (path, ours):
        outcome = batch.regenerate([p], force=True)[0]
        assert outcome.result == "regenerated", outcome.message
    assert load_workbook(path).properties.creator == "Finance Team"
    assert load_workbook(ours).properties.creator == load_workbook(
        write(example_entries(), tmp_path / "new.xlsx")).properties.creator


def test_a_label_named_in_another_case_is_carried(tmp_path):
    """Part names compare without case (ECMA-376 Part 2, 6.2.2.3): a relationship to
    docmetadata/labelinfo.xml names docMetadata/LabelInfo.xml; the label was lost."""
    path = _label_rels(write(example_entries(), tmp_path / "w.xlsx"),
                       _label_rel("docmetadata/labelinfo.xml"),
                       {"docMetadata/LabelInfo.xml": LABEL_INFO})
    assert regenerate(path).result == "regenerated"
    with zipfile.ZipFile(path) as z:
        assert z.read("docMetadata/LabelInfo.xml") == LABEL_INFO


def test_a_dtd_in_the_package_relationships_is_refused_in_one_line(tmp_path):
    """openpyxl does not read _rels/.rels; the label search does, with defusedxml, whose
    refusal of a DTD was a traceback in report and 'EntitiesForbidden(name=...)' in
    regenerate."""
    path = patch(write(example_entries(), tmp_path / "w.xlsx"), "_rels/.rels", lambda t: re.sub(
        r"^<\?xml[^>]*\?>", "", t).replace("<Relationships", '<!DOCTYPE r [<!ENTITY a "a">]>'
                                           "<Relationships", 1))
    reason = ("part _rels/.rels contains XML entity or DTD declarations, which are refused "
              "(EntitiesForbidden)")
    outcome = batch.regenerate([path])[0]
    assert (outcome.result, outcome.message) == ("refused", reason)
    result = CliRunner().invoke(main, ["report", str(path), "--out", str(tmp_path / "r.xlsx")])
    assert f"refused: {path}: {reason}" in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cells_a_user_formatted_are_named_in_the_outcome(tmp_path):
    """A fill or a font a user gave register entries is laid out afresh by the new
    template: not carried (LibreOffice rewrites every style, so carrying would pin every
    workbook it saved to its old look), but no longer silently."""
    from openpyxl.styles import Font, PatternFill

    path = write(example_entries(), tmp_path / "w.xlsx")
    assert "fills and fonts" not in regenerate(path).message  # xlcredits' own: nothing
    wb = load_workbook(path)
    for cell in ("A3", "B3", "F5"):
        wb["Register"][cell].fill = PatternFill("solid", start_color="FFFF00")
    wb["Register"]["C7"].font = Font(bold=True, color="FF0000")
    wb["Register"]["C9"].number_format = "@"  # a format is carried, so not named
    wb.save(path)
    dry = batch.regenerate([path], dry_run=True)[0]
    assert "the fills and fonts of 4 register cells (A3, B3, F5 and 1 more)" in dry.message
    outcome = batch.regenerate([path])[0]
    assert outcome.result == "regenerated"
    assert "the fills and fonts of 4 register cells (A3, B3, F5 and 1 more) are the new " \
           "template's, not their own" in outcome.message
