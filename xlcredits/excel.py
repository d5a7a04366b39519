"""The Excel boundary: what a cell passes in, what a cell can show.

Excel (through xlwings) passes floats, ``None`` for blank cells and omitted
optional arguments, strings, booleans, datetimes from date-formatted cells,
a flat list for a single row or column, and a list of lists for a block
(``ndim=2`` keeps a range's orientation). :func:`call` turns those into core
inputs, runs the core function, and turns the result back: a float for one
cell, lists for a range, and one short line of text instead of a traceback.
"""

from __future__ import annotations

import logging
import math
from datetime import date, datetime
from itertools import chain
from operator import itemgetter

import numpy as np

from .errors import XlcreditsError

__all__ = ["MAX_MESSAGE", "call", "to_core", "to_excel"]

log = logging.getLogger(__name__)
MAX_MESSAGE = 250  # Excel shows a cell's text whole; keep messages one short line


def _numbers_only(rows: list) -> np.ndarray | None:
    """A block of plain numbers as a float array at C speed, or None when it holds anything
    else (blanks, text, TRUE/FALSE, dates), which takes the element-by-element path."""
    # map, set and fromiter loop in C: this is the hot path of every formula over a range
    if isinstance(rows[0], (list, tuple)):  # a block, row by row (xlwings' ndim=2)
        if not set(map(type, rows)) <= {list, tuple}:  # a dict, set, range... as a row:
            return None  # len, chain and [0] each read it their own way; the general path
        widths = set(map(len, rows))
        if len(widths) != 1:
            return None
        width = widths.pop()
        flat = list(map(itemgetter(0), rows)) if width == 1 else list(chain.from_iterable(rows))
        shape = (len(rows), width)
    else:
        flat, shape = rows, (len(rows),)
    if not flat or not set(map(type, flat)) <= {float, int}:
        return None
    try:
        return np.fromiter(flat, float, len(flat)).reshape(shape)
    except OverflowError:  # an int no float holds: the general path says so
        return None


def to_core(value):
    """One argument as Excel passes it, as the core takes it."""
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, list) and len(value) > 1:
        fast = _numbers_only(value)
        if fast is not None:
            return fast
    if isinstance(value, list):
        rows = [list(r) if isinstance(r, (list, tuple)) else r for r in value]
        if len(rows) == 1 and isinstance(rows[0], list) and len(rows[0]) == 1:
            return to_core(rows[0][0])  # a single cell passed with ndim=2
        arr = np.empty((len(rows), len(rows[0])) if rows and isinstance(rows[0], list)
                       else (len(rows),), dtype=object)
        for i, x in np.ndenumerate(arr):
            arr[i] = to_core(rows[i[0]][i[1]] if arr.ndim == 2 else rows[i[0]])
        return arr
    if isinstance(value, str) and value.strip() == "":
        return None  # a blank cell, or a formula returning ""
    return value


def _to_cell(value, missing: str = "#NUM!"):
    """One result element as a cell can hold it: never NaN, NaT or infinity (``missing``)."""
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            return missing
        value = value.astype("datetime64[D]").item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return missing
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return value


def to_excel(value, missing: str = "#NUM!"):
    """A core result as xlwings writes it: a scalar, a flat list or a list of lists."""
    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.ndim in (1, 2) \
            and np.isfinite(value).all():
        return value.tolist()  # plain numbers: no element needs a look
    if isinstance(value, np.ndarray) and value.dtype.kind == "M":  # as objects NaT is None
        cells = np.empty(value.shape, dtype=object)
        for i in np.ndindex(value.shape):
            cells[i] = _to_cell(value[i], missing)
        value = cells
    if isinstance(value, (np.ndarray, list, tuple)):
        arr = np.asarray(value, dtype=object)  # a table's rows are tuples of equal length
        if arr.ndim == 0:
            return _to_cell(arr.item(), missing)
        if arr.ndim > 2:
            arr = arr.reshape(arr.shape[0], -1)
        if arr.ndim == 2:
            return [[_to_cell(x, missing) for x in row] for row in arr]
        return [_to_cell(x, missing) for x in arr]
    return _to_cell(value, missing)


def _message(name: str, error: Exception) -> str:
    text = f"{name}: {error}"
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def call(name: str, core, *args, elementwise: bool = True, missing: str = "#NUM!"):
    """Run ``core`` on Excel's values; return a cell value, an array, or a message.

    With ranges in and ``elementwise`` set, a bad element gives its message in
    its own cell and the others still compute. A result the core leaves
    undefined (NaN, NaT) shows as ``missing``.
    """
    try:
        inputs = [to_core(a) for a in args]  # a ragged block from a Python caller may raise
        try:
            return to_excel(core(*inputs), missing)
        except XlcreditsError as error:
            if not elementwise or not any(np.ndim(a) for a in inputs):
                return _message(name, error)
            return to_excel(_each(name, core, inputs), missing)
    except Exception as error:  # never a traceback in a cell
        log.exception("%s failed", name)
        return _message(name, f"unexpected {type(error).__name__}: {error}; please report it")


def _each(name: str, core, inputs: list) -> np.ndarray:
    """``core`` element by element over broadcast inputs, a message where one fails."""
    try:
        arrays = np.broadcast_arrays(*[np.asarray(a, dtype=object) for a in inputs])
    except ValueError:
        shapes = " and ".join("x".join(map(str, np.shape(a))) for a in inputs if np.ndim(a))
        return np.asarray(f"{name}: ranges of different sizes ({shapes}); use ranges of "
                          "the same size, or single cells", dtype=object)
    out = np.empty(arrays[0].shape, dtype=object)
    for i in np.ndindex(out.shape):
        try:
            out[i] = core(*[a[i] for a in arrays])
        except XlcreditsError as error:
            out[i] = _message(name, error)
    return out
