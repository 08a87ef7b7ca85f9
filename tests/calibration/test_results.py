"""``Fit`` and ``Validation`` share the result interface: ``to_dict``, ``to_json``,
``save(directory) -> list[Path]`` and ``summary()``."""

import json
import math

import numpy as np
import pandas as pd

from cjsim.calibration.validate import Validation


def validation(mape_nan=False):
    actual = [0.0, 0.0] if mape_nan else [4.0, 9.0]
    return Validation(
        table=pd.DataFrame(
            {
                "metric": ["repeat purchases in the holdout"],
                "predicted": [10.0],
                "low": [8.0],
                "high": [12.0],
                "actual": [9.0],
                "error": [1.0],
                "relative_error": [1 / 9],
            }
        ),
        curve=pd.DataFrame(
            {
                "week": [1, 2],
                "predicted": [5.0, 10.0],
                "low": [4.0, 8.0],
                "high": [6.0, 12.0],
                "actual": actual,
            }
        ),
        by_history=pd.DataFrame(
            {
                "purchases_before": ["0"],
                "customers": [3],
                "predicted": [1.0],
                "low": [0.0],
                "high": [2.0],
                "actual": [1.0],
            }
        ),
        funnel=pd.DataFrame(
            {
                "group": ["new"],
                "node": ["shop"],
                "predicted": [0.5],
                "low": [0.4],
                "high": [0.6],
                "actual": [np.nan],
                "error": [np.nan],
                "relative_error": [np.nan],
            }
        ),
        cutoff=pd.Timestamp("2021-06-01"),
        end=pd.Timestamp("2021-06-15"),
        replications=3,
    )


def test_validation_to_json_is_what_validate_json_printed():
    v = validation()
    by_hand = json.dumps(  # how `cjsim validate --json` built it before, plus the seed
        {
            "metrics": json.loads(v.table.to_json(orient="records")),
            "curve": json.loads(v.curve.to_json(orient="records")),
            "by_history": json.loads(v.by_history.to_json(orient="records")),
            "funnel": json.loads(v.funnel.to_json(orient="records")),
            "curve_mape": v.curve_mape,
            "holdout_mape": v.holdout_mape,
            "seed": v.seed,
        },
        indent=2,
    )
    assert v.to_json() == by_hand
    assert list(v.to_dict()) == [
        "metrics",
        "curve",
        "by_history",
        "funnel",
        "curve_mape",
        "holdout_mape",
        "seed",
    ]


def test_validation_json_writes_nan_as_null():
    v = validation(mape_nan=True)
    assert math.isnan(v.curve_mape)
    assert json.loads(v.to_json())["curve_mape"] is None


def test_validation_save_writes_its_tables_and_json(tmp_path):
    v = validation()
    written = v.save(tmp_path / "v")
    assert [p.name for p in written] == [
        "metrics.csv",
        "curve.csv",
        "by_history.csv",
        "funnel.csv",
        "validation.json",
    ]
    pd.testing.assert_frame_equal(pd.read_csv(written[1]), v.curve)
    assert json.loads(written[-1].read_text()) == v.to_dict()
    assert v.summary().startswith("holdout 2021-06-01 to 2021-06-15, 3 replications")


def test_fit_to_dict_summarises_the_fit(segment_fit):
    d = json.loads(segment_fit.to_json())
    assert d == segment_fit.to_dict()
    assert d["n_customers"] == len(segment_fit.customers)
    assert set(d["segments"]) == {"casual", "loyal"}
    assert set(d["report"]) == {
        "dwell_choice",
        "transitions",
        "exits",
        "segments",
        "arrivals",
        "order_values",
        "behaviour_seasonality",
        "office_hours",
    }
    assert d["cutoff"].startswith("2021-06-01")
    assert "calibrated on" in segment_fit.summary()


def test_validate_records_a_fresh_seed_that_replays_it(segment_fit, small_log):
    """One seed rule everywhere: None draws fresh entropy, recorded so the run replays."""
    import cjsim

    cut = small_log[small_log["timestamp"] < pd.Timestamp("2021-05-01")]
    fit = cjsim.calibrate(cut, {**segment_fit.mapping.model_dump(), "cutoff": "2021-05-01"})
    first = cjsim.validate(fit, small_log, replications=2)
    again = cjsim.validate(fit, small_log, replications=2, seed=first.seed)
    assert isinstance(first.seed, int)
    pd.testing.assert_frame_equal(first.table, again.table)
    assert json.loads(first.to_json())["seed"] == first.seed
