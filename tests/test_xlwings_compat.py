"""Our UDFs through xlwings' own Windows machinery: registration, VBA wrapper, conversion."""

import datetime as dt
import inspect

import pytest
import xlwings_windows
from xlwings_windows import MISSING, call_like_excel

from xlcredits.devtools.engine import EXCEL_FUNCTIONS


def one(written):
    """xlwings writes a scalar result as a 1x1 block; the cell shows its value."""
    assert len(written) == 1 and len(written[0]) == 1, written
    return written[0][0]


@pytest.fixture(scope="module")
def windows():
    return xlwings_windows.load()


def test_every_public_function_is_registered(windows):
    _, module = windows
    registered = sorted(n for n in dir(module) if hasattr(getattr(module, n), "__xlfunc__"))
    assert registered == EXCEL_FUNCTIONS
    assert {"FLEXCOST", "LOGINBREAKEVEN", "EDITIONUPLIFT", "CREDITLAPSE"} <= set(registered)


@pytest.mark.parametrize("name", EXCEL_FUNCTIONS)
def test_metadata_names_optional_args_and_help(windows, name):
    _, module = windows
    func = getattr(module, name)
    info = func.__xlfunc__
    params = inspect.signature(func).parameters
    assert info["name"] == name
    assert info["category"] == "xlcredits"
    assert [a["name"] for a in info["args"]] == list(params)
    for arg, param in zip(info["args"], params.values()):
        # every argument documented by us, not xlwings' "Positional argument N"
        assert not arg["doc"].startswith("Positional argument"), (name, arg["name"])
        assert 0 < len(arg["doc"]) <= 255
        assert ("optional" in arg) == (param.default is not inspect.Parameter.empty)
        assert arg["options"].get("ndim") == 2
    doc = info["ret"]["doc"]
    assert 0 < len(doc) <= 255 and "\n" not in doc.strip()
    # optional arguments come last
    optional = [("optional" in a) for a in info["args"]]
    assert optional == sorted(optional)


def test_vba_wrapper_generates_for_the_whole_module(windows):
    windows_udfs, module = windows
    vba = xlwings_windows.vba_wrapper(windows_udfs, module)
    assert "Function FLEXCOST(actions, Optional discount, Optional credits_per_action, " \
           "Optional pack_price, Optional pack_size)" in vba
    assert "Function CREDITLAPSE(balance, consumed, start_date, expiry_date, " \
           "Optional as_of, Optional monthly_rate, Optional grace_days)" in vba
    for name in EXCEL_FUNCTIONS:
        assert f'{name} = XLPy.CallUDF("xlcredits._udfs_windows", "{name}"' in vba


def test_flexcost_from_a_single_cell_and_with_omitted_optionals(windows):
    _, m = windows
    # DOMAIN.md section 1: 53,000 actions = $5,300; with 25% off = $3,975
    assert one(call_like_excel(m.FLEXCOST, 53000.0, MISSING, MISSING, MISSING, MISSING)) == 5300.0
    assert one(call_like_excel(m.FLEXCOST, 53000.0, 0.25)) == 3975.0
    # a blank cell for an optional argument arrives as None: the default applies
    assert one(call_like_excel(m.FLEXCOST, 53000.0, None)) == 5300.0


def test_a_column_in_gives_a_column_out(windows):
    _, m = windows
    # COM passes a range's value as a tuple of row tuples
    out = call_like_excel(m.FLEXCOST, ((1000.0,), (53000.0,), (None,)), 0.25)
    # 1000 x 20 x 500 / 100000 x 0.75 = 75
    assert out[:2] == [[75.0], [3975.0]]
    assert out[2][0].startswith("FLEXCOST: actions is blank")


def test_a_row_in_gives_a_row_out(windows):
    _, m = windows
    assert call_like_excel(m.LOGINBREAKEVEN, ((2.0, 6.0, 10.0),), ((5.0, 15.0, 25.0),)) \
        == [[2.5, 2.5, 2.5]]


def test_dates_as_com_datetimes_and_serials(windows):
    _, m = windows
    # the CREDITLAPSE worked case of issue 2: 595,027.62
    by_datetime = call_like_excel(m.CREDITLAPSE, 1_200_000.0, 300_000.0,
                                  dt.datetime(2026, 1, 1), dt.datetime(2026, 12, 31),
                                  dt.datetime(2026, 6, 30))
    by_serial = call_like_excel(m.CREDITLAPSE, 1_200_000.0, 300_000.0, 46023.0, 46387.0,
                                46203.0)
    assert round(one(by_datetime), 2) == round(one(by_serial), 2) == 595027.62


def test_error_cells_are_reported_not_taken_as_blank(windows):
    _, m = windows
    na = -2146826246  # the COM code of #N/A
    out = call_like_excel(m.FLEXCOST, ((na,),), MISSING)
    assert one(out) == "FLEXCOST: actions='#N/A' is an error value; fix the cell it comes from"


def test_bad_input_is_one_line_of_text(windows):
    _, m = windows
    out = one(call_like_excel(m.EDITIONUPLIFT, 500.0, "Enterprise", "Ultimate"))
    assert isinstance(out, str) and "\n" not in out
    assert out.startswith("EDITIONUPLIFT: to_edition='Ultimate' is not an edition")
