"""Login History to the cheapest licence mix: a hand-made export computed by hand, the
DOMAIN.md partner example, properties, bad data, the command."""

import csv

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from xlcredits import InputError, logins
from xlcredits.cli import main
from xlcredits.loginhistory import read_history
from xlcredits.loginmix import analyse

HAND_MADE = """\
USERNAME,login time,Status,Login Type,Application
ann@p.com,1/15/2026 11:30:05 PM,Success,Chatter Communities External User,Browser
ann@p.com,1/15/2026 11:45:00 PM,Success,Chatter Communities External User,Browser
ann@p.com,1/15/2026 2:00:00 PM,Success,Chatter Communities External User,Browser
ann@p.com,2026-01-16T08:00:00.000Z,Success,Chatter Communities External User,Browser
ann@p.com,1/20/2026 9:00:00 AM,Success,Chatter Communities External User,Browser
ann@p.com,2/3/2026 9:00:00 AM,Success,Chatter Communities External User,Browser
ann@p.com,2/4/2026 9:00:00 AM,Success,Chatter Communities External User,Browser
ann@p.com,2/5/2026 9:00:00 AM,Success,Chatter Communities External User,Browser
ann@p.com,2/6/2026 9:00:00 AM,Success,Chatter Communities External User,Browser
bob@p.com,1/10/2026 10:00:00 AM,Success,Chatter Communities External User,Browser
bob@p.com,1/10/2026 10:05:00 AM,Invalid Password,Chatter Communities External User,Browser
bob@p.com,2/11/2026 10:00:00 AM,Success,Chatter Communities External User,Browser
cat@p.com,1/12/2026 10:00:00 AM,Failed: Computer activation required,Chatter Communities External User,Browser
"""
# By hand, in UTC:
# ann: Jan 15 (three logins: 2 PM, 11:30 PM, 11:45 PM count once), Jan 16, Jan 20 = 3
#      login-days in January; Feb 3, 4, 5, 6 = 4 in February. 7 over 2 months = 3.5 a month.
# bob: Jan 10 (the failed login is ignored), Feb 11 = 1 + 1; 1 a month.
# cat: only a failed login: not a user of either licence; counted as failed-only.
# In UTC+1 (Europe/Paris in winter): ann's 11:30 PM and 11:45 PM on Jan 15 fall on Jan 16,
# with the 8:00 UTC one: January = Jan 15 (2 PM -> 3 PM), Jan 16, Jan 20 = still 3.
# At $10 a login-day and $25 a member: break-even 2.5. ann (3.5) -> member; bob (1) -> pool.
# All members: 2 x 25 = $50/month. All logins: (7 + 2) login-days / 2 months x $10 = $45.
# Best mix: ann $25 + bob 1 x $10 = $35/month; saving against the cheaper pure option
# (all logins, $45) = $10/month, $120/year. Pool need: January 1 (bob), February 1 (bob).


@pytest.fixture
def export(tmp_path):
    path = tmp_path / "LoginHistory.csv"
    path.write_text(HAND_MADE, encoding="utf-8")
    return path


def test_hand_made_export(export):
    h = read_history(export, period=("2026-01", "2026-02"))
    days = {(r.user, r.month): r.login_days for r in h.login_days.itertuples()}
    assert days == {("ann@p.com", "2026-01"): 3, ("ann@p.com", "2026-02"): 4,
                    ("bob@p.com", "2026-01"): 1, ("bob@p.com", "2026-02"): 1}
    assert (h.rows, h.successful, h.failed_only_users) == (13, 11, 1)
    assert h.other_statuses == {"Invalid Password": 1, "Failed: Computer activation required": 1}
    mix = analyse(h, 10, 25)
    licences = dict(zip(mix.users["user"], mix.users["licence"]))
    assert licences == {"ann@p.com": "Member", "bob@p.com": "Login pool"}
    assert (mix.all_members, mix.all_logins, mix.best_mix) == (50, 45, 35)
    assert mix.saving == 10 and mix.breakeven == 2.5
    assert list(mix.months["pool_need"]) == [1, 1]
    assert list(mix.months["pool_cost"] + mix.months["members_cost"]) == [35, 35]


def test_a_late_login_moves_to_the_next_day_in_utc_plus_one(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("Username,Login Time,Status\n"
                    "u,1/31/2026 11:30:00 PM,Success\n"  # Feb 1, 00:30 in Paris
                    "u,2/1/2026 8:00:00 AM,Success\n", encoding="utf-8")
    utc = read_history(path, period=("2026-01", "2026-02"))
    paris = read_history(path, "Europe/Paris", period=("2026-01", "2026-02"))
    assert sorted(utc.login_days["month"]) == ["2026-01", "2026-02"]  # two days, two months
    assert list(paris.login_days.itertuples(index=False)) == [("u", "2026-02", 1)]
    # the file has no login type column: everyone counts, and the summary says so
    assert utc.rule == "every user (the export says no login or user type)"


def test_domain_partner_example(tmp_path):
    # DOMAIN.md section 2: 100 partner users at 20 logins a month = 2,000 x $10 = $20,000
    # against 100 x $25 = $2,500 as members.
    path = tmp_path / "h.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Username", "Login Time", "Status"])
        for u in range(100):
            for d in range(20):
                w.writerow([f"user{u}@partner.com",
                            f"{2026}-01-{d + 1:02d}T10:00:00.000Z", "Success"])
    mix = analyse(read_history(path, period=("2026-01", "2026-01")), "Partner Community",
                  "Partner Community")
    assert (mix.all_logins, mix.all_members, mix.best_mix) == (20_000, 2_500, 2_500)
    assert (mix.users["licence"] == "Member").all()


@given(days=st.lists(st.floats(0, 31), min_size=1, max_size=40), login=st.floats(0.5, 20),
       member=st.floats(1, 100))
def test_best_mix_never_costs_more_than_either_pure_option(days, login, member):
    cost = logins.login_mix_cost(days, login, member)
    assert cost <= len(days) * member + 1e-9
    assert cost <= sum(days) * login + 1e-9


@given(price=st.floats(0.5, 50), breakeven=st.integers(1, 20))
def test_the_choice_flips_exactly_at_the_breakeven(price, breakeven):
    member = price * breakeven  # break-even = member / login = breakeven login-days
    assert logins.login_mix_members([breakeven], price, member) == 0  # equal cost: stays in pool
    assert logins.login_mix_members([breakeven + 1e-6 * breakeven], price, member) == 1
    assert logins.login_mix_members([breakeven - 1e-6], price, member) == 0


@pytest.mark.parametrize("content, message", [
    ("User Name,Status\nu,Success\n", "has no time (Login Time / LoginTime"),
    ("Username,Login Time,Status\nu,1/15/2026 11:30:05 PM,Success\nu,yesterday,Success\n",
     "line 3='yesterday' is not a login time; 1 rows cannot be read (lines 3)"),
    ("Username,Login Time,Status\n,1/15/2026 11:30:05 PM,Success\n", "line 2 has no user"),
])
def test_bad_data_says_the_line(tmp_path, content, message):
    path = tmp_path / "h.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_history(path, period=("2026-01", "2026-01"))


def test_cli_summary_and_workbook(export, tmp_path):
    out = tmp_path / "mix.xlsx"
    result = CliRunner().invoke(main, ["logins", str(export), "--login-price", "10",
                                       "--member-price", "25", "--out", str(out),
                                       "--period", "2026-01", "2026-02"])
    assert result.exit_code == 0, result.output
    assert "Best mix                       35.00          420.00" in result.output
    assert "Members: 1 user; login pool: 1 user." in result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["Summary", "Users", "Months", "Distribution"]
    assert len(wb["Distribution"]._charts) == 1
    result = CliRunner().invoke(main, ["logins", str(export), "--licence", "Partner"])
    assert result.exit_code == 2 and "is not an Experience Cloud licence" in result.output


@pytest.mark.parametrize("blank", ["\n \n", "\r\n"])
@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_blank_lines_above_the_header_are_skipped(tmp_path, encoding, blank):
    """A blank first line (a file saved again by a text editor) was called 'is empty: it has
    no header line'; the hand-made export's numbers are read whole below it (by hand above:
    13 rows, 11 successful, ann 3 login-days in January)."""
    path = tmp_path / "LoginHistory.csv"
    path.write_bytes((blank + HAND_MADE).encode(encoding))
    h = read_history(path, period=("2026-01", "2026-02"))
    days = {(r.user, r.month): r.login_days for r in h.login_days.itertuples()}
    assert (h.rows, h.successful, days[("ann@p.com", "2026-01")]) == (13, 11, 3)
