"""LibreOffice headless: recalculate a workbook or print it to PDF, from a private profile.

``soffice`` exits 0 even when it could not load a file, so every call checks
that the output exists. The private profile sets "recalculate on load: always"
for Excel files, so that formulas written without cached values are computed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import XlcreditsError

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop>
</item>
</oor:items>
"""


def executable() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(source: Path, fmt: str, outdir: Path, timeout: int = 300) -> Path:
    """Convert ``source`` with LibreOffice (``fmt`` such as "xlsx" or "pdf") into ``outdir``."""
    soffice = executable()
    if not soffice:
        raise XlcreditsError("LibreOffice (soffice) is not installed: apt-get install "
                             "libreoffice-calc")
    source, outdir = Path(source).resolve(), Path(outdir).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlcredits-lo-") as profile:
        user = Path(profile) / "user"
        user.mkdir()
        (user / "registrymodifications.xcu").write_text(RECALC_ALWAYS, "utf-8")
        run = subprocess.run(
            [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
             "--norestore", "--convert-to", fmt, "--outdir", str(outdir), str(source)],
            capture_output=True, text=True, timeout=timeout, check=False)
    out = outdir / f"{source.stem}.{fmt.split(':')[0]}"
    if not out.exists():
        raise XlcreditsError(f"LibreOffice could not convert {source.name} to {fmt} "
                             f"(exit {run.returncode}): {run.stderr.strip()[:300]}")
    return out
