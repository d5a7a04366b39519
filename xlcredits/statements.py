"""Usage statements: multipliers, pooled utilisation and the monthly drawdown (DOMAIN.md 7).

Consumed units = raw quantity x the multiplier in force on the usage date for its usage
type, subtype and environment (the latest effective date on or before it; a blank subtype
or environment in the table matches any). Each month, usage draws on the product's open
entitlements, earliest expiry first (ties: earliest start, then contract reference); an
entitlement is open from its start to its expiry date. A usage line dated by day draws on
what is open that day; one dated by month only, on what is open at any time in that month.
What an entitlement still holds in its expiry month lapses there. Usage beyond every open
entitlement is overage, billed at the lowest usage rate among the product's contracts.
"""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from .dates import month_of_text, to_ordinal
from .errors import InputError
from .inputs import broadcast, result, texts

__all__ = [
    "DRAWDOWN_HEADER",
    "ENTITLEMENT_FIELDS",
    "MULTIPLIER_FIELDS",
    "USAGE_FIELDS",
    "Drawdown",
    "Entitlement",
    "Field",
    "Multiplier",
    "Usage",
    "consumed_units",
    "contract_totals",
    "drawdown",
    "drawdown_table",
    "multiplier_for",
    "range_records",
    "to_entitlements",
    "to_multipliers",
    "to_usage",
    "totals",
    "usage_drawdown",
    "usage_units",
]


@dataclass(frozen=True)
class Entitlement:
    contract: str
    product: str
    quantity: float
    start: date
    expiry: date
    usage_rate: float | None = None  # dollars per unit of overage
    usage_type: str = ""


@dataclass(frozen=True)
class Usage:
    day: date  # the usage date, or the first of the month for monthly lines
    product: str
    usage_type: str
    quantity: float
    subtype: str = ""
    environment: str = "production"
    monthly: bool = False  # dated by month only


@dataclass(frozen=True)
class Multiplier:
    usage_type: str
    multiplier: float
    effective: date = date(1900, 1, 1)
    subtype: str = ""  # blank: any subtype
    environment: str = ""  # blank: any environment


def _key(text: str) -> str:
    return " ".join(str(text or "").split()).lower()


def multiplier_for(line: Usage, table: list[Multiplier]) -> float | None:
    """The multiplier in force for a usage line, or None when the table has none for it.

    >>> m = [Multiplier("SMS", 30, date(2026, 1, 1), "Japan")]
    >>> multiplier_for(Usage(date(2026, 3, 1), "Marketing Cloud", "SMS", 40, "Japan"), m)
    30
    """
    best = None
    for m in table:
        if _key(m.usage_type) != _key(line.usage_type):
            continue
        if m.subtype and _key(m.subtype) != _key(line.subtype):
            continue
        if m.environment and _key(m.environment) != _key(line.environment):
            continue
        if m.effective > line.day:
            continue
        rank = (bool(m.subtype), bool(m.environment), m.effective)  # most specific, latest
        if best is None or rank > best[0]:
            best = (rank, m.multiplier)
    return None if best is None else best[1]


def consumed_units(line: Usage, table: list[Multiplier]) -> float:
    """Raw quantity x multiplier in force (1 when the table has none: see :func:`drawdown`).

    DOMAIN.md section 7: 40 SMS to Japan at 30:1 consume 1,200 units.

    >>> consumed_units(Usage(date(2026, 3, 1), "MC", "SMS", 40, "Japan"),
    ...                [Multiplier("SMS", 30, subtype="Japan")])
    1200.0
    """
    m = multiplier_for(line, table)
    return float(line.quantity) * (1.0 if m is None else float(m))


def _month_of(d: date) -> tuple[int, int]:
    return (d.year, d.month)


def _month_end(month: tuple[int, int]) -> date:
    return date(month[0], month[1], calendar.monthrange(*month)[1])


def _next_month(month: tuple[int, int]) -> tuple[int, int]:
    return (month[0] + month[1] // 12, month[1] % 12 + 1)


@dataclass
class Drawdown:
    """Month by month: each entitlement's movements, and each product's overage."""
    rows: list[dict] = field(default_factory=list)  # month, product, contract, opening, new,
    #                                                  drawn, lapsed, closing
    overage: list[dict] = field(default_factory=list)  # month, product, units, rate, cost
    no_multiplier: dict = field(default_factory=dict)  # (usage type, subtype, env) -> lines
    no_entitlement: dict = field(default_factory=dict)  # product -> units (overage, no rate)


def _check(entitlements: list[Entitlement], usage: list[Usage]) -> None:
    seen = {}
    for e in entitlements:
        if e.quantity < 0:
            raise InputError(f"entitlement {e.contract}", e.quantity, "has a negative quantity",
                             "enter zero or more")
        if e.expiry < e.start:
            raise InputError(f"entitlement {e.contract}", e.expiry, "expires before it starts",
                             "check the start and expiry dates")
        k = (_key(e.contract), _key(e.product))
        for other in seen.get(k, []):
            if e.start <= other.expiry and other.start <= e.expiry:
                raise InputError(f"entitlement {e.contract}", e.product, "appears twice with "
                                 "overlapping dates", "give each contract and product one "
                                 "line per period")
        seen.setdefault(k, []).append(e)
    for u in usage:
        if u.quantity < 0:
            raise InputError(f"usage of {u.product} on {u.day}", u.quantity,
                             "is a negative quantity", "enter zero or more")


def drawdown(entitlements: list[Entitlement], usage: list[Usage],
             multipliers: list[Multiplier] = ()) -> Drawdown:
    """The month-by-month drawdown of pooled entitlements (see the module docstring)."""
    _check(entitlements, usage)
    out = Drawdown()
    lines = []
    for u in usage:
        if multiplier_for(u, list(multipliers)) is None:
            k = (u.usage_type, u.subtype, u.environment)
            out.no_multiplier[k] = out.no_multiplier.get(k, 0) + 1
        lo = date(u.day.year, u.day.month, 1) if u.monthly else u.day
        hi = _month_end(_month_of(u.day)) if u.monthly else u.day
        lines.append((u.day, _key(u.product), u.product, consumed_units(u, list(multipliers)),
                      lo, hi))
    dates = [e.start for e in entitlements] + [e.expiry for e in entitlements] + \
            [line[0] for line in lines]
    if not dates:
        return out
    by_product = defaultdict(list)
    for e in entitlements:
        by_product[_key(e.product)].append(e)
    rates = {p: min((e.usage_rate for e in es if e.usage_rate is not None), default=None)
             for p, es in by_product.items()}
    order = {p: sorted(es, key=lambda e: (e.expiry, e.start, _key(e.contract)))
             for p, es in by_product.items()}
    balance = {id(e): 0.0 for e in entitlements}
    usage_by_month = defaultdict(list)
    for line in sorted(lines, key=lambda x: x[0]):
        usage_by_month[_month_of(line[0])].append(line)
    month, last = _month_of(min(dates)), _month_of(max(dates))
    while month <= last:
        end = _month_end(month)
        moves = {}
        for es in order.values():
            for e in es:
                if e.start > end or _month_of(e.expiry) < month:
                    continue  # not yet started, or gone
                new = e.quantity if _month_of(e.start) == month else 0.0
                moves[id(e)] = {"opening": balance[id(e)], "new": new, "drawn": 0.0}
                balance[id(e)] += new
        overage = defaultdict(float)
        names = {}
        for day, product, name, units, lo, hi in usage_by_month.get(month, []):
            names[product] = name
            left = units
            for e in order.get(product, []):
                if left <= 0:
                    break
                if e.start <= hi and e.expiry >= lo and id(e) in moves and balance[id(e)] > 0:
                    take = min(left, balance[id(e)])
                    balance[id(e)] -= take
                    moves[id(e)]["drawn"] += take
                    left -= take
            if left > 0:
                overage[product] += left
        for es in order.values():
            for e in es:
                if id(e) not in moves:
                    continue
                m = moves[id(e)]
                lapsed = balance[id(e)] if _month_of(e.expiry) == month else 0.0
                balance[id(e)] -= lapsed
                out.rows.append({"month": f"{month[0]:04d}-{month[1]:02d}", "product": e.product,
                                 "contract": e.contract, "opening": m["opening"],
                                 "new": m["new"], "drawn": m["drawn"], "lapsed": lapsed,
                                 "closing": balance[id(e)]})
        for product, units in overage.items():
            rate = rates.get(product)
            if rate is None:
                out.no_entitlement[names[product]] = out.no_entitlement.get(names[product], 0) \
                    + units
            out.overage.append({"month": f"{month[0]:04d}-{month[1]:02d}",
                                "product": names[product], "units": units, "rate": rate,
                                "cost": None if rate is None else units * rate})
        month = _next_month(month)
    return out


# --- records: one dict per row, field key -> value as the cell or file holds it -----------

@dataclass(frozen=True)
class Field:
    """A column of an input table: its key, header text, other header spellings, and
    whether it may be missing."""
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    optional: bool = False


ENTITLEMENT_FIELDS = (
    Field("contract", "Contract", ("contract reference", "contract ref")),
    Field("product", "Product"),
    Field("quantity", "Quantity"),
    Field("start", "Start"),
    Field("expiry", "Expiry"),
    Field("usage_rate", "Usage rate", ("overage rate", "rate"), optional=True),
)
USAGE_FIELDS = (
    Field("date", "Date", ("month", "usage date")),
    Field("product", "Product"),
    Field("usage_type", "Usage type"),
    Field("subtype", "Subtype", optional=True),
    Field("environment", "Environment", ("env",), optional=True),
    Field("quantity", "Quantity", ("raw quantity", "units")),
)
MULTIPLIER_FIELDS = (
    Field("usage_type", "Usage type"),
    Field("subtype", "Subtype", optional=True),
    Field("environment", "Environment", ("env",), optional=True),
    Field("multiplier", "Multiplier"),
    Field("effective", "Effective date", ("effective",), optional=True),
)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _number(where: str, value, default=None) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise InputError(where, None, "is blank", "enter a number")
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(where, value, "is not a number", "enter a number") from None
    if not math.isfinite(number) or number < 0:
        raise InputError(where, value, "is negative" if number < 0 else "is not a number",
                         "enter zero or more")
    return number


def _date(where: str, value, order: str | None = None, month_ok: bool = False
          ) -> tuple[date, bool]:
    """A date by the one date policy (:mod:`xlcredits.dates`), and whether it names a
    whole month ("2026-03", "Mar 2026"), which usage lines may."""
    if month_ok and isinstance(value, str):
        month = month_of_text(value)
        if month:
            return date(month[0], month[1], 1), True
    if hasattr(value, "date") and callable(value.date):
        value = value.date()
    return date.fromordinal(to_ordinal(where, value, order)), False


def range_records(rows, fields: tuple[Field, ...]) -> list[dict]:
    """An Excel range as records: columns in ``fields`` order; a first row that repeats
    the first header is skipped; blank rows are left out. ``_line`` is the row in the range.
    """
    if rows is None:
        return []
    if not hasattr(rows, "__len__") or isinstance(rows, str):
        rows = [[rows]]  # a single cell
    rows = list(rows)
    if rows and not isinstance(rows[0], (list, tuple)) and not hasattr(rows[0], "shape"):
        rows = [rows]  # a single row passed flat
    out = []
    for i, r in enumerate(rows, 1):
        r = list(r) + [None] * (len(fields) - len(r))
        if i == 1 and _key(r[0]) == _key(fields[0].header):
            continue  # a header row
        if all(_text(v) == "" for v in r):
            continue
        out.append({f.key: v for f, v in zip(fields, r)} | {"_line": i})
    return out


def to_entitlements(records: list[dict], source: str = "entitlements", order: str | None = None
                 ) -> list[Entitlement]:
    out = []
    for r in records:
        at = f"{source} line {r['_line']}"
        rate = r.get("usage_rate")
        out.append(Entitlement(
            contract=_text(r["contract"]) or f"line {r['_line']}",
            product=_text(r["product"]),
            quantity=_number(f"{at} Quantity", r["quantity"]),
            start=_date(f"{at} Start", r["start"], order)[0],
            expiry=_date(f"{at} Expiry", r["expiry"], order)[0],
            usage_rate=None if _text(rate) == "" else _number(f"{at} Usage rate", rate)))
    return out


def to_usage(records: list[dict], source: str = "usage", order: str | None = None
                ) -> list[Usage]:
    out = []
    for r in records:
        at = f"{source} line {r['_line']}"
        day, monthly = _date(f"{at} Date", r["date"], order, month_ok=True)
        out.append(Usage(day=day, product=_text(r["product"]),
                         usage_type=_text(r["usage_type"]),
                         quantity=_number(f"{at} Quantity", r["quantity"]),
                         subtype=_text(r.get("subtype")),
                         environment=_text(r.get("environment")) or "production",
                         monthly=monthly))
    return out


def to_multipliers(records: list[dict], source: str = "multipliers", order: str | None = None
                ) -> list[Multiplier]:
    out = []
    for r in records:
        at = f"{source} line {r['_line']}"
        effective = r.get("effective")
        out.append(Multiplier(
            usage_type=_text(r["usage_type"]),
            multiplier=_number(f"{at} Multiplier", r["multiplier"]),
            effective=date(1900, 1, 1) if _text(effective) == ""
            else _date(f"{at} Effective date", effective, order)[0],
            subtype=_text(r.get("subtype")), environment=_text(r.get("environment"))))
    return out


DRAWDOWN_HEADER = ("Month", "Product", "Contract", "Opening", "New", "Drawn", "Lapsed",
                   "Closing", "Overage units", "Overage cost")


def drawdown_table(result: Drawdown) -> list[tuple]:
    """The drawdown as one table, the one layout every output uses: month by month, a row
    per entitlement, then a row per product with overage ("overage" in the Contract
    column; the cost is blank when the product has no contract, hence no rate)."""
    by_month = defaultdict(list)
    for r in result.rows:
        by_month[r["month"]].append((r["month"], r["product"], r["contract"], r["opening"],
                                     r["new"], r["drawn"], r["lapsed"], r["closing"], None,
                                     None))
    for o in result.overage:
        by_month[o["month"]].append((o["month"], o["product"], "overage", None, None, None,
                                     None, None, o["units"], o["cost"]))
    return [DRAWDOWN_HEADER] + [row for month in sorted(by_month) for row in by_month[month]]


def usage_drawdown(entitlement_rows, usage_rows, multiplier_rows=None) -> list[tuple]:
    """USAGEDRAWDOWN: the drawdown of three Excel ranges (columns in the order of
    ``ENTITLEMENT_FIELDS``, ``USAGE_FIELDS``, ``MULTIPLIER_FIELDS``) as one table."""
    result = drawdown(to_entitlements(range_records(entitlement_rows, ENTITLEMENT_FIELDS)),
                      to_usage(range_records(usage_rows, USAGE_FIELDS)),
                      to_multipliers(range_records(multiplier_rows, MULTIPLIER_FIELDS)))
    return drawdown_table(result)


def usage_units(quantity, usage_type, subtype, environment, usage_date, multiplier_rows):
    """Consumed units of usage lines: quantity x the multiplier in force (1 if none).

    The first five arguments broadcast together (single cells or ranges of one shape);
    ``multiplier_rows`` is the multiplier table.

    >>> usage_units(40, "SMS", "Japan", "production", "2026-03-10",
    ...             [["SMS", "Japan", "", 30, "2026-01-01"]])
    1200.0
    """
    table = to_multipliers(range_records(multiplier_rows, MULTIPLIER_FIELDS))
    arrays = broadcast(quantity=texts("quantity", quantity),
                       usage_type=texts("usage_type", usage_type, ""),
                       subtype=texts("subtype", subtype, ""),
                       environment=texts("environment", environment, "production"),
                       usage_date=texts("usage_date", usage_date))
    out = np.empty(arrays[0].shape, float)
    for i in np.ndindex(out.shape):
        q, t, st, env, d = (a[i] for a in arrays)
        line = Usage(_date("usage_date", d)[0], "", _text(t), _number("quantity", q),
                     _text(st), _text(env) or "production")
        out[i] = consumed_units(line, table)
    return result(out)


def totals(result: Drawdown) -> list[dict]:
    """Per product: entitled (new), drawn, lapsed, overage units and cost."""
    sums = defaultdict(lambda: defaultdict(float))
    for r in result.rows:
        t = sums[r["product"]]
        for k in ("new", "drawn", "lapsed"):
            t[k] += r[k]
    for o in result.overage:
        t = sums[o["product"]]
        t["overage"] += o["units"]
        t["cost"] += o["cost"] or 0.0
    return [{"product": p, "new": t["new"], "drawn": t["drawn"], "lapsed": t["lapsed"],
             "overage": t["overage"], "cost": t["cost"]} for p, t in sorted(sums.items())]


def contract_totals(result: Drawdown) -> list[tuple]:
    """Per product, each contract over the whole statement (opening balance of its first
    month, new, drawn, lapsed, closing balance of its last month), then the product's
    overage units and cost on a row of its own ("overage" in the Contract column; the cost
    is None when no contract gives a rate). Columns as :func:`drawdown_table` minus Month."""
    contracts: dict[tuple, dict] = {}
    for r in result.rows:
        t = contracts.setdefault((r["product"], r["contract"]),
                                 {"opening": r["opening"], "new": 0.0, "drawn": 0.0,
                                  "lapsed": 0.0})
        for k in ("new", "drawn", "lapsed"):
            t[k] += r[k]
        t["closing"] = r["closing"]
    overage: dict[str, list] = {}
    for o in result.overage:
        t = overage.setdefault(o["product"], [0.0, 0.0])
        t[0] += o["units"]
        t[1] = None if t[1] is None or o["cost"] is None else t[1] + o["cost"]
    out = []
    for product in sorted({p for p, _ in contracts} | set(overage)):
        for (p, contract), t in contracts.items():
            if p == product:
                out.append((product, contract, t["opening"], t["new"], t["drawn"],
                            t["lapsed"], t["closing"], None, None))
        if product in overage:
            out.append((product, "overage", None, None, None, None, None, *overage[product]))
    return out
