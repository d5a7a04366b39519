"""The expiry calendar: every live register entry as dated events a calendar program imports.

For each entry still usable on the as-of date: an all-day event on its last usable day
(expiry plus grace days), reminders some days before it as all-day events of their own,
and, for an entry at LAPSE RISK, a weekly review until that day (DOMAIN.md section 6: an
acceleration plan tracked weekly). Optionally the governance cadence: the monthly register
update (on the 10th, when the Monthly Account Summary of the previous month has arrived,
DOMAIN.md section 7) and the quarterly review (on the 15th of each quarter's first month).

Reminders are events of their own rather than alarms on the expiry event: Google Calendar
drops the alarms of an imported file and Outlook keeps one alarm per event, while an event
shows in every program, in every view, and in everyone's calendar the file is shared with.

Every event has a stable UID made from the workbook's file name, the entry's ID and the
event's kind, so that importing a newer file updates the events instead of duplicating them.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
from icalendar import Calendar
from icalendar import Event as IcsEvent

__all__ = ["DEFAULT_REMINDERS", "Event", "Plan", "last_usable_day", "plan", "to_ics"]

DEFAULT_REMINDERS = (90, 60, 30)
PRODID = "-//xlcredits//expiry calendar//EN"
MONTHLY_UPDATE_DAY = 10  # the Monthly Account Summary arrives around the 10th
QUARTERLY_REVIEW_DAY = 15


@dataclass(frozen=True)
class Event:
    uid: str
    kind: str  # expiry, remind-N, review, register-update, quarterly-review
    day: date
    title: str
    description: str
    rrule: dict | None = None  # a recurrence, as icalendar takes it


@dataclass
class Plan:
    """The events of a calendar, and the entries left out of it, with why."""
    events: list[Event] = field(default_factory=list)
    past: list[str] = field(default_factory=list)  # entries past their last usable day
    undated: list[str] = field(default_factory=list)  # entries without an expiry date
    beyond: list[str] = field(default_factory=list)  # last usable day after 9999-12-31

    def count(self, kind: str) -> int:
        return sum(e.kind == kind or e.kind.startswith(kind + "-") for e in self.events)


def _day(value) -> date:
    return value.date() if isinstance(value, (datetime, pd.Timestamp)) else value


def last_usable_day(expiry, grace_days=None) -> date:
    """The expiry date plus the grace days (blank: none).

    >>> last_usable_day(date(2026, 12, 31), 90), last_usable_day(date(2028, 2, 28), 1)
    (datetime.date(2027, 3, 31), datetime.date(2028, 2, 29))
    """
    grace = 0 if grace_days is None or pd.isna(grace_days) else int(grace_days)
    return _day(expiry) + timedelta(days=grace)


def _uid(workbook: str, entry_id: str, kind: str) -> str:
    digest = hashlib.sha256(f"{workbook}\n{entry_id}\n{kind}".encode()).hexdigest()[:24]
    return f"{digest}@xlcredits"


def _text(value) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) \
        else str(value).strip()


def _entry_key(row) -> str:
    """The entry's ID, or (no ID typed) what identifies it: contract, product and dates."""
    return _text(row.get("id")) or "|".join(
        _text(row.get(k)) for k in ("contract", "product", "start", "expiry"))


def _describe(row, last: date) -> str:
    name = Path(row["workbook"]).name
    grace = row.get("grace_days")
    lines = [
        f"Expiry date: {_day(row['expiry']):%Y-%m-%d}"
        + (f", usable through {last:%Y-%m-%d} ({int(grace)} grace days)"
           if grace is not None and not pd.isna(grace) and int(grace) else ""),
        f"Owner: {_text(row.get('owner')) or '(none)'}",
        f"Purpose: {_text(row.get('purpose')) or '(none)'}",
        f"Contract: {_text(row.get('contract')) or '(none)'}",
        f"Remaining balance: {row['remaining']:,.0f} {_text(row.get('unit'))}".rstrip(),
        f"Projected lapse: {row['lapse']:,.0f}",
        f"Value at risk: ${row['value_at_risk']:,.2f}" if math.isfinite(row["value_at_risk"])
        else "Value at risk: too large to compute; check the balance and unit value",
        f"Alert: {row['alert'] or 'OK'}",
        f"As of {_day(row['as_of']):%Y-%m-%d}, from {name} ({row['workbook']})",
    ]
    return "\n".join(lines)


def plan(df: pd.DataFrame, reminders=DEFAULT_REMINDERS, cadence: bool = False,
         today: date | None = None) -> Plan:
    """The events for evaluated register entries (``portfolio.collect``'s table, with its
    ``workbook`` and ``as_of`` columns). Reminders falling before the as-of date are left
    out; so are entries whose last usable day is before it."""
    out = Plan()
    seen: dict[tuple[str, str], int] = {}
    for _, row in df.iterrows():
        row = row.to_dict()
        key = _entry_key(row)
        entry_id = _text(row.get("id")) or "(no ID)"
        what = ", ".join(v for v in (_text(row.get("credit_type")), _text(row.get("product")))
                         if v)
        label = f"{entry_id}: {what}"
        if row.get("expiry") is None or pd.isna(row.get("expiry")):
            out.undated.append(label)
            continue
        as_of = _day(row["as_of"])
        try:
            last = last_usable_day(row["expiry"], row.get("grace_days"))
        except OverflowError:  # expiry plus grace days is past the last date there is
            out.beyond.append(label)
            continue
        if last < as_of:
            out.past.append(label)
            continue
        workbook = Path(row["workbook"]).name
        n = seen[workbook, key] = seen.get((workbook, key), 0) + 1
        if n > 1:  # a duplicate ID (or two workbooks of one name): its own UIDs, not a clash
            key = f"{key}#{n}"
        text = _describe(row, last)
        out.events.append(Event(_uid(workbook, key, "expiry"), "expiry", last,
                                f"{entry_id} expires: {what}", text))
        for days in sorted(set(reminders), reverse=True):
            day = last - timedelta(days=days)
            if day >= as_of:
                out.events.append(Event(_uid(workbook, key, f"remind-{days}"),
                                        f"remind-{days}", day,
                                        f"In {days} day{'s' * (days != 1)} {entry_id} expires: {what}",
                                        text))
        monday = as_of + timedelta(days=-as_of.weekday() % 7) \
            if as_of <= date.max - timedelta(days=6) else date.max  # first on or after as_of
        if row["alert"] == "LAPSE RISK" and monday <= last and monday.weekday() == 0:
            out.events.append(Event(_uid(workbook, key, "review"), "review", monday,
                                    f"Weekly lapse review of {entry_id}: {what}", text,
                                    {"freq": "weekly", "until": last}))
    if cadence:
        start = today or min((_day(d) for d in df.get("as_of", ())), default=date.today())
        out.events += _cadence(start)
    return out


def _next_day_of_month(start: date, day: int, months=range(1, 13)) -> date:
    year, month = start.year, start.month
    while True:
        if month in months and date(year, month, day) >= start:
            return date(year, month, day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _cadence(start: date) -> list[Event]:
    update = _next_day_of_month(start, MONTHLY_UPDATE_DAY)
    review = _next_day_of_month(start, QUARTERLY_REVIEW_DAY, (1, 4, 7, 10))
    return [
        Event("register-update@xlcredits", "register-update", update,
              "Update the credits register",
              "Monthly: enter each entitlement's consumption to date from the Monthly Account "
              "Summary (it arrives around the 10th and covers the previous month), then "
              "regenerate and check the alerts.", {"freq": "monthly", "bymonthday": update.day}),
        Event("quarterly-review@xlcredits", "quarterly-review", review,
              "Quarterly credits review",
              "Quarterly: review every entitlement with its owner: lapse risk, catch-up "
              "plans, renewals, and at least one Premier Accelerator used this quarter.",
              {"freq": "monthly", "interval": 3, "bymonthday": review.day}),
    ]


def to_ics(events: list[Event], stamp: datetime | None = None) -> bytes:
    """The events as an RFC 5545 calendar: all-day events (dates, no time zone)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "Salesforce credits: expiries")
    stamp = stamp or datetime.now(timezone.utc).replace(microsecond=0)
    for e in events:
        ev = IcsEvent()
        ev.add("uid", e.uid)
        ev.add("dtstamp", stamp)
        ev.add("dtstart", e.day)
        if e.day < date.max:  # without DTEND an all-day event lasts its day (RFC 5545)
            ev.add("dtend", e.day + timedelta(days=1))
        ev.add("summary", e.title)
        ev.add("description", e.description)
        ev.add("categories", ["xlcredits", e.kind.split("-")[0]])
        ev.add("transp", "TRANSPARENT")  # a reminder, not a busy day
        if e.rrule:
            ev.add("rrule", e.rrule)
        cal.add_component(ev)
    return cal.to_ical()
