"""Benchmark: Login History analysis on a synthetic export, against DuckDB's own aggregation.

Run on demand (not part of the test suite):

    python tests/bench_logins.py --rows 10000000 --users 100000

Generates an export in the Setup download's format (12 months, ~3% failed logins), then,
each in its own process so that peak memory is its own: the baseline, DuckDB counting
distinct user-days per user per month straight from the CSV; and xlcredits'
``read_history`` + ``analyse`` (validation, statuses, time zone, the mix).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE_SQL = """
SELECT "Username" AS user, strftime(day, '%Y-%m') AS month, count(DISTINCT day) AS days
FROM (SELECT "Username", CAST(strptime("Login Time", '%m/%d/%Y %I:%M:%S %p') AS DATE) AS day
      FROM read_csv(?, header = true, all_varchar = true) WHERE "Status" = 'Success')
GROUP BY 1, 2"""


def generate(path: Path, rows: int, users: int) -> None:
    import duckdb

    duckdb.connect().execute(f"""
        COPY (SELECT 'user' || (hash(i) % {users}) || '@partner.example.com' AS "Username",
                     strftime(TIMESTAMP '2025-01-01' + to_seconds((hash(i * 7) % 31536000)::BIGINT),
                              '%-m/%-d/%Y %-I:%M:%S %p') AS "Login Time",
                     CASE WHEN hash(i * 13) % 100 < 3 THEN 'Invalid Password'
                          ELSE 'Success' END AS "Status",
                     'Chatter Communities External User' AS "Login Type", 'Browser' AS "Application"
              FROM range({rows}) t(i))
        TO '{path}' (HEADER, DELIMITER ',')""")


def phase(name: str, path: Path) -> None:
    import duckdb

    from xlcredits.loginhistory import read_history
    from xlcredits.loginmix import analyse  # imports are not timed

    start = time.perf_counter()
    if name == "duckdb":
        groups = len(duckdb.connect().execute(BASELINE_SQL, [str(path)]).fetchall())
    else:
        history = read_history(path)
        analyse(history, "Partner Community", "Partner Community")
        groups = len(history.login_days)
    seconds = time.perf_counter() - start
    print(json.dumps({"phase": name, "seconds": seconds, "groups": groups,
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--phase", choices=["duckdb", "xlcredits"])
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    if args.phase:
        return phase(args.phase, args.path)
    with tempfile.TemporaryDirectory(prefix="xlcredits-bench-") as tmp:
        path = Path(tmp) / "LoginHistory.csv"
        start = time.perf_counter()
        generate(path, args.rows, args.users)
        print(f"generated {args.rows:,} rows ({path.stat().st_size / 2**20:,.0f} MB) in "
              f"{time.perf_counter() - start:.1f} s")
        results = {}
        for name in ("duckdb", "xlcredits"):
            out = subprocess.run([sys.executable, __file__, "--phase", name, "--path", str(path)],
                                 capture_output=True, text=True, check=True)
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    base = results["duckdb"]["seconds"]
    for r in results.values():
        print(f"  {r['phase']:10} {args.rows / r['seconds'] / 1e6:6.2f} M rows/s  "
              f"{r['seconds']:6.1f} s  peak {r['peak_mb']:6.0f} MB  {r['groups']:,} user-months  "
              f"{r['seconds'] / base:.2f}x DuckDB's time")


if __name__ == "__main__":
    main()
