"""Salesforce Login History exports to login-days per user and month (DOMAIN.md section 8).

The export is read and aggregated by DuckDB: tens of millions of rows stream through
in a few seconds on two cores without being held in memory. A login counts once per
user per calendar day in the org's time zone. Times without a zone (the Setup
download's "1/15/2026 11:30:05 PM") are taken as GMT, as Salesforce writes them; ISO
times from the API carry their zone ("2026-01-15T23:30:05.000Z").
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from .errors import InputError

__all__ = ["History", "check_zone", "read_history"]

COLUMNS = {  # what we need -> header spellings seen in exports (compared in lower case)
    "user": ("username", "user name", "userid", "user id", "user"),
    "time": ("login time", "logintime", "login time (gmt)", "login date"),
    "status": ("status", "login status"),
}
TIME_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S",
                "%m/%d/%Y %H:%M")
SHOWN = 5  # bad lines quoted in a message


@dataclass
class History:
    """Login-days per user per month, and what the reading counted."""
    login_days: pd.DataFrame  # columns: user, month ("YYYY-MM"), login_days
    rows: int
    successful: int
    other_statuses: dict = field(default_factory=dict)  # status -> rows not counted
    failed_only_users: int = 0
    tz: str = "UTC"

    @property
    def months(self) -> list[str]:
        return sorted(self.login_days["month"].unique())


def _match_headers(path: Path) -> dict[str, str]:
    """The export's header for each column we need; says which one is missing."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        header = next(csv.reader(f), [])
    by_lower = {h.strip().lower(): h for h in header}
    found = {}
    for need, spellings in COLUMNS.items():
        match = next((by_lower[s] for s in spellings if s in by_lower), None)
        if match is None:
            raise InputError(Path(path).name, f"{len(header)} columns",
                             f"has no {need} column ({' / '.join(spellings[:3])})",
                             "export Login History with it; columns found: "
                             + ", ".join(header[:12]))
        found[need] = match
    return found


def check_zone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError("time zone", tz, "is not a time zone",
                         "use an IANA name such as UTC or Europe/Paris") from None
    return tz


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_history(path: Path, tz: str = "UTC") -> History:
    """Read a Login History export: login-days per user per month in time zone ``tz``."""
    path, tz = Path(path), check_zone(tz)
    cols = _match_headers(path)
    try:  # an optional dependency (the logins extra): the UDFs never need it
        import duckdb
    except ImportError:
        raise InputError("Login History", str(path), "needs DuckDB, which is not installed",
                         "pip install duckdb (or xlcredits[logins])") from None
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # naive ISO times are GMT too
    source = ("read_csv(?, header = true, all_varchar = true, auto_detect = true)")
    user, time, status = (f"trim({_quote(cols[k])})" for k in ("user", "time", "status"))
    parsed = ", ".join(f"timezone('UTC', try_strptime({time}, '{f}'))" for f in TIME_FORMATS)
    # one parallel pass over the file, straight to (user, status, local day) with counts;
    # line numbers are only worked out when there are bad rows to report
    con.execute(f"""
        CREATE TEMP TABLE logins AS
        SELECT usr, status, CAST(timezone(?, ts) AS DATE) AS day, count(*) AS n
        FROM (SELECT {user} AS usr, {status} AS status,
                     coalesce({parsed}, try_cast({time} AS TIMESTAMPTZ)) AS ts
              FROM {source})
        GROUP BY ALL""", [tz, str(path)])
    n_bad = con.execute("SELECT coalesce(sum(n), 0) FROM logins WHERE day IS NULL").fetchone()[0]
    if n_bad:
        bad = con.execute(f"""
            SELECT line, t FROM (
                SELECT row_number() OVER () + 1 AS line, {time} AS t,
                       coalesce({parsed}, try_cast({time} AS TIMESTAMPTZ)) AS ts
                FROM {source}) WHERE ts IS NULL ORDER BY line LIMIT {SHOWN}""",
                          [str(path)]).fetchall()
        raise InputError(f"{path.name} line {bad[0][0]}", bad[0][1] or None,
                         "is not a login time" if bad[0][1] else "has no login time",
                         f"{n_bad} rows cannot be read (lines {', '.join(str(b[0]) for b in bad)}"
                         f"{'...' if n_bad > SHOWN else ''}); expected like 1/15/2026 11:30:05 "
                         "PM or 2026-01-15T23:30:05.000Z")
    statuses = dict(con.execute("SELECT coalesce(status, '(blank)'), sum(n)::BIGINT FROM logins "
                                "GROUP BY 1 ORDER BY 2 DESC").fetchall())
    successful = sum(n for k, n in statuses.items() if k.lower() == "success")
    if con.execute("SELECT count(*) FROM logins WHERE lower(status) = 'success' "
                   "AND (usr IS NULL OR usr = '')").fetchone()[0]:
        line = con.execute(f"""
            SELECT line FROM (SELECT row_number() OVER () + 1 AS line, {user} AS usr,
                                     lower({status}) AS st FROM {source})
            WHERE st = 'success' AND (usr IS NULL OR usr = '') ORDER BY line LIMIT 1""",
                           [str(path)]).fetchone()[0]
        raise InputError(f"{path.name} line {line}", None, "has no user",
                         "every successful login needs its user")
    days = con.execute("""
        SELECT usr AS user, strftime(day, '%Y-%m') AS month, count(DISTINCT day) AS login_days
        FROM logins WHERE lower(status) = 'success'
        GROUP BY 1, 2 ORDER BY 1, 2""").df()
    failed_only = con.execute("SELECT count(*) FROM (SELECT usr FROM logins GROUP BY usr "
                              "HAVING NOT bool_or(lower(status) = 'success'))").fetchone()[0]
    con.close()
    days["login_days"] = days["login_days"].astype(int)
    rows = sum(statuses.values())
    others = {k: n for k, n in statuses.items() if k.lower() != "success"}
    return History(days, rows, successful, others, failed_only, tz)
