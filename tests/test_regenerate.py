"""Regeneration loses nothing: round trips with hostile data, migration from every frozen
template version, interrupted writes, failing replaces, and every refusal."""

import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from built import workbook_file
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from xlcredits import batch
from xlcredits.cli import main
from xlcredits.workbook import files
from xlcredits.workbook import schema as s
from xlcredits.workbook.build import build
from xlcredits.workbook.entries import Entries, Formula, Value, example_entries, template_entries
from xlcredits.workbook.read import open_workbook, read_entries

FROZEN = sorted((Path(__file__).parent / "frozen").glob("xlcredits-template-v*.xlsx"))
HOSTILE = ["=1+1", "+44 20 7946 0000", "-5", "@SUM(A1)", "#N/A", "#REF!", "0042", "007",
           "naïve café 中文 😀", "x" * 5000, "  padded  ", "line\nbreak", "cr\r\nlf",
           "_x000D_ literal", "tab\there", "TRUE", "1e10", ""]


def entries_of(path: Path) -> Entries:
    return read_entries(path, open_workbook(path))


def write(entries: Entries, path: Path) -> Path:
    return workbook_file(entries, path)  # built once per run for the same entries


def test_frozen_versions_exist_for_every_released_schema():
    assert [p.name for p in FROZEN] == [f"xlcredits-template-v{v}.xlsx"
                                        for v in range(1, s.SCHEMA_VERSION + 1)]


@pytest.mark.slow  # builds, fills and regenerates every released template
@pytest.mark.parametrize("frozen", FROZEN, ids=lambda p: p.stem)
def test_migration_from_each_frozen_template(frozen, tmp_path):
    """Fill the frozen template as a user would (by header text and names), regenerate."""
    path = tmp_path / "filled.xlsx"
    wb = load_workbook(frozen)
    ws = wb["Register"]
    col = {c.value: c.column for c in ws[1]}
    typed = {"ID": "007", "Credit type": "Flex Credits", "Product / entitlement": "=not a formula",
             "Contracted balance": 1000, "Consumed to date": 250.5,
             "Start date": datetime(2026, 1, 1), "Expiry date": datetime(2026, 12, 31),
             "Notes": "#N/A"}
    for header, value in typed.items():
        ws.cell(2, col[header]).value = value
        if isinstance(value, str):
            ws.cell(2, col[header]).data_type = "s"
    ws.cell(5, col["ID"]).value = "after a gap"
    ws.cell(5, col["Start date"]).value = datetime(2025, 3, 4)
    ws.cell(5, col["Start date"]).number_format = "dd/mm/yyyy"  # the user's own format
    tco = wb.defined_names["TCO_Seats"].attr_text.split("!")
    wb[tco[0].strip("'")][tco[1].replace("$", "")] = 321
    rates = wb["Rates"]
    for row in rates.iter_rows(min_row=2):
        if row[0].value == "flex.pack_price":
            row[1].value = 450  # a negotiated price
    wb.save(path)

    # the current version filled in is already what regeneration makes of it ("up to
    # date"): forced, so that its round trip is what is tested
    current = frozen.stem.endswith(f"v{s.SCHEMA_VERSION}")
    [outcome] = batch.regenerate([path], force=current)
    assert outcome.result == "regenerated", outcome.message
    after = load_workbook(path)
    reg = after["Register"]
    col = {c.value: c.column for c in reg[1]}  # the new version's columns, by header
    for header, value in typed.items():
        cell = reg.cell(2, col[header])
        assert cell.value == value, header  # same value ...
        assert isinstance(cell.value, str) == isinstance(value, str), header  # ... and kind
        assert isinstance(cell.value, datetime) == isinstance(value, datetime), header
    assert reg.cell(3, 1).value is None and reg.cell(5, 1).value == "after a gap"
    assert reg.cell(5, col["Start date"]).number_format == "dd/mm/yyyy"
    got = entries_of(path)
    assert got.tco["Seats"] == 321 and got.rates == {"flex.pack_price": 450}
    assert reg.cell(2, col["Projected lapse"]).value.startswith("=IF(F2")  # formulas rebuilt
    assert after.defined_names[s.VERSION_NAME].attr_text == str(s.SCHEMA_VERSION)
    assert reg.cell(2, col["Grace days"]).value is None  # v1 had none: blank


V1_EXAMPLE = Path(__file__).parent / "data" / "example-v1.xlsx"  # workbooks/example.xlsx as
# committed at schema 1 (xlcredits 0.1.0, commit ffa40b5): a filled version-1 workbook


def test_the_released_v1_template_ships_byte_identical_in_the_package():
    shipped = Path(s.__file__).parents[1] / "data" / "templates" / "xlcredits-template-v1.xlsx"
    assert shipped.read_bytes() == (Path(__file__).parent / "frozen" /
                                    "xlcredits-template-v1.xlsx").read_bytes()


def test_a_filled_v1_workbook_migrates_to_v2_with_every_entry_and_grace_blank(tmp_path):
    path = tmp_path / "example.xlsx"
    path.write_bytes(V1_EXAMPLE.read_bytes())
    wb = open_workbook(path)
    before = read_entries(path, wb)
    wb.close()
    assert len(before.register) == 12 and all("grace_days" not in e for e in before.register)
    [outcome] = batch.regenerate([path])
    assert outcome.result == "regenerated", outcome.message
    after = entries_of(path)
    assert after.register == before.register  # every entry, every field, grace blank
    assert (after.tco, after.rates, after.as_of) == (before.tco, before.rates, before.as_of)
    wb = load_workbook(path)
    assert wb.defined_names[s.VERSION_NAME].attr_text == "2"
    headers = [c.value for c in wb["Register"][1]]
    assert headers == [c.header for c in s.REGISTER]
    grace = headers.index("Grace days") + 1
    assert all(wb["Register"].cell(r, grace).value is None for r in range(2, 14))


def test_v1_data_outside_the_input_areas_is_still_refused(tmp_path):
    path = tmp_path / "example.xlsx"
    wb = load_workbook(V1_EXAMPLE)
    wb["Dashboard"]["A40"] = "my own note"
    wb["Register"]["P3"] = 1  # v1's Consumed % (P): a formula typed over
    wb.save(path)
    message = refusal(path)
    assert "Dashboard!A40" in message and "Register!P3" in message


text = st.one_of(st.sampled_from(HOSTILE), st.text(st.characters(blacklist_categories=("Cs",)),
                                                   max_size=60))
number = st.one_of(st.integers(0, 10**15), st.floats(0, 1e300, allow_nan=False,
                                                     allow_infinity=False),
                   st.floats(1e-300, 1e-3))
day = st.dates(date(1900, 3, 1), date(2099, 12, 31))
VALUE_OF = {"text": text, "choice": text, "number": number, "money": number, "date": day}


@st.composite
def registers(draw):
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        row = {}
        for c in s.REGISTER_INPUTS:
            value = draw(st.one_of(st.none(), VALUE_OF[c.kind]))
            if value is not None and value != "":
                row[c.key] = value
        rows.append(row)
    while rows and not rows[-1]:
        rows.pop()
    return rows


@pytest.mark.slow  # builds, regenerates and verifies a dozen workbooks
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=registers(), as_of=st.one_of(st.none(), day))
def test_any_register_content_survives_regeneration(rows, as_of, tmp_path):
    entries = Entries(register=rows, tco=template_entries().tco, as_of=as_of)
    path = write(entries, tmp_path / "w.xlsx")
    before = entries_of(path)
    # forced: the file is already up to date, and the round trip is what is tested
    [outcome] = batch.regenerate([path], backup_dir=tmp_path / "bak", force=True)
    assert outcome.result == "regenerated", outcome.message
    after = entries_of(path)
    assert after == before
    for got, typed in zip(after.register, rows):  # value and type, as typed
        for key, value in typed.items():
            assert got[key] == value and (type(got[key]) is type(value)
                                          or isinstance(value, (int, float)))
    for old in (tmp_path / "bak").iterdir():
        old.unlink()


def test_formulas_and_formats_in_input_cells_are_carried(tmp_path):
    entries = Entries(register=[{"id": "A", "balance": Formula("=2*500"),
                                 "start": Value(date(2026, 1, 2), "d mmm yyyy")}],
                      tco=template_entries().tco)
    path = write(entries, tmp_path / "w.xlsx")
    # forced: what xlcredits wrote is already up to date; the round trip is tested
    assert batch.regenerate([path], force=True)[0].result == "regenerated"
    row = entries_of(path).register[0]
    assert row["balance"] == "=2*500" and isinstance(row["balance"], Formula)
    assert row["start"] == Value(date(2026, 1, 2), "d mmm yyyy")


# --- never destroy -------------------------------------------------------------------

def test_killed_mid_write_leaves_the_original_intact(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    original = path.read_bytes()
    script = textwrap.dedent(f"""
        import time
        import xlcredits.workbook.files as files
        def slow_write(path, data):
            with open(path, "wb") as f:
                f.write(data[:1000])  # half written when the run is killed
                f.flush()
                time.sleep(60)
        files._write_file = slow_write
        from xlcredits import batch
        batch.regenerate([{str(path)!r}], force=True)  # up to date otherwise
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.time() + 30
    while not list(tmp_path.glob(".w.*.tmp.xlsx")) and time.time() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".w.*.tmp.xlsx")), "the run never started writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert path.read_bytes() == original
    assert entries_of(path) == example_entries()


def test_a_failing_replace_keeps_the_original_and_says_where_the_new_file_is(tmp_path,
                                                                             monkeypatch):
    path = write(example_entries(), tmp_path / "w.xlsx")
    original = path.read_bytes()
    real_replace = os.replace

    def refuse(src, dst):
        if Path(dst) == path:
            raise PermissionError(13, "Permission denied")
        return real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", refuse)
    [outcome] = batch.regenerate([path], force=True)  # up to date otherwise
    assert outcome.result == "failed"
    kept = tmp_path / "w.regenerated.xlsx"
    assert f"the new workbook is {kept}" in outcome.message
    assert path.read_bytes() == original and entries_of(kept) == example_entries()


def test_permissions_are_kept_and_the_backup_is_the_original(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    os.chmod(path, 0o600)
    original = path.read_bytes()
    [outcome] = batch.regenerate([path], backup_dir=tmp_path / "backups", force=True)
    assert outcome.result == "regenerated" and outcome.rows == 12
    assert (path.stat().st_mode & 0o777) == 0o600
    [backup] = (tmp_path / "backups").iterdir()
    assert backup.read_bytes() == original


# --- refusals ------------------------------------------------------------------------

def refusal(path: Path) -> str:
    [outcome] = batch.regenerate([path])
    assert outcome.result == "refused"
    return outcome.message


def test_refuses_a_newer_schema(tmp_path):
    wb = build(template_entries())
    wb.defined_names[s.VERSION_NAME] = DefinedName(s.VERSION_NAME, attr_text="99")
    wb.save(tmp_path / "new.xlsx")
    before = (tmp_path / "new.xlsx").read_bytes()
    assert refusal(tmp_path / "new.xlsx") == ("was made by a newer xlcredits (schema 99; this "
                                              f"is {s.SCHEMA_VERSION}): upgrade xlcredits")
    assert (tmp_path / "new.xlsx").read_bytes() == before


def test_refuses_a_workbook_not_made_by_xlcredits(tmp_path):
    Workbook().save(tmp_path / "other.xlsx")
    assert "is not an xlcredits workbook" in refusal(tmp_path / "other.xlsx")


def test_refuses_data_the_template_has_no_place_for(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    wb = load_workbook(path)
    remaining = get_column_letter(next(i for i, c in enumerate(s.REGISTER, 1)
                                       if c.key == "remaining"))
    wb["Register"][f"{remaining}3"] = 12345  # typed over the Remaining formula
    wb["TCO"]["D5"] = "my note"  # beside the model
    wb.create_sheet("Scratch")["A1"] = "keep me"  # a sheet of one's own is carried
    wb.save(path)
    message = refusal(path)
    assert message.startswith("has data outside the input areas")
    for place in (f"Register!{remaining}3", "TCO!D5"):
        assert place in message
    assert "Scratch" not in message


def test_entries_beyond_the_register_rows_are_carried_and_the_register_grows(tmp_path):
    path = write(template_entries(), tmp_path / "w.xlsx")
    wb = load_workbook(path)
    wb["Register"].cell(1 + s.REGISTER_ROWS + 1, 1).value = "row 501"
    wb["Register"].cell(1 + s.REGISTER_ROWS + 1, 6).value = 10
    wb.save(path)
    assert batch.regenerate([path])[0].result == "regenerated"
    register = load_workbook(path)["Register"]
    assert register["A502"].value == "row 501" and register["F502"].value == 10
    assert register.max_row == 1 + 700  # 501 entries + 100 spare = 601, rounded up to 700
    lapse = get_column_letter(next(i for i, c in enumerate(s.REGISTER, 1) if c.key == "lapse"))
    assert register[f"{lapse}502"].value.startswith('=IF(F502="","",CREDITLAPSE(F502')


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 600),
     "is encrypted (password-protected) or a legacy .xls file"),
    (lambda p: p.write_text("just text"), "is not an xlsx workbook (not a zip package)"),
    (lambda p: p.write_bytes(Path(__file__).parents[1].joinpath(
        "workbooks", "example.xlsx").read_bytes()[:5000]), "damaged"),
])
def test_refuses_encrypted_and_corrupt_files_quickly(tmp_path, make, reason):
    path = tmp_path / "bad.xlsx"
    make(path)
    start = time.perf_counter()
    message = refusal(path)
    assert reason in message and "\n" not in message
    assert time.perf_counter() - start < 1.0


def zip_with(path: Path, members: dict) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_refuses_a_zip_bomb_before_parsing(tmp_path):
    path = zip_with(tmp_path / "bomb.xlsx", {"xl/worksheets/sheet1.xml": b"\0" * (40 * 2**20)})
    start = time.perf_counter()
    message = refusal(path)
    assert "expands" in message and "zip bomb" in message
    assert time.perf_counter() - start < 1.0


def test_xml_entities_are_refused_because_defusedxml_is_active(tmp_path):
    from openpyxl.xml import DEFUSEDXML
    assert DEFUSEDXML  # openpyxl parses with defusedxml, a dependency of xlcredits
    source = Path(__file__).parents[1] / "templates" / "xlcredits-template.xlsx"
    path = tmp_path / "entities.xlsx"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/workbook.xml":
                data = data.replace(b"<workbook", b'<!DOCTYPE w [<!ENTITY e "boom">]><workbook', 1)
            dst.writestr(item, data)
    assert refusal(path) == ("contains XML entity or DTD declarations, which are refused "
                             "(EntitiesForbidden)")


# --- the command ---------------------------------------------------------------------

def test_cli_keeps_going_reports_a_table_and_exits_non_zero(tmp_path):
    good = write(example_entries(), tmp_path / "a" / "good.xlsx")
    (tmp_path / "a" / "bad.xlsx").write_text("not a workbook")
    result = CliRunner().invoke(main, ["regenerate", str(tmp_path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "regenerated" in result.output and "refused" in result.output
    assert "1 of 2 workbooks were not regenerated." in result.output
    assert entries_of(good) == example_entries()


def test_cli_dry_run_writes_nothing(tmp_path):
    path = write(example_entries(), tmp_path / "w.xlsx")
    before = path.read_bytes()
    result = CliRunner().invoke(main, ["regenerate", "--dry-run", "--force", str(path)])
    assert result.exit_code == 0
    assert "would regenerate" in result.output and "12 register rows" in result.output
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["w.xlsx"]


def note_worker(folder: str) -> None:
    """Run by each worker process as it starts: leaves a file named by its process id."""
    (Path(folder) / str(os.getpid())).touch()


@pytest.mark.slow  # four workbooks through a process pool
def test_cli_jobs_use_several_processes(tmp_path, monkeypatch):
    books, workers = tmp_path / "books", tmp_path / "workers"
    books.mkdir()
    workers.mkdir()
    for i in range(4):
        write(example_entries(), books / f"w{i}.xlsx")

    class Pool(batch.ProcessPoolExecutor):
        def __init__(self, max_workers):
            super().__init__(max_workers, initializer=note_worker, initargs=(str(workers),))

    monkeypatch.setattr(batch, "ProcessPoolExecutor", Pool)
    result = CliRunner().invoke(main, ["regenerate", "--jobs", "2", "--force", str(books)])
    assert result.exit_code == 0, result.output
    assert result.output.count("regenerated") >= 8  # a line each, and the table
    pids = {int(p.name) for p in workers.iterdir()}
    assert len(pids) == 2 and os.getpid() not in pids  # two worker processes did the work
    assert all(entries_of(books / f"w{i}.xlsx") == example_entries() for i in range(4))


def test_cli_with_nothing_to_do(tmp_path):
    result = CliRunner().invoke(main, ["regenerate", str(tmp_path)])
    assert result.exit_code == 1 and "no .xlsx workbooks found" in result.output


def test_a_v1_register_grown_past_500_rows_migrates(tmp_path):
    # v1's builder put its formulas in every row of a grown register: row 2's, moved down
    from openpyxl.formula.translate import Translator

    path = tmp_path / "big.xlsx"
    wb = load_workbook(V1_EXAMPLE)
    ws = wb["Register"]
    for row in range(502, 602):
        for c in ws[2]:
            if isinstance(c.value, str) and c.value.startswith("="):
                ws.cell(row, c.column).value = Translator(c.value, c.coordinate) \
                    .translate_formula(f"{c.column_letter}{row}")
    ws.cell(580, 1).value = "late entry"
    wb.save(path)
    [outcome] = batch.regenerate([path])
    assert outcome.result == "regenerated", outcome.message
    late = entries_of(path).register[578]["id"]  # row 580 is entry 579
    assert getattr(late, "value", late) == "late entry"


@pytest.mark.parametrize("rows", [500, 1100])
def test_the_blank_reference_is_the_whole_blank_template(rows):
    """read.blank_reference builds one register row and repeats it; that must be exactly
    the reference the whole template of that many rows gives (every input cell, every
    other cell's value)."""
    from xlcredits.workbook.build import build
    from xlcredits.workbook.entries import template_entries
    from xlcredits.workbook.read import _reference_cells, blank_reference

    inputs, values = _reference_cells(build(template_entries(), rows))
    assert blank_reference(rows) == (inputs, values)
    assert ("Register", f"A{rows + 1}") in inputs and ("Register", f"A{rows + 2}") not in inputs
