"""`xlcredits build` (one workbook per group, safely named) and `xlcredits report`."""

import csv
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import reference
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from xlcredits.cli import main
from xlcredits.workbook.entries import example_entries
from xlcredits.workbook.files import safe_filename
from xlcredits.workbook.reports import escape_csv

SAMPLE = Path(__file__).parents[1] / "xlcredits" / "data" / "sample_register.csv"


def export(tmp_path, edit=None, keep: int | None = None) -> Path:
    """The sample register as a CSV export, edited; only its first ``keep`` rows (fewer
    groups, fewer workbooks to build) when the test needs no more."""
    rows = list(csv.DictReader(SAMPLE.read_text("utf-8").splitlines()))
    if edit:
        edit(rows)
    rows = rows[:keep]
    path = tmp_path / "export.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    return path


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("name, safe", [("../../etc/passwd", "etc_passwd"), ("CON", "_CON"),
                                        ("lpt1.txt", "_lpt1.txt"), ("", "_"), ("..", "_"),
                                        ("EMEA/Sales", "EMEA_Sales"), ("a\\b:c", "a_b_c")])
def test_safe_filenames(name, safe):
    assert safe_filename(name) == safe


@pytest.mark.slow  # builds a workbook per group of the sample, 8 or 9
def test_build_one_workbook_per_group_safely_named(tmp_path):
    def hostile(rows):
        rows[0]["Owner"] = "../../escape"
        rows[1]["Owner"] = "CON"
        rows[2]["Owner"] = ""
    result = invoke("build", export(tmp_path, hostile), "--by", "Owner", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert "escape.xlsx" in names and "_CON.xlsx" in names and "unassigned.xlsx" in names
    assert not (tmp_path / "escape.xlsx").exists()  # nothing written outside --out
    ids = lambda name: [c.value for c in load_workbook(tmp_path / "out" / name)["Register"]["A"]
                        if c.value and c.row > 1]
    # Marco Rossi owns FLX-003 and PSV-001 in the sample; the edit left FLX-003 without owner
    assert ids("Marco Rossi.xlsx") == ["PSV-001"]
    assert ids("unassigned.xlsx") == ["FLX-003"]
    assert ids("escape.xlsx") == ["FLX-001"] and ids("_CON.xlsx") == ["FLX-002"]


def test_an_owner_called_unassigned_and_a_blank_owner_get_a_file_each(tmp_path):
    def edit(rows):
        rows[0]["Owner"] = "Zoe\u0308 M\u00fcller"  # decomposed, as macOS may hand it over
        rows[1]["Owner"] = "unassigned"
        rows[2]["Owner"] = ""
    out = tmp_path / "out"
    result = invoke("build", export(tmp_path, edit, keep=3), "--by", "Owner", "--out", out)
    assert result.exit_code == 0, result.output
    assert result.output.count("Created folder") == 1
    ids = lambda name: [c.value for c in load_workbook(out / name)["Register"]["A"]
                        if c.value and c.row > 1]
    assert ids("Zo\u00eb M\u00fcller.xlsx") == ["FLX-001"]  # the name, not "Zo_ M_ller"
    assert ids("unassigned.xlsx") == ["FLX-002"]
    assert ids("unassigned-2.xlsx") == ["FLX-003"]  # the blank owner's, not merged into it


def test_a_refused_build_announces_and_leaves_no_folder(tmp_path):
    def edit(rows):
        rows[3]["Contracted balance"] = "lots"
    out = tmp_path / "out"
    result = invoke("build", export(tmp_path, edit), "--by", "Owner", "--out", out)
    assert result.exit_code != 0 and "lots" in result.output
    assert "Created folder" not in result.output and not out.exists()


@pytest.mark.slow  # builds a workbook per group of the sample, 8 or 9
def test_build_from_xlsx_and_unknown_column(tmp_path):
    wb = Workbook()
    ws = wb.active
    rows = list(csv.reader(SAMPLE.read_text("utf-8").splitlines()))
    for r in rows:
        ws.append(r)
    wb.save(tmp_path / "export.xlsx")
    result = invoke("build", tmp_path / "export.xlsx", "--by", "Credit type", "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "Flex Credits.xlsx").exists()
    result = invoke("build", tmp_path / "export.xlsx", "--by", "Region", "--out", tmp_path / "o")
    assert result.exit_code == 2 and "column='Region' is not a column of export.xlsx" in result.output
    assert "--by" in result.output
    assert "Traceback" not in result.output


@pytest.mark.slow  # builds a workbook per group of the sample, 8 or 9
def test_report_numbers_match_an_independent_computation_and_csv_is_escaped(tmp_path):
    def inject(rows):
        rows[0]["Notes"] = '=HYPERLINK("http://evil")'
        rows[0]["Product / entitlement"] = "@SUM(1)"
    invoke("build", export(tmp_path, inject), "--by", "Owner", "--out", tmp_path / "units")
    (tmp_path / "units" / "broken.xlsx").write_text("not a workbook")
    result = invoke("report", tmp_path / "units", "--out", tmp_path / "report.xlsx")
    assert result.exit_code == 1  # one file refused: reported, the rest rolled up
    assert "refused" in result.output and "12 entries in 7 workbooks" in result.output
    today = date.today()  # the workbooks built from an export have no as-of date
    expected = {e["id"]: reference.position(e, today) for e in example_entries().register}
    table = pd.read_csv(tmp_path / "report.csv")
    got = dict(zip(table["ID"], table["Value at risk ($)"]))
    assert got == pytest.approx({k: v["value_at_risk"] for k, v in expected.items()}, abs=0.005)
    assert dict(zip(table["ID"], table["Alert"].fillna(""))) == {
        k: v["alert"] for k, v in expected.items()}
    assert list(table["Value at risk ($)"]) == sorted(table["Value at risk ($)"], reverse=True)
    assert "'@SUM(1)" in set(table["Product / entitlement"])
    raw = (tmp_path / "report.csv").read_text()
    assert ",=HYPERLINK" not in raw and "@SUM(1)" not in raw.replace("'@SUM(1)", "")
    wb = load_workbook(tmp_path / "report.xlsx")
    assert wb.sheetnames == ["Summary", "Entries"] and len(wb["Summary"]._charts) == 2
    summary = [c.value for c in wb["Summary"]["A"] if c.value]
    for heading in ("By credit type", "By owner", "By alert", "By expiry quarter"):
        assert heading in summary


def test_escape_csv():
    assert [escape_csv(v) for v in ("=1", "+1", "-1", "@a", "\tx", "\rx", "ok", -1)] == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "ok", -1]


def european_export(tmp_path, start="15/01/2026") -> Path:
    """The sample as a European Excel saves "CSV": cp1252, semicolons, decimal commas,
    thousands dots and day-first dates."""
    rows = list(csv.DictReader(SAMPLE.read_text("utf-8").splitlines()))[:2]
    rows[0]["Owner"] = "Frédéric Müller"
    for r in rows:
        r["Start date"] = start
        r["Expiry date"] = "31/12/2026"
        r["Contracted balance"] = f"{int(r['Contracted balance']):,}".replace(",", ".")
        r["Unit value ($)"] = r["Unit value ($)"].replace(".", ",")
    path = tmp_path / "export.csv"
    with open(path, "w", newline="", encoding="cp1252") as f:
        w = csv.DictWriter(f, rows[0].keys(), delimiter=";")
        w.writeheader()
        w.writerows(rows)
    return path


def test_build_from_a_european_csv(tmp_path):
    from datetime import date

    from xlcredits.tables import open_xlsx
    from xlcredits.workbook.read import read_entries
    result = invoke("build", european_export(tmp_path), "--by", "Owner", "--out",
                    tmp_path / "out")
    assert result.exit_code == 0, result.output
    path = next((tmp_path / "out").glob("Fr*.xlsx"))  # (safe_filename keeps it ASCII)
    wb = open_xlsx(path)
    assert read_entries(path, wb).register[0]["owner"] == "Frédéric Müller"  # cp1252 read
    entry = read_entries(path, wb).register[0]
    # FLX-001 of the sample: 12.720.000 credits at 0,005 from 15 January (the 15 proves the
    # order: day first) to 31 December 2026
    assert (entry["balance"], entry["unit_value"]) == (12_720_000, 0.005)
    assert (entry["start"], entry["expiry"]) == (date(2026, 1, 15), date(2026, 12, 31))
    # every date ambiguous is refused with the fix, or read in the order given
    ambiguous = european_export(tmp_path, start="01/02/2026")
    ambiguous.write_bytes(ambiguous.read_bytes().replace(b"31/12/2026", b"01/12/2026"))
    result = invoke("build", ambiguous, "--by", "Owner", "--out", tmp_path / "o2")
    assert result.exit_code == 1 and "add --date-order dmy or --date-order mdy" in result.output
    result = invoke("build", ambiguous, "--by", "Owner", "--out", tmp_path / "o3",
                    "--date-order", "dmy")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name, safe", [
    ("COM\u00b9", "_COM\u00b9"), ("lpt\u00b3.x", "_lpt\u00b3.x"),  # Windows reserves COM¹..³
    ("CON .txt", "_CON .txt"),  # Windows ignores the spaces before an extension
    ("\u0928\u092e\u0938\u094d\u0924\u0947", "\u0928\u092e\u0938\u094d\u0924\u0947"),  # नमस्ते
    ("\u0645\u064f\u062d\u064e\u0645\u064e\u0651\u062f",  # مُحَمَّد (NFC): vowel signs
     "\u0645\u064f\u062d\u064e\u0645\u064e\u0651\u062f"),  # are marks, not separators
])
def test_safe_filenames_of_other_scripts_and_windows_devices(name, safe):
    assert safe_filename(name) == safe


def test_a_long_name_in_a_script_of_three_byte_letters_fits_the_file_system(tmp_path):
    """100 CJK letters are 300 bytes in UTF-8; ext4 and APFS take 255 bytes a name, and a
    backup or the temporary file adds 28: the build failed with 'File name too long'."""
    name = "\u6f22" * 100
    assert len(safe_filename(name).encode()) <= 200
    assert safe_filename("\u00e9" * 150) == "\u00e9" * 100  # 200 bytes: kept whole
    def edit(rows):
        rows[0]["Owner"] = name
    out = tmp_path / "out"
    result = invoke("build", export(tmp_path, edit, keep=1), "--by", "Owner", "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / f"{safe_filename(name)}.xlsx").exists()


def test_names_one_case_blind_disk_takes_for_one_get_a_file_each(tmp_path):
    """Windows and macOS compare names without case by upper case, where a final sigma is
    a sigma: 'ΟΔΟΣ', 'οδος' and 'οδοσ' are one file there; str.lower kept them apart."""
    def edit(rows):
        rows[0]["Owner"], rows[1]["Owner"], rows[2]["Owner"] = (
            "\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c2", "\u03bf\u03b4\u03bf\u03c3")
    out = tmp_path / "out"
    result = invoke("build", export(tmp_path, edit, keep=3), "--by", "Owner", "--out", out)
    assert result.exit_code == 0, result.output
    stems = [p.stem for p in out.iterdir()]
    assert len({s.casefold() for s in stems}) == len(stems)
    assert len([s for s in stems if s.casefold().startswith("\u03bf\u03b4\u03bf")]) == 3


def test_an_owner_called_unassigned_keeps_its_name_whatever_comes_first(tmp_path):
    """With the blank owner's rows first in the export, the blank group took
    unassigned.xlsx and the owner called 'unassigned' got unassigned-2.xlsx: which file held
    whose entries depended on the order of the rows."""
    def edit(rows):
        rows[0]["Owner"] = ""
        rows[1]["Owner"] = "unassigned"
    out = tmp_path / "out"
    result = invoke("build", export(tmp_path, edit, keep=2), "--by", "Owner", "--out", out)
    assert result.exit_code == 0, result.output
    ids = lambda name: [c.value for c in load_workbook(out / name)["Register"]["A"]
                        if c.value and c.row > 1]
    assert ids("unassigned.xlsx") == ["FLX-002"]  # the owner's
    assert ids("unassigned-2.xlsx") == ["FLX-001"]  # the blank owner's


def test_a_folder_where_a_workbook_goes_is_named_and_nothing_is_written(tmp_path):
    """A folder called 'Marco Rossi.xlsx' in --out failed as 'cannot write in out: Is a
    directory', after the groups before it had been written unannounced."""
    out = tmp_path / "out"
    (out / "Marco Rossi.xlsx").mkdir(parents=True)
    result = invoke("build", export(tmp_path), "--by", "Owner", "--out", out)
    assert result.exit_code == 1, result.output
    assert (f"{out / 'Marco Rossi.xlsx'} is a folder; rename or move it, or write "
            "elsewhere") in result.output
    assert [p.name for p in out.iterdir()] == ["Marco Rossi.xlsx"]


def test_a_build_that_fails_midway_says_what_it_wrote(tmp_path, monkeypatch):
    """A disk that fills at the third workbook: the two written before were on disk but
    not told ('Error: ... no space left' was all the output)."""
    from xlcredits.workbook import files
    real, calls = files._write_file, []

    def filling(target, data):
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real(target, data)
    monkeypatch.setattr(files, "_write_file", filling)
    out = tmp_path / "out"
    result = invoke("build", export(tmp_path, keep=5), "--by", "Owner", "--out", out)
    assert result.exit_code == 1
    told = [line.split("Wrote ")[1].split(" (")[0] for line in result.output.splitlines()
            if line.startswith("Wrote ")]
    assert sorted(told) == sorted(str(p) for p in out.iterdir()) and len(told) == 2
    assert result.output.startswith(f"Created folder {out}\n")
    assert "no space left on the device" in result.output


def test_one_owner_spelled_composed_and_decomposed_is_one_workbook(tmp_path):
    """'Zoë' typed on Windows (ë one letter) and pasted from a Mac (e and a combining
    diaeresis) is the same text (Unicode canonical equivalence); it made Zoë.xlsx and
    Zoë-2.xlsx, one entry each."""
    def edit(rows):
        rows[0]["Owner"], rows[1]["Owner"] = "Zo\u00eb", "Zoe\u0308"
    out = tmp_path / "out"
    result = invoke("build", export(tmp_path, edit, keep=2), "--by", "Owner", "--out", out)
    assert result.exit_code == 0, result.output
    ids = lambda name: [c.value for c in load_workbook(out / name)["Register"]["A"]
                        if c.value and c.row > 1]
    assert ids("Zo\u00eb.xlsx") == ["FLX-001", "FLX-002"]
    assert not (out / "Zo\u00eb-2.xlsx").exists()


def test_an_owner_named_like_a_backup_gets_a_file_report_reads(tmp_path):
    """'Ops.20260101-101010.bak' made Ops.20260101-101010.bak.xlsx, which report and
    regenerate skip as one of xlcredits' own backups: its entries were never counted."""
    def edit(rows):
        rows[0]["Owner"] = "Ops.20260101-101010.bak"
    out = tmp_path / "out"
    result = invoke("build", export(tmp_path, edit, keep=1), "--by", "Owner", "--out", out)
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["Ops.20260101-101010.bak_.xlsx"]
    result = invoke("report", out, "--out", tmp_path / "r.xlsx")
    assert result.exit_code == 0, result.output
    assert "1 entry in 1 workbook" in result.output
