"""xlcredits' UDFs through xlwings' own Office.js custom-function code: the path xlwings
Server (``/xlwings/custom-functions-call``) and xlwings Lite (Pyodide) both run.

* metadata:  ``xlwings.server.custom_functions_meta(module)``  -> the JSON Excel registers
* a call:    ``await xlwings.server.custom_functions_call(data, module)`` -> a 2-D list

``import xlwings`` decides once, at import time, what ``xw.func``/``xw.arg`` are: the server
decorators only with ``XLWINGS_ON_SERVER=true``, and ``xlwings.pro`` wants a licence key
(``noncommercial`` is accepted) when first imported. So every check runs in ONE fresh
interpreter with both set before ``import xlwings`` (about 2 s), leaving this pytest process
untouched. Research and sources: /work/research/xlwings/NOTES.md (xlwings 0.37.8).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import textwrap
from importlib.metadata import version
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
XLWINGS_VERSION = version("xlwings")

# --------------------------------------------------------------------------------------
# The child process: reads a JSON job from stdin, writes a JSON report to stdout.
# --------------------------------------------------------------------------------------
DRIVER = textwrap.dedent(
    r'''
    import asyncio, inspect, json, sys

    import xlwings as xw                      # env vars are already set by the parent
    from xlwings import server
    from xlwings.pro import udfs_officejs

    import xlcredits.udfs as udfs

    job = json.load(sys.stdin)

    def jsonable(x):
        try:
            json.dumps(x)
            return x
        except TypeError:
            return repr(x)

    functions = {}
    for name, f in vars(udfs).items():
        if callable(f) and name.isupper() and getattr(f, "__module__", None) == udfs.__name__:
            info = getattr(f, "__xlfunc__", None)
            functions[name] = {
                "doc": inspect.getdoc(f),
                "params": [[p.name, p.default is not inspect.Parameter.empty]
                           for p in inspect.signature(f).parameters.values()],
                "arg_options": None if info is None else
                    {a["name"]: {k: jsonable(v) for k, v in a["options"].items()}
                     for a in info["args"]},
            }

    def run(payload):
        # JSON round trip, as the HTTP body (Server) / JS->Python conversion (Lite) does
        data = json.loads(json.dumps(payload))
        try:
            rv = asyncio.run(server.custom_functions_call(data, udfs))
            return {"result": rv}
        except Exception as e:
            return {"exception": f"{type(e).__name__}: {e}"}

    def probe(value, payload):
        # the return conversion custom_functions_call applies to every result (ret options
        # of our functions are empty), for values no function returns on demand
        rv = asyncio.run(udfs_officejs.convert(value, {"options": {}}, payload))
        return rv

    # xlwings Lite execs the workbook's main.py into a module called "main" and registers
    # what inspect.getmembers finds there (xlwings-server app/lite/main.py)
    import types
    main = types.ModuleType("main")
    exec(job["main_py"], main.__dict__)
    lite = server.custom_functions_meta(main)
    lite_call = (asyncio.run(server.custom_functions_call(
        json.loads(json.dumps(job["calls"]["lapse_serials"])), main))
        if "lapse_serials" in job["calls"] else None)

    report = {
        "lite_meta": lite,
        "lite_call": lite_call,
        "xlwings_version": xw.__version__,
        "pro": xw.__pro__,
        "func_is_server_func": xw.func is server.func,
        "udfs_file": udfs.__file__,
        "duckdb_imported": "duckdb" in sys.modules,
        "meta": server.custom_functions_meta(udfs),
        "functions": functions,
        "calls": {key: run(p) for key, p in job["calls"].items()},
        "probes": {key: probe(v, p) for key, (v, p) in job["probes"].items()},
    }
    json.dump(report, sys.stdout, allow_nan=False)
    '''
)


def payload(func_name, *args, runtime="1.4", date_format="M/d/yyyy", **extra):
    """The body Office.js sends (xlwings' custom_functions_code.js, ``base()``): one entry per
    declared parameter, each a 2-D list (dimensionality "matrix"); an omitted optional argument
    is ``null``; a date cell is its serial number; an error cell is an Excel ``Error`` value
    (``allowErrorForDataTypeAny``)."""
    body = {
        "client": "Office.js",
        "func_name": func_name,
        "args": list(args),
        "caller_address": "[Book1.xlsx]Sheet1!B2",
        "session_id": "poc",
        "culture_info_name": "en-US",
        "date_format": date_format,
        "version": XLWINGS_VERSION,
        "runtime": runtime,
    }
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}  # None: the client omits the key


def error(text, kind):
    """An error cell as Office.js passes it to an ``any`` parameter."""
    return {"type": "Error", "basicValue": text, "errorType": kind}


NA = error("#N/A", "NotAvailable")
DIV0 = error("#DIV/0!", "Div0")
LAPSE = ([[1_200_000]], [[300_000]], [[46023]], [[46387]], [[46203]])  # 2026-01-01..12-31, as of 06-30

CALLS = {
    # single cell in, all optionals omitted (Office.js passes null for each)
    "flex_single": payload("FLEXCOST", [[53000]], None, None, None, None),
    # a call that passes fewer args than declared parameters (trailing ones missing)
    "flex_short": payload("FLEXCOST", [[53000]]),
    "flex_discount": payload("FLEXCOST", [[53000]], [[0.25]], None, None, None),
    # a column range with a blank cell (null on current Excel builds)
    "flex_column": payload("FLEXCOST", [[1000], [2000], [None]], None, None, None, None),
    # a blank cell referenced for the required argument
    "flex_blank": payload("FLEXCOST", [[None]], None, None, None, None),
    # a formula returning "" is a blank too
    "flex_empty_string": payload("FLEXCOST", [[""]], None, None, None, None),
    # a blank optional argument takes its default
    "flex_blank_optional": payload("FLEXCOST", [[53000]], [[None]], [[None]], [[None]], [[None]]),
    # older Excel desktop builds pass an EMPTY cell as 0 (OfficeDev/office-js#4702, #5262)
    "flex_empty_as_zero": payload("FLEXCOST", [[53000]], [[0]], [[0]], [[0]], [[0]]),
    # error cells
    "flex_error": payload("FLEXCOST", [[NA]], None, None, None, None),
    "flex_error_in_range": payload("FLEXCOST", [[1000], [DIV0]], None, None, None, None),
    "flex_error_optional": payload("FLEXCOST", [[53000]], [[NA]], None, None, None),
    # a row in, a row out; a 2-D block
    "breakeven_row": payload("LOGINBREAKEVEN", [[2, 6, 10]], [[5, 15, 25]]),
    "breakeven_block": payload("LOGINBREAKEVEN", [[2, 6], [10, 2]], [[5, 15], [25, 5]]),
    # dates arrive as serial numbers
    "lapse_serials": payload("CREDITLAPSE", *LAPSE, None),
    # grace days, the optional last argument: 90 days (hand: 300,000/181 a day x 274 days
    # left = 454,143.65 more used; 1,200,000 - 300,000 - 454,143.65 = 445,856.35)
    "lapse_grace": payload("CREDITLAPSE", *LAPSE, None, [[90]]),
    # as of 2027-01-15 (46402): 15 days after expiry, inside a 30-day grace: not EXPIRED
    "alert_in_grace": payload("CREDITALERT", *LAPSE[:4], [[46402]], None, None, None, None,
                              None, [[30]]),
    "alert_after_grace": payload("CREDITALERT", *LAPSE[:4], [[46402]], None, None, None,
                                 None, None, [[10]]),
    "grace_not_whole": payload("CREDITLAPSE", *LAPSE, None, [[1.5]]),
    "lapse_iso_text": payload("CREDITLAPSE", LAPSE[0], LAPSE[1], [["2026-01-01"]],
                              [["2026-12-31"]], [["2026-06-30"]], None),
    # a date result: FormattedNumber on CustomFunctionsRuntime >= 1.4 with a date format
    "depletion_14": payload("CREDITDEPLETION", *LAPSE, [[200_000]]),
    "depletion_13": payload("CREDITDEPLETION", *LAPSE, [[200_000]], runtime="1.3"),
    "depletion_no_format": payload("CREDITDEPLETION", *LAPSE, [[200_000]], date_format=None),
    # text in, text out; spills
    "uplift_bad_text": payload("EDITIONUPLIFT", [[500]], [["Enterprise"]], [["Ultimate"]],
                               None, None),
    "term_schedule": payload("TERMSCHEDULE", [[1000]], [[3]], [[0.07]], None),
    "sfrates": payload("SFRATES"),
    # version check: tolerated for client "Office.js", fatal otherwise
    "old_version_officejs": payload("FLEXCOST", [[53000]], version="0.0.1"),
    "old_version_other": payload("FLEXCOST", [[53000]], version="0.0.1", client="xlwings"),
}

PROBES = {
    # what xlcredits' `missing="#NUM!"` text becomes in a cell
    "num_text_14": ("#NUM!", payload("X")),
    "num_text_13": ("#NUM!", payload("X", runtime="1.3")),
    "message_text": ("FLEXCOST: something", payload("X")),
}


MAIN_PY = "from xlcredits.udfs import *  # noqa: F403\n"  # the README's main.py for Lite


def run_child(calls, probes=None):
    """Run DRIVER in a fresh interpreter configured like xlwings Server / Lite."""
    env = {k: v for k, v in os.environ.items() if k != "XLWINGS_DATE_FORMAT"}
    env.update(
        XLWINGS_ON_SERVER="true",  # must be set before `import xlwings`
        XLWINGS_LICENSE_KEY="noncommercial",  # accepted by xlwings/pro/utils.py
        PYTHONDONTWRITEBYTECODE="1",  # no __pycache__ written into the project
        PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")])),
    )
    job = json.dumps({"calls": calls, "probes": probes or {}, "main_py": MAIN_PY})
    proc = subprocess.run([sys.executable, "-c", DRIVER], input=job, capture_output=True,
                          text=True, env=env, cwd=tempfile.gettempdir(), timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout)


@pytest.fixture(scope="session")
def report():
    return run_child(CALLS, PROBES)


def result(report, key):
    out = report["calls"][key]
    assert "result" in out, out
    rv = out["result"]
    # every result is a 2-D list (result dimensionality "matrix")
    assert isinstance(rv, list) and all(isinstance(row, list) for row in rv), rv
    return rv


def one(rv):
    assert len(rv) == 1 and len(rv[0]) == 1, rv
    return rv[0][0]


# ------------------------------------------------------------------------------- setup


def test_child_runs_the_server_decorators(report):
    assert report["xlwings_version"] == XLWINGS_VERSION
    assert report["pro"] is True
    assert report["func_is_server_func"] is True
    assert Path(report["udfs_file"]).resolve().is_relative_to(PROJECT)
    assert report["duckdb_imported"] is False  # the UDF import chain must work in Pyodide


# ---------------------------------------------------------------------------- metadata


def test_metadata_envelope(report):
    meta = report["meta"]
    assert meta["allowErrorForDataTypeAny"] is True  # error cells reach us as Error values
    assert meta["allowCustomDataForDataTypeAny"] is True
    assert "enums" not in meta


def test_every_function_is_registered(report):
    ids = sorted(f["id"] for f in report["meta"]["functions"])
    assert ids == sorted(report["functions"])
    assert {"FLEXCOST", "CREDITLAPSE", "LOGINBREAKEVEN", "EDITIONUPLIFT"} <= set(ids)


def test_metadata_names_descriptions_and_parameters(report):
    problems = []
    for f in report["meta"]["functions"]:
        name = f["id"]
        src = report["functions"][name]
        if f["name"] != name:
            problems.append(f"{name}: Excel name {f['name']!r}")
        if f["description"] != src["doc"] or not 0 < len(f["description"]) <= 255:
            problems.append(f"{name}: description {f['description']!r}")
        if f["options"] != {"requiresAddress": True, "requiresParameterAddresses": True}:
            problems.append(f"{name}: options {f['options']}")  # e.g. volatile/stream
        if f["result"] != {"dimensionality": "matrix", "type": "any"}:
            problems.append(f"{name}: result {f['result']}")
        if [p["name"] for p in f["parameters"]] != [n for n, _ in src["params"]]:
            problems.append(f"{name}: parameter names")
        for p, (pname, has_default) in zip(f["parameters"], src["params"]):
            if p.get("optional", False) != has_default:
                problems.append(f"{name}.{pname}: optional={p.get('optional')}")
            if p["description"].startswith("Positional argument") or len(p["description"]) > 255:
                problems.append(f"{name}.{pname}: description {p['description']!r}")
            if (p["dimensionality"], p["type"]) != ("matrix", "any") or "repeating" in p:
                problems.append(f"{name}.{pname}: {p}")
        # optional parameters come last (Excel requires it)
        flags = [p.get("optional", False) for p in f["parameters"]]
        if flags != sorted(flags):
            problems.append(f"{name}: optional parameters not last")
    assert not problems, "\n".join(problems)


def test_classic_options_survive_in_the_server_decorators(report):
    # @xw.arg(name, doc=..., ndim=2, err_to_str=True): doc -> description, the rest are
    # converter options used by custom_functions_call; @xw.func(category=...) is ignored.
    for name, src in report["functions"].items():
        for arg, options in src["arg_options"].items():
            assert options == {"ndim": 2, "err_to_str": True}, (name, arg, options)
    flat = json.dumps(report["meta"])
    assert "category" not in flat and "xlcredits" not in flat.lower()


# ------------------------------------------------------------------------------- calls


def test_flexcost_single_cell(report):
    assert one(result(report, "flex_single")) == 5300.0
    assert one(result(report, "flex_short")) == 5300.0
    assert one(result(report, "flex_discount")) == 3975.0


def test_flexcost_column_with_a_blank(report):
    rv = result(report, "flex_column")
    assert rv[:2] == [[100.0], [200.0]]
    assert isinstance(rv[2][0], str) and rv[2][0].startswith("FLEXCOST: actions")


def test_blank_required_argument_is_reported(report):
    for key in ("flex_blank", "flex_empty_string"):
        text = one(result(report, key))
        assert isinstance(text, str) and text.startswith("FLEXCOST: actions"), text
        assert "blank" in text


def test_blank_optional_arguments_take_their_defaults(report):
    assert one(result(report, "flex_blank_optional")) == 5300.0


def test_empty_cells_sent_as_zero_are_zeros(report):
    # NOT a default: on Excel builds that send 0 for an empty cell, =FLEXCOST(B4, C4, D4,...)
    # with empty C4:F4 gets zeros and reports them; documenting, not endorsing.
    text = one(result(report, "flex_empty_as_zero"))
    assert isinstance(text, str) and text.startswith("FLEXCOST:"), text


def test_error_cells_arrive_as_text_and_are_reported(report):
    text = one(result(report, "flex_error"))
    assert text.startswith("FLEXCOST: actions") and "#N/A" in text, text
    rv = result(report, "flex_error_in_range")
    assert rv[0] == [100.0] and "#DIV/0!" in rv[1][0]
    assert "#N/A" in one(result(report, "flex_error_optional"))


def test_rows_and_blocks_keep_their_shape(report):
    assert result(report, "breakeven_row") == [[2.5, 2.5, 2.5]]
    assert result(report, "breakeven_block") == [[2.5, 2.5], [2.5, 2.5]]


def test_dates_arrive_as_serials(report):
    # the CREDITLAPSE worked case: 595,027.62
    assert math.isclose(one(result(report, "lapse_serials")), 595027.62, abs_tol=0.01)
    assert math.isclose(one(result(report, "lapse_iso_text")), 595027.62, abs_tol=0.01)


def test_grace_days(report):
    assert math.isclose(one(result(report, "lapse_grace")), 445856.35, abs_tol=0.01)
    # 1,200,000 - 300,000 consumed as of 15 days into the grace: 900,000 left is 75% > 20%
    assert one(result(report, "alert_in_grace")) == "LAPSE RISK"
    assert one(result(report, "alert_after_grace")) == "EXPIRED"
    text = one(result(report, "grace_not_whole"))
    assert text.startswith("CREDITLAPSE: grace_days=1.5") and "whole" in text, text


def test_grace_days_is_the_optional_last_argument_of_the_register_functions(report):
    meta = {f["id"]: f for f in report["meta"]["functions"]}
    for name in ("CREDITLAPSE", "CREDITALERT", "CREDITDEPLETION", "CREDITCATCHUP"):
        last = meta[name]["parameters"][-1]
        assert last["name"] == "grace_days" and last["optional"] is True, name
        assert "grace" in last["description"]


def test_lite_main_py_registers_every_function(report):
    assert report["lite_meta"] == report["meta"]  # `from xlcredits.udfs import *` is enough
    assert math.isclose(one(report["lite_call"]), 595027.62, abs_tol=0.01)


def test_date_results(report):
    serial = one(result(report, "depletion_13"))  # runtime < 1.4: a bare serial
    assert isinstance(serial, float) and 46023 < serial < 46387
    assert one(result(report, "depletion_no_format")) == serial  # no date format: bare serial
    assert one(result(report, "depletion_14")) == {
        "type": "FormattedNumber", "basicValue": serial, "numberFormat": "M/d/yyyy"}


def test_text_results_and_spills(report):
    text = one(result(report, "uplift_bad_text"))
    assert text.startswith("EDITIONUPLIFT: to_edition='Ultimate'") and "\n" not in text
    assert result(report, "term_schedule") == [[1000.0], [1070.0], [1144.9]]
    table = result(report, "sfrates")
    assert table[0][:2] == ["Key", "Value"] and len(table) > 5
    assert len({len(row) for row in table}) == 1


def test_hash_text_becomes_an_excel_error(report):
    # xlcredits returns the text "#NUM!" for undefined results; Office.js shows a real error
    assert report["probes"]["num_text_14"] == [[{"type": "Error", "errorType": "Num"}]]
    assert report["probes"]["num_text_13"] == [["#NUM!"]]
    assert report["probes"]["message_text"] == [["FLEXCOST: something"]]


def test_version_check(report):
    assert one(result(report, "old_version_officejs")) == 5300.0
    assert report["calls"]["old_version_other"]["exception"].startswith(
        "XlwingsError: xlwings version mismatch")


@pytest.fixture(scope="session")
def blank_sweep(report):
    # every registered function, every argument null (a second child run, so that the list of
    # functions comes from the metadata rather than from a list kept here)
    calls = {f["id"]: payload(f["id"], *([None] * len(f["parameters"])))
             for f in report["meta"]["functions"]}
    return run_child(calls)["calls"]


def test_no_exception_escapes_any_function(blank_sweep):
    bad = {k: v for k, v in blank_sweep.items()
           if "result" not in v or not isinstance(v["result"], list)
           or not all(isinstance(r, list) for r in v["result"])}
    assert not bad, bad
