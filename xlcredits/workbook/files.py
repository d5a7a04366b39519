"""Files: the one place that writes a workbook, names a backup or finds workbooks.

Every write goes to a temporary file in the same folder, which may be checked, and then
replaces the target atomically (:func:`write_atomically`). An existing file whose content
differs from what is about to be written (a user typed into it) is first copied to a
timestamped backup (:func:`backup_path`).
"""

from __future__ import annotations

import errno
import hashlib
import io
import math
import os
import re
import shutil
import stat
import tempfile
import unicodedata
import zipfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from ..errors import XlcreditsError

__all__ = [
    "TEMP_SUFFIX",
    "Changed",
    "NotReplaced",
    "WriteFailed",
    "backup_path",
    "find_workbooks",
    "fingerprint",
    "lock_file",
    "read_only",
    "safe_filename",
    "same_content",
    "save_bytes",
    "save_workbook",
    "workbook_bytes",
    "write_atomically",
    "write_workbook",
]

TEMP_SUFFIX = ".tmp.xlsx"
BACKUP = re.compile(r".+\.\d{8}-\d{6}(-\d+)?\.bak\.xlsx$")
# Windows' device names, superscript digits too (as Python 3.13's ntpath.isreserved)
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{d}{i}" for d in ("COM", "LPT")
                                         for i in "123456789\u00b9\u00b2\u00b3")}
NAME_CHARS, NAME_BYTES = 100, 200  # a name's letters and UTF-8 bytes at most (file systems
# take 255 bytes; a backup's name adds 28, Excel's and LibreOffice's lock files up to 18)


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


SAVED_AT = "docProps/core.xml"  # when a workbook was saved: the one part two saves differ in


# Office's sensitivity label part (MS-OFFCRYPTO 2.6.2, MS-OI29500 3.4.1.5), which openpyxl
# neither reads nor writes
LABEL_PART = "docMetadata/LabelInfo.xml"
LABEL_TYPE = "http://schemas.microsoft.com/office/2020/02/relationships/classificationlabels"
LABEL_CONTENT = "application/vnd.ms-office.classificationlabels+xml"
# the custom document properties part (ECMA-376 Part 1, 15.2.12.2), carried as written:
# openpyxl reads six of its value types, and some of those not exactly
CUSTOM_PART = "docProps/custom.xml"
CUSTOM_TYPE = ("http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
               "custom-properties")
CUSTOM_CONTENT = "application/vnd.openxmlformats-officedocument.custom-properties+xml"


def workbook_bytes(wb: Workbook, label: bytes | None = None, custom: bytes | None = None
                   ) -> bytes:
    """The xlsx file ``wb`` saves to (exact numbers, as :func:`write_workbook`), with
    ``label`` as its sensitivity label part and ``custom`` as its custom properties part,
    if given. openpyxl writes each sheet through the system's temporary folder: a refusal
    there raises :class:`WriteFailed` naming that folder."""
    buffer = io.BytesIO()
    try:
        with exact_numbers():
            wb.save(buffer)
    except OSError as e:
        raise WriteFailed(_reason(e, Path(tempfile.gettempdir()))) from None
    parts = [(name, content, kind, rid, data) for name, content, kind, rid, data in (
        (CUSTOM_PART, CUSTOM_CONTENT, CUSTOM_TYPE, "rIdCustomProperties", custom),
        (LABEL_PART, LABEL_CONTENT, LABEL_TYPE, "rIdLabelInfo", label)) if data is not None]
    return _with_parts(buffer.getvalue(), parts) if parts else buffer.getvalue()


def _with_parts(data: bytes, parts) -> bytes:
    """The package with each of ``parts`` (name, content type, relationship type, Id,
    bytes), its relationship from the package and its content type, as Office writes them;
    a part of that name openpyxl wrote is replaced."""
    names = {name for name, *_ in parts}
    types = "".join(f'<Override PartName="/{name}" ContentType="{content}"/>'
                    for name, content, *_ in parts)
    rels = "".join(f'<Relationship Id="{rid}" Type="{kind}" Target="{name}"/>'
                   for name, _, kind, rid, _ in parts)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            if item.filename in names:
                continue
            part = src.read(item)
            if item.filename == "[Content_Types].xml":
                part = re.sub(rb'<Override PartName="/(?:%s)"[^>]*/>' % b"|".join(
                    re.escape(n.encode()) for n in names), b"", part)
                part = part.replace(b"</Types>", f"{types}</Types>".encode())
            elif item.filename == "_rels/.rels":
                part = re.sub(rb'<Relationship [^>]*Target="/?(?:%s)"[^>]*/>' % b"|".join(
                    re.escape(n.encode()) for n in names), b"", part)
                part = part.replace(b"</Relationships>", f"{rels}</Relationships>".encode())
            dst.writestr(item, part)
        for name, *_, content in parts:
            dst.writestr(zipfile.ZipInfo(name, date_time=src.infolist()[0].date_time),
                         content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def same_content(a, b) -> bool:
    """Whether two xlsx files (paths or bytes) hold the same parts with the same bytes, but
    for when they were saved. xlcredits writes the same workbook to the same bytes, so a
    workbook is what the current template makes of its entries exactly when this holds;
    any difference (a typed value, a width, a format, a newer template) is a change."""
    try:
        with _zip(a) as one, _zip(b) as other:
            first = sorted((i.filename, i.file_size) for i in one.infolist()
                           if i.filename != SAVED_AT)
            second = sorted((i.filename, i.file_size) for i in other.infolist()
                            if i.filename != SAVED_AT)
            names = [name for name, _ in first]
            if first != second or len(set(names)) != len(names):  # a name twice: which?
                return False
            return all(_same_part(one, other, name) for name in names)
    except Exception:  # noqa: BLE001 -- damaged, truncated, an unknown compression: not the same
        return False


def _same_part(one: zipfile.ZipFile, other: zipfile.ZipFile, name: str) -> bool:
    """Compared a chunk at a time: a whole read decompresses all at once (a part that
    declares 200 bytes may hold 2 GB) and a chunk's read only as much as asked."""
    with one.open(name) as x, other.open(name) as y:
        while True:
            chunk = x.read(CHUNK)
            if chunk != y.read(CHUNK):
                return False
            if not chunk:
                return True


CHUNK = 1 << 16  # bytes of a part compared at a time


def _zip(source) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)


def backup_path(path: Path, folder: Path | None = None) -> Path:
    """A new name for a backup of ``path``: NAME.YYYYMMDD-HHMMSS.bak.xlsx, in ``folder``
    (default: beside the file), never one that exists already."""
    folder = Path(folder) if folder else path.parent
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target, n = folder / f"{path.stem}.{stamp}.bak{path.suffix}", 1
    while target.exists():
        n += 1
        target = folder / f"{path.stem}.{stamp}-{n}.bak{path.suffix}"
    return target


def fingerprint(path: Path) -> tuple[int, int, str]:
    """What tells whether a file changed: size, modification time and a hash of its bytes."""
    st = os.stat(path)
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return st.st_size, st.st_mtime_ns, digest


def lock_file(path: Path) -> Path | None:
    """The lock file a spreadsheet program keeps beside a workbook it has open, if any:
    Excel's ``~$NAME.xlsx`` (for long names ``~$`` replaces the first two characters)
    or LibreOffice's ``.~lock.NAME.xlsx#``."""
    path = Path(path)
    names = [f"~${path.name}", f".~lock.{path.name}#"]
    if len(path.stem) > 2:
        names.append(f"~${path.name[2:]}")
    for name in names:
        candidate = path.with_name(name)
        if candidate.exists():
            return candidate
    return None


def read_only(path: Path) -> bool:
    """The file is marked read-only (no write permission for its owner, or for us)."""
    return not (os.stat(path).st_mode & stat.S_IWUSR) or not os.access(path, os.W_OK)


def _reason(error: OSError, folder: Path) -> str:
    """An operating system's refusal to write, as one line naming the folder."""
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "read-only file system" if error.errno == errno.EROFS else "permission denied"
        return f"cannot write in {folder}: {why}"
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot write in {folder}: no space left on the device"
    return f"cannot write in {folder}: {error.strerror or error}"


class Changed(XlcreditsError):
    """The file changed (a user saved it) between reading it and replacing it."""


class WriteFailed(XlcreditsError):
    """The file system refused a write; the message names the folder and why."""


def write_atomically(wb: Workbook | bytes, path: Path, *, check=None, backup: str = "if changed",
                     backup_dir: Path | None = None, expect=None) -> str:
    """Write ``wb`` (a workbook, or the bytes of one: :func:`workbook_bytes`) to ``path``
    through a temporary file in the same folder.

    ``check(tmp)``, if given, inspects the written temporary file and returns None or the
    reason it must not replace ``path`` (raised as :class:`XlcreditsError`).
    ``backup``: "if changed" backs an existing file up only when its content differs (and
    leaves an identical one alone: "unchanged"); "always" backs it up in any case.
    ``expect``: the :func:`fingerprint` the existing file had when it was read; if it
    differs just before the replace, nothing is replaced (:class:`Changed`).
    A symbolic link stays a link: the file it points to is replaced. A write the file
    system refuses raises :class:`WriteFailed` naming the folder.
    Returns "written" (a new file), "unchanged", or the path of the backup made. No
    temporary file outlives the call (a killed run leaves ``.NAME.*.tmp.xlsx``, which
    :func:`find_workbooks` ignores); the original is untouched unless replaced.
    """
    link, path = Path(path), Path(path).resolve() if Path(path).is_symlink() else Path(path)
    if path.is_dir():
        raise WriteFailed(f"{link} is a folder; rename or move it, or write elsewhere")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=TEMP_SUFFIX,
                                   dir=path.parent)
    except OSError as e:
        raise WriteFailed(_reason(e, path.parent)) from None
    os.close(fd)
    outcome, made = "written", None
    try:
        try:  # made in memory first: a full disk fails in one plain write, cleanly
            _write_file(Path(tmp), wb if isinstance(wb, bytes) else workbook_bytes(wb))
        except OSError as e:
            raise WriteFailed(_reason(e, path.parent)) from None
        problem = check(Path(tmp)) if check else None
        if problem:
            raise XlcreditsError(problem)
        if path.exists():
            if backup == "if changed" and same_content(path, tmp):
                return "unchanged"
            if expect is not None and fingerprint(path) != expect:
                raise Changed("changed while regenerating; run again")
            made = _copy_atomically(path, backup_path(link, backup_dir))
            outcome = str(made)
            shutil.copymode(path, tmp)
        else:  # mkstemp makes the file private; a new workbook gets the usual mode
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        if expect is not None and fingerprint(path) != expect:
            os.unlink(made)
            raise Changed("changed while regenerating; run again")
        try:
            os.replace(tmp, path)
        except OSError as e:
            kept = path.with_name(f"{path.stem}.regenerated{path.suffix}")
            try:
                os.replace(tmp, kept)
            except OSError:
                raise WriteFailed(_reason(e, path.parent)) from None
            raise NotReplaced(path, kept, e) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return outcome


def _write_file(path: Path, data: bytes) -> None:
    """Write the bytes and wait until the disk has them (a replace never goes first)."""
    with open(path, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _copy_atomically(source: Path, target: Path) -> Path:
    """Copy a file through a temporary file in the target's folder: a backup is whole or
    absent, never 0 bytes."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=TEMP_SUFFIX,
                                   dir=target.parent)
    except OSError as e:
        raise WriteFailed(_reason(e, target.parent)) from None
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        shutil.copystat(source, tmp)
        os.replace(tmp, target)
    except OSError as e:
        raise WriteFailed(_reason(e, target.parent)) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


class NotReplaced(XlcreditsError):
    """The new file was written and checked but could not take the old one's place."""

    def __init__(self, path: Path, kept: Path, error: OSError):
        self.path, self.kept = path, kept
        super().__init__(f"could not replace it ({error.strerror}); the original is "
                         f"untouched and the new workbook is {kept}")


def save_workbook(wb: Workbook, path: Path) -> str:
    """Save atomically, creating the folder; back up an existing file whose content differs.

    Returns "written", "unchanged" (the file already says the same: left as it is), or
    the path of the backup made of the old file.
    """
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise WriteFailed(_reason(e, Path(path).parent)) from None
    return write_atomically(wb, path)


def save_bytes(data: bytes, path: Path) -> None:
    """Write a non-workbook file (a CSV beside a report) atomically."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise WriteFailed(_reason(e, path.parent)) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as e:
        raise WriteFailed(_reason(e, path.parent)) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def find_workbooks(paths) -> list[Path]:
    """The .xlsx files among ``paths``, folders searched recursively, each file once
    however many paths lead to it; temporary files (``.NAME.*.tmp.xlsx``), lock files
    and backups by xlcredits' own naming (``NAME.YYYYMMDD-HHMMSS.bak.xlsx``) are left out."""
    found, seen = [], set()
    for p in map(Path, paths):
        candidates = sorted(p.rglob("*.xlsx")) if p.is_dir() else [p]
        for c in candidates:
            if c.name.startswith((".", "~$")) or BACKUP.fullmatch(c.name):
                continue
            real = os.path.realpath(c)
            try:  # a hard link, or another spelling on a case-blind disk: the same file
                st = os.stat(c)
                real = (st.st_dev, st.st_ino) if st.st_ino else real
            except OSError:
                pass
            if real not in seen:  # the same file by two paths (or twice) is one file
                seen.add(real)
                found.append(c)
    return found


def safe_filename(name: str) -> str:
    """A file name from any text: letters of any script, digits, spaces, dots and hyphens
    (composed, NFC); no path separators or traversal, no reserved device names.

    >>> safe_filename("../../etc/passwd"), safe_filename("CON"), safe_filename("EMEA / Sales")
    ('etc_passwd', '_CON', 'EMEA _ Sales')
    >>> safe_filename("Zoe\u0308 M\u00fcller"), safe_filename("a\u202eb")
    ('Zoë Müller', 'a_b')
    >>> safe_filename("Ops.20260101-101010.bak")  # not taken for one of xlcredits' backups
    'Ops.20260101-101010.bak_'
    """
    text = unicodedata.normalize("NFC", str(name))
    clean = "".join(c if c in " .-" or unicodedata.category(c)[0] in "LMN" else "_"
                    for c in text)  # letters with their marks (नमस्ते), numbers
    clean = _cut(re.sub(r"_+", "_", clean).strip(" ._")).strip(" ._") or "_"
    if BACKUP.match(f"{clean}.xlsx"):  # report and regenerate would skip it as a backup
        clean += "_"
    return f"_{clean}" if clean.split(".")[0].rstrip(" ").upper() in RESERVED else clean


def _cut(text: str) -> str:
    """At most NAME_CHARS letters and NAME_BYTES bytes, a letter never parted from its
    marks."""
    end = min(len(text), NAME_CHARS)
    while len(text[:end].encode()) > NAME_BYTES:
        end -= 1
    while 0 < end < len(text) and unicodedata.category(text[end])[0] == "M":
        end -= 1
    return text[:end]
