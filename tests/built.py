"""Workbooks built once per test run: many tests start from the same entries (the example
register), and building and saving its 500-row register costs 0.2 s each time. The bytes
are those files.workbook_bytes makes, so a test gets exactly the file xlcredits writes."""

from pathlib import Path

from xlcredits.workbook.build import build
from xlcredits.workbook.entries import Entries
from xlcredits.workbook.files import workbook_bytes

_made: dict[str, bytes] = {}


def workbook_file(entries: Entries, path: Path) -> Path:
    """``path`` holding the workbook built from ``entries`` (made once per distinct entries)."""
    key = repr(entries)
    if key not in _made:
        _made[key] = workbook_bytes(build(entries))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_made[key])
    return path
