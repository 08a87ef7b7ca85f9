"""Scenario files round-trip: load -> save -> load gives an equal scenario."""

import dataclasses
import tomllib
from pathlib import Path

import numpy as np
import pytest

import cjsim
from cjsim.model.synthetic import random_journey
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
        "journeys",
        "satisfaction",
    }
    assert schema["additionalProperties"] is False


def test_dwell_multipliers_round_trip(tmp_path):
    base = cjsim.load_scenario(SCENARIOS / "fashionfusion.toml")
    first, *others = base.population.segments
    seg = dataclasses.replace(first, dwell_multipliers={"dormant": 0.4, "website": 2.5})
    sc = base.replace(population=dataclasses.replace(base.population, segments=(seg, *others)))
    cjsim.save_scenario(sc, tmp_path / "dwell.toml")
    assert (
        "dwell_multipliers = { dormant = 0.4, website = 2.5 }"
        in (tmp_path / "dwell.toml").read_text()
    )
    again = cjsim.load_scenario(tmp_path / "dwell.toml")
    assert again == sc
    assert again.population.segments[0].dwell_multipliers == {"dormant": 0.4, "website": 2.5}
    assert again != base


@pytest.mark.parametrize(
    ("factor", "words"),
    [(0.0, "> 0, got 0.0"), (-1.5, "got -1.5"), (float("inf"), "got inf"), (float("nan"), "nan")],
)
def test_bad_dwell_multipliers_are_rejected(factor, words):
    data = tomllib.loads((Path(__file__).parent / "malformed" / "_valid_base.toml").read_text())
    data["population"]["segments"][1]["dwell_multipliers"] = {"review": factor, "chekout": 1.0}
    with pytest.raises(cjsim.ScenarioFileError) as info:
        scenario_from_dict(data, source="x.toml")
    lines = str(info.value).splitlines()
    assert any(
        line.startswith("x.toml: population.segments[1].dwell_multipliers.review: ")
        and words in line
        for line in lines
    ), lines
    assert any(
        "population.segments[1].dwell_multipliers.chekout: unknown touchpoint" in line
        and "did you mean 'checkout'?" in line
        for line in lines
    ), lines


def test_dwell_multipliers_appear_in_the_schema():
    segment = cjsim.json_schema()["$defs"]["SegmentSpec"]["properties"]
    assert segment["dwell_multipliers"]["additionalProperties"] == {"type": "number"}


def test_numpy_numbers_are_written_as_plain_toml_numbers(tmp_path):
    import numpy as np

    from cjsim.model import Gamma, JourneyBuilder

    sc = (
        JourneyBuilder("np", stages=["s"], horizon_days=10)
        .touchpoint("shop", "s", purchase=True, order_value=Gamma(np.float64(31.5), 0.5))
        .outcome("done")
        .edges("shop", done=1.0)
        .poisson(float(np.float64(2.0)))
        .entry(shop=1.0)
        .build()
    )
    path = tmp_path / "np.toml"
    cjsim.save_scenario(sc, path)
    assert "np.float64" not in path.read_text()
    assert cjsim.load_scenario(path) == sc
