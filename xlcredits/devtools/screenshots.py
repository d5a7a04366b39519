"""Pictures for the README: the example workbook's Register and TCO as Excel shows them,
and the three outputs (report, usage, logins) as a reader gets them.

Without the add-in LibreOffice would show #NAME? in the cells that call xlcredits
functions, so the values come from the formula engine (:mod:`.engine`, with our
functions registered) and are written into a copy; LibreOffice prints the copy to
PDF and pdftoppm turns the pages into PNG files. The outputs hold values only: they are
written by the commands themselves from the example and from small sample exports made
here, printed whole, and the page that shows a sheet is found by its footer.
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
import subprocess
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from ..errors import XlcreditsError
from ..workbook import schema as s
from ..workbook.build import build
from ..workbook.read import open_workbook, read_entries
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


def dashboard_with_values(source: Path, tmp: Path, dpi: int) -> Path:
    """The Dashboard as Excel with the add-in shows it (values from the formula engine),
    charts included: the workbook is rebuilt from ``source``'s entries (openpyxl does not
    load charts), its formulas replaced by the engine's values."""
    values = evaluate(source)
    wb = open_workbook(source)
    try:
        entries = read_entries(source, wb)
    finally:
        wb.close()
    wb = build(entries)
    for ws in wb.worksheets:
        ws.protection.sheet = False
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.value = values.get((ws.title.upper(), cell.coordinate))
    for title in list(wb.sheetnames):
        if title != "Dashboard":
            del wb[title]
    for name in list(wb.defined_names):
        del wb.defined_names[name]
    copy = tmp / "dashboard-values.xlsx"
    wb.save(copy)
    pdf = libreoffice.convert(copy, "pdf", tmp)
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(tmp / "dashboard-values")], check=True)
    return tmp / "dashboard-values.png"


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
        page = dashboard_with_values(source, tmp, dpi)
        trim(page)
        written.append(Path(shutil.copy(page, outdir / "dashboard.png")))
    return written


# --- the outputs --------------------------------------------------------------------------

def _csv(path: Path, header, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def sample_usage(folder: Path) -> list[str]:
    """A year of a Marketing Cloud and a Data Cloud statement: entitlements, usage lines
    (SMS to Japan at 30:1 from a multiplier table) and multipliers; returns the arguments."""
    _csv(folder / "entitlements.csv",
         ["Contract reference", "Product", "Quantity", "Start", "Expiry", "Usage rate"],
         [["Q-2025-0917", "Marketing Cloud", 40_000, "2025-12-01", "2026-03-31", 0.12],
          ["Q-2026-0142", "Marketing Cloud", 60_000, "2026-01-01", "2026-12-31", 0.10],
          ["Q-2026-0388", "Marketing Cloud", 30_000, "2026-07-01", "2027-06-30", 0.11],
          ["Q-2026-0142", "Data Cloud", 500_000, "2026-01-01", "2026-12-31", 0.012]])
    rows = []
    for m in range(1, 13):
        month = f"2026-{m:02d}"
        rows.append([month, "Marketing Cloud", "Email", "", "production", 4_000 + 300 * m])
        rows.append([month, "Marketing Cloud", "SMS", "Japan", "production", 40 + 5 * m])
        rows.append([month, "Data Cloud", "Data processed", "", "production",
                     30_000 + 2_500 * m])
    _csv(folder / "usage.csv", ["Month", "Product", "Usage type", "Subtype", "Environment",
                                "Quantity"], rows)
    _csv(folder / "multipliers.csv",
         ["Usage type", "Subtype", "Environment", "Multiplier", "Effective date"],
         [["Email", "", "", 1, "2025-01-01"], ["SMS", "Japan", "", 30, "2025-01-01"],
          ["Data processed", "", "", 1, "2025-01-01"]])
    return ["entitlements.csv", "usage.csv", "--multipliers", "multipliers.csv"]


def sample_logins(folder: Path) -> list[str]:
    """Three months of a partner community's Login History: 40 users from daily to
    occasional, repeat logins on a day, some failures; returns the arguments."""
    pattern = (1, 1, 2, 1, 3, 2, 1, 5, 8, 12)  # login-days a month, by user group
    rows = []
    for i in range(40):
        user = f"partner{i + 1:02d}@acme-partners.example"
        for m in (1, 2, 3):
            days = max(0, pattern[i % 10] + (i % 3 - 1) * (m - 2))
            for d in range(1, days + 1):
                rows.append([user, f"{m}/{2 * d - 1}/2026 9:{i:02d}:00 AM", "Success"])
                if d == 1 and i % 4 == 0:
                    rows.append([user, f"{m}/{2 * d - 1}/2026 4:{i:02d}:00 PM", "Success"])
            if i % 9 == 0:
                rows.append([user, f"{m}/28/2026 8:00:00 AM", "Invalid Password"])
    _csv(folder / "LoginHistory.csv", ["Username", "Login Time", "Status"], rows)
    return ["LoginHistory.csv", "--licence", "Partner Community"]


OUTPUT_PICTURES = (  # (file, footer of the page to picture, picture)
    ("report.xlsx", "Credits portfolio report", "report.png"),
    ("usage.xlsx", "Usage statement: pooled drawdown", "usage.png"),
    ("usage.xlsx", "Closing balance of each entitlement", "usage-balances.png"),
    ("logins.xlsx", "Experience Cloud licences", "logins.png"),
    ("logins.xlsx", "Every user, most login-days", "logins-users.png"),
)


def _page_with(pdf: Path, text: str) -> int:
    """The first page of ``pdf`` whose text holds ``text`` (1-based)."""
    n = 1
    while True:
        run = subprocess.run(["pdftotext", "-f", str(n), "-l", str(n), str(pdf), "-"],
                             capture_output=True, text=True, check=False)
        if run.returncode != 0:
            raise XlcreditsError(f"no page of {pdf.name} shows {text!r}")
        if text in " ".join(run.stdout.split()):
            return n
        n += 1


def render_outputs(example: Path, outdir: Path, dpi: int = 110) -> list[Path]:
    """Run report, usage and logins as a user would (from the example and the samples) and
    write a picture of each output's pages of interest into ``outdir``."""
    from ..cli import main

    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="xlcredits-outputs-") as tmp:
        tmp = Path(tmp)
        shutil.copy(example, tmp / "example.xlsx")
        commands = [["report", "example.xlsx", "--out", "report.xlsx"],
                    ["usage", *sample_usage(tmp), "--out", "usage.xlsx"],
                    ["logins", *sample_logins(tmp), "--out", "logins.xlsx"]]
        with contextlib.chdir(tmp), contextlib.redirect_stdout(io.StringIO()):
            for args in commands:  # relative paths: the sources read as a user typed them
                main.main(args, standalone_mode=False)
        pdfs = {}
        for name, footer, picture in OUTPUT_PICTURES:
            if name not in pdfs:
                pdfs[name] = libreoffice.convert(tmp / name, "pdf", tmp / "pdf")
            page = _page_with(pdfs[name], footer)
            stem = tmp / "pdf" / Path(picture).stem
            subprocess.run(["pdftoppm", "-png", "-singlefile", "-r", str(dpi), "-f",
                            str(page), "-l", str(page), str(pdfs[name]), str(stem)],
                           check=True)
            png = stem.with_suffix(".png")
            trim(png)
            written.append(Path(shutil.copy(png, outdir / picture)))
    return written
