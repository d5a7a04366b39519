"""Benchmark: the core and the Excel adapter against hand-written numpy, in one run.

Run on demand (not part of the test suite):

    python tests/bench_core.py [--rows 1000000] [--repeat 5]

Prints, best of ``--repeat`` runs each, the time of xlcredits and of its reference and the
ratio (targets, issue 10: at most 2x):
- CREDITLAPSE core on N entitlements given as float serials, against the same arithmetic
  written directly in numpy (day counts, run rate, min/max);
- FLEXCOST core on N actions, against ``actions * 20 * 500 / 100000 * (1 - d)`` in numpy;
- FLEXCOST through the Excel adapter on a 1,000-cell column of numbers as xlwings passes
  it (a list of lists), against the core on the same numbers as an array;
- and, for scale, the least any adapter can do with those cells (flatten them into an
  array with ``np.fromiter``, run the core, ``tolist`` the result: no type check at all)
  against the core: converting 1,000 Python objects each way costs more than the core's
  arithmetic on them, so no list-in, list-out adapter reaches 2x.
The two results of each pair are compared, so a fast wrong answer cannot pass.
"""

from __future__ import annotations

import argparse
import time
from itertools import chain

import numpy as np

from xlcredits import agentforce, credits
from xlcredits.excel import call
from xlcredits.rates import rate


def best(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def lapse_numpy(balance, consumed, start, expiry, as_of):
    """The register's lapse for serials >= 61 (no 1900 leap-year quirk), by hand."""
    elapsed = np.maximum(as_of - start + 1, 1)
    remaining = np.where(as_of < start, expiry - start + 1, np.maximum(expiry - as_of, 0))
    daily = np.where(as_of < start, 0.0, consumed / elapsed)
    use = np.minimum(consumed + daily * remaining, balance)
    return np.maximum(balance - use, 0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    n = args.rows
    balance = rng.integers(1, 10**7, n).astype(float)
    consumed = np.floor(balance * rng.random(n))
    start = 46023.0 + rng.integers(0, 300, n)  # 2026-01-01 onwards
    expiry = start + 365
    as_of = np.full(n, 46326.0)  # 2026-10-31

    rows = []
    t_core, got = best(lambda: credits.credit_lapse(balance, consumed, start, expiry, as_of),
                       args.repeat)
    t_ref, want = best(lambda: lapse_numpy(balance, consumed, start, expiry, as_of), args.repeat)
    assert np.allclose(got, want), "CREDITLAPSE differs from the reference"
    rows.append(("CREDITLAPSE core", n, t_core, "hand-written numpy", t_ref))

    actions = rng.integers(0, 10**6, n).astype(float)
    per_credit = rate("flex.pack_price") / rate("flex.pack_size")
    per_action = rate("flex.credits_per_action")
    t_core, got = best(lambda: agentforce.flex_cost(actions, 0.25), args.repeat)
    t_ref, want = best(lambda: actions * per_action * per_credit * (1 - 0.25), args.repeat)
    assert np.allclose(got, want), "FLEXCOST differs from the reference"
    rows.append(("FLEXCOST core", n, t_core, "hand-written numpy", t_ref))

    cells = [[float(x)] for x in actions[:1000]]
    column = np.array(cells)
    t_adapter, got = best(lambda: call("FLEXCOST", agentforce.flex_cost, cells, 0.25),
                          args.repeat * 20)
    t_core, want = best(lambda: agentforce.flex_cost(column, 0.25), args.repeat * 20)
    assert np.allclose(np.array(got, dtype=float), want), "the adapter differs from the core"
    rows.append(("FLEXCOST via the Excel adapter", 1000, t_adapter, "the core", t_core))

    def floor():
        """The least any adapter must do with the cells: flatten them and make an array at C
        speed, run the core, and give the result back as the list of lists Excel takes."""
        arr = np.fromiter(chain.from_iterable(cells), float, len(cells)).reshape(-1, 1)
        return agentforce.flex_cost(arr, 0.25).tolist()
    t_floor, want = best(floor, args.repeat * 20)
    assert np.allclose(np.array(got, dtype=float), np.array(want)), "the floor differs"
    rows.append(("  the least any adapter can do", 1000, t_floor, "the core", t_core))

    print(f"{'work':32} {'rows':>9} {'xlcredits':>11} {'reference':>22} {'ratio':>7}")
    for work, size, mine, ref_name, ref in rows:
        print(f"{work:32} {size:>9,} {mine * 1e3:>9.2f}ms {ref_name:>18} "
              f"{ref * 1e3:.2f}ms {mine / ref:>6.2f}x")


if __name__ == "__main__":
    main()
