"""Writing workbooks safely: a temporary file in the same folder, then an atomic replace.

An existing file whose content differs from what is about to be written (a
user typed into it) is first copied to a timestamped backup beside it.
"""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import tempfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook


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


def save_workbook(wb: Workbook, path: Path) -> str:
    """Save atomically; back up an existing file whose content differs.

    Returns what happened: "written" (a new file), "unchanged" (the file already
    says the same: it is left as it is), or the path of the backup made of the old file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp.xlsx", dir=path.parent)
    os.close(fd)
    outcome = "written"
    try:
        write_workbook(wb, tmp)
        if path.exists():
            if content_digest(path) == content_digest(tmp):
                return "unchanged"
            outcome = str(backup_path(path))
            shutil.copy2(path, outcome)
        if path.exists():
            shutil.copymode(path, tmp)
        else:  # mkstemp makes the file private; a new workbook gets the usual mode
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return outcome
