"""Defects found by a hostile review of the CLI, the files and the formulas (each test failed
before its fix)."""

from pathlib import Path

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
