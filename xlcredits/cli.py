"""The ``xlcredits`` command. Each command's docstring is its help."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import batch, rates, register, statements
from .errors import InputError, XlcreditsError
from .loginhistory import check_zone, read_history
from .loginmix import analyse, summary
from .portfolio import collect, entries_table, rollups, split_build
from .tables import read_table, records
from .workbook.build import build
from .workbook.entries import example_entries, template_entries
from .workbook.files import save_workbook
from .workbook.reports import write_logins, write_report, write_usage


def at_edge(option: str, fn, *args):
    """``fn(*args)``, its refusal of an argument shown as click's BadParameter for ``option``."""
    try:
        return fn(*args)
    except InputError as e:
        raise click.BadParameter(str(e), param_hint=option) from None


class Group(click.Group):
    """A click group that turns the project's errors into one clean line (exit 1)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except XlcreditsError as error:
            raise click.ClickException(str(error)) from None


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
    outcome = save_workbook(wb, path)
    if outcome == "unchanged":
        click.echo(f"Up to date: {what}, {path}")
        return
    click.echo(f"Wrote {what}: {path}")
    if outcome != "written":
        click.echo(f"  {path.name} had other content: the old file is kept as {outcome}")


@main.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=TEMPLATE_PATH,
              show_default=True, help="Where to write the blank template.")
def template(out: Path):
    """Write the blank template workbook (register, TCO model, rates, dashboard)."""
    write(build(template_entries()), out, "the template")


@main.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=EXAMPLE_PATH,
              show_default=True, help="Where to write the example workbook.")
@click.option("--template-out", type=click.Path(dir_okay=False, path_type=Path),
              default=TEMPLATE_PATH, show_default=True, help="Where to write the template.")
def example(out: Path, template_out: Path):
    """Write the template and an example workbook filled with the built-in sample data,
    then print the example register's credit position."""
    write(build(template_entries()), template_out, "the template")
    entries = example_entries()
    write(build(entries), out, "the example")
    click.echo(f"\nCredit position as of {entries.as_of:%Y-%m-%d} (the example register):")
    click.echo(register.position(register.evaluate(entries.register, entries.as_of)))


@main.command()
@click.option("--workbook", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=EXAMPLE_PATH, show_default=True, help="The workbook to picture.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("workbooks") / "screenshots", show_default=True)
def screenshots(workbook: Path, out: Path):
    """Render the Register and TCO sheets to PNG for the README (needs LibreOffice,
    pdftoppm and the test extras: the formula engine computes the xlcredits cells)."""
    try:
        from .devtools.screenshots import render
    except ImportError as e:  # the developer tools need the test extra
        raise click.ClickException(f"screenshots need the test extra ({e.name} is missing): "
                                   "pip install 'xlcredits[test]'") from None

    for path in render(workbook, out):
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
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Workbooks to regenerate in parallel (processes).")
def regenerate(paths, backup_dir, dry_run, jobs):
    """Move workbooks (files, or folders searched recursively) to the current template,
    carrying every entry over exactly. Each original is backed up first; a workbook that
    cannot be carried whole is refused and left as it is."""
    files = batch.find_workbooks(paths)
    if not files:
        raise click.ClickException("no .xlsx workbooks found in " + ", ".join(map(str, paths)))
    if sys.stdout.isatty():
        with click.progressbar(length=len(files), label="Regenerating") as bar:
            outcomes = batch.regenerate(files, backup_dir, dry_run, jobs,
                                        progress=lambda o: bar.update(1))
    else:
        outcomes = batch.regenerate(
            files, backup_dir, dry_run, jobs,
            progress=lambda o: click.echo(f"{o.result}: {o.path}"))
    click.echo("\n" + outcome_table(outcomes))
    failed = [o for o in outcomes if not o.ok]
    if failed:
        click.echo(f"\n{len(failed)} of {len(outcomes)} workbooks were not regenerated.",
                   err=True)
        raise SystemExit(1)


@main.command("build")
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", required=True, help="The column whose values split the data "
              "(a header text, e.g. Owner).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The folder to write the workbooks into.")
def build_workbooks(data: Path, by: str, out: Path):
    """From a flat register export (CSV or xlsx with the register's header texts), write
    one workbook per value of a column."""
    for path, rows in at_edge("--by", split_build, data, by, out):
        click.echo(f"Wrote {path} ({rows} entries)")


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The report workbook (.xlsx); a .csv of the entries is written beside it.")
def report(paths, out: Path):
    """Roll up every register found: value and value at risk by credit type, owner, alert
    state and expiry quarter, and the entries at risk, highest first. An input formula
    counts by the value its spreadsheet program saved; an entry that cannot be counted
    (a bad value, a formula never calculated) is listed and left out (exit 1)."""
    df, refused, left_out = collect(paths, exclude=[out, out.with_suffix(".csv")])
    for path, reason in refused:
        click.echo(f"refused: {path}: {reason}", err=True)
    for entry in left_out:
        click.echo(f"left out: {entry}", err=True)
    if df.empty:
        raise click.ClickException("no register entries found")
    tables = rollups(df)
    xlsx, csv_path = write_report(tables, entries_table(df), out)
    by_type = tables["Credit type"]
    click.echo(by_type.to_string(index=False, float_format=lambda v: f"{v:,.0f}"))
    as_of = ", ".join(sorted({f"{d:%Y-%m-%d}" if hasattr(d, "strftime") else str(d)
                              for d in df["as_of"]}))
    click.echo(f"\n{len(df)} entries in {df['workbook'].nunique()} workbooks, as of {as_of}; "
               f"value at risk ${df['value_at_risk'].sum():,.0f}.\nWrote {xlsx} and {csv_path}")
    if refused or left_out:
        click.echo(f"Left out of the totals: {len(refused)} workbooks, {len(left_out)} "
                   "entries (listed above).", err=True)
        raise SystemExit(1)


@main.command("logins")
@click.argument("history", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--licence", help="Customer Community, Customer Community Plus or Partner "
              "Community: its list prices from the rate card.")
@click.option("--login-price", type=float, help="Price of a login-day (with --member-price).")
@click.option("--member-price", type=float, help="Price of a member a month.")
@click.option("--tz", default="UTC", show_default=True,
              help="The org's time zone: a login-day is a calendar day there.")
@click.option("--block", type=click.FloatRange(min=0), help="A fixed monthly block of login-days to price, "
              "with overage at the login price. Default: the peak month's need.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the per-user and monthly tables and a chart to this xlsx.")
def logins_command(history, licence, login_price, member_price, tz, block, out):
    """From a Login History export (CSV), the cheapest mix of member licences and a
    login pool, against all members and all logins."""
    if licence and (login_price is not None or member_price is not None):
        raise click.UsageError("give --licence or the two prices, not both")
    if not licence and (login_price is None or member_price is None):
        raise click.UsageError("give --licence NAME, or both --login-price and --member-price")
    at_edge("--tz", check_zone, tz)
    data = read_history(history, tz)
    mix = at_edge("--licence" if licence else "--login-price", analyse, data,
                  login_price if licence is None else licence,
                  member_price if licence is None else licence, block)
    text = summary(data, mix)
    click.echo(text)
    if out:
        click.echo(f"Wrote {write_logins(text.splitlines(), mix, data.login_days, out)}")


@main.command("usage")
@click.argument("entitlements", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("usage", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--multipliers", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Multiplier table (CSV or xlsx): Usage type, Subtype, Environment, "
                   "Multiplier, Effective date. Without it every multiplier is 1.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the drawdown, a summary and a chart of balances to this xlsx.")
def usage_command(entitlements, usage, multipliers, out):
    """Reproduce the monthly drawdown of pooled entitlements from a usage statement:
    which contract each unit came from, what lapsed, and what overage should cost."""
    def rows(path, fields):
        return records(read_table(path), fields)

    ents = statements.to_entitlements(rows(entitlements, statements.ENTITLEMENT_FIELDS),
                                      entitlements.name)
    lines = statements.to_usage(rows(usage, statements.USAGE_FIELDS), usage.name)
    mults = (statements.to_multipliers(rows(multipliers, statements.MULTIPLIER_FIELDS),
                                       multipliers.name) if multipliers else [])
    result = statements.drawdown(ents, lines, mults)
    text = usage_summary(result)
    click.echo("\n".join(text))
    if out:
        write_usage(statements.drawdown_table(result), text, out)
        click.echo(f"Wrote {out}")


def usage_summary(result) -> list[str]:
    """The drawdown's totals per product, and what was assumed or could not be priced."""
    lines = [(f"{'product':28}{'entitled':>14}{'drawn':>14}{'lapsed':>14}{'overage':>14}"
              f"{'overage $':>14}")]
    for t in statements.totals(result):
        lines.append(f"{t['product'][:27]:28}{t['new']:>14,.0f}{t['drawn']:>14,.0f}"
                     f"{t['lapsed']:>14,.0f}{t['overage']:>14,.0f}{t['cost']:>14,.2f}")
    for product, units in result.no_entitlement.items():
        lines.append(f"{product}: {units:,.0f} units of usage with no entitlement: overage "
                     "with no rate (no contract for this product to take it from).")
    for (kind, subtype, env), n in result.no_multiplier.items():
        lines.append(f"No multiplier for {kind or '(blank)'} / {subtype or '(any)'} / {env}: "
                     f"{n} usage lines counted at 1.")
    return lines
