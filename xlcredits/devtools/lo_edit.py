#!/usr/bin/env python3
"""Edit an .xlsx in LibreOffice Calc headless, as a user would, and save it as .xlsx.

Dev tooling for the tests (brought from research/lo, see its NOTES.md for what LibreOffice
changes when it saves); the product never imports it.

Two halves in one file:

* the **caller** half (any Python, e.g. the project's pyenv 3.11, no UNO needed):
  ``edit(src, dst, edits)`` and ``edit_many(jobs)`` run the worker half in a
  subprocess under a Python that has the ``uno`` module (Debian's
  ``/usr/bin/python3`` with the ``python3-uno`` package, or ``$LO_EDIT_PYTHON``),
  in its own process group, with a hard timeout after which the whole group
  (worker, oosplash, soffice.bin) is SIGKILLed;
* the **worker** half (``python3 lo_edit.py IN OUT EDITS.json`` or
  ``python3 lo_edit.py --batch JOBS.json``): starts ``soffice --headless`` on a
  private throw-away profile, listening on a uniquely named pipe, connects over
  UNO, for each job loads the workbook, applies the edits, saves it with the
  "Calc MS Excel 2007 XML" filter, closes it, then terminates soffice. A
  watchdog thread kills soffice (and, after a grace period, the worker) if the
  deadline passes, so a stuck dialog or a crashed office never hangs a test.

Edits (JSON list; rows are 1-based like Excel, cells in A1 notation; every edit
takes an optional "sheet", defaulting to the job's "sheet" or the active sheet):

  {"op": "set",     "cell": "F2", "value": 123}          number -> setValue
  {"op": "set",     "cell": "A14", "value": "NEW-1"}     text   -> setString
  {"op": "date",    "cell": "H14", "value": "2026-05-01", "format": "YYYY-MM-DD"}
                     value may be an ISO date or a serial; format optional (kept
                     if the cell already has a date format, else YYYY-MM-DD)
  {"op": "type",    "cell": "F14", "text": "2026-05-01"} user input, parsed
                     like typing (numbers, dates, =formulas), en-US
  {"op": "formula", "cell": "O14", "formula": "=F14-G14"}
  {"op": "clear",   "cell": "N2"}  (or "range"; like the Delete key: values,
                     text, dates, formulas; "what": [...] for other flags)
  {"op": "delete_rows", "row": 5, "count": 1}
  {"op": "insert_rows", "row": 5, "count": 1}
  {"op": "sort", "range": "A1:U13", "column": "F", "ascending": false,
                 "header": true}    column: a letter, or a 1-based number within
                                     the range; Data > Sort with one key
  {"op": "comment",   "cell": "A2", "text": "...", "author": "..."}  Insert >
                     Comment via the dispatcher; author defaults to --author
  {"op": "hyperlink", "cell": "N2", "text": "...", "url": "https://..."}
  {"op": "recalc"}                                      hard recalc (Ctrl+Shift+F9)

An empty list saves the workbook with no edit at all.

Job-level options: "sheet" (default sheet); "password" (default ""); "hidden"
(load hidden: loses frozen panes, see NOTES.md); "protection":
  "reprotect" (default) unprotect each protected sheet an edit touches (Tools >
              Protect Sheet, no password), re-protect it after the edits; the
              allowed-actions flags (sort, autoFilter, ...) survive;
  "unprotect" the same, but leave the sheet unprotected;
  "as_user"   do not unprotect; refuse, as the GUI does, edits of locked cells
              and row insert/delete/sort on a protected sheet (PermissionError);
  "leave"     raw UNO API on the protected sheet: it writes locked cells,
              silently skips a sort, and throws on row insert/delete; a comment
              on a locked cell is refused by the dispatcher (reported as an
              error). See NOTES.md.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

FILTER = "Calc MS Excel 2007 XML"
DEFAULT_TIMEOUT = 180  # seconds for a whole worker run (all jobs)
PROTECTION_POLICIES = ("reprotect", "unprotect", "as_user", "leave")
UNO_PYTHON_CANDIDATES = ("/usr/bin/python3", "/usr/local/bin/python3")


# --------------------------------------------------------------------------- caller half

class LoEditError(RuntimeError):
    """The worker failed, timed out, or reported an error; .report has its JSON if any."""

    def __init__(self, message: str, report: dict | None = None, stderr: str = ""):
        super().__init__(message)
        self.report = report
        self.stderr = stderr


def uno_python() -> str | None:
    """A Python interpreter that can ``import uno`` (cached), or None."""
    global _UNO_PY
    try:
        return _UNO_PY
    except NameError:
        pass
    found = None
    candidates = [os.environ.get("LO_EDIT_PYTHON")] + list(UNO_PYTHON_CANDIDATES)
    for cand in filter(None, candidates):
        if Path(cand).exists() and subprocess.run(
                [cand, "-c", "import uno"], capture_output=True, timeout=60, check=False).returncode == 0:
            found = cand
            break
    _UNO_PY = found
    return found


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    return bool(soffice() and uno_python())


def edit_many(jobs: list[dict], timeout: float = DEFAULT_TIMEOUT, author: str = "lo_edit",
              check: bool = True) -> dict:
    """Run several jobs ({"input", "output", "edits", ...}) in ONE soffice session.

    Returns the worker's JSON report: {"ok", "jobs": [{"ok", "output", "results",
    "protection", "seconds"} or {"ok": False, "error"}], "timings"}. A failing job
    does not stop the others. Raises LoEditError if soffice could not be run or
    timed out, and (check=True) if any job failed.
    """
    py = uno_python()
    if not py:
        raise LoEditError("no Python with the uno module: apt-get install python3-uno")
    jobs = [dict(j, input=str(Path(j["input"]).resolve()),
                 output=str(Path(j.get("output") or j["input"]).resolve())) for j in jobs]
    with tempfile.TemporaryDirectory(prefix="lo_edit-") as work:
        jobfile = Path(work) / "jobs.json"
        jobfile.write_text(json.dumps(jobs), "utf-8")
        cmd = [py, str(Path(__file__).resolve()), "--batch", str(jobfile),
               "--workdir", work, "--timeout", str(timeout), "--author", author]
        # Own process group: soffice stays in it, so one killpg ends everything.
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True,
                                env={k: v for k, v in os.environ.items()
                                     if not k.startswith("PYTHON")})
        try:
            out, err = proc.communicate(timeout=timeout + 30)
        except subprocess.TimeoutExpired:
            _killpg(proc.pid)
            out, err = proc.communicate()
            raise LoEditError(f"lo_edit worker hung past {timeout + 30}s and was killed",
                              stderr=err) from None
        finally:
            if proc.poll() is None:
                _killpg(proc.pid)
                proc.wait()
        _killpg(proc.pid)  # stray soffice children of a worker that died, if any
    try:
        report = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        report = None
    fatal = (not report or proc.returncode not in (0, 2)
             or "startup" not in report.get("timings", {}))
    if fatal or (check and not report.get("ok")):
        msg = (report or {}).get("error") or f"exit {proc.returncode}"
        raise LoEditError(f"lo_edit failed: {msg}\n{err.strip()[-2000:]}", report, err)
    return report


def edit(src, dst, edits: list[dict], timeout: float = DEFAULT_TIMEOUT, **job) -> dict:
    """Open ``src`` in LibreOffice, apply ``edits``, save as xlsx to ``dst`` (may equal src).

    Extra keyword arguments go into the job ("sheet", "protection", "password").
    Returns the job's report.
    """
    report = edit_many([dict(job, input=str(src), output=str(dst), edits=edits)], timeout)
    return dict(report["jobs"][0], timings=report["timings"])


def _killpg(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


# --------------------------------------------------------------------------- worker half

PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.UserProfile/Data"><prop oor:name="givenname" oor:op="fuse"><value>{author}</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooLocale" oor:op="fuse"><value>en-US</value></prop></item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>en-US</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Syntax"><prop oor:name="Grammar" oor:op="fuse"><value>1</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Syntax"><prop oor:name="EnglishFunctionName" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Syntax"><prop oor:name="SeparatorArg" oor:op="fuse"><value>,</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Syntax"><prop oor:name="SeparatorArrayCol" oor:op="fuse"><value>,</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Syntax"><prop oor:name="SeparatorArrayRow" oor:op="fuse"><value>;</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Save/Document"><prop oor:name="WarnAlienFormat" oor:op="fuse"><value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
</oor:items>
"""


def _log(msg: str) -> None:
    print(f"[lo_edit {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def _group_members() -> list[int]:
    """Other processes in this worker's process group (soffice, oosplash...)."""
    me, pg = os.getpid(), os.getpgrp()
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit() and int(d) != me:
            try:
                if os.getpgid(int(d)) == pg:
                    pids.append(int(d))
            except (ProcessLookupError, PermissionError):
                pass
    return pids


def _kill_office(sig=signal.SIGKILL) -> None:
    for pid in _group_members():
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


_PROFILE_URL: list[str] = []  # the profile of this worker's soffice, once chosen


def _single_office_pipe(profile_url: str) -> str:
    """soffice's per-profile single-instance pipe: SingleOfficeIPC_ + the MD5 of the
    profile URL's UTF-16 code units, each byte in unpadded hex
    (desktop/source/app/officeipcthread.cxx, CreateMD5FromString)."""
    import hashlib
    digest = hashlib.md5(profile_url.encode("utf-16-le")).digest()
    return "SingleOfficeIPC_" + "".join(format(b, "x") for b in digest)


def _remove_pipes() -> None:
    """A killed soffice leaves its socket files, /tmp/OSL_PIPE_<uid>_<name>: our
    --accept pipe (its name carries this worker's pid) and the profile's
    SingleOfficeIPC pipe. Only those two names: other offices' pipes stay."""
    names = [f"OSL_PIPE_*_lo_edit_{os.getpid()}_*"]
    names += [f"OSL_PIPE_{os.getuid()}_{_single_office_pipe(u)}" for u in _PROFILE_URL]
    for d in {"/tmp", tempfile.gettempdir()}:
        for pattern in names:
            for f in Path(d).glob(pattern):
                try:
                    f.unlink()
                except OSError:
                    pass


class Office:
    """A private headless soffice, connected over a named pipe."""

    def __init__(self, workdir: Path, deadline: float, author: str):
        import uno  # noqa: F401  (fail early, with a clear message)
        self.deadline, self.author = deadline, author
        self.profile = workdir / "profile"
        (self.profile / "user").mkdir(parents=True, exist_ok=True)
        _PROFILE_URL.append(self.profile.as_uri())
        (self.profile / "user" / "registrymodifications.xcu").write_text(
            PROFILE_XCU.format(author=xml_escape(author)), "utf-8")
        self.pipe = f"lo_edit_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        exe = soffice()
        if not exe:
            raise RuntimeError("soffice not found: apt-get install libreoffice-calc")
        self.log = open(workdir / "soffice.log", "w+")  # noqa: SIM115 -- open for the session
        self.proc = subprocess.Popen(
            [exe, f"-env:UserInstallation={self.profile.as_uri()}", "--headless",
             "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
             f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
        self.ctx = self._connect()
        smgr = self.ctx.ServiceManager
        self.desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", self.ctx)

    def _connect(self):
        import uno
        from com.sun.star.connection import NoConnectException
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local)
        url = f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext"
        while True:
            try:
                return resolver.resolve(url)
            except NoConnectException:
                if self.proc.poll() is not None and not _group_members():
                    self.log.seek(0)
                    raise RuntimeError(f"soffice exited ({self.proc.returncode}) before "
                                       f"accepting: {self.log.read()[-1000:]}")
                if time.monotonic() > self.deadline:
                    raise TimeoutError("soffice did not accept a connection in time")
                time.sleep(0.1)

    def close(self) -> None:
        """Terminate soffice cleanly; kill it if it does not go."""
        try:
            self.desktop.terminate()
        except Exception as exc:  # noqa: BLE001  # the bridge often dies under our feet: expected
            if type(exc).__name__ not in ("DisposedException", "RuntimeException"):
                _log(f"terminate: {type(exc).__name__}: {exc}")
        try:
            self.proc.wait(timeout=max(1.0, min(30.0, self.deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            _log("soffice did not exit after terminate(): killing it")
        end = time.monotonic() + 10
        while _group_members() and time.monotonic() < end:  # soffice.bin after oosplash
            time.sleep(0.1)
        if _group_members():
            _kill_office()
        self.log.close()
        _remove_pipes()


def _props(**kw):
    from com.sun.star.beans import PropertyValue
    out = []
    for k, v in kw.items():
        p = PropertyValue()
        p.Name, p.Value = k, v
        out.append(p)
    return tuple(out)


def _col_index(col) -> int:
    """'A' -> 0, 'U' -> 20, 3 -> 2 (1-based int), for sort columns."""
    if isinstance(col, int):
        return col - 1
    n = 0
    for ch in col.strip().upper():
        n = n * 26 + (ord(ch) - 64)
    return n - 1


class Job:
    def __init__(self, office: Office, spec: dict):
        self.office, self.spec = office, spec
        self.doc = None
        self.unprotected: dict[str, bool] = {}

    # -- helpers
    def sheet(self, edit: dict):
        name = edit.get("sheet") or self.spec.get("sheet")
        sheets = self.doc.Sheets
        if name and not sheets.hasByName(name):
            raise ValueError(f"no sheet {name!r}; sheets: {list(sheets.ElementNames)}")
        sh = sheets.getByName(name) if name else self.doc.CurrentController.ActiveSheet
        policy = self.spec.get("protection", "reprotect")
        if policy not in PROTECTION_POLICIES:
            raise ValueError(f"protection must be one of {PROTECTION_POLICIES}")
        if policy in ("reprotect", "unprotect") and sh.isProtected():
            sh.unprotect(self.spec.get("password", ""))
            if sh.isProtected():
                raise RuntimeError(f"could not unprotect {sh.Name!r}: wrong password?")
            self.unprotected.setdefault(sh.Name, True)
        elif policy == "as_user" and sh.isProtected():
            self.check_user_may(sh, edit)
        return sh

    STRUCTURAL = ("insert_rows", "delete_rows", "sort")

    def check_user_may(self, sh, edit: dict) -> None:
        """What the GUI refuses on a protected sheet ("Protected cells can not be
        modified."), which the UNO API itself does not always refuse: it writes
        locked cells, silently skips a sort, throws on row insert/delete."""
        op = edit["op"]
        if op in self.STRUCTURAL:
            raise PermissionError(f"{op} on protected sheet {sh.Name!r}: a user must "
                                  f"unprotect it first")
        ref = edit.get("range") or edit.get("cell")
        if not ref:
            return
        rng = sh.getCellRangeByName(ref)
        a = rng.RangeAddress
        for r in range(a.EndRow - a.StartRow + 1):
            for c in range(a.EndColumn - a.StartColumn + 1):
                if rng.getCellByPosition(c, r).CellProtection.IsLocked:
                    raise PermissionError(f"{op} on locked cell(s) {ref} of protected "
                                          f"sheet {sh.Name!r}: Protected cells can not "
                                          f"be modified.")

    def number_format(self, code: str) -> int:
        from com.sun.star.lang import Locale
        # The empty locale = the document's default (en-US here): no [$-409] prefix.
        formats, loc = self.doc.NumberFormats, Locale("", "", "")
        key = formats.queryKey(code, loc, False)
        return key if key != -1 else formats.addNew(code, loc)

    def serial(self, value) -> float:
        if isinstance(value, (int, float)):
            return float(value)
        d = _dt.date.fromisoformat(value)
        nd = self.doc.NullDate
        return float((d - _dt.date(nd.Year, nd.Month, nd.Day)).days)

    # -- the edits
    def op_set(self, sh, e):
        cell, v = sh.getCellRangeByName(e["cell"]), e.get("value")
        if v is None:
            cell.setString("")
        elif isinstance(v, bool) or not isinstance(v, (int, float)):
            cell.setString(str(v))
        else:
            cell.setValue(float(v))
        if e.get("format"):
            cell.NumberFormat = self.number_format(e["format"])

    def op_date(self, sh, e):
        from com.sun.star.util.NumberFormat import DATE
        cell = sh.getCellRangeByName(e["cell"])
        cell.setValue(self.serial(e["value"]))
        fmt = e.get("format")
        if not fmt:
            current = self.doc.NumberFormats.getByKey(cell.NumberFormat)
            if current.Type & DATE:
                return
            fmt = "YYYY-MM-DD"
        cell.NumberFormat = self.number_format(fmt)

    def op_type(self, sh, e):
        # FormulaLocal = what the input line does with typed text: numbers, dates,
        # percentages and =formulas are recognised (en-US, Excel A1 syntax with ","
        # as set in the profile); a Text-formatted cell keeps it as text.
        sh.getCellRangeByName(e["cell"]).FormulaLocal = e["text"]

    def op_formula(self, sh, e):
        f = e["formula"]
        cell = sh.getCellRangeByName(e["cell"])
        cell.FormulaLocal = f if f.startswith("=") else "=" + f
        if cell.Type.value != "FORMULA":
            raise ValueError(f"{e['cell']} did not take a formula (it is Text-formatted: "
                             f"LibreOffice, like Excel, keeps what is typed as text)")

    CLEAR_FLAGS = {"value": 1, "datetime": 2, "string": 4, "annotation": 8, "formula": 16,  # noqa: RUF012
                   "hardattr": 32, "styles": 64, "objects": 128, "editattr": 256,
                   "formatted": 512}

    def op_clear(self, sh, e):
        what = e.get("what", ["value", "datetime", "string", "formula"])  # = Delete key
        flags = 1023 if what == "all" else sum(self.CLEAR_FLAGS[w] for w in what)
        sh.getCellRangeByName(e.get("range") or e["cell"]).clearContents(flags)

    def op_delete_rows(self, sh, e):
        sh.Rows.removeByIndex(int(e["row"]) - 1, int(e.get("count", 1)))

    def op_insert_rows(self, sh, e):
        sh.Rows.insertByIndex(int(e["row"]) - 1, int(e.get("count", 1)))

    def op_sort(self, sh, e):
        import uno
        from com.sun.star.table import TableSortField
        rng = sh.getCellRangeByName(e["range"])
        start_col = rng.RangeAddress.StartColumn
        field = TableSortField()
        field.Field = _col_index(e["column"]) - (start_col if isinstance(e["column"], str) else 0)
        field.IsAscending = bool(e.get("ascending", True))
        field.IsCaseSensitive = False
        desc = list(rng.createSortDescriptor())
        for p in desc:
            if p.Name == "SortFields":
                p.Value = uno.Any("[]com.sun.star.table.TableSortField", (field,))
            elif p.Name == "ContainsHeader":
                p.Value = bool(e.get("header", True))
        uno.invoke(rng, "sort", (tuple(desc),))

    def op_comment(self, sh, e):
        """Insert > Comment: through the dispatcher (as the menu does), so the comment
        gets an author, the way the GUI takes it from Tools > Options > User Data.
        (XSheetAnnotations.insertNew leaves the author empty and is the fallback for
        a document loaded hidden, which has no frame to dispatch to.)"""
        cell = sh.getCellRangeByName(e["cell"])
        ctrl = self.doc.CurrentController
        if ctrl is not None and ctrl.Frame is not None:
            ctrl.setActiveSheet(sh)
            ctrl.select(cell)
            helper = self.office.ctx.ServiceManager.createInstanceWithContext(
                "com.sun.star.frame.DispatchHelper", self.office.ctx)
            helper.executeDispatch(ctrl.Frame, ".uno:InsertAnnotation", "", 0,
                                   _props(Text=e["text"], Author=e.get("author", self.office.author)))
        else:
            sh.Annotations.insertNew(cell.CellAddress, e["text"])
        if cell.Annotation.String != e["text"]:
            raise RuntimeError(f"comment not inserted in {e['cell']} (locked cell of a "
                               f"protected sheet?)")
        if e.get("visible"):
            cell.Annotation.IsVisible = True

    def op_hyperlink(self, sh, e):
        cell = sh.getCellRangeByName(e["cell"])
        cell.setString("")  # Insert > Hyperlink on a selected cell replaces its content
        field = self.doc.createInstance("com.sun.star.text.TextField.URL")
        field.URL = e["url"]
        field.Representation = e.get("text", e["url"])
        text = cell.getText()
        text.insertTextContent(text.createTextCursor(), field, False)

    def op_recalc(self, sh, e):
        self.doc.calculateAll()

    def op__sleep(self, sh, e):  # for testing the watchdog only
        time.sleep(float(e.get("seconds", 1)))

    # -- run
    def run(self) -> dict:
        import uno
        spec = self.spec
        src, dst = Path(spec["input"]), Path(spec.get("output") or spec["input"])
        if dst.is_dir():
            dst = dst / src.name
        t0 = time.monotonic()
        self.doc = self.office.desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(str(src)), "_blank", 0,
            # Hidden=True would be natural, but a document loaded hidden has no view,
            # and the saved xlsx then loses the frozen panes (<pane state="frozen">)
            # and selections. --headless already shows no window.
            _props(Hidden=bool(spec.get("hidden", False))))
        if self.doc is None:
            raise RuntimeError(f"LibreOffice could not load {src}")
        t_load = time.monotonic() - t0
        results = []
        try:
            for i, e in enumerate(spec.get("edits", [])):
                op = e["op"]
                fn = getattr(self, "op_" + op, None)
                if fn is None:
                    raise ValueError(f"edit {i}: unknown op {op!r}")
                sh = None if op in ("recalc", "_sleep") else self.sheet(e)
                try:
                    fn(sh, e)
                except Exception as exc:
                    raise RuntimeError(f"edit {i} {json.dumps(e)} failed: "
                                       f"{type(exc).__name__}: {exc}") from exc
                results.append({"edit": i, "op": op, "ok": True})
            protection = {}
            for name in self.unprotected:
                sh = self.doc.Sheets.getByName(name)
                if spec.get("protection", "reprotect") == "reprotect":
                    sh.protect(spec.get("password", ""))
                protection[name] = "reprotected" if sh.isProtected() else "unprotected"
            t1 = time.monotonic()
            if dst.resolve() == src.resolve():
                self.doc.store()  # Ctrl+S, "Use Excel 2007-365!": same file, same filter
            else:
                self.doc.storeToURL(uno.systemPathToFileUrl(str(dst)),
                                    _props(FilterName=FILTER, Overwrite=True))
            t_save = time.monotonic() - t1
        finally:
            try:
                self.doc.close(True)
            except Exception as exc:  # noqa: BLE001 -- reported as JSON
                _log(f"close: {type(exc).__name__}: {exc}")
        if not dst.exists():
            raise RuntimeError(f"LibreOffice reported success but {dst} does not exist")
        return {"input": str(src), "output": str(dst), "results": results,
                "protection": protection, "seconds": {"load": round(t_load, 2),
                                                      "edit+save": round(time.monotonic() - t0 - t_load, 2),
                                                      "save": round(t_save, 2)}}


def worker(jobs: list[dict], timeout: float, workdir: str | None, author: str) -> int:
    if os.getpgrp() != os.getpid():
        os.setpgid(0, 0)  # own group, so the watchdog (or a caller) can kill soffice with us
    t_start = time.monotonic()
    deadline = t_start + timeout
    timed_out = threading.Event()
    office = None

    def watchdog():
        timed_out.set()
        _log(f"timeout after {timeout}s: killing soffice")
        _kill_office()
        _remove_pipes()
        time.sleep(10)  # let the main thread report; then give up on it
        print(json.dumps({"ok": False, "error": f"timeout after {timeout}s"}), flush=True)
        os._exit(124)

    timer = threading.Timer(timeout, watchdog)
    timer.daemon = True
    timer.start()
    own_tmp = workdir is None
    work = Path(workdir or tempfile.mkdtemp(prefix="lo_edit-"))
    report: dict = {"ok": False, "jobs": [], "timings": {}}
    try:
        office = Office(work, deadline, author)
        report["timings"]["startup"] = round(time.monotonic() - t_start, 2)
        for spec in jobs:  # one failing job does not stop the others
            try:
                report["jobs"].append(dict(Job(office, spec).run(), ok=True))
            except Exception as exc:
                if timed_out.is_set():
                    raise
                msg = f"{type(exc).__name__}: {getattr(exc, 'Message', '') or exc}"
                _log(f"{spec['input']}: {msg}")
                report["jobs"].append({"input": spec["input"], "output": spec.get("output"),
                                       "ok": False, "error": msg})
        report["ok"] = all(j["ok"] for j in report["jobs"])
        if not report["ok"]:
            report["error"] = "; ".join(j["error"] for j in report["jobs"] if not j["ok"])
    except Exception as exc:  # noqa: BLE001 -- reported as JSON
        report["error"] = ("timeout" if timed_out.is_set() else
                           f"{type(exc).__name__}: {getattr(exc, 'Message', '') or exc}")
        _log(report["error"])
    finally:
        if office is not None:
            t = time.monotonic()
            office.close()  # also after a timeout: the group is dead, this is quick
            report["timings"]["shutdown"] = round(time.monotonic() - t, 2)
        else:
            _kill_office()
            _remove_pipes()
        timer.cancel()
        report["timings"]["total"] = round(time.monotonic() - t_start, 2)
        if own_tmp:
            shutil.rmtree(work, ignore_errors=True)
        else:
            shutil.rmtree(work / "profile", ignore_errors=True)
    print(json.dumps(report), flush=True)
    return 0 if report["ok"] else (124 if timed_out.is_set() else 2)


def main(argv: list[str]) -> int:
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("input", nargs="?")
    ap.add_argument("output", nargs="?", help="output .xlsx or directory (default: input)")
    ap.add_argument("edits", nargs="?", help="JSON file: a list of edits, or a job object")
    ap.add_argument("--batch", help="JSON file: a list of jobs {input, output, edits, ...}")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    ap.add_argument("--workdir", help="scratch dir (profile); default: a private temp dir")
    ap.add_argument("--author", default="lo_edit", help="user name (comment author)")
    a = ap.parse_args(argv)
    if a.batch:
        jobs = json.loads(Path(a.batch).read_text("utf-8"))
    elif a.input:
        spec = json.loads(Path(a.edits).read_text("utf-8")) if a.edits else []
        job = spec if isinstance(spec, dict) else {"edits": spec}
        jobs = [dict(job, input=a.input, output=a.output or a.input)]
    else:
        ap.error("give INPUT [OUTPUT [EDITS.json]] or --batch JOBS.json")
    for j in jobs:
        j["input"] = str(Path(j["input"]).resolve())
        j["output"] = str(Path(j.get("output") or j["input"]).resolve())
    try:
        import uno  # noqa: F401
    except ImportError:
        # Called with a Python without UNO (e.g. pyenv's): hand over to one that has it.
        report = edit_many(jobs, a.timeout, a.author)
        print(json.dumps(report))
        return 0
    return worker(jobs, a.timeout, a.workdir, a.author)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
