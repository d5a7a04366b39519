"""Pictures of the example workbook for the README: Register and TCO as Excel shows them.

Without the add-in LibreOffice would show #NAME? in the cells that call xlcredits
functions, so the values come from the formula engine (:mod:`.engine`, with our
functions registered) and are written into a copy; LibreOffice prints the copy to
PDF and pdftoppm turns the pages into PNG files.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from ..errors import XlcreditsError
from ..workbook import schema as s
from . import libreoffice
from .engine import evaluate

HIDDEN_IN_PICTURE = ("product", "contract", "unit", "planned", "owner", "purpose", "notes")


def values_copy(source: Path, target: Path, register_rows: int) -> None:
    """Copy of ``source`` with the Register and TCO formulas replaced by their values."""
    values = evaluate(source)
    wb = load_workbook(source)
    for title in ("Register", "TCO"):
        ws = wb[title]
        ws.protection.sheet = False
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.value = values.get((title.upper(), cell.coordinate))
        ws.page_setup.orientation = "landscape" if title == "Register" else "portrait"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.print_options.gridLines = title == "Register"
    register = wb["Register"]
    labels = {f: values.get(("LISTS", f"F{r}")) for r, f in enumerate(s.ALERT_STATES, 2)}
    for rng in register.conditional_formatting:  # the labels, as the Rates sheet makes them
        for rule in rng.rules:
            rule.formula = [f'"{labels[rule.formula[0]]}"']
    for i, column in enumerate(s.REGISTER, 1):
        if column.key in HIDDEN_IN_PICTURE:
            register.column_dimensions[register.cell(1, i).column_letter].hidden = True
    register.print_area = f"A1:{register.cell(1, len(s.REGISTER)).column_letter}" \
                          f"{register_rows + 1}"
    for title in list(wb.sheetnames):
        if title not in ("Register", "TCO"):
            del wb[title]
    for name in list(wb.defined_names):
        del wb.defined_names[name]
    wb.save(target)


def trim(png: Path, margin: int = 12) -> None:
    """Cut the page's white margins off a PNG."""
    from PIL import Image, ImageChops

    with Image.open(png) as im:
        rgb = im.convert("RGB")
        box = ImageChops.difference(rgb, Image.new("RGB", rgb.size, "white")).getbbox()
        if box:
            left, top, right, bottom = box
            rgb.crop((max(left - margin, 0), max(top - margin, 0),
                      min(right + margin, rgb.width), min(bottom + margin, rgb.height))
                     ).save(png)


def dashboard_without_addin(source: Path, tmp: Path, dpi: int) -> Path:
    """The Dashboard page as LibreOffice prints the workbook itself: no add-in, so this is
    what a colleague without xlwings sees."""
    pdf = libreoffice.convert(source, "pdf", tmp)
    pages = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.startswith("Pages:")))
    for n in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        if text.lstrip().startswith("Dashboard"):
            subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(n), "-l", str(n),
                            "-singlefile", str(pdf), str(tmp / "dashboard")], check=True)
            return tmp / "dashboard.png"
    raise XlcreditsError(f"{source}: no Dashboard page in LibreOffice's PDF")


def render(source: Path, outdir: Path, register_rows: int = 12, dpi: int = 110) -> list[Path]:
    """Write register.png, tco-N.png and dashboard-without-addin.png for ``source`` into
    ``outdir``; return the paths."""
    if not shutil.which("pdftoppm"):
        raise XlcreditsError("pdftoppm is not installed: apt-get install poppler-utils")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xlcredits-shots-") as tmp:
        tmp = Path(tmp)
        pages = {}
        for title in ("Register", "TCO"):
            copy = tmp / f"{title.lower()}.xlsx"
            values_copy(source, copy, register_rows)
            wb = load_workbook(copy)
            del wb["TCO" if title == "Register" else "Register"]
            wb.save(copy)
            pdf = libreoffice.convert(copy, "pdf", tmp)
            subprocess.run(["pdftoppm", "-png", "-r", str(dpi), str(pdf),
                            str(tmp / title.lower())], check=True)
            pages[title] = sorted(tmp.glob(f"{title.lower()}-*.png"))
        written = []
        for title, files in pages.items():
            for n, page in enumerate(files, 1):
                name = "register.png" if title == "Register" else f"tco-{n}.png"
                if title == "Register" and n > 1:
                    break
                trim(page)
                written.append(Path(shutil.copy(page, outdir / name)))
        page = dashboard_without_addin(source, tmp, dpi)
        trim(page)
        written.append(Path(shutil.copy(page, outdir / "dashboard-without-addin.png")))
    return written
