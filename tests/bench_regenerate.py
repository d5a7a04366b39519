"""Benchmark: regenerate many filled registers against plain openpyxl load-and-save.

Run on demand (not part of the test suite):

    python tests/bench_regenerate.py --files 200 --rows 1000

Each phase runs in its own process on its own copies of the same files, so the peak
memory (ru_maxrss) is that phase's. Baseline: openpyxl ``load_workbook`` + ``save`` of
each file. Regeneration: ``batch.regenerate`` (read safely, check, build, write, verify,
back up, replace) with one process, as ``--jobs 1``, and with two, as ``--jobs 2``
(both forced: the files are what the template writes); and without ``--force``, where
each file is read, built and found up to date, and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

PHASES = ("baseline", "regenerate", "regenerate-jobs2", "up-to-date")


def make_register(rows: int, seed: int = 1):
    from xlcredits.workbook import schema as s
    from xlcredits.workbook.build import build
    from xlcredits.workbook.entries import Entries, template_entries

    rnd = random.Random(seed)
    kinds = s.LISTS["List_CreditTypes"]
    register = []
    for i in range(rows):
        start = date(2026, 1, 1) + timedelta(days=rnd.randrange(300))
        balance = rnd.randrange(1, 10**7)
        register.append({
            "id": f"E-{i:05d}", "credit_type": rnd.choice(kinds), "product": f"Product {i}",
            "contract": f"Q-{rnd.randrange(10**4):04d}", "unit": "credits",
            "balance": float(balance), "consumed": float(rnd.randrange(balance)),
            "start": start, "expiry": start + timedelta(days=365), "unit_value": 0.005,
            "owner": f"Owner {i % 17}", "purpose": "Benchmark", "notes": "=not a formula"})
    return build(Entries(register=register, tco=template_entries().tco))


def phase(name: str, folder: Path) -> None:
    """Run one phase over every .xlsx in folder; print JSON with seconds and peak memory."""
    files = sorted(folder.glob("*.xlsx"))
    start = time.perf_counter()
    if name == "baseline":
        from openpyxl import load_workbook
        for f in files:
            load_workbook(f).save(f)
    else:
        from xlcredits.batch import regenerate
        jobs = 2 if name == "regenerate-jobs2" else 1
        check = name == "up-to-date"  # not forced: the files are what the template writes
        outcomes = regenerate(files, backup_dir=folder / "backups", jobs=jobs, force=not check)
        want = "up to date" if check else "regenerated"
        assert all(o.result == want for o in outcomes), outcomes
    seconds = time.perf_counter() - start
    peak_mb = max(resource.getrusage(who).ru_maxrss / 1024
                  for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    print(json.dumps({"phase": name, "files": len(files), "seconds": seconds,
                      "peak_mb": peak_mb}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--phase", choices=PHASES)
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.phase:
        return phase(args.phase, args.folder)
    from xlcredits.workbook.files import write_workbook

    with tempfile.TemporaryDirectory(prefix="xlcredits-bench-") as tmp:
        tmp = Path(tmp)
        source = tmp / "source.xlsx"
        write_workbook(make_register(args.rows), source)
        results = {}
        for name in PHASES:
            folder = tmp / name
            folder.mkdir()
            for i in range(args.files):
                shutil.copy(source, folder / f"register-{i:03d}.xlsx")
            out = subprocess.run([sys.executable, __file__, "--phase", name, "--folder",
                                  str(folder)], capture_output=True, text=True, check=True)
            results[name] = json.loads(out.stdout.strip().splitlines()[-1])
    base = results["baseline"]
    print(f"{args.files} registers of {args.rows} rows")
    for r in results.values():
        print(f"  {r['phase']:17} {r['files'] / r['seconds']:6.2f} workbooks/s  "
              f"{r['seconds']:7.1f} s  peak {r['peak_mb']:6.0f} MB  "
              f"{r['seconds'] / base['seconds']:.2f}x the baseline's time")
    print("  (peak: the largest process of the phase; with --jobs 2 each worker's)")


if __name__ == "__main__":
    main()
