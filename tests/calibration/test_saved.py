"""A fit saved and read back is whole: the same scenario, the same posterior draws for
the same seed, pickles; files from different calibrations are refused."""

import json
import pickle
import shutil

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.calibration import load_fit
from cjsim.calibration.exits import ExitFit
from cjsim.calibration.saved import decode, encode
from cjsim.model import Gamma


def same(a, b):
    """Equal to the last bit, NaN included (compared in their JSON form)."""
    return json.dumps(encode(a)) == json.dumps(encode(b))


@pytest.mark.parametrize("which", ["segment_fit", "destination_fit"])
def test_a_saved_fit_loads_whole_and_draws_the_same_scenarios(which, request, tmp_path):
    fit = request.getfixturevalue(which)
    written = fit.save(tmp_path / "out")
    assert [p.name for p in written] == [
        "fitted.toml",
        "fitted.warm_start.csv",
        "fitted.calibration.json",
    ]
    for where in (tmp_path / "out", tmp_path / "out" / "fitted.toml"):
        back = load_fit(where)
        assert back.scenario == fit.scenario
        assert back.sample_scenarios(3, seed=5) == fit.sample_scenarios(3, seed=5)
        assert back.summary() == fit.summary()
        assert back.to_dict() == fit.to_dict()
        for name in ("exits", "rows", "mixture", "arrivals", "competing"):
            assert same(getattr(back, name), getattr(fit, name)), name


def test_the_draws_depend_on_the_seed(segment_fit):
    one, two = segment_fit.sample_scenarios(2, seed=1), segment_fit.sample_scenarios(2, seed=2)
    assert one != two
    assert one == segment_fit.sample_scenarios(2, seed=1)


def test_a_fit_pickles_and_draws_the_same_scenarios(destination_fit):
    back = pickle.loads(pickle.dumps(destination_fit))
    assert back.sample_scenarios(2, seed=9) == destination_fit.sample_scenarios(2, seed=9)


def test_a_toml_path_names_the_scenario_file_as_cjsim_calibrate_does(segment_fit, tmp_path):
    written = segment_fit.save(tmp_path / "shop.toml")
    assert [p.name for p in written] == [
        "shop.toml",
        "shop.warm_start.csv",
        "shop.calibration.json",
    ]
    doc = json.loads(written[-1].read_text())
    assert doc["cjsim_calibration"] == 2
    assert doc["files"]["scenario"]["name"] == "shop.toml"


@pytest.fixture(scope="module")
def other_fit(small_log):
    """A fit of half the log with the data's end as the cut-off."""
    mapping = {"touchpoints": {"site": ["visit"], "shop": ["buy"]}, "purchases": ["shop"]}
    return cjsim.calibrate(small_log.iloc[: len(small_log) // 2], mapping)


@pytest.fixture
def two_saved(segment_fit, other_fit, tmp_path):
    segment_fit.save(tmp_path / "a")
    other_fit.save(tmp_path / "b")
    return tmp_path / "a", tmp_path / "b"


@pytest.mark.parametrize("name", ["fitted.toml", "fitted.warm_start.csv"])
def test_a_file_from_another_calibration_is_refused(two_saved, name):
    a, b = two_saved
    shutil.copy(b / name, a / name)
    with pytest.raises(cjsim.CalibrationError) as err:
        load_fit(a)
    message = str(err.value)
    assert name in message and "fitted.calibration.json" in message
    assert "does not belong" in message and "calibrate again" in message


def test_a_missing_warm_start_file_is_named(two_saved):
    a, _ = two_saved
    (a / "fitted.warm_start.csv").unlink()
    with pytest.raises(cjsim.CalibrationError, match=r"warm start file .*missing"):
        load_fit(a)


def test_an_older_calibration_file_is_refused_with_a_hint(two_saved):
    a, _ = two_saved
    side = a / "fitted.calibration.json"
    doc = json.loads(side.read_text())
    side.write_text(json.dumps({**doc, "cjsim_calibration": 1}))
    with pytest.raises(cjsim.CalibrationError, match=r"version 1, expected version 2.*calibrate"):
        load_fit(a)
    side.write_text("{not json")
    with pytest.raises(cjsim.CalibrationError, match="cannot read it"):
        load_fit(a)


def test_the_json_form_keeps_arrays_frames_and_dataclasses_exactly():
    fortran = np.asfortranarray(np.arange(12.0).reshape(4, 3) / 7)
    value = {
        "a": fortran,
        "ints": np.array([[1, 2]], dtype=np.int64),
        "empty": np.zeros((0, 3)),
        "frame": pd.DataFrame({"x": ["u", "v"], "y": [0.1, np.nan], "ok": [True, False]}),
        "when": pd.Timestamp("2021-06-01T12:00"),
        "fit": ExitFit(0.25, 0.01, Gamma(3.0, 0.5), "gamma", 12.5, (4.0, 0.0, 0.75)),
        "nested": [(1.0, "x"), None],
    }
    back = decode(json.loads(json.dumps(encode(value))))
    np.testing.assert_array_equal(back["a"], fortran)
    assert back["a"].flags["F_CONTIGUOUS"]
    assert back["ints"].dtype == np.int64 and back["empty"].shape == (0, 3)
    pd.testing.assert_frame_equal(back["frame"], value["frame"])
    assert back["when"] == value["when"] and back["fit"] == value["fit"]
    assert back["nested"] == ((1.0, "x"), None)


def test_the_json_form_rebuilds_only_cjsim_classes():
    with pytest.raises(ValueError, match="not a cjsim class"):
        decode({"__cjsim__": "dataclass", "class": "os:system", "fields": {}})
    with pytest.raises(TypeError, match="cannot write"):
        encode(object())


def test_the_plots_work_on_a_fit_read_back(segment_fit, small_log, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    back = load_fit(segment_fit.save(tmp_path)[0])
    assert back.plot_dwell("shop", small_log).get_title().startswith("shop")
    assert len(back.plot_transitions().containers) == 1


def test_a_save_killed_between_files_leaves_a_set_that_is_refused(
    segment_fit, other_fit, tmp_path, monkeypatch, capsys
):
    """A kill after the new fitted.toml but before its JSON: the old JSON's digests no
    longer match, so both load_fit and `cjsim validate` refuse the pair."""
    from cjsim.calibration import saved
    from cjsim.cli import main

    segment_fit.save(tmp_path)

    def killed(path, text):
        raise KeyboardInterrupt

    monkeypatch.setattr(saved, "atomic_write_text", killed)
    with pytest.raises(KeyboardInterrupt):
        other_fit.save(tmp_path)
    with pytest.raises(cjsim.CalibrationError, match="does not belong"):
        load_fit(tmp_path)
    assert main(["validate", str(tmp_path / "fitted.toml"), "events.csv"]) == 2
    assert "does not belong" in capsys.readouterr().err
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
