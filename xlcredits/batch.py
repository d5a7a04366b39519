"""Batch work over many workbooks: regenerate each on the current template, losing nothing.

For each workbook: read it safely, read what users entered, refuse anything the new
template has no place for, build the new workbook into a temporary file in the same
folder, reopen it and check that every entry came through, back up the original, then
replace it atomically (keeping its permissions). A killed run leaves the original intact.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .errors import XlcreditsError
from .workbook import schema as s
from .workbook.build import build
from .workbook.files import backup_path, write_workbook
from .workbook.read import ReadError, open_workbook, read, read_entries, schema_version

STRAY_SHOWN = 10


@dataclass
class Outcome:
    path: Path
    result: str  # regenerated, would regenerate, refused, failed
    rows: int = 0
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.result in ("regenerated", "would regenerate")


def find_workbooks(paths) -> list[Path]:
    """The .xlsx files among ``paths``, folders searched recursively; temporary files,
    Excel lock files and backups are left out."""
    found = []
    for p in map(Path, paths):
        candidates = sorted(p.rglob("*.xlsx")) if p.is_dir() else [p]
        for c in candidates:
            if c.name.startswith((".", "~$")) or c.name.endswith(".bak.xlsx"):
                continue
            found.append(c)
    return found


def regenerate_file(path: Path, backup_dir: Path | None = None,
                    dry_run: bool = False) -> Outcome:
    """Regenerate one workbook; never raises for a bad file: the outcome says what happened."""
    path = Path(path)
    try:
        if not path.is_file():
            raise ReadError(path, "does not exist")
        wb = open_workbook(path)
        try:
            version = schema_version(path, wb)
            entries, stray = read(path, wb)
        finally:
            wb.close()
        if stray:
            more = f" and {len(stray) - STRAY_SHOWN} more" if len(stray) > STRAY_SHOWN else ""
            raise ReadError(path, "has data outside the input areas that the new template "
                                  "has no place for: " + ", ".join(stray[:STRAY_SHOWN]) + more)
    except ReadError as e:
        return Outcome(path, "refused", message=e.reason)
    rows = sum(1 for r in entries.register if r)
    if dry_run:
        return Outcome(path, "would regenerate", rows,
                       f"schema {version} -> {s.SCHEMA_VERSION}; {rows} register rows, "
                       f"{len(entries.tco)} TCO inputs, {len(entries.rates)} rate overrides")
    return swap_in(path, build(entries), entries, rows, backup_dir)


def swap_in(path: Path, wb, entries, rows: int, backup_dir: Path | None) -> Outcome:
    """Write the new workbook beside the old, verify it, back up the old, replace it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.xlsx", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        write_workbook(wb, tmp)
        new = open_workbook(tmp)
        try:
            same = read_entries(tmp, new) == entries
        finally:
            new.close()
        if not same:
            return Outcome(path, "failed", message="the new workbook did not read back "
                                                   "identical; the original is untouched")
        backup = backup_path(path, backup_dir)
        shutil.copy2(path, backup)
        shutil.copymode(path, tmp)
        try:
            os.replace(tmp, path)
        except OSError as e:
            kept = path.with_name(f"{path.stem}.regenerated{path.suffix}")
            os.replace(tmp, kept)
            return Outcome(path, "failed", message=f"could not replace it ({e.strerror}); "
                                                   f"the original is untouched and the new "
                                                   f"workbook is {kept}")
        return Outcome(path, "regenerated", rows, f"backup: {backup}")
    except (OSError, XlcreditsError) as e:
        return Outcome(path, "failed", message=f"{e}; the original is untouched")
    finally:
        if tmp.exists():
            tmp.unlink()


def regenerate(paths, backup_dir=None, dry_run=False, jobs=1, progress=None) -> list[Outcome]:
    """Regenerate every workbook found; ``progress(outcome)`` is called after each one."""
    files = find_workbooks(paths)
    outcomes = []
    if jobs > 1 and len(files) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for outcome in pool.map(regenerate_file, files, [backup_dir] * len(files),
                                    [dry_run] * len(files)):
                outcomes.append(outcome)
                if progress:
                    progress(outcome)
    else:
        for f in files:
            outcomes.append(regenerate_file(f, backup_dir, dry_run))
            if progress:
                progress(outcomes[-1])
    return outcomes
