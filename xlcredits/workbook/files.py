"""Files: the one place that writes a workbook, names a backup or finds workbooks.

Every write goes to a temporary file in the same folder, which may be checked, and then
replaces the target atomically (:func:`write_atomically`). An existing file whose content
differs from what is about to be written (a user typed into it) is first copied to a
timestamped backup (:func:`backup_path`).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook

from ..errors import XlcreditsError

__all__ = [
    "TEMP_SUFFIX",
    "NotReplaced",
    "backup_path",
    "content_digest",
    "find_workbooks",
    "safe_filename",
    "save_text",
    "save_workbook",
    "write_atomically",
    "write_file",
    "write_workbook",
]

TEMP_SUFFIX = ".tmp.xlsx"
BACKUP = re.compile(r".+\.\d{8}-\d{6}(-\d+)?\.bak\.xlsx$")
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
            *(f"LPT{i}" for i in range(1, 10))}


@contextmanager
def exact_numbers():
    """While saving, write floats with all the digits they need (``repr``).

    openpyxl formats numbers with "%.16g", which loses the last digit of some doubles
    (0.00043424719572791095 comes back as 0.0004342471957279109); Excel itself writes
    17 significant digits. The formatter is swapped in openpyxl's cell writer only.
    """
    from openpyxl.cell import _writer

    original = _writer.safe_string

    def safe_string(value):
        if isinstance(value, float) and math.isfinite(value):
            return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
        return original(value)

    _writer.safe_string = safe_string
    try:
        yield
    finally:
        _writer.safe_string = original


def write_workbook(wb: Workbook, path) -> None:
    """``wb.save(path)`` with exact numbers (no atomicity: see :func:`save_workbook`)."""
    with exact_numbers():
        wb.save(path)


def content_digest(source) -> str:
    """A digest of what a workbook says: sheets, cell values and formulas, formats, names.

    Unlike the file's bytes it ignores zip timestamps and document properties, so
    two saves of the same workbook have the same digest.
    """
    wb = source if isinstance(source, Workbook) else load_workbook(source)
    h = hashlib.sha256()
    for name, dn in sorted(wb.defined_names.items()):
        h.update(f"name {name}={dn.attr_text}\n".encode())
    for ws in wb.worksheets:
        h.update(f"sheet {ws.title} {ws.sheet_state} {ws.freeze_panes}\n".encode())
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    value = float(c.value) if type(c.value) in (int, float) else c.value
                    h.update(f"{c.coordinate}={value!r}|{c.data_type}|{c.number_format}"
                             f"|{c.protection.locked}\n".encode())
        for dv in ws.data_validations.dataValidation:
            h.update(f"dv {dv.sqref} {dv.type} {dv.formula1} {dv.formula2}\n".encode())
        for rng in ws.conditional_formatting:
            for rule in rng.rules:
                h.update(f"cf {rng.sqref} {rule.type} {rule.formula}\n".encode())
        h.update(f"charts {len(getattr(ws, '_charts', []))}\n".encode())
    return h.hexdigest()


def backup_path(path: Path, folder: Path | None = None) -> Path:
    """A new name for a backup of ``path``: NAME.YYYYMMDD-HHMMSS.bak.xlsx, in ``folder``
    (default: beside the file), never one that exists already."""
    folder = Path(folder) if folder else path.parent
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target, n = folder / f"{path.stem}.{stamp}.bak{path.suffix}", 1
    while target.exists():
        n += 1
        target = folder / f"{path.stem}.{stamp}-{n}.bak{path.suffix}"
    return target


def _temporary(path: Path, suffix: str) -> tuple[int, str]:
    """A new temporary file beside ``path``; a folder that cannot take it is a clear error."""
    try:
        return tempfile.mkstemp(prefix=f".{path.stem}.", suffix=suffix, dir=path.parent)
    except OSError as e:
        raise XlcreditsError(f"cannot write {path}: {e.strerror.lower()} in {path.parent}; "
                             "write to a folder you can write to") from None


def write_atomically(wb: Workbook, path: Path, *, check=None, backup: str = "if changed",
                     backup_dir: Path | None = None) -> str:
    """Write ``wb`` to ``path`` through a temporary file in the same folder.

    ``check(tmp)``, if given, inspects the written temporary file and returns None or the
    reason it must not replace ``path`` (raised as :class:`XlcreditsError`).
    ``backup``: "if changed" backs an existing file up only when its content differs (and
    leaves an identical one alone: "unchanged"); "always" backs it up in any case.
    Returns "written" (a new file), "unchanged", or the path of the backup made. The
    temporary file never outlives the call; the original is untouched unless replaced.
    """
    path = Path(path)
    fd, tmp = _temporary(path, TEMP_SUFFIX)
    os.close(fd)
    outcome = "written"
    try:
        write_workbook(wb, tmp)
        problem = check(Path(tmp)) if check else None
        if problem:
            raise XlcreditsError(problem)
        if path.exists():
            if backup == "if changed" and content_digest(path) == content_digest(tmp):
                return "unchanged"
            outcome = str(backup_path(path, backup_dir))
            shutil.copy2(path, outcome)
            shutil.copymode(path, tmp)
        else:  # mkstemp makes the file private; a new workbook gets the usual mode
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        try:
            os.replace(tmp, path)
        except OSError as e:
            kept = path.with_name(f"{path.stem}.regenerated{path.suffix}")
            os.replace(tmp, kept)
            raise NotReplaced(path, kept, e) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return outcome


class NotReplaced(XlcreditsError):
    """The new file was written and checked but could not take the old one's place."""

    def __init__(self, path: Path, kept: Path, error: OSError):
        self.path, self.kept = path, kept
        super().__init__(f"could not replace it ({error.strerror}); the original is "
                         f"untouched and the new workbook is {kept}")


def write_file(path: Path, data: bytes) -> None:
    """Write a generated file that is not a workbook (a calendar, a CSV) atomically: a
    temporary file in the same folder, then a replace. It is made from the workbooks,
    which stay the source, so the previous one is replaced without a backup."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if path.exists():
            shutil.copymode(path, tmp)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_workbook(wb: Workbook, path: Path) -> str:
    """Save atomically, creating the folder; back up an existing file whose content differs.

    Returns "written", "unchanged" (the file already says the same: left as it is), or
    the path of the backup made of the old file.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return write_atomically(wb, path)


def save_text(text: str, path: Path, encoding: str = "utf-8-sig") -> str:
    """Write a text file (a CSV) atomically, as :func:`save_workbook` does a workbook:
    "written", "unchanged", or the path of the backup kept of different old content."""
    path = Path(path)
    data = text.encode(encoding)
    if path.exists() and path.read_bytes() == data:
        return "unchanged"
    fd, tmp = _temporary(path, ".tmp")
    outcome = "written"
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        if path.exists():
            outcome = str(backup_path(path))
            shutil.copy2(path, outcome)
            shutil.copymode(path, tmp)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return outcome


def find_workbooks(paths) -> list[Path]:
    """The .xlsx files among ``paths``, folders searched recursively; temporary files,
    Excel lock files and backups are left out."""
    found = []
    for p in map(Path, paths):
        candidates = sorted(p.rglob("*.xlsx")) if p.is_dir() else [p]
        for c in candidates:
            if c.name.startswith((".", "~$")) or BACKUP.fullmatch(c.name):
                continue
            found.append(c)
    return found


def safe_filename(name: str) -> str:
    """A file name from any text: no path separators or traversal, no reserved device names.

    >>> safe_filename("../../etc/passwd"), safe_filename("CON"), safe_filename("EMEA / Sales")
    ('etc_passwd', '_CON', 'EMEA _ Sales')
    """
    clean = re.sub(r"[^\w .-]", "_", str(name), flags=re.ASCII)
    clean = re.sub(r"_+", "_", clean).strip(" ._")[:100] or "_"
    return f"_{clean}" if clean.split(".")[0].upper() in RESERVED else clean
