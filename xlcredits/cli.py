"""The ``xlcredits`` command. Each command's docstring is its help."""

from __future__ import annotations

import math
import sys
import warnings
from datetime import date
from pathlib import Path

import click
from click.core import ParameterSource

from . import batch, expiries, logins, rates, register, statements
from .errors import InputError, XlcreditsError, plural
from .loginhistory import check_zone, month_range, read_history, read_users
from .loginmix import analyse, options, summary, summary_facts
from .portfolio import collect, entries_table, rollups, split_build
from .tables import read_table, records
from .workbook import schema as s
from .workbook.build import build
from .workbook.entries import example_entries, template_entries
from .workbook.files import save_bytes, save_workbook
from .workbook.reports import write_logins, write_report, write_usage


def at_edge(option: str, fn, *args):
    """``fn(*args)``, its refusal of an argument shown as click's BadParameter for ``option``."""
    try:
        return fn(*args)
    except InputError as e:
        raise click.BadParameter(str(e), param_hint=option) from None


DATE_ORDER = click.option(
    "--date-order", type=click.Choice(["mdy", "dmy"]), help="The order of slash dates in "
    "the file: mdy (1/15/2026) or dmy (15/01/2026). Without it the file's own dates must "
    "prove the order (a first or second field above 12).")


class Group(click.Group):
    """A click group that turns the project's errors into one clean line (exit 1)."""

    def invoke(self, ctx):
        try:
            with warnings.catch_warnings():  # a result says what went wrong, not a library
                warnings.simplefilter("ignore")
                return super().invoke(ctx)
        except XlcreditsError as error:
            raise click.ClickException(str(error)) from None
        except OSError as error:  # a file that cannot be read or written: say which, no trace
            raise click.ClickException(f"{error.filename or 'a file'}: {error.strerror}") \
                from None


def out_file(*suffixes: str):
    """A click callback: ``--out`` must end in one of ``suffixes`` and, when given, name a
    folder that exists (a default path's folder is created)."""
    def check(ctx, param, value):
        if value is None:
            return None
        path = Path(value)
        if path.suffix.lower() not in suffixes:
            raise click.BadParameter(f"{path} does not end in {' or '.join(suffixes)}; "
                                     f"name the file {path.stem}{suffixes[0]}")
        # (click sets a parameter's source only after its callback: compare with the default)
        default = param.default if isinstance(param.default, (str, Path)) else None
        if (default is None or path != Path(default)) and not path.parent.is_dir():
            raise click.BadParameter(f"the folder {path.parent} does not exist; create it or "
                                     "write elsewhere")
        return path
    return check


def out_folder(ctx, param, value):
    """A click callback: the folder to write into; its parent must exist."""
    if value is not None and not value.is_dir() and not value.parent.is_dir():
        raise click.BadParameter(f"the folder {value.parent} does not exist; create it or "
                                 "write elsewhere")
    return value


def finite(what: str, *values) -> None:
    """A result too large to compute is an error, never ``inf`` or ``nan`` printed."""
    if not all(v is None or math.isfinite(v) for v in values):
        raise click.ClickException(f"{what} cannot be computed: the numbers are too large "
                                   "(the result overflows); check the prices and quantities")


def options_used(ctx) -> str:
    """The options given on the command line, as typed (for a report's title block)."""
    given = []
    for param in ctx.command.params:
        if (isinstance(param, click.Option)
                and ctx.get_parameter_source(param.name) != ParameterSource.DEFAULT):
            value = ctx.params[param.name]
            given.append(param.opts[0] if value is True else f"{param.opts[0]} {value}")
    return " ".join(given) or "none"


def tell(written, what: str | None = None) -> None:
    """Print every file written (``what`` it is, if said; a third item of a file's tuple
    is a detail shown after it), and the backup kept of any it replaced."""
    for path, outcome, *detail in written:
        name = f"{what}, {path}" if what else str(path)
        note = f" ({detail[0]})" if detail else ""
        if outcome == "unchanged":
            click.echo(f"Up to date: {name}{note or ' (nothing written)'}")
            continue
        click.echo(f"Wrote {name}{note}")
        if outcome != "written":
            click.echo(f"  {path.name} had other content: the old file is kept as {outcome}")


@click.group(cls=Group)
@click.version_option(package_name="xlcredits")
def main():
    """Salesforce credits and licence economics as Excel formulas and workbooks."""


@main.command("rates")
def show_rates():
    """Print the rate card: every default price and rate, with its unit and source."""
    for r in rates.card().values():
        click.echo(f"{r.key:32} {r.value:>12,.10g}  {r.unit:18} {r.basis:10} {r.source}")


TEMPLATE_PATH = Path("templates") / "xlcredits-template.xlsx"
EXAMPLE_PATH = Path("workbooks") / "example.xlsx"


def write(wb, path: Path, what: str) -> None:
    if not path.parent.is_dir():  # only a default path gets here (see out_file)
        click.echo(f"Created folder {path.parent}")
    tell([(path, save_workbook(wb, path))], what)


@main.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=TEMPLATE_PATH,
              show_default=True, callback=out_file(".xlsx"),
              help="Where to write the blank template (.xlsx).")
def template(out: Path):
    """Write the blank template workbook (register, TCO model, rates, dashboard)."""
    write(build(template_entries()), out, "the template")


@main.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=EXAMPLE_PATH,
              show_default=True, callback=out_file(".xlsx"),
              help="Where to write the example workbook (.xlsx).")
@click.option("--template-out", type=click.Path(dir_okay=False, path_type=Path),
              default=TEMPLATE_PATH, show_default=True, callback=out_file(".xlsx"),
              help="Where to write the template (.xlsx).")
def example(out: Path, template_out: Path):
    """Write the template and an example workbook filled with the built-in sample data,
    then print the example register's credit position."""
    write(build(template_entries()), template_out, "the template")
    entries = example_entries()
    write(build(entries), out, "the example")
    click.echo(f"\nCredit position as of {entries.as_of:%Y-%m-%d} (the example register):")
    click.echo(register.position(register.evaluate(entries.register, entries.as_of, entries.rates),
                                   entries.rates))


@main.command()
@click.option("--workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=EXAMPLE_PATH, show_default=True, help="The workbook to picture.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("workbooks") / "screenshots", show_default=True)
def screenshots(workbook: Path, out: Path):
    """Render the README's pictures: the Register and TCO sheets of the workbook, and the
    report, usage and logins outputs (needs LibreOffice, pdftoppm and the test extras: the
    formula engine computes the xlcredits cells)."""
    try:
        from .devtools.screenshots import render, render_outputs
    except ImportError as e:  # the developer tools need the test extra
        raise click.ClickException(f"screenshots need the test extra ({e.name} is missing): "
                                   "pip install 'xlcredits[test]'") from None

    for path in render(workbook, out) + render_outputs(workbook, out):
        click.echo(f"Wrote {path}")


def outcome_table(outcomes) -> str:
    width = max([len(str(o.path)) for o in outcomes] + [4])
    lines = [f"{'file':{width}}  {'result':16}  {'rows':>5}  detail"]
    for o in outcomes:
        lines.append(f"{o.path!s:{width}}  {o.result:16}  {o.rows:>5}  {o.message}")
    return "\n".join(lines)


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--backup-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where to keep the originals. Default: beside each file.")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--force", is_flag=True, help="Regenerate (and back up) even a workbook that "
              "is already up to date.")
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Workbooks to regenerate in parallel (processes).")
def regenerate(paths, backup_dir, dry_run, force, jobs):
    """Move workbooks (files, or folders searched recursively) to the current template,
    carrying every entry over exactly. Each original is backed up first; a workbook that
    cannot be carried whole is refused and left as it is; one that is already up to date
    is left alone (no backup) unless --force."""
    files = batch.find_workbooks(paths)
    if not files:
        raise click.ClickException("no .xlsx workbooks found in " + ", ".join(map(str, paths)))
    if sys.stdout.isatty():
        with click.progressbar(length=len(files), label="Regenerating") as bar:
            outcomes = batch.regenerate(files, backup_dir, dry_run, jobs,
                                        progress=lambda o: bar.update(1), force=force)
    else:
        outcomes = batch.regenerate(
            files, backup_dir, dry_run, jobs,
            progress=lambda o: click.echo(f"{o.result}: {o.path}"), force=force)
    click.echo("\n" + outcome_table(outcomes))
    failed = [o for o in outcomes if not o.ok]
    if failed:
        click.echo("\nThe workbook was not regenerated." if len(outcomes) == 1 else
                   f"\n{len(failed)} of {len(outcomes)} workbooks were not regenerated.",
                   err=True)
        raise SystemExit(1)


@main.command("build")
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", required=True, help="The column whose values split the data "
              "(a header text, e.g. Owner).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              callback=out_folder, help="The folder to write the workbooks into (created "
              "if its parent exists).")
@DATE_ORDER
def build_workbooks(data: Path, by: str, out: Path, date_order: str | None):
    """From a flat register export (CSV or xlsx with the register's header texts; comma,
    semicolon or tab; any usual encoding; gzip or zip), write one workbook per value of a
    column. A workbook that exists with other content is backed up before it is replaced."""
    existed = out.is_dir()
    try:
        written = split_build(data, by, out, date_order)
    except InputError as e:
        if e.argument == "column":  # the --by column is not in the file
            raise click.BadParameter(str(e), param_hint="--by") from None
        raise

    def told():  # each workbook told once written, the folder once it was made
        for i, (path, rows, outcome) in enumerate(written):
            if i == 0 and not existed and out.is_dir():
                click.echo(f"Created folder {out}")
            yield path, outcome, plural(rows, "entry", "entries")
    tell(told())


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              callback=out_file(".xlsx"),
              help="The report workbook (.xlsx); a .csv of the entries is written beside it.")
@click.pass_context
def report(ctx, paths, out: Path):
    """Roll up every register found: value and value at risk by credit type, owner, alert
    state and expiry quarter, and the entries at risk, highest first. An input formula
    counts by the value its spreadsheet program saved; an entry that cannot be counted
    (a bad value, a formula never calculated) is listed and left out (exit 1)."""
    if out.exists() and any(p.is_file() and p.samefile(out) for p in paths):
        raise click.BadParameter(f"{out} is one of the workbooks to report on; name another "
                                 "file for the report", param_hint="'--out'")
    df, refused, left_out = collect(paths, exclude=[out, out.with_suffix(".csv")])
    for path, reason in refused:
        click.echo(f"refused: {path}: {reason}", err=True)
    for entry in left_out:
        click.echo(f"left out: {entry}", err=True)
    if df.empty:
        raise click.ClickException("no register entries found")
    tables = rollups(df)
    finite("the report", df["value_at_risk"].sum(), *tables["Credit type"].iloc[:, 2])
    counted = (f"{plural(len(df), 'entry', 'entries')} in "
               f"{plural(df['workbook'].nunique(), 'workbook')}")
    as_of = ", ".join(sorted({f"{d:%Y-%m-%d}" if hasattr(d, "strftime") else str(d)
                              for d in df["as_of"]}))
    facts = [("Report date", date.today()), ("Registers", counted),
             ("Alerts as of", f"{as_of} (each register's as-of date; today if blank)"),
             ("Sources", ", ".join(map(str, paths))), ("Options", options_used(ctx))]
    facts += [("Refused", f"{path}: {reason}") for path, reason in refused]
    facts += [("Left out of the totals", str(entry)) for entry in left_out]
    written = write_report(tables, entries_table(df), out, facts)
    by_type = tables["Credit type"]
    click.echo(by_type.to_string(index=False, float_format=lambda v: f"{v:,.0f}"))
    click.echo(f"\n{counted}, as of {as_of}; value at risk "
               f"${df['value_at_risk'].sum():,.0f}.")
    tell(written)
    if refused or left_out:
        click.echo(f"Left out of the totals: {plural(len(refused), 'workbook')}, "
                   f"{plural(len(left_out), 'entry', 'entries')} (listed above).", err=True)
        raise SystemExit(1)


@main.command("logins")
@click.argument("history", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--licence", help="Customer Community, Customer Community Plus or Partner "
              "Community: its list prices from the rate card.")
@click.option("--login-price", type=click.FloatRange(min=0, min_open=True),
              help="Price of a login-day (with --member-price).")
@click.option("--member-price", type=click.FloatRange(min=0, min_open=True),
              help="Price of a member a month.")
@click.option("--tz", default="UTC", show_default=True,
              help="The org's time zone: a login-day is a calendar day there.")
@click.option("--period", nargs=2, metavar="FROM TO", help="The months the export covers, "
              "inclusive (2026-01 2026-06). Default: the months it covers entirely in the org's "
              "time zone (a rolling export's first and last months are partial).")
@click.option("--login-types", "login_types", multiple=True, metavar="TYPE",
              help="Another login type (or user type) whose logins count, besides Experience "
              "Cloud external users'; repeat or separate with commas.")
@click.option("--all-users", is_flag=True, help="Count every user's logins (staff, API "
              "integrations, external users).")
@click.option("--users", "users_file", type=click.Path(exists=True, dir_okay=False,
                                                       path_type=Path),
              help="Count only these users: a file of usernames or user IDs (one a line, or "
              "a column headed Username or Id), e.g. the holders of one licence.")
@DATE_ORDER
@click.option("--block", type=click.FloatRange(min=0), help="A fixed monthly block of "
              "login-days to price, with overage at the login price. Default: the peak "
              "month's need.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              callback=out_file(".xlsx"), help="Also write the summary, the per-user and "
              "monthly tables and charts to this workbook (.xlsx).")
@click.pass_context
def logins_command(ctx, history, licence, login_price, member_price, tz, period, login_types,
                   all_users, users_file, date_order, block, out):
    """From a Login History export (Setup's CSV or GZIP download, the LoginHistory object
    from Data Loader or the sf CLI, or the Event Monitoring Login log), the cheapest mix of
    member licences and a login pool, against all members and all logins."""
    if licence and (login_price is not None or member_price is not None):
        raise click.UsageError("give --licence or the two prices, not both")
    if not licence and (login_price is None or member_price is None):
        raise click.UsageError("give --licence NAME, or both --login-price and --member-price")
    if all_users and (login_types or users_file):
        raise click.UsageError("--all-users counts everyone: give it without --login-types "
                               "and --users")
    at_edge("--tz", check_zone, tz)
    if licence:
        at_edge("--licence", logins.community_prices, "licence", licence, "login")
    if period:
        at_edge("--period", month_range, *period)
    types = [t for value in login_types for t in value.split(",") if t.strip()]
    users = at_edge("--users", read_users, users_file) if users_file else None
    data = read_history(history, tz, period=period or None, date_order=date_order,
                        login_types=types, all_users=all_users, users=users)
    mix = at_edge("--licence" if licence else "--login-price", analyse, data,
                  login_price if licence is None else licence,
                  member_price if licence is None else licence, block)
    finite("the licence mix", mix.breakeven, mix.all_members, mix.all_logins, mix.best_mix,
           mix.block_cost)
    click.echo(summary(data, mix))
    if out:
        facts = [("Report date", date.today()), ("Login History", str(history)),
                 ("Options", options_used(ctx))] + summary_facts(data, mix)
        tell(write_logins(facts, options(mix), mix, data.login_days, out))


@main.command("usage")
@click.argument("entitlements", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("usage", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--multipliers", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Multiplier table (CSV or xlsx): Usage type, Subtype, Environment, "
                   "Multiplier, Effective date (End date, tiers optional). Without it every "
                   "multiplier is 1, unless the usage lines carry their own.")
@DATE_ORDER
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              callback=out_file(".xlsx"), help="Write a summary, the drawdown and a chart of "
              "balances to this workbook (.xlsx).")
@click.pass_context
def usage_command(ctx, entitlements, usage, multipliers, date_order, out):
    """Reproduce the monthly drawdown of pooled entitlements from a usage statement (our
    columns, or Digital Wallet's exports as they are): which contract each unit came from,
    what lapsed, and what overage should cost."""
    def rows(path, fields):
        return records(read_table(path), fields, date_order)

    ents = statements.to_entitlements(rows(entitlements, statements.ENTITLEMENT_FIELDS),
                                      entitlements.name)
    lines = statements.to_usage(rows(usage, statements.USAGE_FIELDS), usage.name)
    if not lines:
        raise click.ClickException(f"{usage.name} has no usage lines (a header at most): "
                                   "export the usage with its rows")
    if not ents:
        click.echo(f"{entitlements.name} has no entitlements: all usage is overage.")
    mults = (statements.to_multipliers(rows(multipliers, statements.MULTIPLIER_FIELDS),
                                       multipliers.name) if multipliers else [])
    result = statements.drawdown(ents, lines, mults)
    totals = statements.totals(result)
    finite("the drawdown", *(t[k] for t in totals for k in ("new", "drawn", "cost")))
    text = usage_summary(result)
    click.echo("\n".join(text))
    if out:
        table = statements.drawdown_table(result)
        months = sorted({r[0] for r in table[1:]})
        facts = [("Report date", date.today()),
                 ("Period", f"{months[0]} to {months[-1]} ({plural(len(months), 'month')})"
                  if months else "no months"),
                 ("Entitlements", str(entitlements)), ("Usage", str(usage)),
                 ("Multipliers", str(multipliers) if multipliers else "none: every "
                  "multiplier is 1"), ("Options", options_used(ctx))]
        tell(write_usage(table, statements.contract_totals(result), out, facts,
                         statements.findings(result)))


def usage_summary(result) -> list[str]:
    """The drawdown's totals per product, and what was assumed or could not be priced."""
    lines = [(f"{'product':28}{'entitled':>14}{'drawn':>14}{'lapsed':>14}{'overage':>14}"
              f"{'overage $':>14}")]
    for t in statements.totals(result):
        lines.append(f"{t['product'][:27]:28}{t['new']:>14,.0f}{t['drawn']:>14,.0f}"
                     f"{t['lapsed']:>14,.0f}{t['overage']:>14,.0f}{t['cost']:>14,.2f}")
    return lines + statements.findings(result)


def _reminders(ctx, param, value: str) -> tuple[int, ...]:
    if value.strip().lower() == "none":
        return ()
    try:
        days = tuple(int(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a list of whole days, e.g. 90,60,30"
                                 ) from None
    if not days:
        raise click.BadParameter("give the days before, e.g. 90,60,30, or 'none' for no "
                                 "reminders")
    if any(d < 1 or d > 3660 for d in days):
        raise click.BadParameter(f"{value!r}: each reminder is 1 to 3660 days before")
    return days


@main.command("calendar")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              callback=out_file(".ics"), help="The calendar file to write (.ics).")
@click.option("--remind", default="90,60,30", show_default=True, callback=_reminders,
              help="Days before the last usable day to remind, comma separated, or 'none'.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Compute balances and alerts as of this day (YYYY-MM-DD). Default: each "
                   "workbook's as-of date, else today.")
@click.option("--cadence", is_flag=True, help="Add the monthly register update and the "
              "quarterly review as recurring events.")
def calendar_command(paths, out: Path, remind, as_of, cadence):
    """Write an iCalendar file of the registers' expiries: an all-day event on each live
    entry's last usable day, reminders before it, a weekly review for entries at lapse
    risk; import it into Outlook, Google Calendar or Apple Calendar. Importing a newer file
    updates the events instead of duplicating them."""
    if as_of and not s.FIRST_DAY <= as_of.date() <= s.LAST_DAY:
        raise click.BadParameter(f"{as_of:%Y-%m-%d} is outside the dates a register takes; "
                                 f"give a day from {s.FIRST_DAY} to {s.LAST_DAY}",
                                 param_hint="'--as-of'")
    df, refused, left_out = collect(paths, as_of.date() if as_of else None, exclude=[out])
    for path, reason in refused:
        click.echo(f"refused: {path}: {reason}", err=True)
    for entry in left_out:
        click.echo(f"left out: {entry}", err=True)
    if df.empty and not cadence:
        raise click.ClickException("no register entries found")
    calendar = expiries.plan(df, remind, cadence, as_of.date() if as_of else None)
    save_bytes(expiries.to_ics(calendar.events), out)
    live = calendar.count("expiry")
    click.echo(f"Wrote {out}: {plural(live, 'entry', 'entries')} with "
               f"{plural(calendar.count('remind'), 'reminder')} and "
               f"{plural(calendar.count('review'), 'weekly review')}"
               + (", and the register's monthly and quarterly cadence" if cadence else "")
               + ".")
    if calendar.past:
        click.echo(f"Left out, past their last usable day: {plural(len(calendar.past), 'entry', 'entries')} "
                   f"({'; '.join(calendar.past[:5])}{'; ...' if len(calendar.past) > 5 else ''}).")
    if calendar.undated:
        click.echo(f"Left out, no expiry date: {'; '.join(calendar.undated)}.")
    if calendar.beyond:
        click.echo("Left out, expiry plus grace days after 9999-12-31 (check the dates): "
                   f"{'; '.join(calendar.beyond)}.")
    if refused or left_out:
        raise SystemExit(1)
