"""The stages of ``calibrate`` run by hand give the same fit; each stage's record."""

import pandas as pd
import pytest

import cjsim
from cjsim.calibration.fit import assemble
from cjsim.calibration.office import with_office_hours
from cjsim.calibration.stages import (
    CalibrationOptions,
    fit_classes,
    fit_destinations,
    fit_exits,
    prepare_log,
    spells,
)


def test_the_stages_by_hand_give_the_fit_of_calibrate(small_log, small_mapping, segment_fit):
    options = CalibrationOptions()
    log = with_office_hours(prepare_log(small_log, small_mapping), options.seasonality)
    exits = fit_exits(log, options)
    classes = fit_classes(log, exits, options)
    destinations = fit_destinations(log, exits, classes, options)
    fit = assemble(log, exits, classes, destinations, options)
    assert fit.scenario == segment_fit.scenario
    assert destinations.fits is None
    assert exits.fitted == ("site", "shop")
    assert classes.mixture.names == ("casual", "loyal")
    assert fit.warnings == segment_fit.warnings


def test_spells_run_to_the_next_event_or_stay_open_at_the_cut_off():
    t0 = pd.Timestamp("2021-01-01")
    events = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b"],
            "time": [t0, t0 + pd.Timedelta(days=2), t0 + pd.Timedelta(days=1)],
            "node": ["site", "shop", "site"],
        }
    )
    out = spells(events, t0 + pd.Timedelta(days=5), ("site", "shop", "gone"))
    assert out["days"].tolist() == [2.0, 3.0, 4.0]
    assert out["target"].tolist() == [1, -1, -1]


def test_prepare_log_keeps_the_calibration_period_and_counts_late_events(small_log, small_mapping):
    mapping = {"touchpoints": {"site": ["visit"]}, "outcomes": {"done": ["buy"]}}
    log = prepare_log(small_log, {**small_mapping, **mapping, "purchases": []})
    assert log.events["time"].max() < log.cutoff
    assert any("after a customer's outcome were ignored" in w for w in log.warnings)
    assert len(log.customers) == log.events["customer_id"].nunique()
    assert set(log.spells["node"]) <= set(log.touchpoints)


def test_empirical_dwell_needs_dwell_by_destination():
    with pytest.raises(cjsim.CalibrationError, match="needs dwell_by_destination=True"):
        CalibrationOptions(dwell_families=("empirical",), dwell_by_destination=False)
    with pytest.raises(cjsim.CalibrationError, match=r"one of \('auto', 'yes', 'no'\) or a bool"):
        CalibrationOptions(dwell_by_destination="sometimes")
    assert CalibrationOptions().by_destination == "auto"
    assert CalibrationOptions(dwell_by_destination=True).by_destination == "yes"
    both = CalibrationOptions(dwell_families=("empirical", "gamma"), dwell_by_destination=True)
    assert both.pooled_families == ("gamma",)


def test_a_log_without_two_completed_spells_is_refused(small_log, small_mapping):
    first = small_log.groupby("customer_id").head(1).head(1)
    log = prepare_log(first, {**small_mapping, "cutoff": "2021-01-16"})
    with pytest.raises(cjsim.CalibrationError, match="no touchpoint has two completed spells"):
        fit_exits(log, CalibrationOptions())
