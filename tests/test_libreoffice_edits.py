"""A real second program: LibreOffice opens generated workbooks, makes the edits users make
and saves them as xlsx (xlcredits/devtools/lo_edit.py); every saved workbook then
regenerates with every entry identical, and reports (issue 11, item 7)."""

import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlcredits import batch
from xlcredits.cli import main
from xlcredits.devtools import libreoffice, lo_edit
from xlcredits.workbook.build import build
from xlcredits.workbook.entries import Formula, Value, example_entries
from xlcredits.workbook.files import write_workbook
from xlcredits.workbook.read import open_workbook, read_entries

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not lo_edit.available() and not os.environ.get(
        "XLCREDITS_REQUIRE_LIBREOFFICE"), reason="needs soffice and python3-uno"),
]

EXAMPLE = Path(__file__).parents[1] / "workbooks" / "example.xlsx"


def entries_of(path: Path):
    wb = open_workbook(path)
    try:
        return read_entries(path, wb)
    finally:
        wb.close()


def plain(value):
    return value.value if isinstance(value, Value) else value


def register(entries) -> list[dict]:
    """Entries as plain values (a LibreOffice save may spell a number format differently)."""
    return [{k: plain(v) for k, v in row.items()} for row in entries.register]


E = example_entries().register  # rows 2..13 of the example
NEW = {"id": "NEW-1", "credit_type": "Flex Credits", "balance": 1000, "consumed": 250,
       "start": date(2026, 1, 1), "expiry": date(2026, 12, 31)}

# name -> (edits on the Register sheet, the register expected after them)
JOBS = {
    "noedit": ([], E),
    "set_number": ([{"op": "set", "cell": "F2", "value": 555}],
                   [dict(E[0], balance=555), *E[1:]]),
    "type_new_entry": ([{"op": "set", "cell": "A14", "value": "NEW-1"},
                        {"op": "set", "cell": "B14", "value": "Flex Credits"},
                        {"op": "type", "cell": "F14", "text": "1,000"},
                        {"op": "set", "cell": "G14", "value": 250},
                        {"op": "date", "cell": "H14", "value": "2026-01-01"},
                        {"op": "type", "cell": "I14", "text": "2026-12-31"}], [*E, NEW]),
    "sort": ([{"op": "sort", "range": "A1:U13", "column": "F", "ascending": False}],
             sorted(E, key=lambda r: -r["balance"])),
    "delete_row": ([{"op": "delete_rows", "row": 3}], [E[0], *E[2:]]),
    "insert_rows": ([{"op": "insert_rows", "row": 3, "count": 2}], [E[0], {}, {}, *E[1:]]),
    "comment": ([{"op": "comment", "cell": "A2", "text": "Checked by finance"}], E),
    "hyperlink": ([{"op": "hyperlink", "cell": "D2", "text": "Q-2026-0142",
                    "url": "https://example.com/quotes/Q-2026-0142"}], E),
    "formula": ([{"op": "formula", "cell": "G2", "formula": "=7000000+400000"}],
                [dict(E[0], consumed=Formula("=7000000+400000")), *E[1:]]),
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Every job run in one LibreOffice session; {name: the workbook LibreOffice saved}."""
    folder = tmp_path_factory.mktemp("lo")
    source = folder / "source.xlsx"
    write_workbook(build(example_entries()), source)
    jobs, out = [], {}
    for name, (edits, _) in JOBS.items():
        out[name] = folder / "saved" / f"{name}.xlsx"
        out[name].parent.mkdir(exist_ok=True)
        jobs.append({"input": str(source), "output": str(out[name]), "edits": edits,
                     "sheet": "Register"})
    lo_edit.edit_many(jobs, timeout=300, author="Test User")
    return out


@pytest.mark.parametrize("name", list(JOBS))
def test_a_libreoffice_save_regenerates_with_every_entry_identical(saved, name, tmp_path):
    path = tmp_path / f"{name}.xlsx"
    shutil.copy(saved[name], path)
    before = entries_of(path)
    assert register(before) == JOBS[name][1]  # the edit is what was read...
    outcome = batch.regenerate([path])[0]
    assert outcome.result == "regenerated", outcome.message
    assert "fills and fonts" not in outcome.message  # LibreOffice's own styles: no notice
    after = entries_of(path)
    assert after == before  # ...and regeneration carried every entry, exactly
    assert after.tco == example_entries().tco and after.as_of == example_entries().as_of


def test_comment_and_hyperlink_made_in_libreoffice_are_carried(saved, tmp_path):
    for name in ("comment", "hyperlink"):
        shutil.copy(saved[name], tmp_path / f"{name}.xlsx")
    assert all(o.ok for o in batch.regenerate([tmp_path]))
    comment = entries_of(tmp_path / "comment.xlsx").notes[("Register", 2, "id")]
    assert comment.comment.strip() == "Checked by finance"
    link = entries_of(tmp_path / "hyperlink.xlsx").notes[("Register", 2, "contract")]
    assert link.link == "https://example.com/quotes/Q-2026-0142"


def test_the_report_of_libreoffice_saves_counts_the_formula_by_its_value(saved, tmp_path):
    """LibreOffice saved 7,400,000 for =7000000+400000: the report equals the plain one."""
    def total(name):
        result = CliRunner().invoke(main, ["report", str(saved[name]),
                                           "--out", str(tmp_path / f"{name}-report.xlsx")])
        assert result.exit_code == 0, result.output
        return re.search(r"12 entries in 1 workbook, as of 2026-10-31; value at risk "
                         r"\$([\d,]+)", result.output).group(1)
    assert total("formula") == total("noedit")


def test_the_example_converted_by_libreoffice_regenerates_cleanly(tmp_path):
    """The before-stop check: soffice --convert-to xlsx, then `xlcredits regenerate`."""
    converted = libreoffice.convert(EXAMPLE, "xlsx", tmp_path / "converted")
    before = entries_of(converted)
    assert register(before) == register(entries_of(EXAMPLE))
    result = CliRunner().invoke(main, ["regenerate", str(converted)])
    assert result.exit_code == 0, result.output
    assert re.search(r"example\.xlsx +regenerated +12", result.output)
    assert entries_of(converted) == before


@pytest.mark.parametrize("name", ["noedit", "sort", "comment", "hyperlink", "formula"])
def test_libreoffice_saves_read_the_same_with_the_fast_reader(saved, name, monkeypatch):
    """tables._FastSheet reads what LibreOffice writes exactly as openpyxl's parser does."""
    from test_fast_sheet import both

    fast, slow = both(saved[name], monkeypatch)
    assert not isinstance(fast, str), fast
    assert fast == slow
