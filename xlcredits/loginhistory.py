"""Salesforce Login History exports to login-days per user and month (DOMAIN.md section 8).

Accepted as exported, recognised by their headers (case, spacing, punctuation ignored):

- the Setup download (Setup > Login History, CSV or GZIP): Username, Login Time, Login
  Type, Status... Its exact header text is not documented, so every spelling seen is
  accepted ("Username"/"User Name", "Login Time"/"Login Time (GMT)"/"Login Date");
- the LoginHistory object from Data Loader (USERID, LOGINTIME ``2026-01-15T23:30:05.000Z``)
  or the sf CLI / REST (UserId, LoginTime ``2026-01-15T23:30:05.000+0000``);
- the Event Monitoring Login log (USER_NAME, USER_TYPE, LOGIN_STATUS ``LOGIN_NO_ERROR``,
  TIMESTAMP_DERIVED, or TIMESTAMP ``20221122044615.591``).

Files may be gzip- or zip-compressed, in any encoding :mod:`xlcredits.tables` detects,
comma, semicolon or tab separated. Times with a zone are read in it; times without one
(the Setup download's ``1/15/2026 11:30:05 PM``) are taken as GMT, as the API's are. Slash
dates follow the one date policy (:func:`xlcredits.dates.infer_order`).

Whose logins count (:data:`EXTERNAL_USER_TYPES`, :data:`EXTERNAL_LOGIN_TYPES`): when the
file has a user type column (the event log), external users' rows; else when it has a
login type column, Experience Cloud external users' logins; else every row. Successful
rows only (``Success`` or ``LOGIN_NO_ERROR``). Which months count: those of ``period``, or
without it the months the export covers entirely in the org's zone.

DuckDB reads and aggregates the export: tens of millions of rows stream through in
seconds on two cores without being held in memory. A login counts once per user per
calendar day in the org's time zone.
"""

from __future__ import annotations

import csv
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from .dates import ORDER_FIX, month_of_text
from .errors import InputError, ReadError, plural
from .tables import EMPTY, GZIP_MAGIC, ZIP_MAGIC, header_key, is_xlsx, open_text, read_table

try:  # an optional dependency (the logins extra): the UDFs never need it
    import duckdb
except ImportError:
    duckdb = None

__all__ = ["EXTERNAL_LOGIN_TYPES", "EXTERNAL_USER_TYPES", "History", "check_zone",
           "month_range", "read_history", "read_users"]

COLUMNS = {  # what we need -> header spellings seen in exports, best first
    "user": ("Username", "User Name", "USER_NAME", "Login Username"),
    "user_id": ("UserId", "User ID", "USER_ID_DERIVED", "USER_ID"),
    "time": ("Login Time", "LoginTime", "Login Time (GMT)", "Login Date", "TIMESTAMP_DERIVED",
             "TIMESTAMP"),
    "status": ("Status", "Login Status", "LOGIN_STATUS"),
    "login_type": ("Login Type", "LoginType", "LOGIN_TYPE"),
    "user_type": ("User Type", "UserType", "USER_TYPE"),
}
SUCCESS = ("success", "login_no_error")  # LoginHistory.Status; the event log's LOGIN_STATUS
# Experience Cloud external users' logins: LoginHistory.LoginType API names and labels, and
# the event log's one-letter codes (research: salesforce-exports.md section 3).
EXTERNAL_LOGIN_TYPES = (
    "Chatter Communities External User", "ChatterCommunityPortalUnPwd", "k",
    "Chatter Communities External User Third Party SSO", "ChatterCommunityThirdPartySso", "n",
    "SAML Chatter Communities External User SSO", "SamlChatterNetworks", "m")
# The event log's USER_TYPE of authenticated external users, API values and labels
# (section 4 and 5; Guest, unauthenticated, costs nothing and does not count).
EXTERNAL_USER_TYPES = ("CspLitePortal", "High Volume Portal", "CustomerSuccess",
                       "Customer Portal User", "PowerCustomerSuccess",
                       "Customer Portal Manager", "PowerPartner", "Partner")
SLASH_FORMATS = ("{} %I:%M:%S %p", "{} %I:%M %p", "{} %H:%M:%S", "{} %H:%M", "{}")
ORDER_FORMAT = {"mdy": "%m/%d/%Y", "dmy": "%d/%m/%Y"}
SHOWN = 5  # bad lines quoted in a message
SAMPLE_ROWS = 200_000  # rows read first to learn the order of slash dates


@dataclass
class History:
    """Login-days per user per month of the period, and what was counted and left out."""
    login_days: pd.DataFrame  # columns: user, month ("YYYY-MM"), login_days
    rows: int  # every row of the export
    successful: int  # the logins counted
    other_statuses: dict = field(default_factory=dict)  # status -> rows not counted
    failed_only_users: int = 0
    tz: str = "UTC"
    months: list = field(default_factory=list)  # the months counted, "YYYY-MM"
    partial_months: list = field(default_factory=list)  # left out: not covered entirely
    period_given: bool = False
    rule: str = ""  # whose logins count, in words
    left_out_by_type: dict = field(default_factory=dict)  # login/user type -> rows
    type_column: str = ""  # the column that rule reads
    left_out_not_listed: int = 0  # rows of users not in --users
    left_out_by_month: dict = field(default_factory=dict)  # month outside the period -> rows
    users_left_out: dict = field(default_factory=dict)  # reason -> users
    first_day: str = ""  # the export's first and last day in the org's zone
    last_day: str = ""
    date_order: str | None = None

    @property
    def users(self) -> int:
        return int(self.login_days["user"].nunique())

    def facts(self) -> list[tuple[str, str]]:
        """What was counted and left out, and why: (label, text) pairs for any layout."""
        out = [("Export", (f"{plural(self.rows, 'row')} from {self.first_day or '-'} to "
                           f"{self.last_day or '-'} (time zone {self.tz})")),
               ("Counted", (f"{plural(self.successful, 'successful login')} of "
                            f"{plural(self.users, 'user')}")),
               ("Whose logins", self.rule)]
        span = f"{self.months[0]} to {self.months[-1]}" if self.months else "none"
        out.append(("Months used", f"{len(self.months)} ({span})"
                    + ("; given by --period" if self.period_given else "")))
        if self.partial_months:
            out.append(("Months left out", ", ".join(self.partial_months)
                        + (" (outside --period)" if self.period_given else
                           " (partial: the export does not cover them entirely)")))
        if self.other_statuses:
            out.append(("Failed logins left out", ", ".join(
                f"{k} {v:,}" for k, v in self.other_statuses.items())))
        if self.left_out_by_type:
            out.append((f"Left out by {self.type_column}", ", ".join(
                f"{k} {v:,}" for k, v in self.left_out_by_type.items())))
        if self.left_out_not_listed:
            out.append(("Left out, not in --users", f"{self.left_out_not_listed:,} logins"))
        if self.left_out_by_month:
            out.append(("Left out, months not used", ", ".join(
                f"{k} {v:,}" for k, v in self.left_out_by_month.items()) + " logins"))
        if not self.successful:
            out.append(("Nothing counted", ("no login of the export counts: if these users "
                        "hold the licences priced, name their login type with --login-types, "
                        "or give --all-users or --users")))
        if self.users_left_out:
            out.append(("Users left out", ", ".join(
                f"{v:,} {k}" for k, v in self.users_left_out.items())))
        return out


def check_zone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError("time zone", tz, "is not a time zone",
                         "use an IANA name such as UTC or Europe/Paris") from None
    return tz


MAX_PERIOD_MONTHS = 120  # ten years of logins: longer is a typing mistake


def month_range(first: str, last: str) -> list[str]:
    """The months from ``first`` to ``last`` inclusive, each "YYYY-MM".

    >>> month_range("2025-11", "2026-02")
    ['2025-11', '2025-12', '2026-01', '2026-02']
    """
    (y, m), end = (month_of_text(first) or (0, 0)), month_of_text(last) or (0, 0)
    if not y or not end[0]:
        bad = first if not y else last
        raise InputError("--period", bad, "is not a month", "give months as 2026-01")
    if end >= (9999, 12):  # the day after it is past the last date a calendar holds
        raise InputError("--period", last, "is too late", "give a month before 9999-12")
    if (y, m) > end:
        raise InputError("--period", f"{first} {last}", "ends before it starts",
                         "give the first month, then the last")
    months = (end[0] - y) * 12 + end[1] - m + 1
    if months > MAX_PERIOD_MONTHS:  # every month without a login counts as none
        raise InputError("--period", f"{first} {last}", f"is {months:,} months long",
                         f"give at most {MAX_PERIOD_MONTHS} months (Salesforce keeps six "
                         "months of Login History)")
    out = []
    while (y, m) <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literals(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values) or "NULL"


def _columns(header: list[str], path: Path) -> dict[str, str | None]:
    if not any(h.strip() for h in header):
        raise ReadError(path, EMPTY)
    by_key = {}
    for h in header:
        by_key.setdefault(header_key(h), h)
    found = {need: next((by_key[header_key(s)] for s in spellings
                         if header_key(s) in by_key), None)
             for need, spellings in COLUMNS.items()}
    if found["user"] is None and found["user_id"] is None:
        found["user"] = None
    missing = [need for need in ("time", "status") if found[need] is None]
    if found["user"] is None and found["user_id"] is None:
        missing.insert(0, "user")
    if missing:
        wanted = "; ".join(f"{n} ({' / '.join(COLUMNS['user' if n == 'user' else n][:4])}"
                           + (" or UserId" if n == "user" else "") + ")" for n in missing)
        raise InputError(path.name, f"{len(header)} columns", f"has no {wanted} column",
                         "export Login History with it; columns found: "
                         + ", ".join(header[:12]))
    return found


def _source(path: Path, tmp: Path) -> tuple[str, list[str], str]:
    """A DuckDB ``read_csv`` of the export, its header, and its delimiter: the file itself
    when DuckDB reads it as it is (UTF-8, plain or gzip), else a UTF-8 copy."""
    if is_xlsx(path):  # saved from Excel: its first sheet as a UTF-8 copy
        table = read_table(path)
        target = tmp / "history.csv"
        with open(target, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(table.header)
            writer.writerows([_cell(row.get(h)) for h in table.header] for row in table)
        return (f"read_csv('{str(target).replace(chr(39), chr(39) * 2)}', header = true, "
                f"all_varchar = true, delim = ',', quote = '\"', escape = '\"', "
                f"auto_detect = false, null_padding = true, "
                f"columns = {{{_column_types(table.header)}}})"), table.header, ","
    with open_text(path) as (lines, encoding, delimiter):
        first, skip = next(lines, ""), 0
        while first and not first.strip():  # blank lines above the header
            first, skip = next(lines, ""), skip + 1
        header = [h.strip() for h in next(csv.reader([first], delimiter=delimiter), [])]
        with open(path, "rb") as f:
            head = f.read(4)
        if encoding in ("utf-8", "utf-8-sig") and head != ZIP_MAGIC and not skip:
            target = path
        else:  # another encoding, a zip, blank lines above the header: a UTF-8 copy
            target = tmp / "history.csv"
            with open(target, "w", encoding="utf-8", newline="") as out:
                out.write(first)
                out.writelines(lines)
            head = b""
    compression = "gzip" if head.startswith(GZIP_MAGIC) else "none"
    sep = delimiter.replace("'", "''")
    return (f"read_csv('{str(target).replace(chr(39), chr(39) * 2)}', header = true, "
            f"all_varchar = true, delim = '{sep}', quote = '\"', escape = '\"', "
            f"compression = '{compression}', max_line_size = 1000000, null_padding = true, "
            f"auto_detect = false, columns = {{{_column_types(header)}}})"), header, delimiter


def _cell(value) -> str:
    """A cell of an xlsx as the export's text: a date-time cell in ISO form."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _column_types(header: list[str]) -> str:
    seen, names = set(), []
    for i, h in enumerate(header):
        name = h or f"column{i}"
        while name in seen:
            name += "_"
        seen.add(name)
        names.append(name)
    return ", ".join(f"'{n.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for n in names)


def _time_order(con, source: str, time: str, order: str | None, where: str = "Login time"
                ) -> str | None:
    """The order of the export's slash dates: given, else proved by its own data."""
    if order is not None:
        return order
    def field(n):
        return (f"try_cast(regexp_extract({time}, '^\\s*(\\d{{1,2}})/(\\d{{1,2}})/\\d{{4}}', "
                f"{n}) AS INTEGER)")

    query = (f"SELECT count(a), max(a), max(b), min(CASE WHEN a IS NOT NULL THEN t END) FROM "
             f"(SELECT {field(1)} AS a, {field(2)} AS b, {time} AS t FROM {source} ")
    for limit in (f"LIMIT {SAMPLE_ROWS}", ""):
        n, a, b, example = con.execute(query + limit + ")").fetchone()
        if not n:
            return None
        if a > 12 and b > 12:
            raise InputError(where, example, "is one of slash dates in both orders "
                             "(day-first and month-first)", "export the dates in one order")
        if a > 12:
            return "dmy"
        if b > 12:
            return "mdy"
    raise InputError(where, example, "is a slash date, and no date of the export "
                     "proves whether the day or the month comes first (all are 12 or less)",
                     ORDER_FIX)


def read_users(path: Path) -> list[str]:
    """Usernames or user IDs, one a line or in columns headed like the export's
    (Username, User Name, UserId, User ID, Id), as they are compared: usernames in lower
    case, IDs by their first 15 characters."""
    table = read_table(path)
    keys = {header_key(s) for s in COLUMNS["user"] + COLUMNS["user_id"] + ("Id",)}
    cols = [h for h in table.header if header_key(h) in keys]
    if cols:
        values = [row.get(h) for row in table for h in cols]
    else:  # a bare list: the header is its first value
        first = table.header[0] if table.header else None
        values = [first] + [next(iter(v for k, v in row.items() if k != "_line"), None)
                            for row in table]
    out = {_user_key(str(v)) for v in values if v is not None and str(v).strip()}
    if not out:
        raise InputError("--users", Path(path).name, "lists no user",
                         "give a file of usernames or user IDs, one a line")
    return sorted(out)


def _user_key(value: str) -> str:
    v = value.strip()
    if re.fullmatch(r"[A-Za-z0-9]{18}", v) or re.fullmatch(r"[A-Za-z0-9]{15}", v):
        return v[:15]
    return v.lower()


def read_history(path: Path, tz: str = "UTC", *, period: tuple[str, str] | None = None,
                 date_order: str | None = None, login_types=(), all_users: bool = False,
                 users: list[str] | None = None) -> History:
    """Read a Login History export: login-days per user per month in time zone ``tz``.

    ``period``: (first month, last month) the export covers; without it, only the months
    the export covers entirely. ``login_types``: more login or user types to count;
    ``all_users``: count everyone; ``users``: only these (see :func:`read_users`).
    """
    path, tz = Path(path), check_zone(tz)
    if duckdb is None:
        raise InputError("Login History", str(path), "needs DuckDB, which is not installed",
                         "pip install duckdb (or xlcredits[logins])")
    months_given = month_range(*period) if period else None
    with tempfile.TemporaryDirectory(prefix="xlcredits-") as tmp:
        try:
            return _read(path, tz, months_given, date_order, login_types, all_users, users,
                         Path(tmp))
        except duckdb.Error as e:
            lines = str(e).splitlines()
            reason = lines[0][:200]
            if "line size" in str(e).lower():
                reason += ": longer than 1,000,000 characters, not a Login History line"
            detail = next((x.strip() for x in lines[1:] if x.startswith("Expected Number")), "")
            if detail:
                reason += f": {detail[:120]}"
            raise ReadError(path, f"cannot be read as a Login History export: {reason}"
                            ) from None


def _read(path, tz, months_given, date_order, login_types, all_users, users, tmp) -> History:
    source, header, _ = _source(path, tmp)
    cols = _columns(header, path)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # naive ISO times are GMT too
    con.execute("SET enable_progress_bar = false")

    def col(key):
        return f"trim({_quote(cols[key])})" if cols[key] else "NULL::VARCHAR"

    time = col("time")
    order = _time_order(con, source, time, date_order, f"{path.name} {cols['time']}")
    slash = [f"try_strptime({time}, '{f.format(ORDER_FORMAT[order])}')"
             for f in SLASH_FORMATS] if order else []
    parsed = ", ".join([f"timezone('UTC', {s})" for s in slash]
                       + [f"try_cast({time} AS TIMESTAMPTZ)",
                          f"timezone('UTC', try_strptime({time}, '%Y%m%d%H%M%S.%g'))"])
    parsed = f"coalesce({parsed})"
    if all_users:
        type_col, counted_types, rule = None, None, "every user (--all-users)"
    elif cols["user_type"]:
        type_col, counted_types = "user_type", EXTERNAL_USER_TYPES
        rule = "external users (user type " + ", ".join(EXTERNAL_USER_TYPES[::2]) + ")"
    elif cols["login_type"]:
        type_col, counted_types = "login_type", EXTERNAL_LOGIN_TYPES
        rule = "Experience Cloud external users (login type Chatter Communities External " \
               "User, its SSO variants)"
    else:
        type_col, counted_types = None, None
        rule = "every user (the export says no login or user type)"
    extra = [t.strip() for t in login_types if t.strip()]
    if extra and not all_users:
        rule += "; and " + ", ".join(extra) + " (--login-types)"
    if type_col:
        allowed = [t.lower() for t in counted_types + tuple(extra)]
        checks = [f"lower({col(type_col)}) IN ({_literals(allowed)})"]
        checks += [f"lower({col(k)}) IN ({_literals([t.lower() for t in extra])})"
                   for k in ("login_type", "user_type") if cols[k] and k != type_col and extra]
        # the usual spelling first, compared as it is: lower() only for the others
        exact = _quote(cols[type_col])
        typed = (f"CASE WHEN {exact} IN ({_literals(counted_types[:1])}) THEN true ELSE "
                 "coalesce(" + " OR ".join(checks) + ", false) END")
    else:
        typed = "true"
    if users is not None:
        con.execute("CREATE TEMP TABLE listed AS SELECT unnest(?::VARCHAR[]) AS v", [users])
        listed = (f"coalesce(lower({col('user')}) IN (SELECT v FROM listed) OR "
                  f"left({col('user_id')}, 15) IN (SELECT v FROM listed), false)")
        rule += f"; only the {plural(len(users), 'user')} of --users"
    else:
        listed = "true"
    user = (col("user") if not cols["user_id"] else col("user_id") if not cols["user"]
            else f"coalesce(nullif({col('user')}, ''), {col('user_id')})")
    shown_type = col(type_col) if type_col else "NULL::VARCHAR"
    # one parallel pass over the file, straight to (user, day, flags) with counts; line
    # numbers are only worked out when there are bad rows to report
    con.execute(f"""
        CREATE TEMP TABLE logins AS
        SELECT usr, CASE WHEN NOT ok THEN status END AS status,
               CASE WHEN ok AND NOT typed THEN kind END AS kind, ok, typed, listed,
               CAST(timezone(?, ts) AS DATE) AS day, count(*) AS n
        FROM (SELECT {user} AS usr, {col('status')} AS status, {shown_type} AS kind,
                     CASE WHEN {_quote(cols['status'])} = 'Success' THEN true ELSE coalesce(
                         lower({col('status')}) IN ({_literals(SUCCESS)}), false) END AS ok,
                     {typed} AS typed, {listed} AS listed, {parsed} AS ts
              FROM {source})
        GROUP BY ALL""", [tz])
    n_bad = con.execute("SELECT coalesce(sum(n), 0) FROM logins WHERE day IS NULL").fetchone()[0]
    if n_bad:
        bad = con.execute(f"""
            SELECT line, t FROM (
                SELECT row_number() OVER () + 1 AS line, {time} AS t, {parsed} AS ts
                FROM {source}) WHERE ts IS NULL ORDER BY line LIMIT {SHOWN}""").fetchall()
        raise InputError(f"{path.name} line {bad[0][0]}", bad[0][1] or None,
                         "is not a login time" if bad[0][1] else "has no login time",
                         f"{n_bad} rows cannot be read (lines {', '.join(str(b[0]) for b in bad)}"
                         f"{'...' if n_bad > SHOWN else ''}); expected like 1/15/2026 11:30:05 "
                         "PM or 2026-01-15T23:30:05.000Z")
    if con.execute("SELECT count(*) FROM logins WHERE ok AND (usr IS NULL OR usr = '')"
                   ).fetchone()[0]:
        line = con.execute(f"""
            SELECT line FROM (SELECT row_number() OVER () + 1 AS line, {user} AS usr,
                                     lower({col('status')}) IN ({_literals(SUCCESS)}) AS ok
                              FROM {source})
            WHERE ok AND (usr IS NULL OR usr = '') ORDER BY line LIMIT 1""").fetchone()[0]
        raise InputError(f"{path.name} line {line}", None, "has no user",
                         "every successful login needs its user")
    rows, first, last = con.execute("SELECT coalesce(sum(n), 0)::BIGINT, min(day), max(day) "
                                    "FROM logins").fetchone()
    months, partial = _months(first, last, months_given, path.name)
    # the months used are consecutive: a day is in them when it falls between their ends
    lo = date.fromisoformat(months[0] + "-01")
    end = date.fromisoformat(months[-1] + "-01")
    hi = date(end.year + end.month // 12, end.month % 12 + 1, 1)
    con.execute(f"""CREATE TEMP VIEW flagged AS
                    SELECT *, day >= DATE '{lo}' AND day < DATE '{hi}' AS in_period
                    FROM logins WHERE day IS NOT NULL""")
    statuses = dict(con.execute(
        "SELECT coalesce(status, '(blank)'), sum(n)::BIGINT FROM flagged WHERE NOT ok "
        "GROUP BY 1 ORDER BY 2 DESC, 1").fetchall())
    by_type = dict(con.execute(
        "SELECT coalesce(nullif(kind, ''), '(blank)'), sum(n)::BIGINT FROM flagged "
        "WHERE ok AND NOT typed GROUP BY 1 ORDER BY 2 DESC, 1").fetchall())
    not_listed = con.execute("SELECT coalesce(sum(n), 0)::BIGINT FROM flagged "
                             "WHERE ok AND typed AND NOT listed").fetchone()[0]
    by_month = dict(con.execute(
        "SELECT strftime(day, '%Y-%m'), sum(n)::BIGINT FROM flagged WHERE ok AND typed "
        "AND listed AND NOT in_period GROUP BY 1 ORDER BY 1").fetchall())
    counted = con.execute("SELECT coalesce(sum(n), 0)::BIGINT FROM flagged "
                          "WHERE ok AND typed AND listed AND in_period").fetchone()[0]
    reasons = dict(con.execute("""
        SELECT CASE WHEN NOT ok THEN 'with only failed logins'
                    WHEN NOT okt THEN 'not external users (by their type)'
                    WHEN NOT okl THEN 'not in --users'
                    ELSE 'with logins only in months not used' END AS reason, count(*)
        FROM (SELECT usr, bool_or(ok) AS ok, bool_or(ok AND typed) AS okt,
                     bool_or(ok AND typed AND listed) AS okl,
                     bool_or(ok AND typed AND listed AND in_period) AS counted
              FROM flagged GROUP BY usr)
        WHERE NOT counted GROUP BY 1 ORDER BY 2 DESC""").fetchall())
    # a counted login keeps no status or type and has every flag set: one group per user
    # and day, so its groups in a month are its login-days
    days = con.execute("""
        SELECT usr AS user, strftime(day, '%Y-%m') AS month, count(*) AS login_days
        FROM flagged WHERE ok AND typed AND listed AND in_period
        GROUP BY 1, 2 ORDER BY 1, 2""").df()
    con.close()
    days["login_days"] = days["login_days"].astype(int)
    return History(days, int(rows), int(counted), statuses,
                   reasons.get("with only failed logins", 0), tz, months, partial,
                   months_given is not None, rule, by_type,
                   {"user_type": "user type", "login_type": "login type"}.get(type_col, ""),
                   int(not_listed), by_month, reasons, _iso(first), _iso(last), order)


def _iso(day) -> str:
    return day.isoformat() if day is not None else ""


def _months(first: date | None, last: date | None, given: list[str] | None,
            source: str = "Login History") -> tuple[list[str], list[str]]:
    """The months to count and those left out: ``given`` (the rest of the export is left
    out), else the months the export covers from their first day to their last."""
    if first is None:
        if given:
            return given, []
        raise InputError(source, None, "has no logins (a header at most)",
                         "export Login History with its rows")
    touched = month_range(f"{first:%Y-%m}", f"{last:%Y-%m}")
    if given is not None:
        return given, [m for m in touched if m not in given]
    keep = list(touched)
    if first.day != 1:
        keep.remove(f"{first:%Y-%m}")
    following = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    if (following.toordinal() - last.toordinal()) != 1 and f"{last:%Y-%m}" in keep:
        keep.remove(f"{last:%Y-%m}")
    if not keep:
        raise InputError(source, f"{first} to {last}", "covers no whole month in "
                         "the org's time zone", "give the months it covers: --period "
                         f"{first:%Y-%m} {last:%Y-%m}")
    return keep, [m for m in touched if m not in keep]
