"""Scenario files round-trip: load -> save -> load gives an equal scenario."""

import tomllib
from pathlib import Path

import numpy as np
import pytest

import cjsim
from cjsim.model.random import random_journey
from cjsim.scenario import scenario_from_dict, scenario_to_toml

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SCENARIO_FILES = sorted(
    p for p in SCENARIOS.glob("*.toml") if "scenario" in tomllib.loads(p.read_text())
)


def test_there_are_example_scenarios():
    assert len(SCENARIO_FILES) >= 2


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.name)
def test_every_bundled_scenario_round_trips(path, tmp_path):
    first = cjsim.load_scenario(path)
    out = tmp_path / path.name
    cjsim.save_scenario(first, out)
    second = cjsim.load_scenario(out)
    assert second == first
    cjsim.save_scenario(second, out)
    assert out.read_text() == scenario_to_toml(first), "saving is deterministic"


@pytest.mark.parametrize("seed", range(20))
def test_random_journeys_round_trip(seed):
    sc = random_journey(np.random.default_rng(seed), n_touchpoints=7, referrals=True, segments=True)
    assert scenario_from_dict(tomllib.loads(scenario_to_toml(sc))) == sc


def test_rest_is_written_when_it_reproduces_the_row(tmp_path):
    text = scenario_to_toml(cjsim.load_scenario(SCENARIOS / "fashionfusion.toml"))
    assert 'rest = "lost"' in text


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    sc = cjsim.load_scenario(SCENARIO_FILES[0])
    target = tmp_path / "copy.toml"
    target.write_text("previous content")
    cjsim.save_scenario(sc, target)
    assert [p.name for p in tmp_path.iterdir()] == ["copy.toml"]
    assert cjsim.load_scenario(target) == sc


def test_errors_are_collected_together():
    data = tomllib.loads((Path(__file__).parent / "malformed" / "_valid_base.toml").read_text())
    data["transitions"]["website"]["checkout"] = 0.9
    data["economics"]["gross_margin"] = 2.0
    with pytest.raises(cjsim.ScenarioFileError) as info:
        scenario_from_dict(data, source="x.toml")
    paths = [p.path for p in info.value.problems]
    assert "transitions.website" in paths
    assert "economics.gross_margin" in paths
    assert str(info.value).startswith("x.toml: ")


def test_schema_describes_every_top_level_table():
    schema = cjsim.json_schema()
    assert set(schema["properties"]) == {
        "scenario",
        "population",
        "economics",
        "touchpoints",
        "outcomes",
        "transitions",
    }
    assert schema["additionalProperties"] is False
