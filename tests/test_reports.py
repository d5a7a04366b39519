"""The report, usage and logins workbooks: no input text becomes a formula (xlsx and CSV,
read back by openpyxl and by LibreOffice), truthful charts, finished tables; and the
command line's manners."""

import csv
import io
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from xlcredits.cli import main
from xlcredits.devtools import libreoffice
from xlcredits.workbook.xstring import decode

SAMPLE = Path(__file__).parents[1] / "xlcredits" / "data" / "sample_register.csv"
EXAMPLE = Path(__file__).parents[1] / "workbooks" / "example.xlsx"
PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
PAYLOAD = "cmd|' /C calc'!A0"


def hostile(prefix: str, n: int) -> str:
    return f"{prefix}{PAYLOAD}{n}"


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def write_csv(path: Path, header, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL)  # quoted: a field may hold CR or LF
        w.writerow(header)
        w.writerows(rows)
    return path


def cells(path: Path):
    """Every cell with a value; text decoded as Excel reads it (openpyxl leaves _x000D_)."""
    for ws in load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    if isinstance(c.value, str) and c.data_type == "s":
                        c.value = decode(c.value)
                        c.data_type = "s"
                    yield ws.title, c


def assert_inert(path: Path, planted: set[str]) -> None:
    """No formula cell in a report; every planted text is there, exact, as text."""
    seen = set()
    for title, c in cells(path):
        assert c.data_type != "f", f"{path.name} {title}!{c.coordinate} is a formula: {c.value!r}"
        if isinstance(c.value, str) and PAYLOAD in c.value:
            seen.add(c.value)
            assert c.data_type == "s"
            assert c.quotePrefix == c.value.startswith(PREFIXES)  # stays text when edited
    assert planted <= seen, planted - seen


def register_export(tmp_path: Path, prefix: str) -> tuple[Path, set[str]]:
    """The sample register with every text field of every row hostile."""
    rows = list(csv.DictReader(SAMPLE.read_text("utf-8").splitlines()))[:3]
    text_fields = ("ID", "Credit type", "Product / entitlement", "Contract reference", "Unit",
                   "Owner", "Purpose", "Notes")
    planted = set()
    for i, row in enumerate(rows):
        for f in text_fields:
            row[f] = hostile(prefix, i * 10 + text_fields.index(f))
            planted.add(row[f])
    path = write_csv(tmp_path / "export.csv", list(rows[0]), [list(r.values()) for r in rows])
    return path, planted


@pytest.mark.parametrize("prefix", [PREFIXES[0]] + [  # one in the fast loop, all in CI
    pytest.param(p, marks=pytest.mark.slow) for p in PREFIXES[1:]], ids=repr)
def test_build_and_report_keep_hostile_text_as_text(tmp_path, prefix):
    export, planted = register_export(tmp_path, prefix)
    result = invoke("build", export, "--by", "Credit type", "--out", tmp_path / "units")
    assert result.exit_code == 0, result.output
    books = sorted((tmp_path / "units").glob("*.xlsx"))
    assert books  # credit types are hostile too: safe file names
    for book in books:  # the template has formulas of its own; the register's inputs are text
        for title, c in cells(book):
            if isinstance(c.value, str) and PAYLOAD in c.value:
                assert c.data_type == "s" and c.quotePrefix, (book.name, c.coordinate)
                assert c.value in planted
    result = invoke("report", tmp_path / "units", "--out", tmp_path / "report.xlsx")
    assert result.exit_code == 0, result.output
    # the report shows ID, credit type, product and owner (fields 0, 1, 2 and 5)
    assert_inert(tmp_path / "report.xlsx", {v for v in planted if int(v[-2:]) % 10 in
                                            (0, 1, 2, 5)})
    # the CSV: every field quoted, every hostile text prefixed with '
    with open(tmp_path / "report.csv", encoding="utf-8-sig", newline="") as f:
        raw = f.read()
    records = list(csv.reader(io.StringIO(raw, newline="")))
    assert all(line.startswith('"') for line in raw.split("\r\n") if line)
    for record in records:
        for field in record:
            assert not field.startswith(PREFIXES), field
    assert any(field == "'" + hostile(prefix, 2) for r in records for field in r)


def usage_inputs(tmp_path: Path, prefix: str):
    product, contract = hostile(prefix, 1), hostile(prefix, 2)
    other = hostile(prefix, 3)  # a product with usage and no contract: overage, no rate
    ents = write_csv(tmp_path / "ent.csv", ["Contract reference", "Product", "Quantity", "Start",
                                            "Expiry", "Usage rate"],
                     [[contract, product, 1000, "2026-01-01", "2026-03-31", 0.1]])
    use = write_csv(tmp_path / "use.csv", ["Month", "Product", "Usage type", "Subtype",
                                           "Quantity"],
                    [["2026-01", product, hostile(prefix, 4), hostile(prefix, 5), 600],
                     ["2026-02", product, "Email", "", 600],
                     ["2026-02", other, "Email", "", 5]])
    # the readers trim blanks around a field (a leading tab, CR or LF goes): what is kept
    return ents, use, {product.strip(), contract.strip(), other.strip()}


@pytest.mark.parametrize("prefix", PREFIXES, ids=repr)
def test_usage_keeps_hostile_text_as_text(tmp_path, prefix):
    ents, use, planted = usage_inputs(tmp_path, prefix)
    out = tmp_path / "usage.xlsx"
    result = invoke("usage", ents, use, "--out", out)
    assert result.exit_code == 0, result.output
    assert_inert(out, planted)
    wb = load_workbook(out)
    assert wb.sheetnames == ["Summary", "Drawdown", "Balances"]
    summary = [[c.value for c in row] for row in wb["Summary"].iter_rows()]
    # by hand: 1,000 units from Jan; 600 drawn in Jan, 400 in Feb, then 200 of overage at
    # the contract's $0.10 = $20.00; the other product's 5 units have no contract (no rate)
    product, contract = hostile(prefix, 1).strip(), hostile(prefix, 2).strip()
    assert [product, contract, 0, 1000, 1000, 0, 0, None, None] in summary
    assert [product, "overage", None, None, None, None, None, 200, pytest.approx(20.0)] \
        in summary


LOGINS = [("Username", "Login Time", "Status", "Login Type")]


@pytest.mark.parametrize("prefix", PREFIXES, ids=repr)
def test_logins_keep_hostile_text_as_text(tmp_path, prefix):
    user, status = hostile(prefix, 1), hostile(prefix, 2)
    history = write_csv(tmp_path / "lh.csv", LOGINS[0], [
        [user, "2026-01-15T10:00:00Z", "Success", hostile(prefix, 3)],
        [user, "2026-01-16T10:00:00Z", "Success", "Partner Community"],
        [user, "2026-01-17T10:00:00Z", "Success", "Partner Community"],
        ["ann@p.com", "2026-01-15T10:00:00Z", "Success", "Partner Community"],
        ["ann@p.com", "2026-01-15T11:00:00Z", status, "Partner Community"]])
    out = tmp_path / "logins.xlsx"
    # every user's logins count (the hostile login type is not an external one), January
    # only: the export covers three days of it
    result = invoke("logins", history, "--login-price", 10, "--member-price", 25, "--out", out,
                    "--all-users", "--period", "2026-01", "2026-01")
    if prefix in ("\r", "\n") and result.exit_code == 1:
        # DuckDB's CSV reader refuses a quoted field holding a line break (no Salesforce
        # username or status has one): one line naming the file, nothing written
        assert "lh.csv: cannot be read as a Login History export" in result.output
        assert "Traceback" not in result.output and not out.exists()
        return
    assert result.exit_code == 0, result.output
    assert_inert(out, {user, f"{status} 1"})  # the failed-logins fact names the status
    wb = load_workbook(out)
    assert wb.sheetnames == ["Summary", "Users", "Months", "Distribution"]
    users = {decode(r[1]): r for r in wb["Users"].iter_rows(values_only=True) if r[0] in (1, 2)}
    # by hand: the hostile user has 3 login-days in January (> 2.5 = 25 / 10): a member;
    # ann has 1 (her failed login is not counted): the login pool
    assert users[user][3:6] == (3, 3, "Member") and users["ann@p.com"][3:6] == (1, 1, "Login pool")


@pytest.mark.slow
@pytest.mark.skipif(libreoffice.executable() is None, reason="LibreOffice is not installed")
def test_report_csv_runs_no_formula_in_libreoffice(tmp_path):
    """The report's CSV, written by the command from hostile registers, opened by LibreOffice
    (as a user double-clicking it would): nothing is computed, every text is there."""
    rows = list(csv.reader(SAMPLE.read_text("utf-8").splitlines()))
    header, template = rows[0], rows[1]
    planted = []
    for n, prefix in enumerate(PREFIXES):
        row = list(template)
        row[header.index("ID")] = f"ID-{n}"
        row[header.index("Product / entitlement")] = f"{prefix}1+1"
        planted.append(f"{prefix}1+1")
        rows.append(row)
    export = write_csv(tmp_path / "export.csv", header, rows[len(rows) - len(PREFIXES):])
    invoke("build", export, "--by", "Contract reference", "--out", tmp_path / "units")
    result = invoke("report", tmp_path / "units", "--out", tmp_path / "report.xlsx")
    assert result.exit_code == 0, result.output
    converted = libreoffice.convert(tmp_path / "report.csv", "xlsx", tmp_path / "lo")
    values = [c for _, c in cells(converted)]
    assert values and not [c for c in values if c.data_type == "f"]
    assert 2 not in [c.value for c in values]  # =1+1, +1+1 ... never ran
    column = next(c.column for c in values if c.value == "Product / entitlement")
    shown = sorted(c.value for c in values if c.column == column and c.row > 1)
    # each text as written, behind its ' (LibreOffice keeps a line break in a cell as LF)
    assert shown == sorted(f"'{t}".replace("\r", "\n") for t in planted)


def chart_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if "charts/chart" in n)


def test_charts_tell_the_truth(tmp_path):
    ents, use, _ = usage_inputs(tmp_path, "")
    invoke("usage", ents, use, "--out", tmp_path / "u.xlsx")
    xml = chart_xml(tmp_path / "u.xlsx")
    assert "<lineChart>" in xml and 'smooth val="1"' not in xml
    assert xml.count('smooth val="0"') >= 1
    history = write_csv(tmp_path / "lh.csv", LOGINS[0], [
        ["a", "2026-01-15T10:00:00Z", "Success", "x"], ["b", "2026-01-15T10:00:00Z", "Success", "x"]])
    result = invoke("logins", history, "--login-price", 10, "--member-price", 25,
                    "--all-users", "--period", "2026-01", "2026-01", "--out", tmp_path / "l.xlsx")
    assert result.exit_code == 0, result.output
    wb = load_workbook(tmp_path / "l.xlsx")
    users = wb["Users"]
    # the break-even line: two points at y = 25 / 10 = 2.5, across the whole x axis
    ys = [c.value for c in users["I"] if isinstance(c.value, (int, float))]
    assert ys == [2.5, 2.5]
    assert users.column_dimensions["I"].hidden
    assert '<plotVisOnly val="0"' in chart_xml(tmp_path / "l.xlsx")


def test_report_summary_is_a_finished_table(tmp_path):
    result = invoke("report", EXAMPLE, "--out", tmp_path / "r.xlsx")
    assert result.exit_code == 0, result.output
    wb = load_workbook(tmp_path / "r.xlsx")
    ws = wb["Summary"]
    col_a = [c.value for c in ws["A"]]
    start = col_a.index("By alert") + 2
    states = col_a[start:col_a.index("Total", start)]
    order = ["EXPIRED", "LAPSE RISK", "90%", "75%", "50%", "OK"]
    assert states == [s for s in order if s in states]  # by severity, not alphabetically
    entries = wb["Entries"]
    assert entries.freeze_panes and entries.auto_filter.ref
    assert entries.page_setup.orientation == "landscape" and entries.page_setup.fitToWidth == 1
    header = [c.value for c in entries[entries.auto_filter.ref.split(":")[0][1:]]]
    expiry = header.index("Expiry date") + 1
    dates = [r[expiry - 1] for r in entries.iter_rows(min_row=int(
        entries.auto_filter.ref.split(":")[0][1:]) + 1, values_only=True) if r[1]]
    assert all(hasattr(d, "year") for d in dates)  # dates stored as dates, not text
    assert entries.column_dimensions[entries.cell(1, expiry).column_letter].width >= 12


# --- the command line's manners ------------------------------------------------------------

@pytest.mark.parametrize("command", [["report", "{src}"], ["usage", "{ent}", "{use}"],
                                     ["logins", "{lh}", "--licence", "Partner Community"],
                                     ["template"]])
@pytest.mark.parametrize("out, message", [("x.csv", "does not end in .xlsx"),
                                          ("x.xls", "does not end in .xlsx"),
                                          ("missing/x.xlsx", "the folder")])
def test_out_must_be_xlsx_in_a_folder_that_exists(tmp_path, command, out, message):
    ents, use, _ = usage_inputs(tmp_path, "")
    lh = write_csv(tmp_path / "lh.csv", LOGINS[0], [["a", "2026-01-15T10:00:00Z", "Success", "x"]])
    args = [a.format(src=SAMPLE, ent=ents, use=use, lh=lh) for a in command]
    result = invoke(*args, "--out", tmp_path / out)
    assert result.exit_code == 2 and message in result.output, result.output
    assert not (tmp_path / "missing").exists() and not list(tmp_path.glob("x.*"))


def test_report_prints_every_file_and_plurals(tmp_path):
    rows = list(csv.reader(SAMPLE.read_text("utf-8").splitlines()))
    one = write_csv(tmp_path / "one.csv", rows[0], rows[1:2])
    result = invoke("build", one, "--by", "Owner", "--out", tmp_path / "units")
    assert "Created folder" in result.output and "(1 entry)" in result.output
    result = invoke("report", tmp_path / "units", "--out", tmp_path / "r.xlsx")
    assert "1 entry in 1 workbook, as of" in result.output
    assert f"Wrote {tmp_path / 'r.xlsx'}\n" in result.output
    assert f"Wrote {tmp_path / 'r.csv'}\n" in result.output


def test_build_says_when_it_kept_a_backup(tmp_path):
    rows = list(csv.reader(SAMPLE.read_text("utf-8").splitlines()))
    data = write_csv(tmp_path / "two.csv", rows[0], [r for r in rows if "Marco Rossi" in r])
    invoke("build", data, "--by", "Owner", "--out", tmp_path / "units")
    book = tmp_path / "units" / "Marco Rossi.xlsx"
    wb = load_workbook(book)
    wb["Register"]["N2"] = "typed by the licence manager"
    wb.save(book)
    result = invoke("build", data, "--by", "Owner", "--out", tmp_path / "units")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "Marco Rossi.xlsx had other content" in x)
    backup = Path(line.split("kept as ")[1])
    assert load_workbook(backup)["Register"]["N2"].value == "typed by the licence manager"


def test_regenerate_up_to_date_writes_nothing_unless_forced(tmp_path):
    invoke("template", "--out", tmp_path / "w.xlsx")
    before = (tmp_path / "w.xlsx").read_bytes()
    for args in ([], ["--dry-run"]):
        result = invoke("regenerate", tmp_path / "w.xlsx", *args)
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output and "regenerated" not in result.output
    assert (tmp_path / "w.xlsx").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.xlsx"]  # no backup
    result = invoke("regenerate", tmp_path / "w.xlsx", "--force")
    assert result.exit_code == 0 and "regenerated" in result.output
    assert len(list(tmp_path.glob("w.*.bak.xlsx"))) == 1


@pytest.mark.parametrize("args", [["--login-price", "1e308", "--member-price", "1e308"],
                                  ["--login-price", "1e-300", "--member-price", "1e308"]])
def test_non_finite_results_are_an_error_not_inf(tmp_path, args):
    lh = write_csv(tmp_path / "lh.csv", LOGINS[0], [[f"u{i}", "2026-01-15T10:00:00Z", "Success",
                                                     "x"] for i in range(3)])
    result = CliRunner().invoke(main, ["logins", str(lh), *args], catch_exceptions=False)
    assert result.exit_code in (1, 2), result.output
    assert "inf" not in result.output.replace("information", "")
    assert "Warning" not in result.output and ".py" not in result.output
    assert "Traceback" not in result.output


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs a folder no one can write")
def test_a_folder_that_cannot_be_written_is_a_clear_error(tmp_path):
    result = invoke("report", EXAMPLE, "--out", "/proc/report.xlsx")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "cannot write in /proc" in result.output
    assert ".tmp" not in result.output  # the temporary file's name means nothing to a user


def test_report_of_overflowing_values_is_an_error_not_inf(tmp_path):
    rows = list(csv.reader(SAMPLE.read_text("utf-8").splitlines()))
    header, row = rows[0], rows[1]
    # 1e300 credits at $1e300 each: a value of 1e600, beyond a double (inf)
    row[header.index("Contracted balance")] = row[header.index("Unit value ($)")] = "1e300"
    invoke("build", write_csv(tmp_path / "big.csv", header, [row]), "--by", "Owner",
           "--out", tmp_path / "units")
    result = invoke("report", tmp_path / "units", "--out", tmp_path / "r.xlsx")
    assert result.exit_code == 1 and "too large" in result.output
    assert "inf" not in result.output and not (tmp_path / "r.xlsx").exists()


def test_logins_summary_says_every_row_counted_in_words(tmp_path):
    lh = write_csv(tmp_path / "lh.csv", LOGINS[0], [["a", "2026-01-15T10:00:00Z", "Success", "x"]])
    result = invoke("logins", lh, "--licence", "Partner Community", "--all-users",
                    "--period", "2026-01", "2026-01")
    assert result.exit_code == 0, result.output
    # one row, one login, one user, one month: singular words
    assert "Export: 1 row from 2026-01-15 to 2026-01-15" in result.output
    assert "Counted: 1 successful login of 1 user." in result.output
    assert "Members: 0 users; login pool: 1 user." in result.output


def test_a_default_path_gets_its_folder_and_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("template")
    assert result.exit_code == 0, result.output
    assert "Created folder templates" in result.output
    assert (tmp_path / "templates" / "xlcredits-template.xlsx").exists()


def test_the_formula_engine_draws_no_progress_bar(tmp_path, capfd):
    """`xlcredits screenshots` evaluates workbooks: no progress bar floods the terminal."""
    from openpyxl import Workbook

    from xlcredits.devtools.engine import evaluate

    wb = Workbook()
    wb.active["A1"], wb.active["A2"] = 20, "=A1*2+2"
    wb.save(tmp_path / "w.xlsx")
    assert evaluate(tmp_path / "w.xlsx")[("SHEET", "A2")] == 42  # 20 x 2 + 2
    out, err = capfd.readouterr()
    assert "it/s" not in err + out and "%|" not in err + out
