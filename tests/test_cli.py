"""The command line, driven in-process; and safe writing of workbooks."""

import os
import stat

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from xlcredits.cli import main
from xlcredits.workbook.build import build
from xlcredits.workbook.entries import template_entries


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_example_writes_both_workbooks_and_the_position(tmp_path):
    out, tpl = tmp_path / "ex.xlsx", tmp_path / "t" / "tpl.xlsx"
    tpl.parent.mkdir()  # --out and --template-out name folders that exist
    result = run("example", "--out", str(out), "--template-out", str(tpl))
    assert result.exit_code == 0
    assert out.exists() and tpl.exists()
    # the bundled sample: 12 entries; PSV-001 expired with 120 hours x $180 = $21,600 left
    assert "12 entitlements worth $282,100" in result.output
    assert "PSV-001: Partner service vouchers, $21,600 at risk" in result.output
    assert "EXPIRED 1, LAPSE RISK 2, 90% 2, 75% 4, 50% 1, OK 2" in result.output
    assert load_workbook(out)["Register"]["A2"].value == "FLX-001"


def test_rerun_leaves_an_identical_file_alone(tmp_path):
    path = tmp_path / "t.xlsx"
    run("template", "--out", str(path))
    before = path.stat().st_mtime_ns
    result = run("template", "--out", str(path))
    assert "Up to date" in result.output and path.stat().st_mtime_ns == before


def test_a_file_someone_typed_into_is_backed_up_first(tmp_path):
    path = tmp_path / "t.xlsx"
    run("template", "--out", str(path))
    os.chmod(path, 0o640)
    wb = load_workbook(path)
    wb["Register"]["A2"] = "MINE-1"
    wb.save(path)
    result = run("template", "--out", str(path))
    backups = list(tmp_path.glob("t.*.bak.xlsx"))
    assert len(backups) == 1 and "kept as" in result.output
    assert load_workbook(backups[0])["Register"]["A2"].value == "MINE-1"
    assert load_workbook(path)["Register"]["A2"].value is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # permissions kept
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_a_failed_save_leaves_the_old_file(tmp_path, monkeypatch):
    from xlcredits.workbook import files
    path = tmp_path / "t.xlsx"
    run("template", "--out", str(path))
    original = path.read_bytes()

    def broken_write(target, data):
        with open(target, "wb") as f:
            f.write(data[:100])  # half a zip
        raise OSError(28, "No space left on device")

    wb = build(template_entries())
    monkeypatch.setattr(files, "_write_file", broken_write)
    with pytest.raises(files.WriteFailed, match=f"cannot write in {tmp_path}: no space"):
        files.save_workbook(wb, path)  # the fault really happened, and is named
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]


def test_a_failed_making_of_the_workbook_names_the_temporary_folder(tmp_path, monkeypatch):
    """openpyxl writes each sheet through the system's temporary folder before anything
    is written beside the workbook."""
    import tempfile

    from xlcredits.workbook import files
    path = tmp_path / "t.xlsx"
    run("template", "--out", str(path))
    original = path.read_bytes()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))
    with pytest.raises(files.WriteFailed, match=f"cannot write in {tmp_path / 'gone'}"):
        files.save_workbook(build(template_entries()), path)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["t.xlsx"]


def test_rates_lists_the_rate_card():
    result = run("rates")
    assert result.exit_code == 0
    assert "flex.pack_price" in result.output and "assumption" in result.output


def test_bad_usage_is_a_clean_message():
    result = CliRunner().invoke(main, ["example", "--out"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    result = CliRunner().invoke(main, ["screenshots", "--workbook", "/nonexistent.xlsx"])
    assert result.exit_code == 2 and "does not exist" in result.output
