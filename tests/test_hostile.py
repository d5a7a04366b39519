"""Defects found by a hostile review of the CLI, the files and the formulas (each test failed
before its fix)."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from xlcredits.cli import main


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_regenerate_a_workbook_with_dates_twice_is_up_to_date(tmp_path):
    # the example holds register dates and an as-of date: once regenerated, a second run
    # has nothing to do (README: "up to date", no write, no backup)
    with CliRunner().isolated_filesystem(temp_dir=tmp_path):
        assert invoke("example").exit_code == 0
        book = Path("workbooks/example.xlsx")
        before = book.read_bytes()
        result = invoke("regenerate", book)
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output and "regenerated" not in result.output
        assert book.read_bytes() == before
        assert list(book.parent.glob("*.bak.xlsx")) == []


def _example(tmp_path) -> Path:
    with CliRunner().isolated_filesystem(temp_dir=tmp_path) as d:
        assert invoke("example").exit_code == 0
        return Path(d) / "workbooks" / "example.xlsx"


def test_report_text_in_grace_days_is_left_out_not_a_traceback(tmp_path):
    from openpyxl import load_workbook
    book = _example(tmp_path)
    wb = load_workbook(book)
    wb["Register"]["J2"] = "ten"  # Grace days of FLX-001, typed as text (e.g. pasted)
    wb.save(book)
    result = invoke("report", book, "--out", tmp_path / "r.xlsx")
    assert result.exit_code == 1, result.output
    assert "row 2 (ID FLX-001), Grace days: 'ten' is not a number" in result.output
    assert "11 entries in 1 workbook" in result.output  # the other eleven counted


def test_calendar_two_entries_with_one_id_get_their_own_events(tmp_path):
    # a duplicated ID (the workbook's check flags it, but it happens): two entitlements,
    # two expiry events; with one UID a calendar program keeps only one of them
    from openpyxl import load_workbook
    book = _example(tmp_path)
    wb = load_workbook(book)
    ws = wb["Register"]
    for c in range(1, 16):
        ws.cell(14, c).value = ws.cell(2, c).value  # FLX-001 again
    ws["C14"], ws["D14"] = "Second Flex contract", "C-999"
    wb.save(book)
    out = tmp_path / "x.ics"
    result = invoke("calendar", book, "--out", out)
    assert result.exit_code == 0, result.output
    text = out.read_text()
    uids = [line for line in text.splitlines() if line.startswith("UID:")]
    assert len(uids) == len(set(uids))
    assert text.count("SUMMARY:FLX-001 expires:") == 2


def test_build_a_bad_value_in_a_later_group_writes_no_workbook(tmp_path):
    # the first owner's lines are good, the second owner's line 3 is not: the command
    # stops with the line named, and no half of the split is left in the folder
    data = tmp_path / "export.csv"
    data.write_bytes(
        "ID;Credit type;Contracted balance;Consumed to date;Start date;Expiry date;Owner\r\n"
        "A-1;Flex Credits;1.000;10;15/01/2026;31/12/2026;Zoë Müller\r\n"
        "A-2;Flex Credits;2.000;abc;15/01/2026;31/12/2026;Jörg\r\n".encode("cp1252"))
    result = invoke("build", data, "--by", "Owner", "--out", tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert "Consumed to date (line 3)='abc' is not a number" in result.output
    assert list((tmp_path / "out").glob("*.xlsx")) == []


def test_calendar_never_writes_inf(tmp_path):
    # 1e308 credits at $1e10 each: the value at risk overflows a double; the report refuses
    # it, the calendar said "Value at risk: $inf" (README: never inf)
    from openpyxl import load_workbook
    book = _example(tmp_path)
    wb = load_workbook(book)
    wb["Register"]["F2"], wb["Register"]["G2"], wb["Register"]["K2"] = 1e308, 0, 1e10
    wb.save(book)
    out = tmp_path / "x.ics"
    result = invoke("calendar", book, "--out", out)
    assert result.exit_code == 0, result.output
    text = out.read_text().replace("\r\n ", "")  # unfold the lines
    assert "$inf" not in text and "$nan" not in text
    assert "Value at risk: too large to compute" in text


def test_logins_period_ending_in_9999_is_a_usage_error(tmp_path):
    # 9999-12 was a traceback (ValueError: year 10000 is out of range)
    history = tmp_path / "h.csv"
    history.write_text("Username,Login Time,Login Type,Status\n"
                       "a@x.com,2026-01-15T23:30:05.000Z,Chatter Communities External User,"
                       "Success\n")
    result = CliRunner().invoke(main, ["logins", str(history), "--login-price", "2",
                                       "--member-price", "5", "--period", "2026-01",
                                       "9999-12"])
    assert result.exit_code == 2, result.output
    assert "9999-12" in result.output and "give a month before 9999-12" in result.output


def test_calendar_expiry_at_the_end_of_time(tmp_path):
    # expiry 9999-12-31 plus 30 grace days was a traceback (OverflowError); so was a
    # weekly review from --as-of 9999-12-31 (its Monday is in year 10000)
    from datetime import datetime

    from openpyxl import load_workbook
    book = _example(tmp_path)
    wb = load_workbook(book)
    ws = wb["Register"]
    ws["I2"], ws["J2"] = datetime(9999, 12, 31), 30  # FLX-001
    ws["I3"] = datetime(9999, 12, 31)  # FLX-002, no grace
    wb.save(book)
    out = tmp_path / "x.ics"
    result = invoke("calendar", book, "--out", out)
    assert result.exit_code == 0, result.output
    assert "after 9999-12-31 (check the dates): FLX-001" in result.output
    assert "SUMMARY:FLX-002 expires" in out.read_text()
    result = invoke("calendar", book, "--out", out, "--as-of", "9999-12-31")
    assert result.exit_code == 2  # refused, as the template's own date validation would
    assert "give a day from 2000-01-01 to 2100-12-31" in result.output
    result = invoke("calendar", book, "--out", out, "--as-of", "1900-01-01")
    assert result.exit_code == 2 and "'--as-of'" in result.output  # no 126 years of reviews


def test_calendar_reminders_none_or_refused_when_empty(tmp_path):
    book = _example(tmp_path)
    out = tmp_path / "x.ics"
    result = invoke("calendar", book, "--out", out, "--remind", "")
    assert result.exit_code == 2 and "'none' for no reminders" in result.output
    result = invoke("calendar", book, "--out", out, "--remind", "none")
    assert result.exit_code == 0, result.output
    assert "0 reminders" in result.output and "TRIGGER" not in out.read_text()


def test_a_login_period_of_centuries_is_refused(tmp_path):
    history = tmp_path / "h.csv"
    history.write_text("UserId,LoginTime,LoginType,Status\n", encoding="utf-8")
    # (2300 - 1900) x 12 + 12 months
    result = invoke("logins", history, "--login-price", "2", "--member-price", "5",
                    "--period", "1900-01", "2300-12")
    assert result.exit_code == 2
    assert "4,812 months long" in result.output and "at most 120 months" in result.output


def test_calendar_cadence_of_an_empty_register(tmp_path):
    # the command lets --cadence run without entries; it was a traceback (KeyError 'as_of')
    assert invoke("template", "--out", tmp_path / "t.xlsx").exit_code == 0
    out = tmp_path / "x.ics"
    result = invoke("calendar", tmp_path / "t.xlsx", "--out", out, "--cadence")
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "SUMMARY:Update the credits register" in text
    assert "SUMMARY:Quarterly credits review" in text
    assert "expires" not in text


def test_creditdepletion_over_a_range_says_not_before_expiry():
    # a range in: the entry that does not run out showed a blank (None) instead of the
    # "not before expiry" one cell gets. Hand computation: 900 used in the 182 days
    # 2026-01-01..07-01, 100 left at 900/182 a day lasts 20.2 days: 2026-07-22
    from datetime import datetime

    from xlcredits.udfs import CREDITDEPLETION
    one = CREDITDEPLETION(1000.0, 300.0, "2026-01-01", "2026-12-31", "2026-07-01")
    assert one == "not before expiry"
    got = CREDITDEPLETION([[1000.0], [1000.0]], [[300.0], [900.0]], "2026-01-01",
                          "2026-12-31", "2026-07-01")
    assert got == [["not before expiry"], [datetime(2026, 7, 22)]]
    assert CREDITDEPLETION([1000.0, 1000.0], 300.0, "2026-01-01", "2026-12-31",
                           "2026-07-01") == ["not before expiry"] * 2


def test_usagedrawdown_header_in_another_order_is_refused_not_misread():
    # the header row was only skipped: columns were read by position whatever it said,
    # so Start, Expiry, Quantity pasted in that order read the quantity as a 1902 start
    # date ("C1=1902-09-26 expires before it starts"); a usage table headed Date, Product,
    # Usage type, Quantity said "Quantity is blank"; Subtype and Environment swapped were
    # read silently wrong
    from xlcredits.udfs import USAGEDRAWDOWN
    usage = [["2026-01-15", "Flex", "Action", None, None, 100.0]]
    pasted = [["Contract", "Product", "Start", "Expiry", "Quantity"],
              ["C1", "Flex", 46023.0, 46112.0, 1000.0]]  # 2026-01-01, 2026-03-31
    got = USAGEDRAWDOWN(pasted, usage)
    assert isinstance(got, str) and got.startswith(
        "USAGEDRAWDOWN: entitlements column 3='Start' is not Quantity; put the columns in "
        "this order: Contract, Product, Quantity, Start, Expiry")
    # the order the help gives still works: 1000 new, 100 drawn in January, 900 left
    right = [["Contract", "Product", "Quantity", "Start", "Expiry"],
             ["C1", "Flex", 1000.0, 46023.0, 46112.0]]
    assert USAGEDRAWDOWN(right, usage)[1][:8] == ["2026-01", "Flex", "C1", 0.0, 1000.0,
                                                  100.0, 0.0, 900.0]


def test_report_counts_a_hard_linked_workbook_once(tmp_path):
    # two names of one file (a hard link) were read as two workbooks: the report counted
    # every entry twice (24 entries, double the value at risk); the example alone has 12
    import os
    book = _example(tmp_path)
    folder = tmp_path / "books"
    folder.mkdir()
    os.replace(book, folder / "a.xlsx")
    os.link(folder / "a.xlsx", folder / "b.xlsx")
    result = invoke("report", folder, "--out", tmp_path / "r.xlsx")
    assert result.exit_code == 0, result.output
    assert "12 entries in 1 workbook" in result.output


def test_report_out_naming_an_input_register_is_a_usage_error(tmp_path):
    # the report left its own output out of the inputs, so `report x.xlsx --out x.xlsx`
    # said "no register entries found", and with a second input wrote the report over
    # the register x.xlsx
    import shutil
    book = _example(tmp_path)
    other = tmp_path / "other.xlsx"
    shutil.copy(book, other)
    before = book.read_bytes()
    for inputs in ([book], [book, other]):
        result = invoke("report", *inputs, "--out", book)
        assert result.exit_code == 2, result.output
        assert "is one of the workbooks to report on" in result.output
    assert book.read_bytes() == before


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf", b" , ,\r\n"])
def test_an_empty_export_is_called_empty(tmp_path, content):
    """It was 'column Owner is not a column of empty.csv; use one of' (nothing), and for
    Login History '0 columns has no user, time, status column'."""
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    for args in (["build", str(path), "--by", "Owner", "--out", str(tmp_path / "out")],
                 ["logins", str(path), "--login-price", "2", "--member-price", "5"]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code != 0
        assert "empty.csv: is empty: it has no header line" in result.output, result.output
    assert not (tmp_path / "out").exists()


def _owners_export(tmp_path, rows, suffix, delimiter=","):
    """An export of the register's two first columns and Owner, as ``rows``."""
    path = tmp_path / f"export{suffix}"
    if suffix == ".csv":
        path.write_text("\r\n".join(delimiter.join(r) for r in rows) + "\r\n",
                        encoding="utf-8")
    else:
        from openpyxl import Workbook
        wb = Workbook()
        for i, r in enumerate(rows, 1):
            for j, v in enumerate(r, 1):
                wb.active.cell(i, j, v or None)
        wb.save(path)
    return path


@pytest.mark.parametrize("suffix, delimiter", [(".csv", ","), (".csv", ";"), (".xlsx", "")])
def test_an_export_with_blank_lines_above_its_header_is_read(tmp_path, suffix, delimiter):
    """A blank first line (a sheet whose header is in row 2) was called 'is empty: it has no
    header line', of a file holding a header and entries; the delimiter is the header's."""
    rows = [[], ["ID", "Credit type", "Owner"], ["A-1", "Flex Credits", "Zoe"],
            ["A-2", "Flex Credits", "Ann"]]
    path = _owners_export(tmp_path, rows, suffix, delimiter)
    result = invoke("build", path, "--by", "Owner", "--out", tmp_path / "out")
    assert "is empty" not in result.output, result.output
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["Ann.xlsx", "Zoe.xlsx"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_an_export_with_a_column_twice_is_refused(tmp_path, suffix):
    """Two columns headed Owner: each row kept the second's value under that name and the
    first's was lost without a word (Zoe's entry was filed under Ann)."""
    rows = [["ID", "Credit type", "Owner", "Owner"], ["A-1", "Flex Credits", "Zoe", "Ann"]]
    path = _owners_export(tmp_path, rows, suffix)
    result = invoke("build", path, "--by", "Owner", "--out", tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert (f"export{suffix}: has two columns headed 'Owner' (C and D); rename or delete "
            "one") in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("rows, where", [
    ([["ID", "", "Owner"], ["A-1", "Flex Credits", "Zoe"]], "line 2, column B"),
    ([["ID", "Owner"], ["A-1", "Zoe", "Flex Credits"]], "line 2, column C"),
])
def test_a_value_under_no_header_is_refused(tmp_path, suffix, rows, where):
    """A value in a column without a header (blank, or right of the last) was dropped
    without a word, where a column with an unknown header is refused."""
    path = _owners_export(tmp_path, rows, suffix)
    result = invoke("build", path, "--by", "Owner", "--out", tmp_path / "out")
    assert result.exit_code == 1, result.output
    assert (f"export{suffix}: {where} holds 'Flex Credits' under no header; give the column "
            "a header or delete the value") in result.output
    assert not (tmp_path / "out").exists()
