"""The Excel layer with the values Excel really passes: floats, None, text, booleans,
datetimes, serials, flat lists (a row or a column) and lists of lists (a block)."""

from datetime import datetime

import numpy as np
import pytest

from xlcredits import udfs
from xlcredits.excel import MAX_MESSAGE, call, to_excel


def test_the_done_when_line():
    # issue 2: udfs.FLEXCOST(53000.0) prints 5300.0
    assert udfs.FLEXCOST(53000.0) == 5300.0


def test_blank_optional_arguments_take_their_defaults():
    # a blank cell (None) or "" from a formula, for each optional argument
    assert udfs.FLEXCOST(53000.0, None, None, None, None) == 5300.0
    assert udfs.FLEXCOST(53000.0, "", "", "", "") == 5300.0
    assert udfs.EDITIONUPLIFT(500.0, "Enterprise", "Unlimited", None, None) == 1_050_000.0


def test_a_single_cell_as_ndim2_arrives_as_a_1x1_block():
    assert udfs.FLEXCOST([[53000.0]], [[0.25]]) == 3975.0


def test_a_flat_list_gives_a_flat_list():
    # 1,000 / 2,000 / 53,000 actions x $0.10
    assert udfs.FLEXCOST([1000.0, 2000.0, 53000.0]) == [100.0, 200.0, 5300.0]


def test_a_column_and_a_block_keep_their_shape():
    assert udfs.FLEXCOST([[1000.0], [2000.0]]) == [[100.0], [200.0]]
    # a 2x2 block of seats against one pair of editions: seats x 175 x 12
    assert udfs.EDITIONUPLIFT([[1.0, 2.0], [3.0, 4.0]], "Enterprise", "Unlimited") == [
        [2100.0, 4200.0], [6300.0, 8400.0]]


def test_a_column_against_a_row_broadcasts_to_a_table():
    # LOGINBREAKEVEN of login prices (a column) against member prices (a row)
    assert udfs.LOGINBREAKEVEN([[2.0], [10.0]], [[5.0, 25.0]]) == [[2.5, 12.5], [0.5, 2.5]]


def test_bad_elements_fail_alone():
    out = udfs.FLEXCOST([[1000.0], ["lots"], [None], [True], [-5.0]])
    assert out[0] == [100.0]
    assert out[1] == ["FLEXCOST: actions='lots' is text; enter a number"]
    assert out[2] == ["FLEXCOST: actions is blank; enter a value"]
    assert out[3] == ["FLEXCOST: actions=True is TRUE/FALSE; enter a number"]
    assert out[4] == ["FLEXCOST: actions=-5 is negative; enter zero or more"]


def test_ranges_of_different_sizes_say_so():
    out = udfs.FLEXCOST([[1.0], [2.0], [3.0]], [[0.1], [0.2]])
    assert out == "FLEXCOST: ranges of different sizes (3x1 and 2x1); use ranges of the same " \
                  "size, or single cells"


def test_dates_as_datetimes_serials_and_text():
    # the CREDITLAPSE worked case of issue 2 = 595,027.62, dates given three ways
    dt_form = udfs.CREDITLAPSE(1.2e6, 3e5, datetime(2026, 1, 1), datetime(2026, 12, 31),
                               datetime(2026, 6, 30))
    serials = udfs.CREDITLAPSE(1.2e6, 3e5, 46023.0, 46387.0, 46203.0)
    iso = udfs.CREDITLAPSE(1.2e6, 3e5, "2026-01-01", "2026-12-31", "2026-06-30")
    assert round(dt_form, 2) == round(serials, 2) == round(iso, 2) == 595_027.62


def test_register_rows_as_columns():
    # two register rows; the second expired with 400 left of 1,000
    out = udfs.CREDITLAPSE([[1.2e6], [1000.0]], [[3e5], [600.0]],
                           [[datetime(2026, 1, 1)], [datetime(2025, 1, 1)]],
                           [[datetime(2026, 12, 31)], [datetime(2025, 12, 31)]],
                           datetime(2026, 6, 30), None)
    assert [round(r[0], 2) for r in out] == [595_027.62, 400.0]


@pytest.mark.parametrize("func, args, expected", [
    (udfs.FLEXCOST, (53000.0, 25.0), ("FLEXCOST: discount=25 is not a fraction below 1; "
                                     "enter 25% or 0.25")),
    (udfs.FLEXCOST, (53000.0, "25%"), ("FLEXCOST: discount='25%' is text; enter the "
                                      "percentage as a number (25% or 0.25)")),
    (udfs.FLEXCOST, (None,), "FLEXCOST: actions is blank; enter a value"),
    (udfs.LOGINBREAKEVEN, (0.0, 25.0), ("LOGINBREAKEVEN: login_price=0 is not above zero; "
                                       "enter a number above zero")),
    (udfs.EDITIONUPLIFT, (10.0, "Enterprise", "Gold"),
     ("EDITIONUPLIFT: to_edition='Gold' is not an edition; enter one of Starter, Pro, "
     "Enterprise, Unlimited, Agentforce, or a price")),
    (udfs.CREDITLAPSE, (1.0, 0.0, "31/12/2026", 46387.0, 46203.0),
     ("CREDITLAPSE: start_date='31/12/2026' is a slash date, and whether the day or the "
      "month comes first is not known; enter a date (a date cell, an Excel "
     "serial or YYYY-MM-DD)")),
    (udfs.CREDITLAPSE, (1.0, 0.0, 46387.0, 46023.0, 46203.0),
     ("CREDITLAPSE: expiry_date=2026-01-01 is before start_date; enter a date on or after "
     "start_date")),
    (udfs.CREDITLAPSE, (1.0, 0.0, 60.0, 46023.0, 46203.0),
     ("CREDITLAPSE: start_date=60 is 1900-02-29, a day that did not exist; enter a date "
     "(a date cell, an Excel serial or YYYY-MM-DD)")),
])
def test_bad_input_gives_one_short_line(func, args, expected):
    assert func(*args) == expected
    assert len(expected) <= MAX_MESSAGE


def test_unexpected_failures_never_show_a_traceback():
    def broken(x):
        raise ZeroDivisionError("boom")
    out = call("BROKEN", broken, 1.0)
    assert out == "BROKEN: unexpected ZeroDivisionError: boom; please report it"


def test_nan_and_infinity_never_reach_a_cell():
    assert to_excel(float("nan")) == "#NUM!"
    assert to_excel(np.array([[1.0, np.inf]])) == [[1.0, "#NUM!"]]
    assert to_excel(np.float64(2.5)) == 2.5 and type(to_excel(np.float64(2.5))) is float


def _both_paths(monkeypatch, *args):
    """FLEXCOST as the fast path for plain numbers computes it, and element by element."""
    from xlcredits import excel

    def outcome():
        try:
            return udfs.FLEXCOST(*args)
        except Exception as e:  # noqa: BLE001 -- a raise is an outcome to compare, too
            return f"raised {type(e).__name__}"

    fast = outcome()
    with monkeypatch.context() as m:
        m.setattr(excel, "_numbers_only", lambda rows: None)
        return fast, outcome()


@pytest.mark.parametrize("actions", [
    [[1000.0, 2000.0], {0: 3000.0, 1: 4000.0}],  # a mapping row: its keys were read
    [(1000.0, 2000.0), {0: 3000.0, 1: 4000.0}],
    [[1000.0, 2000.0], range(3, 5)],
    [[1000.0], b"\x05"],
    [[1000.0, 2000.0], (3000.0, 4000.0)],
    [(1000.0,), (2000.0,)],
    [1000.0, 2**1100],  # no float holds it
    [[1000.0, 2**1100]],
    [[1000.0], [2**1100]],
], ids=repr)
def test_the_fast_path_for_plain_numbers_gives_what_the_element_path_gives(actions,
                                                                             monkeypatch):
    fast, each = _both_paths(monkeypatch, actions)
    assert fast == each


@pytest.mark.parametrize("actions", [[[1000.0, 2000.0], [3000.0]], [[1000.0], 5.0],
                                     [[1000.0, 2000.0], {3000.0, 4000.0}]], ids=repr)
def test_a_block_that_is_no_block_gives_one_line_not_a_traceback(actions):
    """Excel passes rectangles; a Python caller may not: converting the arguments raised
    out of call() before its guard."""
    out = udfs.FLEXCOST(actions)
    assert isinstance(out, str) and out.startswith("FLEXCOST: unexpected ") and "\n" not in out
