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
import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from .dates import month_of_text, to_ordinal
from .errors import InputError, plural
from .inputs import broadcast, number_of_text, result, texts

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
    "findings",
    "multiplier_for",
    "range_records",
    "to_entitlements",
    "to_multipliers",
    "to_usage",
    "totals",
    "unit_size",
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
    grace_days: int = 0  # usable this many days after expiry; lapses only then

    @property
    def until(self) -> date:
        """The last day its units can be drawn: expiry + grace days."""
        return date.fromordinal(self.expiry.toordinal() + self.grace_days)


@dataclass(frozen=True)
class Usage:
    day: date  # the usage date, or the first of the month for monthly lines
    product: str
    usage_type: str
    quantity: float
    subtype: str = ""
    environment: str = "production"
    monthly: bool = False  # dated by month only
    multiplier: float | None = None  # the line's own (Digital Wallet), per unit of `unit`
    unit: str = ""  # e.g. "per 1,000,000 rows": the multiplier is per that many
    level: bool = False  # a level (MAX aggregation, e.g. storage), not a flow
    line: int = 0  # its line in the file, for messages


@dataclass(frozen=True)
class Multiplier:
    usage_type: str
    multiplier: float
    effective: date = date(1900, 1, 1)
    subtype: str = ""  # blank: any subtype
    environment: str = ""  # blank: any environment
    end: date | None = None  # last day in force; None: until the next one
    tiers: tuple = ()  # ((raw usage threshold in a month, multiplier above it), ...)
    line: int = 0  # its line in the file, for messages


def _key(text: str) -> str:
    return " ".join(str(text or "").split()).lower()


def _rule(line: Usage, table: list[Multiplier], day: date | None = None) -> Multiplier | None:
    """The multiplier row in force for a usage line on ``day`` (its own date by default)."""
    day = line.day if day is None else day
    best = None
    for m in table:
        if _key(m.usage_type) != _key(line.usage_type):
            continue
        if m.subtype and _key(m.subtype) != _key(line.subtype):
            continue
        if m.environment and _key(m.environment) != _key(line.environment):
            continue
        if m.effective > day or (m.end is not None and m.end < day):
            continue
        rank = (bool(m.subtype), bool(m.environment), m.effective)  # most specific, latest
        if best is None or rank > best[0]:
            best = (rank, m)
    return None if best is None else best[1]


def multiplier_for(line: Usage, table: list[Multiplier]) -> float | None:
    """The multiplier in force for a usage line, or None when the table has none for it.

    >>> m = [Multiplier("SMS", 30, date(2026, 1, 1), "Japan")]
    >>> multiplier_for(Usage(date(2026, 3, 1), "Marketing Cloud", "SMS", 40, "Japan"), m)
    30
    """
    rule = _rule(line, table)
    return None if rule is None else rule.multiplier


_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9,
          "billion": 1e9}


def unit_size(unit: str) -> float:
    """How many raw units a multiplier is quoted per, from a Digital Wallet Unit text.

    >>> unit_size("per 1,000,000 rows"), unit_size("per 1 million rows processed")
    (1000000.0, 1000000.0)
    >>> unit_size("1000"), unit_size("GB"), unit_size("")
    (1000.0, 1.0, 1.0)
    """
    m = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*(thousand|million|billion|mm|k|m|b)?\b",
                  str(unit or ""), re.IGNORECASE)
    if m is None:
        return 1.0
    size = float(m.group(1).replace(",", "")) * _SCALE.get((m.group(2) or "").lower(), 1.0)
    return size if size > 0 else 1.0


def _tiered(raw_before: float, raw: float, rule: Multiplier | None) -> float:
    """Consumed units of ``raw`` when ``raw_before`` was used before it in the month: the
    base multiplier up to the first tier's threshold, each tier's above its own."""
    if rule is None:
        return raw
    bands = [(0.0, float(rule.multiplier))] + sorted((float(t), float(x)) for t, x in rule.tiers)
    units, lo, hi = 0.0, raw_before, raw_before + raw
    for i, (threshold, mult) in enumerate(bands):
        top = bands[i + 1][0] if i + 1 < len(bands) else math.inf
        units += max(0.0, min(hi, top) - max(lo, threshold)) * mult
    return units


def consumed_units(line: Usage, table: list[Multiplier]) -> float:
    """Raw quantity x multiplier in force (1 when the table has none: see :func:`drawdown`);
    a line's own multiplier (a Digital Wallet line) wins, per its Unit's size.

    DOMAIN.md section 7: 40 SMS to Japan at 30:1 consume 1,200 units.

    >>> consumed_units(Usage(date(2026, 3, 1), "MC", "SMS", 40, "Japan"),
    ...                [Multiplier("SMS", 30, subtype="Japan")])
    1200.0
    >>> consumed_units(Usage(date(2026, 1, 15), "Data Cloud", "BatchDataPipeline", 2_500_000,
    ...                      multiplier=2000, unit="per 1,000,000 rows"), [])
    5000.0
    """
    if line.multiplier is not None:
        return float(line.quantity) * float(line.multiplier) / unit_size(line.unit)
    return _tiered(0.0, float(line.quantity), _rule(line, table))


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
    no_rate: dict = field(default_factory=dict)  # product with contracts, none with a rate
    notes: list = field(default_factory=list)  # what was assumed, in words


def _check(entitlements: list[Entitlement], usage: list[Usage],
           multipliers: list[Multiplier] = ()) -> None:
    seen = {}
    for e in entitlements:
        if e.quantity < 0:
            raise InputError(f"entitlement {e.contract}", e.quantity, "has a negative quantity",
                             "enter zero or more")
        if e.expiry < e.start:
            raise InputError(f"entitlement {e.contract}", e.expiry, "expires before it starts",
                             "check the start and expiry dates")
        if e.grace_days < 0:
            raise InputError(f"entitlement {e.contract} Grace days", e.grace_days,
                             "is negative", "enter zero or more days")
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
    keys = {}
    for m in multipliers:
        k = (_key(m.usage_type), _key(m.subtype), _key(m.environment), m.effective)
        if k in keys:
            raise InputError(f"multipliers line {m.line}", m.usage_type, "has the same usage "
                             f"type, subtype, environment and effective date "
                             f"({m.effective}) as line {keys[k].line}",
                             "keep one of the two lines")
        keys[k] = m
        if m.end is not None and m.end < m.effective:
            raise InputError(f"multipliers line {m.line} End date", m.end, "is before its "
                             "effective date", "check the dates")


def _daily(usage: list[Usage], multipliers: list[Multiplier], out: Drawdown) -> list[tuple]:
    """Usage as (day, product key, product, consumed units), one entry per usage line and
    day: a line dated by month is spread over its month's days pro rata, a level (MAX) is
    the month's maximum, and tiers count the raw usage of the month before each piece."""
    levels = defaultdict(float)  # the month's maximum of each level
    pieces = []
    for u in usage:
        if u.level:
            k = (_key(u.product), _key(u.usage_type), _key(u.subtype), _key(u.environment),
                 _month_of(u.day))
            if k not in levels or u.quantity > levels[k][1].quantity:
                levels[k] = (k, replace(u, day=date(u.day.year, u.day.month, 1),
                                        monthly=True))
        else:
            pieces.append(u)
    if levels:
        out.notes.append(f"{sum(u.level for u in usage)} usage lines of levels (MAX "
                         f"aggregation, e.g. storage) taken as {len(levels)} monthly maxima, "
                         "not summed; each is spread over its month's days, pro rata.")
    if any(u.monthly for u in pieces):
        out.notes.append(f"{sum(u.monthly for u in pieces)} usage lines dated by month were "
                         "spread over the days of their month, pro rata, so that a mid-month "
                         "start, expiry or multiplier change applies to the days it covers.")
    pieces += [u for _, u in levels.values()]
    spread = []
    for u in pieces:
        if u.monthly:
            n = calendar.monthrange(u.day.year, u.day.month)[1]
            spread += [(date(u.day.year, u.day.month, d), u, u.quantity / n)
                       for d in range(1, n + 1)]
        else:
            spread.append((u.day, u, float(u.quantity)))
    used = defaultdict(float)  # raw usage so far in the month, per multiplier row
    units_noted = {}
    lines = []
    for day, u, raw in sorted(spread, key=lambda x: (x[0], x[1].line)):
        if u.multiplier is not None:
            size = unit_size(u.unit)
            if size != 1:
                units_noted.setdefault((u.unit, u.multiplier), size)
            units = raw * float(u.multiplier) / size
        else:
            rule = _rule(u, multipliers, day)
            if rule is None:
                k = (u.usage_type, u.subtype, u.environment)
                if u.monthly and day.day > 1:
                    pass
                else:
                    out.no_multiplier[k] = out.no_multiplier.get(k, 0) + 1
                units = raw
            else:
                k = (id(rule), _month_of(day))
                units = _tiered(used[k], raw, rule)
                used[k] += raw
        lines.append((day, _key(u.product), u.product, units))
    for (unit, mult), size in units_noted.items():
        out.notes.append(f"Unit {unit!r}: multiplier {mult:,.10g} per {size:,.0f} raw units, "
                         f"i.e. {float(mult) / size:,.10g} a raw unit.")
    return lines


def _round(x: float) -> float:
    """Units spread over days are sums of fractions: shown to 9 decimals, so that 400 a
    month spread over 30 days and drawn back is 400, not 399.99999999999994."""
    return round(float(x), 9) + 0.0


def drawdown(entitlements: list[Entitlement], usage: list[Usage],
             multipliers: list[Multiplier] = ()) -> Drawdown:
    """The month-by-month drawdown of pooled entitlements (see the module docstring)."""
    multipliers = list(multipliers)
    _check(entitlements, usage, multipliers)
    out = Drawdown()
    lines = _daily(usage, multipliers, out)
    dates = [e.start for e in entitlements] + [e.until for e in entitlements] + \
            [line[0] for line in lines]
    if not dates:
        return out
    by_product = defaultdict(list)
    for e in entitlements:
        by_product[_key(e.product)].append(e)
    rates = {p: min((e.usage_rate for e in es if e.usage_rate is not None), default=None)
             for p, es in by_product.items()}
    order = {p: sorted(es, key=lambda e: (e.until, e.start, _key(e.contract)))
             for p, es in by_product.items()}
    balance = {id(e): 0.0 for e in entitlements}
    usage_by_month = defaultdict(list)
    for line in lines:  # already in date order
        usage_by_month[_month_of(line[0])].append(line)
    month, last = _month_of(min(dates)), _month_of(max(dates))
    while month <= last:
        end = _month_end(month)
        moves = {}
        for es in order.values():
            for e in es:
                if e.start > end or _month_of(e.until) < month:
                    continue  # not yet started, or gone
                new = e.quantity if _month_of(e.start) == month else 0.0
                moves[id(e)] = {"opening": balance[id(e)], "new": new, "drawn": 0.0}
                balance[id(e)] += new
        overage = defaultdict(float)
        names = {}
        for day, product, name, units in usage_by_month.get(month, []):
            names[product] = name
            left = units
            for e in order.get(product, []):
                if left <= 0:
                    break
                if e.start <= day <= e.until and id(e) in moves and balance[id(e)] > 0:
                    take = min(left, balance[id(e)])
                    balance[id(e)] -= take
                    moves[id(e)]["drawn"] += take
                    left -= take
            if left > 1e-9:
                overage[product] += left
        for es in order.values():
            for e in es:
                if id(e) not in moves:
                    continue
                m = moves[id(e)]
                lapsed = balance[id(e)] if _month_of(e.until) == month else 0.0
                balance[id(e)] -= lapsed
                out.rows.append({"month": f"{month[0]:04d}-{month[1]:02d}", "product": e.product,
                                 "contract": e.contract, "opening": _round(m["opening"]),
                                 "new": m["new"], "drawn": _round(m["drawn"]),
                                 "lapsed": _round(lapsed), "closing": _round(balance[id(e)])})
        for product, units in overage.items():
            units = _round(units)
            rate = rates.get(product)
            if rate is None:
                into = out.no_rate if product in by_product else out.no_entitlement
                into[names[product]] = into.get(names[product], 0) + units
            out.overage.append({"month": f"{month[0]:04d}-{month[1]:02d}",
                                "product": names[product], "units": units, "rate": rate,
                                "cost": None if rate is None else _round(units * rate)})
        month = _next_month(month)
    if any(e.grace_days for e in entitlements):
        out.notes.append("Entitlements with grace days are drawn until expiry + grace days "
                         "and lapse only then; they are drawn in that order.")
    return out


# --- records: one dict per row, field key -> value as the cell or file holds it -----------

@dataclass(frozen=True)
class Field:
    """A column of an input table: its key, header text, other header spellings, whether
    it may be missing, and its kind (``text``, ``number`` or ``date``: how a file's text is
    read, see :func:`xlcredits.tables.records`)."""
    key: str
    header: str
    aliases: tuple[str, ...] = ()
    optional: bool = False
    kind: str = "text"


# Header spellings: ours, the usual report labels, and Digital Wallet's field names (Data
# 360 objects TenantEntitlementTransaction, TenantEnrichedUsageEvent / Tenant Consumption
# Insights, TenantDailyEntitlementConsumption, TenantUsageTypeMultiplier; a ``__c`` suffix
# or ``std__`` prefix is ignored). A Digital Wallet card's developer name is preferred to
# its label, as entitlements carry only the former.
ENTITLEMENT_FIELDS = (
    Field("contract", "Contract", ("contract reference", "contract ref", "Contract Number",
                                   "MgmtOrgContract", "Contract Id")),
    Field("product", "Product", ("EntitlementCardDefDevlName", "CardDefinitionDeveloperName",
                                 "Card", "CardName")),
    Field("quantity", "Quantity", ("Entitled quantity",), kind="number"),
    Field("start", "Start", ("Start Date", "StartDate"), kind="date"),
    Field("expiry", "Expiry", ("Expiry date", "End Date", "EndDate", "End"), kind="date"),
    Field("usage_rate", "Usage rate", ("overage rate", "rate"), optional=True, kind="number"),
    Field("grace_days", "Grace days", ("grace",), optional=True, kind="number"),
)
USAGE_FIELDS = (
    Field("date", "Date", ("month", "usage date", "UsageDate", "EventTime", "Event Time",
                           "UsageHour", "Hour", "Day"), kind="date"),
    Field("product", "Product", ("CardDefinitionDeveloperName", "Card", "CardName")),
    Field("usage_type", "Usage type", ("UsageTypeDeveloperName", "UsageTypeDef",
                                       "UsageType")),
    Field("subtype", "Subtype", ("UsageSubtype0", "Usage subtype"), optional=True),
    Field("environment", "Environment", ("env", "UsageBusinessEnvType", "BusinessEnvType"),
          optional=True),
    Field("quantity", "Quantity", ("raw quantity", "units", "UsageValue", "UsageConsumed",
                                   "Usage"), kind="number"),
    Field("subtype1", "Subtype 1", ("UsageSubtype1",), optional=True),
    Field("subtype2", "Subtype 2", ("UsageSubtype2",), optional=True),
    Field("multiplier", "Multiplier", optional=True, kind="number"),
    Field("unit", "Unit", optional=True),
    Field("aggregation", "Aggregation", ("UsageAggregationType", "Aggregation type"),
          optional=True),
)
MULTIPLIER_FIELDS = (
    Field("usage_type", "Usage type", ("UsageTypeDeveloperName", "UsageTypeDef",
                                       "UsageType")),
    Field("subtype", "Subtype", ("UsageSubtype0", "Usage subtype"), optional=True),
    Field("environment", "Environment", ("env", "UsageBusinessEnvType", "BusinessEnvType"),
          optional=True),
    Field("multiplier", "Multiplier", kind="number"),
    Field("effective", "Effective date", ("effective", "Start Date", "StartDate"),
          optional=True, kind="date"),
    Field("end", "End date", ("EndDate", "End"), optional=True, kind="date"),
    Field("tier2", "Tier 2 multiplier", ("Tier2Multiplier",), optional=True, kind="number"),
    Field("tier2_from", "Tier 2 threshold", ("Tier2RawUsageLowThreshold",), optional=True,
          kind="number"),
    Field("tier3", "Tier 3 multiplier", ("Tier3Multiplier",), optional=True, kind="number"),
    Field("tier3_from", "Tier 3 threshold", ("Tier3RawUsageLowThreshold",), optional=True,
          kind="number"),
    Field("subtype1", "Subtype 1", ("UsageSubtype1",), optional=True),
    Field("subtype2", "Subtype 2", ("UsageSubtype2",), optional=True),
)


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _number(where: str, value, default=None) -> float:
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is None:
            raise InputError(where, None, "is blank", "enter a number")
        return default
    if isinstance(value, str):
        number = number_of_text(value)
        if number is None:
            raise InputError(where, value, "is not a number", "enter a number") from None
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(where, value, "is not a number", "enter a number") from None
    if not math.isfinite(number) or number < 0:
        raise InputError(where, value, "is negative" if number < 0 else "is not a number",
                         "enter zero or more")
    return number


def _subtype(r: dict) -> str:
    """Up to three subtypes (Digital Wallet's UsageSubtype0-2) as one key, "a / b / c"."""
    parts = [_text(r.get(k)) for k in ("subtype", "subtype1", "subtype2")]
    while parts and not parts[-1]:
        parts.pop()
    return " / ".join(parts)


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
            _check_header(r, fields)
            continue  # a header row
        if all(_text(v) == "" for v in r):
            continue
        out.append({f.key: v for f, v in zip(fields, r)} | {"_line": i})
    return out


def _check_header(row: list, fields: tuple[Field, ...]) -> None:
    """A range's header row must name its columns in the order they are read (by position):
    a table pasted in another order would otherwise be read silently wrong."""
    def bare(text) -> str:
        return re.sub(r"[^a-z0-9]", "", str(text or "").lower())
    table = {id(ENTITLEMENT_FIELDS): "entitlements", id(USAGE_FIELDS): "usage",
             id(MULTIPLIER_FIELDS): "multipliers"}.get(id(fields), "the range")
    last = max(n for n, f in enumerate(fields) if not f.optional)
    order = ", ".join(f.header for f in fields[:last + 1]) + (", ..." if fields[last + 1:]
                                                               else "")
    for n, (f, v) in enumerate(zip(fields, row), 1):
        if _text(v) != "" and bare(v) not in {bare(x) for x in (f.header, *f.aliases)}:
            raise InputError(f"{table} column {n}", _text(v), f"is not {f.header}",
                             f"put the columns in this order: {order}")


def to_entitlements(records: list[dict], source: str = "entitlements", order: str | None = None
                    ) -> list[Entitlement]:
    out = []
    for r in records:
        at = f"{source} line {r['_line']}"
        rate = r.get("usage_rate")
        grace = _number(f"{at} Grace days", r.get("grace_days"), 0.0)
        if not float(grace).is_integer():
            raise InputError(f"{at} Grace days", grace, "is not a whole number of days",
                             "enter whole days")
        out.append(Entitlement(
            contract=_text(r["contract"]) or f"line {r['_line']}",
            product=_text(r["product"]),
            quantity=_number(f"{at} Quantity", r["quantity"]),
            start=_date(f"{at} Start", r["start"], order)[0],
            expiry=_date(f"{at} Expiry", r["expiry"], order)[0],
            usage_rate=None if _text(rate) == "" else _number(f"{at} Usage rate", rate),
            grace_days=int(grace)))
    return out


LEVELS = ("max", "maximum")  # Digital Wallet's aggregation of capacity (levels)


def to_usage(records: list[dict], source: str = "usage", order: str | None = None
             ) -> list[Usage]:
    out = []
    for r in records:
        at = f"{source} line {r['_line']}"
        day, monthly = _date(f"{at} Date", r["date"], order, month_ok=True)
        mult = r.get("multiplier")
        out.append(Usage(day=day, product=_text(r["product"]),
                         usage_type=_text(r["usage_type"]),
                         quantity=_number(f"{at} Quantity", r["quantity"]),
                         subtype=_subtype(r),
                         environment=_text(r.get("environment")) or "production",
                         monthly=monthly,
                         multiplier=None if _text(mult) == "" else _number(f"{at} Multiplier",
                                                                            mult),
                         unit=_text(r.get("unit")),
                         level=_text(r.get("aggregation")).lower() in LEVELS,
                         line=r["_line"]))
    return out


def to_multipliers(records: list[dict], source: str = "multipliers", order: str | None = None
                   ) -> list[Multiplier]:
    out = []
    for r in records:
        at = f"{source} line {r['_line']}"
        effective, end = r.get("effective"), r.get("end")
        tiers = []
        for n in ("2", "3"):
            mult, threshold = r.get(f"tier{n}"), r.get(f"tier{n}_from")
            if _text(mult) == "" and _text(threshold) == "":
                continue
            threshold = _number(f"{at} Tier {n} threshold", threshold)
            if threshold <= 0:
                raise InputError(f"{at} Tier {n} threshold", threshold, "is not above zero",
                                 "enter the raw usage from which the tier applies")
            tiers.append((threshold, _number(f"{at} Tier {n} multiplier", mult)))
        out.append(Multiplier(
            usage_type=_text(r["usage_type"]),
            multiplier=_number(f"{at} Multiplier", r["multiplier"]),
            effective=date(1900, 1, 1) if _text(effective) == ""
            else _date(f"{at} Effective date", effective, order)[0],
            subtype=_subtype(r), environment=_text(r.get("environment")),
            end=None if _text(end) == "" else _date(f"{at} End date", end, order)[0],
            tiers=tuple(tiers), line=r["_line"]))
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


def findings(result: Drawdown) -> list[str]:
    """What the drawdown assumed or could not price, one sentence each (for any layout)."""
    out = list(result.notes)
    for product, units in result.no_entitlement.items():
        out.append(f"{product}: {units:,.2f} units of usage with no entitlement: overage with "
                   "no rate (no contract for this product to take it from).")
    for product, units in result.no_rate.items():
        out.append(f"{product}: {units:,.2f} units of overage not priced: none of its "
                   "contracts has a usage rate (add a Usage rate to its entitlements).")
    for (kind, subtype, env), n in result.no_multiplier.items():
        out.append(f"No multiplier for {kind or '(blank)'} / {subtype or '(any)'} / {env}: "
                   f"{plural(n, 'usage line')} counted at 1.")
    return out


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
