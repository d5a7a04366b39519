"""The ``xlcredits`` command. Each command's docstring is its help."""

from __future__ import annotations

import click

from . import rates
from .errors import XlcreditsError


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
