"""One home for each rule, pinned: every command and the formulas read the same date the
same way, take the member rule from one place, and show one drawdown table."""

from datetime import date

import numpy as np
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from xlcredits import InputError, logins, statements, udfs
from xlcredits.cli import main
from xlcredits.dates import ordinals
from xlcredits.loginhistory import read_history
from xlcredits.loginmix import analyse
from xlcredits.portfolio import split_build
from xlcredits.tables import read_table, records
from xlcredits.workbook.read import open_workbook, read_entries

REGISTER_HEADER = ("ID,Credit type,Product / entitlement,Contract reference,Unit,"
                   "Contracted balance,Consumed to date,Start date,Expiry date,Unit value ($)")


def build_reads(tmp_path, start: str, expiry: str, order=None) -> date:
    """The start date as `xlcredits build` carries it into a workbook."""
    tmp_path.mkdir(exist_ok=True)
    src = tmp_path / "export.csv"
    src.write_text(f"{REGISTER_HEADER}\nA,Flex Credits,P,Q,credits,10,1,{start},{expiry},1\n",
                   encoding="utf-8")
    [(path, _, _)] = split_build(src, "ID", tmp_path / "out", order)
    wb = open_workbook(path)
    try:
        return read_entries(path, wb).register[0]["start"]
    finally:
        wb.close()


def usage_reads(tmp_path, start: str, expiry: str, order=None) -> date:
    """The start date as `xlcredits usage` reads an entitlements file."""
    src = tmp_path / "ents.csv"
    src.write_text(f"Contract,Product,Quantity,Start,Expiry\nC,P,10,{start},{expiry}\n",
                   encoding="utf-8")
    rows = records(read_table(src), statements.ENTITLEMENT_FIELDS, order)
    return statements.to_entitlements(rows, src.name)[0].start


def formula_reads(text: str) -> date:
    return date.fromordinal(int(ordinals("start_date", text)))


@pytest.mark.parametrize("start, expiry, order, want", [
    ("2026-03-15", "2026-12-31", None, date(2026, 3, 15)),  # ISO, everywhere
    ("2026-03-15T00:00:00.000Z", "2026-12-31T00:00:00.000Z", None, date(2026, 3, 15)),
    ("03/15/2026", "12/31/2026", None, date(2026, 3, 15)),  # 15 and 31 prove month first
    ("15/03/2026", "31/12/2026", None, date(2026, 3, 15)),  # ... and day first
    ("03/04/2026", "05/06/2026", "dmy", date(2026, 4, 3)),  # ambiguous: the order given
    ("03/04/2026", "05/06/2026", "mdy", date(2026, 3, 4)),
])
def test_the_same_date_is_read_the_same_way_by_every_command(tmp_path, start, expiry, order,
                                                             want):
    assert build_reads(tmp_path / "b", start, expiry, order) == want
    assert usage_reads(tmp_path, start, expiry, order) == want
    if "/" not in start:
        assert formula_reads(start) == want


def test_an_ambiguous_file_is_refused_by_every_command_and_the_formulas(tmp_path):
    with pytest.raises(InputError, match="--date-order"):
        build_reads(tmp_path / "b", "03/04/2026", "05/06/2026")
    with pytest.raises(InputError, match="--date-order"):
        usage_reads(tmp_path, "03/04/2026", "05/06/2026")
    with pytest.raises(InputError, match="slash date"):
        formula_reads("03/04/2026")  # a cell cannot say its order: a date cell or ISO


def test_one_member_rule_for_the_command_and_the_formulas(tmp_path):
    # login-days in January 2026: a 3, b 2, c 1; at $10 a login-day and $25 a member the
    # break-even is 2.5: only a is a member
    days = {"a": 3, "b": 2, "c": 1}
    lines = ["Username,Login Time,Status"] + [f"{u},2026-01-{d:02d}T10:00:00Z,Success"
                                             for u, n in days.items() for d in range(1, n + 1)]
    path = tmp_path / "lh.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    history = read_history(path, all_users=True, period=("2026-01", "2026-01"))
    mix = analyse(history, 10, 25)
    members = set(mix.users.loc[mix.users["licence"] == "Member", "user"])
    per_month = mix.users["per_month"].tolist()
    assert members == {"a"}
    assert members == set(mix.users["user"][logins.is_member(per_month, 10, 25)])
    assert udfs.LOGINMIXMEMBERS([[d] for d in per_month], 10, 25) == 1
    assert udfs.LOGINMIXCOST([[d] for d in per_month], 10, 25) == mix.best_mix == 25 + 30


def test_one_drawdown_table_for_the_command_and_the_formula(tmp_path):
    ents = [["Contract", "Product", "Quantity", "Start", "Expiry", "Usage rate"],
            ["C-A", "MC", 1000, "2026-01-01", "2026-03-31", 0.12],
            ["C-B", "MC", 500, "2026-02-01", "2026-12-31", 0.10]]
    usage = [["Date", "Product", "Usage type", "Subtype", "Environment", "Quantity"],
             ["2026-01-10", "MC", "Email", None, None, 600],
             ["2026-02-10", "MC", "Email", None, None, 700],
             ["2026-04-10", "MC", "Email", None, None, 400]]
    for name, rows in (("ents.csv", ents), ("use.csv", usage)):
        (tmp_path / name).write_text("\n".join(",".join("" if v is None else str(v) for v in r)
                                               for r in rows) + "\n", encoding="utf-8")
    out = tmp_path / "dd.xlsx"
    result = CliRunner().invoke(main, ["usage", str(tmp_path / "ents.csv"),
                                       str(tmp_path / "use.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    formula = udfs.USAGEDRAWDOWN(ents, usage, None)
    sheet = [list(r) for r in load_workbook(out)["Drawdown"].iter_rows(values_only=True)]
    header = sheet.index(list(formula[0]))  # below the sheet's title block
    written = [r for r in sheet[header:] if any(v is not None for v in r)]
    assert written[:len(formula)] == [[None if v == "" else v for v in r] for r in formula]
    # by hand: Jan 600 from C-A; Feb 400 from C-A then 300 from C-B; Mar C-A expires empty;
    # Apr 200 left in C-B, 200 overage at the lowest rate $0.10 = $20
    overage = [r for r in formula if r[2] == "overage"]
    assert overage == [["2026-04", "MC", "overage", None, None, None, None, None, 200.0,
                        pytest.approx(20.0)]]


EDGE_SERIALS = [1, 1.5, 59, 59.99, 60, 60.5, 61, 61.2, 46022, 46022.999, 2958465,
                2958465.5, 2958466, 0.5, 0, -1, float("nan"), float("inf")]


@pytest.mark.parametrize("serial", EDGE_SERIALS)
def test_serials_read_at_once_as_one_by_one(serial):
    """dates._serials_to_ordinals (the vectorised path of every date argument) gives the
    day, or refuses with the message, that dates.serial_to_ordinal gives one at a time:
    fractions are the same day, 60 (1900-02-29) and serials outside 1..2958465 refused."""
    from xlcredits.dates import _serials_to_ordinals, serial_to_ordinal
    from xlcredits.errors import InputError

    try:
        one = serial_to_ordinal("d", serial)
    except InputError as e:
        one = str(e)
    for column in ([serial], [serial, 46022.0], [100.0, serial]):
        try:
            many = _serials_to_ordinals("d", np.array(column, dtype=float))
        except InputError as e:
            assert str(e) == one
        else:
            assert many[column.index(serial)] == one
