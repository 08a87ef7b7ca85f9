"""Calibration figures: the observed Kaplan-Meier curve and the fitted one are those
``calibrate`` measured its fit with; transition intervals are the report's."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from cjsim.calibration.drift import DRIFT_COLUMNS, Drift
from cjsim.calibration.dwell import kaplan_meier
from cjsim.calibration.validate import Validation
from cjsim.errors import CalibrationError
from cjsim.plotting import drift_tests, dwell_fit, holdout, transition_intervals
from cjsim.plotting.calibration import fit_spells


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines()}


@pytest.mark.parametrize("touchpoint", ["browse", "cart"])
def test_dwell_curves_are_those_the_fit_report_measured(fit, event_log, touchpoint, drawn):
    ax = drawn(dwell_fit(fit, touchpoint, event_log))
    lines = _lines(ax)
    observed = lines["observed (Kaplan–Meier)"]
    report = fit.report["exits"].set_index("touchpoint").loc[touchpoint]
    spells, _ = fit_spells(fit, event_log)
    s = spells[spells["node"] == touchpoint]
    assert len(s) == report["spells"]
    assert (s["target"] < 0).sum() == report["open_at_cutoff"]
    times, survival = kaplan_meier(
        np.maximum(s["days"].to_numpy(), 1e-6), (s["target"] < 0).to_numpy()
    )
    np.testing.assert_array_equal(observed.get_xdata(), times)
    np.testing.assert_array_equal(observed.get_ydata(), 1 - survival)
    assert observed.get_drawstyle() == "steps-post"
    # the fitted curve evaluated at the event times gives the report's KS distance
    assert f"largest gap {report['ks_distance']:.3f}" in ax.get_title()
    fitted = next(line for name, line in lines.items() if name.startswith("fitted"))
    level = 1 - fit.exits[touchpoint].exit_probability
    assert np.all(np.diff(fitted.get_ydata()) >= 0)
    assert fitted.get_ydata()[-1] <= level + 0.05  # an improper CDF: silent leavers never move


def test_dwell_without_the_log_draws_the_fitted_curve_only(fit, drawn):
    ax = drawn(dwell_fit(fit, "browse"))
    (line,) = ax.get_lines()
    assert line.get_label() == f"fitted ({fit.exits['browse'].kind})"


def test_dwell_names_the_fitted_touchpoints(fit, event_log):
    with pytest.raises(ValueError, match="'basket' is not a fitted touchpoint; one of browse"):
        dwell_fit(fit, "basket", event_log)


def test_dwell_needs_the_fit_itself(fit, event_log):
    loaded = dataclasses.replace(fit, mixture=None)
    with pytest.raises(CalibrationError, match="not one read from a file"):
        dwell_fit(loaded, "browse", event_log)


def test_transition_intervals_are_the_report_rows(fit, drawn, errorbars):
    ax = drawn(transition_intervals(fit))
    table = fit.report["transitions"]
    ((_, centre, low, high),) = errorbars(ax)
    np.testing.assert_allclose(centre, table["mean"], rtol=1e-12)
    np.testing.assert_allclose(low, table["low"], rtol=1e-12)
    np.testing.assert_allclose(high, table["high"], rtol=1e-12)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == f"{table['from'][0]} → {table['to'][0]} (n={table['count'][0]:,})"


def test_holdout_draws_the_validation_curve(drawn):
    curve = pd.DataFrame(
        {
            "week": [1.0, 2.0, 3.0],
            "predicted": [10.0, 21.0, 30.0],
            "low": [8.0, 18.0, 26.0],
            "high": [12.0, 24.0, 34.0],
            "actual": [11.0, 20.0, 33.0],
        }
    )
    empty = pd.DataFrame()
    v = Validation(
        empty, curve, empty, empty, pd.Timestamp("2020-01-01"), pd.Timestamp("2020-01-22"), 5
    )
    ax = drawn(holdout(v))
    lines = _lines(ax)
    np.testing.assert_array_equal(lines["predicted"].get_ydata(), curve["predicted"])
    np.testing.assert_array_equal(lines["actual"].get_ydata(), curve["actual"])
    assert v.plot().get_title() == ax.get_title()


def _with_drift(p_adjusted, alarm):
    n = len(p_adjusted)
    table = pd.DataFrame(
        {
            "test": ["transition row", "dwell", "arrivals"][:n],
            "touchpoint": ["site", "email", ""][:n],
            "target": ["shop", "", ""][:n],
            "n": [100] * n,
            "statistic": [1.0] * n,
            "df": [1.0] * n,
            "p_value": p_adjusted,
            "p_adjusted": p_adjusted,
            "alarm": alarm,
            "effect": [30.0, 2.0, 0.5][:n],
            "effect_measure": ["pp", "ratio", "rate ratio"][:n],
            "detail": [""] * n,
        },
        columns=DRIFT_COLUMNS,
    )
    empty = pd.DataFrame()
    return Validation(
        empty,
        empty,
        empty,
        empty,
        pd.Timestamp("2020-01-01"),
        pd.Timestamp("2020-01-22"),
        5,
        drift=Drift(table, alpha=0.01),
    )


def test_drift_draws_the_evidence_against_the_level(drawn):
    v = _with_drift([1e-6, 0.5, 1.0], [True, False, False])
    ax = drawn(drift_tests(v))
    (bars,) = ax.containers
    np.testing.assert_allclose([b.get_width() for b in bars], [6.0, -np.log10(0.5), 0.0])
    assert bars[0].get_facecolor() != bars[1].get_facecolor()  # the alarm stands out
    (level,) = [line for line in ax.get_lines() if line.get_label() == "Holm level 0.01"]
    assert level.get_xdata()[0] == pytest.approx(2.0)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "transition row site (pp 30)",
        "dwell email (ratio 2)",
        "arrivals (rate ratio 0.5)",
    ]
    assert (
        v.plot_drift().get_title() == ax.get_title() == "Drift in the holdout: 1 of 3 tests alarm"
    )


def test_drift_needs_the_tests():
    empty = pd.DataFrame()
    v = Validation(
        empty, empty, empty, empty, pd.Timestamp("2020-01-01"), pd.Timestamp("2020-01-22"), 5
    )
    with pytest.raises(CalibrationError, match="no drift tests"):
        drift_tests(v)
