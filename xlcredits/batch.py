"""Batch work over many workbooks: regenerate each on the current template, losing nothing.

For each workbook: read it safely, read what users entered, refuse anything the new
template has no place for, build the new workbook into a temporary file in the same
folder, reopen it and check that every entry came through, back up the original, then
replace it atomically (keeping its permissions). A killed run leaves the original intact.
"""

from __future__ import annotations

import gc
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .errors import ReadError, XlcreditsError
from .workbook import schema as s
from .workbook.build import build
from .workbook.files import (
    Changed,
    NotReplaced,
    WriteFailed,
    find_workbooks,
    fingerprint,
    lock_file,
    read_only,
    same_content,
    workbook_bytes,
    write_atomically,
)
from .workbook.read import (
    changed_parts,
    open_workbook,
    read,
    read_entries,
    schema_version,
    unsupported_parts,
)

__all__ = ["Outcome", "find_workbooks", "regenerate", "regenerate_file"]

STRAY_SHOWN = 10


@dataclass
class Outcome:
    path: Path
    result: str  # regenerated, would regenerate, up to date, refused, failed
    rows: int = 0
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.result in ("regenerated", "would regenerate", "up to date")


def regenerate_file(path: Path, backup_dir: Path | None = None,
                    dry_run: bool = False, force: bool = False) -> Outcome:
    """Regenerate one workbook; never raises for a bad file: the outcome says what happened.

    A workbook that already is what the current template would make of it is "up to date"
    and left alone (no write, no backup) unless ``force``."""
    path = Path(path)
    try:
        return _regenerate_file(path, backup_dir, dry_run, force)
    except Exception as e:  # noqa: BLE001 -- one file's failure is that file's row, never the batch's
        reason = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
        return Outcome(path, "failed", message=f"{reason}; the original is untouched")
    finally:
        # an openpyxl workbook is a web of reference cycles that only the collector frees:
        # collected now, the next file does not find the last one's still in memory
        gc.collect()


def _regenerate_file(path: Path, backup_dir: Path | None, dry_run: bool, force: bool
                     ) -> Outcome:
    try:
        if not path.is_file():
            raise ReadError(path, "does not exist")
        lock = lock_file(path)
        if lock is not None:
            raise ReadError(path, f"is open in a spreadsheet program ({lock.name} beside it); "
                                  "close it and run again (delete the lock file if no "
                                  "program has it open)")
        real = path.resolve()
        if read_only(real):
            raise ReadError(path, "is read-only; make it writable to regenerate it")
        if not os.access(real.parent, os.W_OK | os.X_OK):
            raise ReadError(path, f"cannot be replaced: cannot write in {real.parent}: "
                                  "permission denied")
        before = fingerprint(real)
        wb = open_workbook(path)
        try:
            version = schema_version(path, wb)
            changes: list[str] = []
            entries, stray = read(path, wb, notices=changes)
            lost = unsupported_parts(path, wb)
            changes += changed_parts(path)
        finally:
            wb.close()
        if lost:
            raise ReadError(path, "holds what regeneration cannot carry, which would be lost: "
                                  + "; ".join(lost) + ". Nothing was written")
        if stray:
            more = f" and {len(stray) - STRAY_SHOWN} more" if len(stray) > STRAY_SHOWN else ""
            raise ReadError(path, "has data outside the input areas that the new template "
                                  "has no place for: " + ", ".join(stray[:STRAY_SHOWN]) + more)
    except ReadError as e:
        return Outcome(path, "refused", message=e.reason)
    rows = sum(1 for r in entries.register if r)
    try:
        new = workbook_bytes(build(entries), label=entries.label, custom=entries.custom)
    except WriteFailed as e:  # the system's temporary folder refused openpyxl's sheets
        return Outcome(path, "failed", message=f"{e}; the original is untouched")
    gc.collect()  # the built workbook, before the file is compared, written and verified
    if not force and version == s.SCHEMA_VERSION and same_content(new, path):
        return Outcome(path, "up to date", rows, f"schema {version}; nothing written")
    if dry_run:
        return Outcome(path, "would regenerate", rows,
                       (f"schema {version} -> {s.SCHEMA_VERSION}" if version != s.SCHEMA_VERSION
                        else f"schema {version}, laid out afresh")
                       + f"; {rows} register rows, "
                       f"{len(entries.tco)} TCO inputs, {len(entries.rates)} rate overrides"
                       + "".join(f"; {c}" for c in changes))
    outcome = _swap_in(path, new, entries, rows, backup_dir, before)
    if outcome.result == "regenerated" and changes:
        outcome.message += "".join(f"; {c}" for c in changes)
    return outcome


def _swap_in(path: Path, new: bytes, entries, rows: int, backup_dir: Path | None,
             before=None) -> Outcome:
    """Write the new workbook beside the old, verify it, back up the old, replace it
    (only if the old is still what was read)."""
    def verify(tmp: Path) -> str | None:
        new = open_workbook(tmp)
        try:
            same = read_entries(tmp, new) == entries
        finally:
            new.close()
        return None if same else ("the new workbook did not read back identical; the "
                                  "original is untouched")
    try:
        backup = write_atomically(new, path, check=verify, backup="always",
                                  backup_dir=backup_dir, expect=before)
    except Changed as e:
        return Outcome(path, "failed", message=f"{e}; it was left as the user saved it")
    except NotReplaced as e:
        return Outcome(path, "failed", message=str(e))
    except (OSError, XlcreditsError) as e:
        return Outcome(path, "failed", message=f"{e}; the original is untouched"
                       if "untouched" not in str(e) else str(e))
    return Outcome(path, "regenerated", rows, f"backup: {backup}")


def regenerate(paths, backup_dir=None, dry_run=False, jobs=1, progress=None, force=False
               ) -> list[Outcome]:
    """Regenerate every workbook found; ``progress(outcome)`` is called after each one."""
    files = find_workbooks(paths)
    outcomes = []
    if jobs > 1 and len(files) > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            for outcome in pool.map(regenerate_file, files, [backup_dir] * len(files),
                                    [dry_run] * len(files), [force] * len(files)):
                outcomes.append(outcome)
                if progress:
                    progress(outcome)
    else:
        for f in files:
            outcomes.append(regenerate_file(f, backup_dir, dry_run, force))
            if progress:
                progress(outcomes[-1])
    return outcomes
