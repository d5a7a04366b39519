"""The rate card: every list price and default rate of DOMAIN.md, as data.

The figures live in ``data/ratecard.csv`` (key, value, unit, basis, source,
description); this module only reads them. ``basis`` is ``list`` (a published
list price), ``estimate`` (an advisor's figure) or ``assumption`` (no source
gives a figure; an input the user should set).
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from .errors import UnknownKeyError
from .inputs import result, texts

__all__ = ["TABLE_HEADER", "Rate", "card", "default", "entry", "rate", "sf_price", "sf_rates"]


@dataclass(frozen=True)
class Rate:
    key: str
    value: float
    unit: str
    basis: str
    source: str
    description: str


@cache
def card() -> dict[str, Rate]:
    """The whole rate card, keyed by its stable keys, in file order."""
    text = resources.files(__package__).joinpath("data/ratecard.csv").read_text("utf-8")
    rows = csv.DictReader(text.splitlines())
    return {r["key"]: Rate(**{**r, "value": float(r["value"])}) for r in rows}


def rate(key: str) -> float:
    """The value of one rate card entry.

    >>> rate("flex.pack_price")
    500.0
    """
    return entry(key).value


def entry(key: str) -> Rate:
    """One rate card entry; an unknown key lists the close matches, or every key."""
    rates = card()
    clean = key.strip().lower() if isinstance(key, str) else key
    if clean in rates:
        return rates[clean]
    close = difflib.get_close_matches(str(clean), rates, n=5, cutoff=0.5)
    hint = ("did you mean " + ", ".join(close)) if close else "valid keys: " + ", ".join(rates)
    raise UnknownKeyError("key", key, "is not on the rate card", hint)


def default(value, key: str):
    """``value`` unless it is None (omitted), else the rate card's value for ``key``."""
    return rate(key) if value is None else value


def sf_price(key):
    """SFPRICE: rate card values for one key or an array of keys.

    >>> sf_price("edition.enterprise")
    175.0
    """
    keys = texts("key", key)
    return result(np.vectorize(rate, otypes=[float])(keys) if keys.size else keys)


TABLE_HEADER = ("Key", "Value", "Unit", "Basis", "Source", "Description")


def sf_rates() -> list[tuple]:
    """SFRATES: the whole rate card as rows, a header first.

    >>> sf_rates()[1][:5]
    ('agentforce.conversation_price', 2.0, 'USD/conversation', 'list', '002')
    """
    return [TABLE_HEADER] + [(r.key, r.value, r.unit, r.basis, r.source, r.description)
                             for r in card().values()]
