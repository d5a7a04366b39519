"""The expiry calendar: read back by two independent iCalendar parsers (icalendar, and
ical, which shares no code with it), with hand-computed dates at month ends and in leap
years, stable UIDs, reminders on the right days, and the command's refusals."""

from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner
from ical.calendar_stream import IcsCalendarStream

from xlcredits.cli import main
from xlcredits.workbook.build import build
from xlcredits.workbook.entries import Entries, example_entries, template_entries

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "workbooks" / "example.xlsx"


def entry(id_, expiry, balance=1000.0, consumed=500.0, start=date(2026, 1, 1), **more):
    return {"id": id_, "credit_type": "Flex Credits", "product": f"Packs {id_}",
            "balance": balance, "consumed": consumed, "start": start, "expiry": expiry,
            "unit_value": 0.005, "owner": "Ana", **more}


def workbook(path: Path, rows: list[dict], as_of: date) -> Path:
    build(Entries(register=rows, tco=template_entries().tco, as_of=as_of),
          exact_rows=20).save(path)
    return path


def run(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def parse_both(path: Path):
    """The file as icalendar reads it and as ical (an independent parser) reads it."""
    text = path.read_text("utf-8")
    ours = [c for c in icalendar.Calendar.from_ical(text).walk("VEVENT")]
    theirs = IcsCalendarStream.calendar_from_ics(text)
    assert sorted(str(e["UID"]) for e in ours) == sorted(e.uid for e in theirs.events)
    return ours, theirs


def by_title(events) -> dict[str, date]:
    return {str(e["SUMMARY"]): e["DTSTART"].dt for e in events}


def test_the_example_workbook(tmp_path):
    code, out = run("calendar", EXAMPLE, "--out", tmp_path / "expiries.ics")
    assert code == 0, out
    _, theirs = parse_both(tmp_path / "expiries.ics")
    def last_day(e):  # usable through expiry + grace days
        return e["expiry"] + timedelta(days=int(e.get("grace_days") or 0))

    live = [e for e in example_entries().register
            if e.get("expiry") and last_day(e) >= date(2026, 10, 31)]  # the example's as-of
    expiry_events = [e for e in theirs.events if " expires: " in e.summary
                     and not e.summary.startswith("In ")]
    assert len(expiry_events) == len(live) == 11  # 12 entries, PSV-001 expired 2026-09-30
    assert {e.dtstart for e in expiry_events} == {last_day(e) for e in live}
    # MC-001 has 30 grace days in the sample: its last usable day is 30 days after expiry
    mc = next(e for e in example_entries().register if e["id"] == "MC-001")
    assert mc["grace_days"] == 30
    assert next(e for e in expiry_events if e.summary.startswith("MC-001")).dtstart == \
        mc["expiry"] + timedelta(days=30)
    assert "11 entries" in out and "PSV-001" in out and "past their last usable day" in out
    # FLX-001: 5,320,000 credits left at $0.005, LAPSE RISK in the example
    flx = next(e for e in theirs.events if e.summary.startswith("FLX-001 expires"))
    assert flx.dtstart == date(2026, 12, 31) and "Alert: LAPSE RISK" in flx.description
    assert "Remaining balance: 5,320,000 credits" in flx.description
    assert "Owner: Priya Natarajan" in flx.description and "example.xlsx" in flx.description


def test_all_day_dates_month_ends_leap_years_and_reminders(tmp_path):
    rows = [entry("LEAP", date(2028, 2, 29)),  # a leap day
            entry("MAR", date(2027, 3, 31)),
            entry("GRACE", date(2026, 12, 31), grace_days=90)]
    path = workbook(tmp_path / "w.xlsx", rows, date(2026, 6, 30))
    code, out = run("calendar", path, "--out", tmp_path / "c.ics", "--remind", "60,30,1")
    assert code == 0, out
    ours, theirs = parse_both(tmp_path / "c.ics")
    days = by_title(ours)
    # 2028-02-29 - 60 days: 29 days back is 2028-01-31, 31 more is 2027-12-31
    assert days["In 60 days LEAP expires: Flex Credits, Packs LEAP"] == date(2027, 12, 31)
    # 2028-02-29 - 30 days: 2028-01-30; - 1 day: 2028-02-28
    assert days["In 30 days LEAP expires: Flex Credits, Packs LEAP"] == date(2028, 1, 30)
    assert days["In 1 day LEAP expires: Flex Credits, Packs LEAP"] == date(2028, 2, 28)
    # 2027-03-31 - 30 days = 2027-03-01 (February 2027 has 28 days: - 60 = 2027-01-30)
    assert days["In 30 days MAR expires: Flex Credits, Packs MAR"] == date(2027, 3, 1)
    assert days["In 60 days MAR expires: Flex Credits, Packs MAR"] == date(2027, 1, 30)
    # 2026-12-31 + 90 grace days = 2027-03-31 (31 + 28 + 31 days); 30 days before: Mar 1
    assert days["GRACE expires: Flex Credits, Packs GRACE"] == date(2027, 3, 31)
    assert days["In 30 days GRACE expires: Flex Credits, Packs GRACE"] == date(2027, 3, 1)
    for e in ours:  # all-day: a DATE value, no time zone, one day long
        assert type(e["DTSTART"].dt) is date and "TZID" not in e["DTSTART"].params
        assert e["DTEND"].dt - e["DTSTART"].dt == timedelta(days=1)
    for e in theirs.events:
        assert type(e.dtstart) is date


def test_uids_are_stable_and_differ_between_workbooks(tmp_path):
    a = workbook(tmp_path / "emea.xlsx", [entry("E-1", date(2027, 1, 31))], date(2026, 6, 30))
    b = workbook(tmp_path / "apac.xlsx", [entry("E-1", date(2027, 1, 31))], date(2026, 6, 30))
    run("calendar", a, b, "--out", tmp_path / "one.ics")
    run("calendar", b, a, "--out", tmp_path / "two.ics")
    one, _ = parse_both(tmp_path / "one.ics")
    two, _ = parse_both(tmp_path / "two.ics")
    uids = sorted(str(e["UID"]) for e in one)
    assert uids == sorted(str(e["UID"]) for e in two)  # the same events, whatever the order
    assert len(uids) == len(set(uids)) == 2 * 4  # same ID in two workbooks: distinct events


def test_lapse_risk_gets_a_weekly_review_until_its_last_day(tmp_path):
    # 100 of 1,000 used in 181 days (Jan 1 - Jun 30): 0.55 a day, 184 days left: ~101.7
    # more, so ~798 of 1,000 lapse: LAPSE RISK
    rows = [entry("RISK", date(2026, 12, 31), consumed=100.0),
            entry("FINE", date(2026, 12, 31), consumed=900.0)]
    path = workbook(tmp_path / "w.xlsx", rows, date(2026, 6, 30))
    code, out = run("calendar", path, "--out", tmp_path / "c.ics")
    assert code == 0 and "1 weekly review" in out
    _, theirs = parse_both(tmp_path / "c.ics")
    reviews = [e for e in theirs.timeline if e.summary.startswith("Weekly lapse review")]
    assert all("RISK" in e.summary for e in reviews)
    # 2026-06-30 is a Tuesday: the first Monday on or after it is 2026-07-06; weekly until
    # 2026-12-31: Jul 6 + 25 weeks = Dec 28, the last one
    assert reviews[0].dtstart == date(2026, 7, 6) and reviews[-1].dtstart == date(2026, 12, 28)
    assert len(reviews) == 26 and all(e.dtstart.weekday() == 0 for e in reviews)


def test_cadence_recurs_monthly_and_quarterly(tmp_path):
    path = workbook(tmp_path / "w.xlsx", [entry("A", date(2027, 6, 30))], date(2026, 11, 24))
    code, _ = run("calendar", path, "--out", tmp_path / "c.ics", "--cadence")
    assert code == 0
    _, theirs = parse_both(tmp_path / "c.ics")
    window = list(theirs.timeline.overlapping(date(2026, 11, 1), date(2027, 5, 1)))
    updates = [e.dtstart for e in window if e.summary == "Update the credits register"]
    reviews = [e.dtstart for e in window if e.summary == "Quarterly credits review"]
    assert updates == [date(2026, 12, 10)] + [date(2027, m, 10) for m in range(1, 5)]
    assert reviews == [date(2027, 1, 15), date(2027, 4, 15)]


def test_as_of_and_hostile_text(tmp_path):
    rows = [entry("X", date(2026, 12, 31), product='=cmd|" /C calc"!A0; a,b\nnext line',
                  owner="O'Brien; \\ back")]
    path = workbook(tmp_path / "w.xlsx", rows, date(2026, 6, 30))
    code, out = run("calendar", path, "--out", tmp_path / "c.ics", "--as-of", "2027-01-01")
    assert code == 0 and "0 entries" in out and "past their last usable day" in out
    code, out = run("calendar", path, "--out", tmp_path / "c.ics", "--as-of", "2026-12-01")
    _, theirs = parse_both(tmp_path / "c.ics")
    expiry = next(e for e in theirs.events if e.summary.startswith("X expires"))
    assert expiry.summary == 'X expires: Flex Credits, =cmd|" /C calc"!A0; a,b\nnext line'
    assert "Owner: O'Brien; \\ back" in expiry.description and "As of 2026-12-01" in \
        expiry.description


@pytest.mark.parametrize("args, message", [
    (["--out", "c.txt"], "does not end in .ics"),
    (["--out", "missing/c.ics"], "does not exist"),
    (["--out", "c.ics", "--remind", "ninety"], "not a list of whole days"),
    (["--out", "c.ics", "--remind", "0"], "1 to 3660 days"),
    (["--out", "c.ics", "--as-of", "31/12/2026"], "31/12/2026"),
])
def test_bad_options_are_refused(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    code, out = run("calendar", EXAMPLE, *args)
    assert code == 2 and message in out
    assert not (tmp_path / "c.ics").exists()
