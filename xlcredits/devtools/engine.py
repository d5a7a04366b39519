"""An independent formula engine for our workbooks: the ``formulas`` package (a test
dependency: ``pip install xlcredits[test]``), with the xlcredits functions registered
as its custom functions.

``formulas`` hands a custom function ``Ranges`` (or arrays) of values: numbers,
strings, its ``empty`` marker for blank cells, ``XlError`` for errors, and date
cells as serial numbers. The bridge below turns those into what Excel passes
through xlwings (floats, None, text, flat values or lists of lists) and calls the
very functions of ``xlcredits.udfs``.
"""

from __future__ import annotations

import functools
import logging
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import formulas
import formulas.excel
import numpy as np
import schedula
import tqdm
from formulas.tokens.operand import XlError

from .. import udfs

EXCEL_FUNCTIONS = sorted(n for n, f in vars(udfs).items()
                         if callable(f) and n.isupper() and f.__module__ == udfs.__name__)

EXCEL_EPOCH = date(1899, 12, 30).toordinal()


def excel_value(x):
    """One value from ``formulas`` as Excel would pass it to xlwings."""
    if x is schedula.EMPTY or (isinstance(x, str) and x == ""):
        return None
    if isinstance(x, XlError):
        return str(x)
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, float, np.number)):
        return float(x)
    return x


def excel_argument(arg):
    values = getattr(arg, "value", arg)
    arr = np.asarray(values, dtype=object)
    if arr.ndim == 0:
        return excel_value(arr.item())
    arr = arr.reshape(arr.shape[0], -1) if arr.ndim > 1 else arr.reshape(1, -1)
    if arr.size == 1:
        return excel_value(arr.item())
    return [[excel_value(x) for x in row] for row in arr]


def cell_result(value):
    """What the cell would hold: dates as serials, like Excel."""
    if isinstance(value, datetime):
        return float(value.date().toordinal() - EXCEL_EPOCH)
    return value


def bridge(udf):
    def call(*args):
        return cell_result(udf(*[excel_argument(a) for a in args]))
    return call


def register_functions() -> None:
    functions = formulas.get_functions()
    for name in EXCEL_FUNCTIONS:
        functions[name] = bridge(getattr(udfs, name))


def evaluate(path: Path) -> dict[tuple[str, str], object]:
    """Compute every formula of a workbook; returns {(sheet, cell): value} for single cells.

    Through a defined name, ``formulas`` may dispatch a custom function once before the
    name's cell has its value (``RangeValueError``, logged by schedula) and again once it
    has; only the final values are returned, and the tests check them.
    """
    logging.getLogger("schedula").setLevel(logging.CRITICAL)
    register_functions()
    quiet = SimpleNamespace(tqdm=functools.partial(tqdm.tqdm, disable=True))
    with mock.patch.object(formulas.excel, "tqdm", quiet):  # no progress bar per workbook
        model = formulas.ExcelModel().loads(str(path)).finish()
        solution = model.calculate()
    out = {}
    for ref, ranges in solution.items():
        ref = str(ref)
        if "!" not in ref or ":" in ref.split("!")[1]:
            continue
        sheet = ref.split("]")[1].split("'")[0].split("!")[0]
        cell = ref.split("!")[1]
        value = np.asarray(getattr(ranges, "value", ranges), dtype=object).ravel()[0]
        out[(sheet.upper(), cell.upper())] = None if value is schedula.EMPTY else value
    return out
