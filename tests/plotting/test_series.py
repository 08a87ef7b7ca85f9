"""Time series of a short DES run: the lines are the result's per-day columns."""

import numpy as np
import pytest

from cjsim.plotting import timeseries


def test_stage_lines_are_the_timeseries_columns(sc, des, drawn):
    ax = drawn(timeseries(des, kind="stages"))
    ts = des.timeseries
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == set(sc.stages)
    for stage in sc.stages:
        np.testing.assert_array_equal(lines[stage].get_xdata(), ts["day"])
        np.testing.assert_array_equal(lines[stage].get_ydata(), ts[f"in_{stage}"])
    assert ax.get_xlabel() == "day"


def test_profit_line_and_band_are_the_timeseries_columns(des, drawn):
    ax = drawn(timeseries(des, kind="profit"))
    ts = des.timeseries
    (line,) = [x for x in ax.get_lines() if x.get_label() == "cumulative profit"]
    np.testing.assert_array_equal(line.get_ydata(), ts["cumulative_profit"])
    (band,) = ax.collections
    edge = band.get_paths()[0].vertices[:, 1]
    assert np.isin(ts["cumulative_profit_p2.5"], edge).all()
    assert np.isin(ts["cumulative_profit_p97.5"], edge).all()
    assert "EUR" in ax.get_ylabel()


def test_an_exact_result_has_no_time_series(exact):
    with pytest.raises(ValueError, match="analytic result has no time series"):
        timeseries(exact)


def test_kind_is_checked(des):
    with pytest.raises(ValueError, match="kind must be one of stages, profit, got 'cash'"):
        timeseries(des, kind="cash")
