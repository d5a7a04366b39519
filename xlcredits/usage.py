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

from .errors import InputError


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


def key(text: str) -> str:
    return " ".join(str(text or "").split()).lower()


def multiplier_for(line: Usage, table: list[Multiplier]) -> float | None:
    """The multiplier in force for a usage line, or None when the table has none for it.

    >>> m = [Multiplier("SMS", 30, date(2026, 1, 1), "Japan")]
    >>> multiplier_for(Usage(date(2026, 3, 1), "Marketing Cloud", "SMS", 40, "Japan"), m)
    30
    """
    best = None
    for m in table:
        if key(m.usage_type) != key(line.usage_type):
            continue
        if m.subtype and key(m.subtype) != key(line.subtype):
            continue
        if m.environment and key(m.environment) != key(line.environment):
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


def month_of(d: date) -> tuple[int, int]:
    return (d.year, d.month)


def month_end(month: tuple[int, int]) -> date:
    return date(month[0], month[1], calendar.monthrange(*month)[1])


def next_month(month: tuple[int, int]) -> tuple[int, int]:
    return (month[0] + month[1] // 12, month[1] % 12 + 1)


@dataclass
class Drawdown:
    """Month by month: each entitlement's movements, and each product's overage."""
    rows: list[dict] = field(default_factory=list)  # month, product, contract, opening, new,
    #                                                  drawn, lapsed, closing
    overage: list[dict] = field(default_factory=list)  # month, product, units, rate, cost
    no_multiplier: dict = field(default_factory=dict)  # (usage type, subtype, env) -> lines
    no_entitlement: dict = field(default_factory=dict)  # product -> units (overage, no rate)


def check(entitlements: list[Entitlement], usage: list[Usage]) -> None:
    seen = {}
    for e in entitlements:
        if e.quantity < 0:
            raise InputError(f"entitlement {e.contract}", e.quantity, "has a negative quantity",
                             "enter zero or more")
        if e.expiry < e.start:
            raise InputError(f"entitlement {e.contract}", e.expiry, "expires before it starts",
                             "check the start and expiry dates")
        k = (key(e.contract), key(e.product))
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
    check(entitlements, usage)
    out = Drawdown()
    lines = []
    for u in usage:
        if multiplier_for(u, list(multipliers)) is None:
            k = (u.usage_type, u.subtype, u.environment)
            out.no_multiplier[k] = out.no_multiplier.get(k, 0) + 1
        lo = date(u.day.year, u.day.month, 1) if u.monthly else u.day
        hi = month_end(month_of(u.day)) if u.monthly else u.day
        lines.append((u.day, key(u.product), u.product, consumed_units(u, list(multipliers)),
                      lo, hi))
    dates = [e.start for e in entitlements] + [e.expiry for e in entitlements] + \
            [line[0] for line in lines]
    if not dates:
        return out
    by_product = defaultdict(list)
    for e in entitlements:
        by_product[key(e.product)].append(e)
    rates = {p: min((e.usage_rate for e in es if e.usage_rate is not None), default=None)
             for p, es in by_product.items()}
    order = {p: sorted(es, key=lambda e: (e.expiry, e.start, key(e.contract)))
             for p, es in by_product.items()}
    balance = {id(e): 0.0 for e in entitlements}
    usage_by_month = defaultdict(list)
    for line in sorted(lines, key=lambda x: x[0]):
        usage_by_month[month_of(line[0])].append(line)
    month, last = month_of(min(dates)), month_of(max(dates))
    while month <= last:
        end = month_end(month)
        moves = {}
        for es in order.values():
            for e in es:
                if e.start > end or month_of(e.expiry) < month:
                    continue  # not yet started, or gone
                new = e.quantity if month_of(e.start) == month else 0.0
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
                lapsed = balance[id(e)] if month_of(e.expiry) == month else 0.0
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
        month = next_month(month)
    return out


# --- tables: Excel ranges (columns by position) and files (columns by header text) -----

ENTITLEMENT_COLUMNS = ("Contract", "Product", "Quantity", "Start", "Expiry", "Usage rate")
USAGE_COLUMNS = ("Date", "Product", "Usage type", "Subtype", "Environment", "Quantity")
MULTIPLIER_COLUMNS = ("Usage type", "Subtype", "Environment", "Multiplier", "Effective date")
ALIASES = {"contract": ("contract reference", "contract ref"), "date": ("month", "usage date"),
           "usage rate": ("overage rate", "rate"), "quantity": ("raw quantity", "units"),
           "effective date": ("effective",), "environment": ("env",)}
OPTIONAL = {"Subtype", "Environment", "Usage rate", "Effective date"}


def cell_text(value) -> str:
    return "" if value is None else str(value).strip()


def cell_number(where: str, value, default=None) -> float:
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


def cell_date(where: str, value, month_ok: bool = False) -> tuple[date, bool]:
    """A date (and whether it names a whole month: "2026-03" or "Mar 2026")."""
    from .dates import ordinals

    if isinstance(value, str) and month_ok:
        text = value.strip()
        for fmt in ("%Y-%m", "%b %Y", "%B %Y", "%m/%Y"):
            try:
                from datetime import datetime
                d = datetime.strptime(text, fmt).date()
                return d.replace(day=1), True
            except ValueError:
                pass
    if isinstance(value, str) and "/" in value:  # the Setup style 3/15/2026
        try:
            from datetime import datetime
            return datetime.strptime(value.strip(), "%m/%d/%Y").date(), False
        except ValueError:
            pass
    return date.fromordinal(int(ordinals(where, value))), False


def records(rows: list, columns: tuple, source: str, first_line: int = 1) -> list[dict]:
    """Rows as {column: value}. ``rows`` are dicts keyed by header text (a file) or lists in
    ``columns`` order (an Excel range, whose first row may be a header)."""
    if rows is None:
        return []
    if not hasattr(rows, "__len__") or isinstance(rows, str):
        rows = [[rows]]  # a single cell
    rows = list(rows)
    if rows and not isinstance(rows[0], (list, tuple, dict)) and not hasattr(rows[0], "shape"):
        rows = [rows]  # a single row passed flat
    if rows and isinstance(rows[0], dict):
        headers = {key(h): h for h in rows[0]}
        found = {}
        for col in columns:
            names = (key(col),) + ALIASES.get(key(col), ())
            match = next((headers[n] for n in names if n in headers), None)
            if match is None and col not in OPTIONAL:
                raise InputError(source, ", ".join(rows[0]), f"has no {col} column",
                                 "use the headers " + ", ".join(columns))
            found[col] = match
        return [{c: (r.get(h) if h else None) for c, h in found.items()}
                | {"_line": i} for i, r in enumerate(rows, first_line + 1)]
    out = []
    for i, r in enumerate(rows, first_line):
        r = list(r) + [None] * (len(columns) - len(r))
        if i == first_line and key(r[0]) == key(columns[0]):
            continue  # a header row
        if all(v is None or cell_text(v) == "" for v in r):
            continue
        out.append(dict(zip(columns, r)) | {"_line": i})
    return out


def parse_entitlements(rows, source: str = "entitlements") -> list[Entitlement]:
    out = []
    for r in records(rows, ENTITLEMENT_COLUMNS, source):
        at = f"{source} line {r['_line']}"
        start = cell_date(f"{at} Start", r["Start"])[0]
        expiry = cell_date(f"{at} Expiry", r["Expiry"])[0]
        rate = r.get("Usage rate")
        out.append(Entitlement(
            contract=cell_text(r["Contract"]) or f"line {r['_line']}",
            product=cell_text(r["Product"]), quantity=cell_number(f"{at} Quantity",
                                                                  r["Quantity"]),
            start=start, expiry=expiry,
            usage_rate=None if cell_text(rate) == "" else cell_number(f"{at} Usage rate", rate)))
    return out


def parse_usage(rows, source: str = "usage") -> list[Usage]:
    out = []
    for r in records(rows, USAGE_COLUMNS, source):
        at = f"{source} line {r['_line']}"
        day, monthly = cell_date(f"{at} Date", r["Date"], month_ok=True)
        out.append(Usage(day=day, product=cell_text(r["Product"]),
                         usage_type=cell_text(r["Usage type"]),
                         quantity=cell_number(f"{at} Quantity", r["Quantity"]),
                         subtype=cell_text(r.get("Subtype")),
                         environment=cell_text(r.get("Environment")) or "production",
                         monthly=monthly))
    return out


def parse_multipliers(rows, source: str = "multipliers") -> list[Multiplier]:
    out = []
    for r in records(rows, MULTIPLIER_COLUMNS, source):
        at = f"{source} line {r['_line']}"
        effective = r.get("Effective date")
        out.append(Multiplier(
            usage_type=cell_text(r["Usage type"]),
            multiplier=cell_number(f"{at} Multiplier", r["Multiplier"]),
            effective=date(1900, 1, 1) if cell_text(effective) == ""
            else cell_date(f"{at} Effective date", effective)[0],
            subtype=cell_text(r.get("Subtype")), environment=cell_text(r.get("Environment"))))
    return out


DRAWDOWN_HEADER = ("Month", "Product", "Contract", "Opening", "New", "Drawn", "Lapsed",
                   "Closing", "Overage units", "Overage cost")


def drawdown_table(entitlements, usage, multipliers=None) -> list[tuple]:
    """The drawdown as one table: a row per entitlement and month, then a row per product
    and month with overage ("overage" in the Contract column; the cost is blank when the
    product has no contract, hence no rate)."""
    result = drawdown(parse_entitlements(entitlements), parse_usage(usage),
                      parse_multipliers(multipliers) if multipliers is not None else [])
    table = [DRAWDOWN_HEADER]
    by_month = defaultdict(list)
    for r in result.rows:
        by_month[r["month"]].append((r["month"], r["product"], r["contract"], r["opening"],
                                     r["new"], r["drawn"], r["lapsed"], r["closing"], None,
                                     None))
    for o in result.overage:
        by_month[o["month"]].append((o["month"], o["product"], "overage", None, None, None,
                                     None, None, o["units"], o["cost"]))
    for month in sorted(by_month):
        table += by_month[month]
    return table


def usage_units(quantity, usage_type, subtype, environment, usage_date, multipliers):
    """Consumed units of usage lines: quantity x the multiplier in force (1 if none).

    The first five arguments broadcast together (single cells or ranges of one shape);
    ``multipliers`` is the multiplier table.

    >>> usage_units(40, "SMS", "Japan", "production", "2026-03-10",
    ...             [["SMS", "Japan", "", 30, "2026-01-01"]])
    1200.0
    """
    import numpy as np

    from .inputs import broadcast, result, texts

    table = parse_multipliers(multipliers if multipliers is not None else [])
    arrays = broadcast(quantity=texts("quantity", quantity),
                       usage_type=texts("usage_type", usage_type, ""),
                       subtype=texts("subtype", subtype, ""),
                       environment=texts("environment", environment, "production"),
                       usage_date=texts("usage_date", usage_date))
    out = np.empty(arrays[0].shape, float)
    for i in np.ndindex(out.shape):
        q, t, st, env, d = (a[i] for a in arrays)
        line = Usage(cell_date("usage_date", d)[0], "", cell_text(t),
                     cell_number("quantity", q), cell_text(st), cell_text(env) or "production")
        out[i] = consumed_units(line, table)
    return result(out)


def summary(result: Drawdown) -> str:
    """The drawdown's totals per product, and what was assumed or could not be priced."""
    totals = defaultdict(lambda: defaultdict(float))
    for r in result.rows:
        t = totals[r["product"]]
        t["new"] += r["new"]
        t["drawn"] += r["drawn"]
        t["lapsed"] += r["lapsed"]
    for o in result.overage:
        t = totals[o["product"]]
        t["overage"] += o["units"]
        t["cost"] += o["cost"] or 0.0
    lines = [(f"{'product':28}{'entitled':>14}{'drawn':>14}{'lapsed':>14}{'overage':>14}"
              f"{'overage $':>14}")]
    for product, t in sorted(totals.items()):
        lines.append(f"{product[:27]:28}{t['new']:>14,.0f}{t['drawn']:>14,.0f}"
                     f"{t['lapsed']:>14,.0f}{t['overage']:>14,.0f}{t['cost']:>14,.2f}")
    for product, units in result.no_entitlement.items():
        lines.append(f"{product}: {units:,.0f} units of usage with no entitlement: overage "
                     "with no rate (no contract for this product to take it from).")
    for (kind, subtype, env), n in result.no_multiplier.items():
        lines.append(f"No multiplier for {kind or '(blank)'} / {subtype or '(any)'} / {env}: "
                     f"{n} usage lines counted at 1.")
    return "\n".join(lines)


def write_workbook(result: Drawdown, table: list[tuple], out) -> None:
    """The drawdown, a summary and a chart of each contract's balance over time."""
    from openpyxl import Workbook
    from openpyxl.chart import LineChart, Reference
    from openpyxl.styles import Font

    from .workbook.files import save_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Drawdown"
    for row in table:
        ws.append(list(row))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.freeze_panes = "A2"
    summary_ws = wb.create_sheet("Summary")
    for line in summary(result).splitlines():
        summary_ws.append([line])
    summary_ws.column_dimensions["A"].width = 100
    balances = wb.create_sheet("Balances")
    contracts = list(dict.fromkeys(f"{r['contract']} ({r['product']})" for r in result.rows))
    months = sorted({r["month"] for r in result.rows})
    closing = {(r["month"], f"{r['contract']} ({r['product']})"): r["closing"]
               for r in result.rows}
    balances.append(["Month"] + contracts)
    for m in months:
        balances.append([m] + [closing.get((m, c)) for c in contracts])
    if contracts and months:
        chart = LineChart()
        chart.title, chart.y_axis.title = "Closing balance of each entitlement", "units"
        chart.add_data(Reference(balances, min_col=2, max_col=len(contracts) + 1, min_row=1,
                                 max_row=len(months) + 1), titles_from_data=True)
        chart.set_categories(Reference(balances, min_col=1, min_row=2, max_row=len(months) + 1))
        chart.height, chart.width = 9, 20
        balances.add_chart(chart, f"{chr(ord('A') + min(len(contracts) + 2, 20))}2")
    save_workbook(wb, out)
