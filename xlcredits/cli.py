"""The ``xlcredits`` command. Each command's docstring is its help."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import rates, register
from .errors import XlcreditsError
from .workbook.build import build, template_entries
from .workbook.files import save_workbook
from .workbook.records import example_entries


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
    from .workbook.screenshots import render

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
    from . import batch

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
    from .portfolio import split_build

    for path, rows in split_build(data, by, out):
        click.echo(f"Wrote {path} ({rows} entries)")


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The report workbook (.xlsx); a .csv of the entries is written beside it.")
def report(paths, out: Path):
    """Roll up every register found: value and value at risk by credit type, owner, alert
    state and expiry quarter, and the entries at risk, highest first."""
    from .portfolio import collect, rollups, write_report

    df, refused = collect(paths)
    for path, reason in refused:
        click.echo(f"refused: {path}: {reason}", err=True)
    if df.empty:
        raise click.ClickException("no register entries found")
    xlsx, csv_path = write_report(df, out)
    by_type = rollups(df)["Credit type"]
    click.echo(by_type.to_string(index=False, float_format=lambda v: f"{v:,.0f}"))
    click.echo(f"\n{len(df)} entries in {df['workbook'].nunique()} workbooks; value at risk "
               f"${df['value_at_risk'].sum():,.0f}.\nWrote {xlsx} and {csv_path}")
    if refused:
        raise SystemExit(1)


@main.command("logins")
@click.argument("history", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--licence", help="Customer Community, Customer Community Plus or Partner "
              "Community: its list prices from the rate card.")
@click.option("--login-price", type=float, help="Price of a login-day (with --member-price).")
@click.option("--member-price", type=float, help="Price of a member a month.")
@click.option("--tz", default="UTC", show_default=True,
              help="The org's time zone: a login-day is a calendar day there.")
@click.option("--block", type=float, help="A fixed monthly block of login-days to price, "
              "with overage at the login price. Default: the peak month's need.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the per-user and monthly tables and a chart to this xlsx.")
def logins_command(history, licence, login_price, member_price, tz, block, out):
    """From a Login History export (CSV), the cheapest mix of member licences and a
    login pool, against all members and all logins."""
    from .loginhistory import analyse, read_history, summary, write_workbook

    if licence and (login_price is not None or member_price is not None):
        raise click.UsageError("give --licence or the two prices, not both")
    if not licence and (login_price is None or member_price is None):
        raise click.UsageError("give --licence NAME, or both --login-price and --member-price")
    data = read_history(history, tz)
    mix = analyse(data, login_price if licence is None else licence,
                  member_price if licence is None else licence, block)
    click.echo(summary(data, mix))
    if out:
        click.echo(f"Wrote {write_workbook(data, mix, out)}")


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
    from . import usage as statements
    from .portfolio import read_table

    ents = statements.parse_entitlements(read_table(entitlements), entitlements.name)
    lines = statements.parse_usage(read_table(usage), usage.name)
    mults = (statements.parse_multipliers(read_table(multipliers), multipliers.name)
             if multipliers else [])
    result = statements.drawdown(ents, lines, mults)
    click.echo(statements.summary(result))
    if out:
        rows = [statements.DRAWDOWN_HEADER] + [
            (r["month"], r["product"], r["contract"], r["opening"], r["new"], r["drawn"],
             r["lapsed"], r["closing"], None, None) for r in result.rows] + [
            (o["month"], o["product"], "overage", None, None, None, None, None, o["units"],
             o["cost"]) for o in result.overage]
        statements.write_workbook(result, rows, out)
        click.echo(f"Wrote {out}")
