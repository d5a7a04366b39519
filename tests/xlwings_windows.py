"""xlwings' Windows UDF machinery, made importable on Linux for tests.

``xlwings.udfs`` (the module classic Excel add-in users run) imports
``pythoncom``, ``pywintypes`` and ``win32com.client``; stubbing those lets it
import here, so registration (``xlfunc``/``xlarg``/``xlret``), the VBA
wrapper (``generate_vba_wrapper``) and argument conversion are xlwings' own
code. Conversion needs the ``excel`` engine, whose value-cleaning code lives
in ``xlwings/_xlwindows.py`` beside Windows-only imports: we compile just
those definitions from xlwings' own source file.
"""

from __future__ import annotations

import ast
import datetime as dt
import importlib.util
import io
import sys
import types
from pathlib import Path

import xlwings

ENGINE_DEFS = {"cell_errors", "_clean_value_data_element", "_com_time_to_datetime",
               "_datetime_to_com_time", "Engine", "engine"}


def stub_com_modules() -> None:
    """Put minimal pywin32 stand-ins in sys.modules (only what import time touches)."""
    pythoncom = types.ModuleType("pythoncom")
    pythoncom.CoInitialize = lambda: None
    pywintypes = types.ModuleType("pywintypes")
    pywintypes.TimeType = dt.datetime
    pywintypes.com_error = type("com_error", (Exception,), {})
    client = types.ModuleType("win32com.client")
    client.Dispatch = lambda *a, **k: None
    win32com = types.ModuleType("win32com")
    win32com.client = client
    for name, mod in {"pythoncom": pythoncom, "pywintypes": pywintypes,
                      "win32com": win32com, "win32com.client": client}.items():
        sys.modules.setdefault(name, mod)


def excel_engine():
    """xlwings' Windows ``Engine`` (value cleaning for read and write), from its source."""
    import numpy as np
    import pandas as pd

    source = Path(xlwings.__file__).with_name("_xlwindows.py").read_text("utf-8")
    tree = ast.parse(source)
    keep = [n for n in tree.body
            if (isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in ENGINE_DEFS)
            or (isinstance(n, ast.Assign) and any(getattr(t, "id", None) in ENGINE_DEFS
                                                   for t in n.targets))]
    utc = types.SimpleNamespace(TimeZoneInfo=types.SimpleNamespace(utc=lambda: dt.timezone.utc))
    namespace = {"dt": dt, "np": np, "pd": pd, "win32timezone": utc,
                 "np_datetime_to_datetime": lambda x: pd.Timestamp(x).to_pydatetime(),
                 "time_types": (dt.date, dt.datetime, np.datetime64)}
    code = compile(ast.Module(body=keep, type_ignores=[]), "_xlwindows.py", "exec")
    exec(code, namespace)  # noqa: S102 -- xlwings' own source: the point of this harness
    return namespace["engine"]


def load():
    """Return (xlwings.udfs, our udfs module decorated by xlwings' Windows decorators)."""
    stub_com_modules()
    import xlwings.udfs as windows_udfs
    from xlwings.main import Engine, engines

    if "excel" not in engines.engines_by_name:
        engines.add(Engine(impl=excel_engine()))

    saved = xlwings.func, xlwings.arg, xlwings.ret
    xlwings.func, xlwings.arg, xlwings.ret = (windows_udfs.xlfunc, windows_udfs.xlarg,
                                              windows_udfs.xlret)
    try:
        spec = importlib.util.spec_from_file_location(
            "xlcredits._udfs_windows", Path(__file__).parents[1] / "xlcredits" / "udfs.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        xlwings.func, xlwings.arg, xlwings.ret = saved
    return windows_udfs, module


def vba_wrapper(windows_udfs, module, workbook_name="xlcredits-template.xlsm") -> str:
    out = io.StringIO()
    windows_udfs.generate_vba_wrapper(module.__name__, module, out,
                                      types.SimpleNamespace(Name=workbook_name))
    return out.getvalue()


MISSING = -2147352572  # what VBA passes for an omitted optional argument


def call_like_excel(func, *args):
    """Call a registered function the way ``xlwings.udfs.call_udf`` does."""
    from xlwings import conversion

    info = func.__xlfunc__
    converted = []
    for i, arg in enumerate(args):
        arg_info = info["args"][min(i, len(info["args"]) - 1)]
        if isinstance(arg, int) and arg == MISSING:
            converted.append(arg_info.get("optional", None))
        else:
            converted.append(conversion.read(None, arg, arg_info["options"]))
    return conversion.write(func(*converted), None, info["ret"]["options"])
