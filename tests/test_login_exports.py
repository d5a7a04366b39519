"""Login History exports in the shapes Salesforce writes them (research:
/work/research/salesforce-exports.md sections 1-5): the Setup download (rolling six months,
CSV and GZIP, every encoding), the LoginHistory object from Data Loader and the sf CLI, the
Event Monitoring Login log. Expected figures: an independent pandas computation, or by hand
in comments."""

import gzip
import zipfile
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from xlcredits import InputError
from xlcredits.cli import main
from xlcredits.loginhistory import read_history
from xlcredits.loginmix import analyse

EXTERNAL = "Chatter Communities External User"
SETUP_HEADER = ("Username", "Login Time", "Source IP", "Login Type", "Status", "Browser",
                "Platform", "Application", "Client Version", "API Type", "API Version",
                "Login URL")


def us_time(t: datetime) -> str:
    """The Setup download's time as the research illustrates it: 1/15/2026 11:30:05 PM."""
    return f"{t.month}/{t.day}/{t.year} {t.strftime('%I:%M:%S %p').lstrip('0')}"


def setup_row(user, t, login_type=EXTERNAL, status="Success"):
    return (user, us_time(t), "203.0.113.7", login_type, status, "Chrome 131", "Windows 10",
            "Browser", "N/A", "N/A", "N/A", "acme.my.site.com")


def write_csv(path, header, rows, encoding="utf-8", delimiter=","):
    frame = pd.DataFrame(rows, columns=header)
    frame.to_csv(path, index=False, encoding=encoding, sep=delimiter, quoting=1)
    return path


def rolling_export(seed=12):
    """Six months to the minute, as Setup's download covers them: 2025-07-24 13:00 UTC to
    2026-01-23 21:00 UTC; external users, staff and an API integration; 5% failed."""
    rng = np.random.default_rng(seed)
    start = datetime(2025, 7, 24, 13, 0)
    span = (datetime(2026, 1, 23, 21, 0) - start).total_seconds()
    rows = [setup_row("first@acme.com.portal", start),
            setup_row("last@acme.com.portal", start + timedelta(seconds=span))]
    for _ in range(3000):
        kind = rng.choice(["ext", "staff", "api"], p=[0.8, 0.15, 0.05])
        user = {"ext": f"user{rng.integers(30)}@acme.com.portal",
                "staff": f"staff{rng.integers(5)}@acme.com",
                "api": "integration@acme.com"}[kind]
        login_type = {"ext": EXTERNAL, "staff": "Application", "api": "Remote Access 2.0"}[kind]
        # a few users log in often (members), most rarely (pool)
        when = start + timedelta(seconds=float(rng.uniform(0, span)))
        status = "Invalid password" if rng.random() < 0.05 else "Success"
        rows.append(setup_row(user, when, login_type, status))
    return rows


def expected(path, tz, login_price=10.0, member_price=25.0):
    """The login-days and the mix, computed independently with pandas."""
    df = pd.read_csv(path, dtype=str)
    ts = pd.to_datetime(df["Login Time"], format="%m/%d/%Y %I:%M:%S %p")
    local = ts.dt.tz_localize("UTC").dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    first, last = local.min(), local.max()
    months = pd.period_range(first, last, freq="M")
    keep = [m for m in months
            if not (m == first.to_period("M") and first.day != 1)
            and not (m == last.to_period("M") and last.day != last.days_in_month)]
    month = local.dt.to_period("M")
    ok = (df["Status"] == "Success") & (df["Login Type"] == EXTERNAL) & month.isin(keep)
    days = (pd.DataFrame({"user": df["Username"], "month": month.astype(str), "day": local})[ok]
            .groupby(["user", "month"])["day"].nunique())
    per_user = days.groupby(level="user").sum() / len(keep)
    return {
        "months": [str(m) for m in keep],
        "left_out": [str(m) for m in months if m not in keep],
        "days": days.to_dict(),
        "all_members": len(per_user) * member_price,
        "all_logins": per_user.sum() * login_price,
        "best_mix": np.minimum(per_user * login_price, member_price).sum(),
        "by_type": df[(df["Status"] == "Success") & (df["Login Type"] != EXTERNAL)]
        .groupby("Login Type").size().to_dict(),
    }


@pytest.mark.parametrize("tz", ["America/Los_Angeles", "Asia/Tokyo"])
def test_a_rolling_six_month_export_west_and_east_of_utc(tmp_path, tz):
    path = write_csv(tmp_path / "LoginHistory.csv", SETUP_HEADER, rolling_export())
    want = expected(path, tz)
    h = read_history(path, tz)
    # the export's first (July) and last (January) months are partial in both zones
    assert want["months"] == ["2025-08", "2025-09", "2025-10", "2025-11", "2025-12"]
    assert (h.months, h.partial_months) == (want["months"], want["left_out"])
    got = {(r.user, r.month): r.login_days for r in h.login_days.itertuples()}
    assert got == want["days"]
    assert h.left_out_by_type == want["by_type"]  # staff and the API integration
    mix = analyse(h, 10, 25)
    assert mix.all_members == pytest.approx(want["all_members"])
    assert mix.all_logins == pytest.approx(want["all_logins"])
    assert mix.best_mix == pytest.approx(want["best_mix"])
    assert not any(u.startswith(("staff", "integration")) for u in mix.users["user"])


def test_the_month_boundary_in_the_orgs_zone(tmp_path):
    # By hand: an export from 2026-01-01 00:30 UTC to 2026-03-31 23:59 UTC.
    # Los Angeles (UTC-8): it starts on Dec 31 (partial December) and ends on Mar 31 16:59
    #   (March whole): Jan-Mar used, December left out with its one login.
    # Tokyo (UTC+9): it starts on Jan 1 09:30 (January whole) and ends on Apr 1 08:59
    #   (April partial, left out).
    rows = [setup_row("a@x.portal", datetime(2026, 1, 1, 0, 30)),
            setup_row("a@x.portal", datetime(2026, 2, 10, 12, 0)),
            setup_row("b@x.portal", datetime(2026, 3, 31, 23, 59))]
    path = write_csv(tmp_path / "h.csv", SETUP_HEADER, rows)
    la = read_history(path, "America/Los_Angeles")
    assert (la.months, la.partial_months) == (["2026-01", "2026-02", "2026-03"], ["2025-12"])
    assert la.left_out_by_month == {"2025-12": 1}
    tokyo = read_history(path, "Asia/Tokyo")
    assert (tokyo.months, tokyo.partial_months) == (["2026-01", "2026-02", "2026-03"],
                                                    ["2026-04"])
    # b's only login is on Apr 1 in Tokyo: b is left out, and said why
    assert tokyo.users_left_out == {"with logins only in months not used": 1}
    assert tokyo.left_out_by_month == {"2026-04": 1}


def test_a_month_without_logins_counts_as_zero(tmp_path):
    # By hand, --period 2026-01 2026-03, no login at all in February:
    # a: Jan 13-16 and Mar 13-16 = 8 login-days over 3 months = 2.67 a month
    # at $10 / $25: break-even 2.5 -> a member ($25); over 2 months it would be 4 a month.
    # All logins: 8 x $10 / 3 = $26.67 a month.
    rows = [setup_row("a@x.portal", datetime(2026, m, d, 12)) for m in (1, 3)
            for d in (13, 14, 15, 16)]
    path = write_csv(tmp_path / "h.csv", SETUP_HEADER, rows)
    h = read_history(path, period=("2026-01", "2026-03"))
    mix = analyse(h, 10, 25)
    assert h.months == ["2026-01", "2026-02", "2026-03"]
    assert list(mix.months["login_days"]) == [4, 0, 4]
    assert mix.all_logins == pytest.approx(80 / 3) and mix.best_mix == 25


def test_a_dst_change(tmp_path):
    # New York moves from EST (UTC-5) to EDT (UTC-4) at 2 AM on Sunday 2026-03-08. By hand:
    #   2026-03-08 04:30 UTC = Mar 7 23:30 EST
    #   2026-03-08 07:30 UTC = Mar 8 03:30 EDT
    #   2026-03-09 03:30 UTC = Mar 8 23:30 EDT (the same day as the one before)
    #   2026-03-09 04:30 UTC = Mar 9 00:30 EDT
    # -> 3 login-days in New York (Mar 7, 8, 9); 2 in UTC (Mar 8, 9).
    times = [datetime(2026, 3, 8, 4, 30), datetime(2026, 3, 8, 7, 30),
             datetime(2026, 3, 9, 3, 30), datetime(2026, 3, 9, 4, 30)]
    path = write_csv(tmp_path / "h.csv", SETUP_HEADER, [setup_row("u@x.portal", t)
                                                         for t in times])
    # (no day above 12: this small file cannot prove its order, so it is given)
    ny = read_history(path, "America/New_York", period=("2026-03", "2026-03"), date_order="mdy")
    utc = read_history(path, "UTC", period=("2026-03", "2026-03"), date_order="mdy")
    assert ny.login_days["login_days"].tolist() == [3]
    assert utc.login_days["login_days"].tolist() == [2]


UK = [("a@x.portal", "05/01/2026 09:00", EXTERNAL, "Success"),  # 5 January
      ("a@x.portal", "06/01/2026 09:00", EXTERNAL, "Success"),
      ("a@x.portal", "07/02/2026 09:00", EXTERNAL, "Success")]


def test_the_uk_file_both_ways(tmp_path):
    header = ("Username", "Login Time", "Login Type", "Status")
    ambiguous = write_csv(tmp_path / "uk.csv", header, UK)
    # every date has both fields <= 12: the file cannot prove its order -> refused
    with pytest.raises(InputError, match="add --date-order dmy or --date-order mdy"):
        read_history(ambiguous, period=("2026-01", "2026-02"))
    # by hand, day-first: January 5, 6 (2 login-days), February 7 (1)
    dmy = read_history(ambiguous, period=("2026-01", "2026-02"), date_order="dmy")
    assert dmy.login_days["login_days"].tolist() == [2, 1]
    # month-first the same text is May 1, June 1, July 2: outside the period
    mdy = read_history(ambiguous, period=("2026-05", "2026-07"), date_order="mdy")
    assert mdy.login_days["month"].tolist() == ["2026-05", "2026-06", "2026-07"]
    # a day above 12 proves day-first: read without the option
    proved = write_csv(tmp_path / "uk2.csv", header,
                       UK + [("b@x.portal", "25/02/2026 18:00", EXTERNAL, "Success")])
    h = read_history(proved, period=("2026-01", "2026-02"))
    assert h.date_order == "dmy"
    assert {(r.user, r.month): r.login_days for r in h.login_days.itertuples()} == {
        ("a@x.portal", "2026-01"): 2, ("a@x.portal", "2026-02"): 1,
        ("b@x.portal", "2026-02"): 1}
    result = CliRunner().invoke(main, ["logins", str(ambiguous), "--licence",
                                       "Partner Community", "--period", "2026-01", "2026-02"])
    assert result.exit_code == 1 and "add --date-order dmy" in result.output
    assert "Traceback" not in result.output


NAMES = [("José@acme.com.portal", datetime(2026, 1, d, 10)) for d in (5, 6, 20)] + \
        [("Zoë@acme.com.portal", datetime(2026, 1, 7, 10)),
         ("staff@acme.com", datetime(2026, 1, 8, 10))]


def names_export():
    return [setup_row(u, t, EXTERNAL if "portal" in u else "Application") for u, t in NAMES]


@pytest.mark.parametrize("encoding, delimiter", [
    ("utf-8", ","), ("utf-8-sig", ","), ("cp1252", ","), ("latin-1", ";"),
    ("utf-16", "\t"),  # Excel's "Unicode Text": UTF-16 with a BOM, tab-separated
    ("utf-16-le", ","),  # no BOM
])
def test_each_encoding(tmp_path, encoding, delimiter):
    path = write_csv(tmp_path / "h.csv", SETUP_HEADER, names_export(), encoding, delimiter)
    h = read_history(path, period=("2026-01", "2026-01"))
    # by hand: José 3 login-days, Zoë 1; staff@ is an internal user's login (Application)
    assert dict(zip(h.login_days["user"], h.login_days["login_days"])) == {
        "José@acme.com.portal": 3, "Zoë@acme.com.portal": 1}
    assert h.left_out_by_type == {"Application": 1}


def test_gzip_and_zip_downloads(tmp_path):
    plain = write_csv(tmp_path / "h.csv", SETUP_HEADER, names_export(), "cp1252")
    gz = tmp_path / "LoginHistory.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    utf8 = write_csv(tmp_path / "u.csv", SETUP_HEADER, names_export())
    gz8 = tmp_path / "LoginHistory-utf8.gz"  # no .csv in the name
    gz8.write_bytes(gzip.compress(utf8.read_bytes()))
    zipped = tmp_path / "LoginHistory.zip"
    with zipfile.ZipFile(zipped, "w") as z:
        z.write(plain, "LoginHistory.csv")
    for path in (gz, gz8, zipped):
        h = read_history(path, period=("2026-01", "2026-01"))
        assert dict(zip(h.login_days["user"], h.login_days["login_days"])) == {
            "José@acme.com.portal": 3, "Zoë@acme.com.portal": 1}, path.name
    (tmp_path / "bad.gz").write_bytes(gzip.compress(plain.read_bytes())[:60])
    with pytest.raises(Exception, match="bad.gz") as error:
        read_history(tmp_path / "bad.gz", period=("2026-01", "2026-01"))
    assert error.type.__module__.startswith("xlcredits")


DATA_LOADER = '''"ID","USERID","LOGINTIME","LOGINTYPE","SOURCEIP","STATUS","APPLICATION","BROWSER","PLATFORM","LOGINURL","NETWORKID"
"0YaXX0000012345AAA","005XX000001AbcdAAA","2026-01-15T23:30:05.000Z","Application","203.0.113.7","Success","Browser","Chrome 131","Windows 10","acme.my.salesforce.com",""
"0YaXX0000012346AAA","005XX000001XyzwAAA","2026-01-15T23:31:40.000Z","Chatter Communities External User","198.51.100.4","Invalid password","Browser","Safari 17","Mac OSX","acme.my.site.com","0DBXX0000004CAaAAM"
"0YaXX0000012347AAA","005XX000001XyzwAAA","2026-01-15T23:32:10.000Z","Chatter Communities External User","198.51.100.4","Success","Browser","Safari 17","Mac OSX","acme.my.site.com","0DBXX0000004CAaAAM"
"0YaXX0000012348AAA","005XX000001XyzwAAA","2026-01-16T00:10:00.000Z","Chatter Communities External User","198.51.100.4","Success","Browser","Safari 17","Mac OSX","acme.my.site.com","0DBXX0000004CAaAAM"
"0YaXX0000012349AAA","005XX000001QqqqAAA","2026-01-20T10:00:00.000Z","ChatterCommunityPortalUnPwd","198.51.100.5","Success","Browser","Safari 17","Mac OSX","acme.my.site.com","0DBXX0000004CAaAAM"
'''
SF_CLI = DATA_LOADER.replace('"', "").replace(".000Z", ".000+0000").replace(
    "ID,USERID,LOGINTIME,LOGINTYPE,SOURCEIP,STATUS,APPLICATION,BROWSER,PLATFORM,LOGINURL,"
    "NETWORKID", "Id,UserId,LoginTime,LoginType,SourceIp,Status,Application,Browser,Platform,"
    "LoginUrl,NetworkId")


@pytest.mark.parametrize("content", [DATA_LOADER, SF_CLI], ids=["data-loader", "sf-cli"])
def test_the_loginhistory_object(tmp_path, content):
    # By hand, UTC: ...Xyzw has Jan 15 (23:32; the 23:31 attempt failed) and Jan 16 = 2;
    # ...Qqqq Jan 20 (its type by API name) = 1; ...Abcd is internal (Application).
    # In Paris (UTC+1) Xyzw's 23:32 falls on Jan 16, with 01:10: 1 login-day.
    path = tmp_path / "LoginHistory.csv"
    path.write_text(content, encoding="utf-8")
    h = read_history(path, period=("2026-01", "2026-01"))
    assert dict(zip(h.login_days["user"], h.login_days["login_days"])) == {
        "005XX000001XyzwAAA": 2, "005XX000001QqqqAAA": 1}
    assert (h.other_statuses, h.left_out_by_type) == ({"Invalid password": 1},
                                                      {"Application": 1})
    paris = read_history(path, "Europe/Paris", period=("2026-01", "2026-01"))
    assert dict(zip(paris.login_days["user"], paris.login_days["login_days"])) == {
        "005XX000001XyzwAAA": 1, "005XX000001QqqqAAA": 1}


ELF_HEADER = ('"EVENT_TYPE","TIMESTAMP","REQUEST_ID","ORGANIZATION_ID","USER_ID","RUN_TIME",'
              '"CPU_TIME","URI","SESSION_KEY","LOGIN_KEY","USER_TYPE","REQUEST_STATUS",'
              '"DB_TOTAL_TIME","LOGIN_TYPE","BROWSER_TYPE","API_TYPE","API_VERSION","USER_NAME",'
              '"TLS_PROTOCOL","CIPHER_SUITE","AUTHENTICATION_METHOD_REFERENCE","LOGIN_SUB_TYPE",'
              '"TIMESTAMP_DERIVED","USER_ID_DERIVED","CLIENT_IP","URI_ID_DERIVED","LOGIN_STATUS",'
              '"SOURCE_IP"')


def elf_row(when: datetime, user, user_id, user_type, login_type, status):
    stamp = when.strftime("%Y%m%d%H%M%S.123")
    iso = when.strftime("%Y-%m-%dT%H:%M:%S.123Z")
    values = ["Login", stamp, "4x", "00D5j00000DgAYG", user_id[:15], "95", "40", "/s/login/",
              "", "Ab12", user_type, "", "1000", login_type, "Mozilla/5.0", "", "9998.0", user,
              "TLSv1.3", "TLS_AES_256_GCM_SHA384", "", "UsernamePasswordUiLogin", iso, user_id,
              "198.51.100.4", "", status, "198.51.100.4"]
    return ",".join(f'"{v}"' for v in values)


def test_the_event_monitoring_login_log(tmp_path):
    # By hand: partner1 (CspLitePortal) logs in on Jan 15 and 16 (one attempt failed with
    # LOGIN_ERROR_INVALID_PASSWORD), partner2 (PowerPartner) on Jan 15; the admin (Standard)
    # and the guest (Guest, unauthenticated) do not count.
    p1, p2, admin = "0055j00000AT6I9AAL", "0055j00000AT6J1AAL", "0055j00000AT6I1AAL"
    rows = [elf_row(datetime(2026, 1, 15, 23, 30), "partner1@acme.com.portal", p1,
                    "CspLitePortal", "k", "LOGIN_ERROR_INVALID_PASSWORD"),
            elf_row(datetime(2026, 1, 15, 23, 31), "partner1@acme.com.portal", p1,
                    "CspLitePortal", "k", "LOGIN_NO_ERROR"),
            elf_row(datetime(2026, 1, 16, 8, 0), "partner1@acme.com.portal", p1,
                    "CspLitePortal", "k", "LOGIN_NO_ERROR"),
            elf_row(datetime(2026, 1, 15, 9, 0), "partner2@acme.com.portal", p2,
                    "PowerPartner", "k", "LOGIN_NO_ERROR"),
            elf_row(datetime(2026, 1, 15, 9, 0), "admin@acme.com", admin, "Standard", "i",
                    "LOGIN_NO_ERROR"),
            elf_row(datetime(2026, 1, 15, 9, 5), "guest@acme.com", admin, "Guest", "k",
                    "LOGIN_NO_ERROR")]
    path = tmp_path / "Login.csv"
    path.write_text(ELF_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    h = read_history(path, period=("2026-01", "2026-01"))
    assert dict(zip(h.login_days["user"], h.login_days["login_days"])) == {
        "partner1@acme.com.portal": 2, "partner2@acme.com.portal": 1}
    assert h.other_statuses == {"LOGIN_ERROR_INVALID_PASSWORD": 1}
    assert (h.type_column, h.left_out_by_type) == ("user type", {"Guest": 1, "Standard": 1})
    # --users by 15-character ID matches the 18-character USER_ID_DERIVED
    only = read_history(path, period=("2026-01", "2026-01"), users=[p2[:15]])
    assert only.login_days["user"].tolist() == ["partner2@acme.com.portal"]
    assert only.left_out_not_listed == 2
    # the 2022 file: no LOGIN_TYPE, TIMESTAMP only (raw GMT stamps), by header
    old = tmp_path / "Login2022.csv"
    old.write_text("\n".join(",".join(c for i, c in enumerate(line.split(","))
                                      if i not in (13, 21, 22))
                             for line in [ELF_HEADER] + rows) + "\n", encoding="utf-8")
    h = read_history(old, period=("2026-01", "2026-01"))
    assert dict(zip(h.login_days["user"], h.login_days["login_days"])) == {
        "partner1@acme.com.portal": 2, "partner2@acme.com.portal": 1}


def test_who_counts_options(tmp_path):
    path = write_csv(tmp_path / "h.csv", SETUP_HEADER, names_export())
    runner = CliRunner()
    base = ["logins", str(path), "--licence", "Partner Community", "--period", "2026-01",
            "2026-01"]
    result = runner.invoke(main, base)
    assert result.exit_code == 0, result.output
    assert "Counted: 4 successful logins of 2 users." in result.output
    assert "Left out by login type: Application 1." in result.output
    assert "Users left out: 1 not external users (by their type)." in result.output
    everyone = runner.invoke(main, base + ["--all-users"])
    assert "Counted: 5 successful logins of 3 users." in everyone.output
    staff = runner.invoke(main, base + ["--login-types", "Application"])
    assert "Counted: 5 successful logins of 3 users." in staff.output
    users = tmp_path / "holders.csv"
    users.write_text("Username\nZOË@acme.com.portal\n", encoding="utf-8")
    one = runner.invoke(main, base + ["--users", str(users)])
    assert "Counted: 1 successful login of 1 user." in one.output, one.output
    assert "Left out, not in --users: 3 logins." in one.output
    for bad in (["--block", "-3"], ["--login-price", "-1", "--member-price", "5"],
                ["--period", "2026-03", "2026-01"], ["--tz", "Mars/Olympus"]):
        args = base + bad if bad[0] != "--login-price" else base[:2] + bad
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (bad, result.output)


def test_no_whole_month_says_the_fix(tmp_path):
    rows = [setup_row("a@x.portal", datetime(2026, 1, 15, tzinfo=timezone.utc))]
    path = write_csv(tmp_path / "h.csv", SETUP_HEADER, rows)
    with pytest.raises(InputError, match="covers no whole month.*--period 2026-01 2026-01"):
        read_history(path)


def test_damaged_exports_say_the_line(tmp_path):
    huge = tmp_path / "huge.csv"
    huge.write_text("Username,Login Time,Login Type,Status\n" + "a" * 1_200_000
                    + ",1/15/2026 11:30:05 PM,x,Success\n", encoding="utf-8")
    with pytest.raises(Exception, match="huge.csv: .*Line: 2: longer than 1,000,000"):
        read_history(huge, period=("2026-01", "2026-01"))
    extra = tmp_path / "extra.csv"
    extra.write_text("Username,Login Time,Login Type,Status\na,1/15/2026 11:30:05 PM,x,Success,"
                     "more\n", encoding="utf-8")
    with pytest.raises(Exception, match="Line: 2: Expected Number of Columns: 4 Found: 5"):
        read_history(extra, period=("2026-01", "2026-01"))


def test_nothing_counted_is_said(tmp_path):
    path = write_csv(tmp_path / "h.csv", SETUP_HEADER,
                     [setup_row("jane@acme.com", datetime(2026, 1, 15), "Application")])
    result = CliRunner().invoke(main, ["logins", str(path), "--licence", "Partner Community",
                                       "--period", "2026-01", "2026-01"])
    assert result.exit_code == 0
    assert "Nothing counted: no login of the export counts" in result.output
    assert "nan" not in result.output
