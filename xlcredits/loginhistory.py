"""Salesforce Login History to the cheapest Experience Cloud licence mix (DOMAIN.md section 2).

The export is read and aggregated by DuckDB: tens of millions of rows stream through
in a few seconds on two cores without being held in memory. A login counts once per
user per calendar day in the org's time zone. Times without a zone (the Setup
download's "1/15/2026 11:30:05 PM") are taken as GMT, as Salesforce writes them; ISO
times from the API carry their zone ("2026-01-15T23:30:05.000Z").
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from . import logins
from .errors import InputError

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


def match_headers(path: Path) -> dict[str, str]:
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
        raise InputError("--tz", tz, "is not a time zone",
                         "use an IANA name such as UTC or Europe/Paris") from None
    return tz


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def read_history(path: Path, tz: str = "UTC") -> History:
    """Read a Login History export: login-days per user per month in time zone ``tz``."""
    import duckdb

    path, tz = Path(path), check_zone(tz)
    cols = match_headers(path)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # naive ISO times are GMT too
    source = ("read_csv(?, header = true, all_varchar = true, auto_detect = true)")
    user, time, status = (f"trim({quote(cols[k])})" for k in ("user", "time", "status"))
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


@dataclass
class Mix:
    """The licence choice for every user, month by month, and what each option costs."""
    users: pd.DataFrame  # user, months_active, login_days, per_month, licence
    months: pd.DataFrame  # month, users, login_days, pool_need, pool_cost, members_cost
    login_price: float
    member_price: float
    breakeven: float
    all_members: float  # monthly
    all_logins: float
    best_mix: float
    block: float  # the fixed monthly block of logins priced
    block_cost: float  # monthly, with overage at the login price

    @property
    def saving(self) -> float:
        """Monthly saving of the best mix against the cheaper pure option."""
        return min(self.all_members, self.all_logins) - self.best_mix


def analyse(history: History, login_price, member_price, block: float | None = None) -> Mix:
    """Members for users above the break-even, a login pool below it (no rollover)."""
    login = logins.community_prices("login_price", login_price, "login").item()
    member = logins.community_prices("member_price", member_price, "member").item()
    breakeven = logins.login_breakeven(login, member)
    data = history.login_days
    months = history.months
    n_months = max(len(months), 1)
    users = data.groupby("user").agg(months_active=("month", "nunique"),
                                     login_days=("login_days", "sum")).reset_index()
    users["per_month"] = users["login_days"] / n_months
    member_mask = users["per_month"].to_numpy() * login > member
    users["licence"] = np.where(member_mask, "Member", "Login pool")
    pool_users = set(users.loc[~member_mask, "user"])
    in_pool = data[data["user"].isin(pool_users)]
    monthly = data.groupby("month").agg(users=("user", "nunique"),
                                        login_days=("login_days", "sum"))
    monthly["pool_need"] = in_pool.groupby("month")["login_days"].sum()
    monthly = monthly.reindex(months).fillna(0).reset_index()
    monthly["pool_cost"] = monthly["pool_need"] * login
    n_members = int(member_mask.sum())
    monthly["members_cost"] = n_members * member
    peak = float(monthly["pool_need"].max()) if len(monthly) else 0.0
    block = peak if block is None else float(block)
    overage = np.maximum(monthly["pool_need"] - block, 0)
    return Mix(
        users=users, months=monthly, login_price=login, member_price=member,
        breakeven=breakeven,
        all_members=len(users) * member,
        all_logins=float(users["login_days"].sum()) * login / n_months,
        best_mix=logins.mix_cost(users["per_month"].to_numpy(), login, member),
        block=block, block_cost=float((block + overage).mean() * login) if len(monthly)
        else 0.0)


def summary(history: History, mix: Mix) -> str:
    months = history.months
    span = f"{months[0]} to {months[-1]}" if months else "no months"
    lines = [
        f"{history.rows:,} rows: {history.successful:,} successful logins counted; "
        + (", ".join(f"{k} {v:,}" for k, v in history.other_statuses.items())
           or "no others") + " not counted.",
        f"{len(mix.users):,} users over {len(months)} months ({span}, time zone {history.tz})"
        + (f"; {history.failed_only_users:,} more had only failed logins." if
           history.failed_only_users else "."),
        (f"Prices: ${mix.login_price:,.2f} a login-day, ${mix.member_price:,.2f} a member a "
         f"month; break-even {mix.breakeven:.2f} login-days a month."),
        "",
        f"{'':22}{'monthly':>14}{'annual':>16}",
        f"{'All members':22}{mix.all_members:>14,.2f}{mix.all_members * 12:>16,.2f}",
        f"{'All login pool':22}{mix.all_logins:>14,.2f}{mix.all_logins * 12:>16,.2f}",
        f"{'Best mix':22}{mix.best_mix:>14,.2f}{mix.best_mix * 12:>16,.2f}",
        f"{'Saving':22}{mix.saving:>14,.2f}{mix.saving * 12:>16,.2f}",
        "",
        (f"{(mix.users['licence'] == 'Member').sum():,} users as members, "
         f"{(mix.users['licence'] == 'Login pool').sum():,} in the login pool. Pool sized to "
         f"each month's need: ${mix.months['pool_cost'].mean():,.2f} a month on average; as a "
         f"fixed block of {math.ceil(mix.block):,} login-days with overage: "
         f"${mix.block_cost:,.2f} a month."),
    ]
    return "\n".join(lines)


def write_workbook(history: History, mix: Mix, out: Path) -> Path:
    """The analysis as an xlsx: summary, per-user table, monthly table, distribution chart."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    from .workbook.files import save_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws.column_dimensions["A"].width = 28
    for line in summary(history, mix).splitlines():
        ws.append([line])
    ws["A1"].font = Font(bold=True)
    users = wb.create_sheet("Users")
    users.append(["User", "Months active", "Login-days", "Login-days per month", "Licence"])
    for r in mix.users.itertuples(index=False):
        users.append([r.user, r.months_active, r.login_days, r.per_month, r.licence])
    months = wb.create_sheet("Months")
    months.append(["Month", "Users", "Login-days", "Login pool need", "Login pool cost",
                   "Members cost", "Best mix cost"])
    for r in mix.months.itertuples(index=False):
        months.append([r.month, r.users, r.login_days, r.pool_need, r.pool_cost,
                       r.members_cost, r.pool_cost + r.members_cost])
    for sheet in (users, months):
        sheet.freeze_panes = "A2"
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    dist = wb.create_sheet("Distribution")
    dist.append(["Login-days in a month", "User-months", "Break-even"])
    counts = history.login_days["login_days"].value_counts()
    top = int(max(counts.index.max() if len(counts) else 0, math.ceil(mix.breakeven), 1))
    peak = int(counts.max()) if len(counts) else 1
    for d in range(1, top + 1):
        dist.append([d, int(counts.get(d, 0)), peak if d == math.ceil(mix.breakeven) else 0])
    chart = BarChart()
    chart.title = (f"Login-days per user per month (break-even {mix.breakeven:.2f}: "
                   "members above it)")
    chart.x_axis.title, chart.y_axis.title = "login-days in a month", "user-months"
    chart.add_data(Reference(dist, min_col=2, max_col=3, min_row=1, max_row=top + 1),
                   titles_from_data=True)
    chart.set_categories(Reference(dist, min_col=1, min_row=2, max_row=top + 1))
    chart.height, chart.width = 9, 20
    dist.add_chart(chart, "E2")
    save_workbook(wb, out)
    return Path(out)
