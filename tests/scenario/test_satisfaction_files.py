"""The [satisfaction] table and a touchpoint's satisfaction effects in scenario files."""

import tomllib
from pathlib import Path

import pytest

import cjsim
from cjsim.scenario import scenario_from_dict, scenario_to_toml
from tests.shops import calm_fashion

MOODS = Path(__file__).resolve().parents[1] / "data" / "moods.toml"


def test_satisfaction_round_trips(tmp_path):
    sc = cjsim.load_scenario(MOODS)
    assert sc.satisfaction is not None and sc.satisfaction.link["loyal"] == 0.5
    assert sc.touchpoints["returns"].feeling.refund == 0.3
    cjsim.save_scenario(sc, tmp_path / "moods.toml")
    assert cjsim.load_scenario(tmp_path / "moods.toml") == sc


def test_a_scenario_without_satisfaction_writes_no_table():
    sc = calm_fashion()
    assert sc.satisfaction is None
    assert "satisfaction" not in scenario_to_toml(sc)


def test_file_errors_name_the_key_and_a_hint():
    data = tomllib.loads(MOODS.read_text())
    data["satisfaction"]["link"]["nowhere"] = 1.0
    data["touchpoints"]["browse"]["satisfaction"] = {"wait": -1.0}
    with pytest.raises(cjsim.ScenarioFileError) as exc:
        scenario_from_dict(data, source="moods.toml")
    text = str(exc.value)
    assert "satisfaction.link.nowhere" in text
    assert "touchpoints.browse.satisfaction.wait" in text and "capacity" in text


def test_unknown_keys_of_the_satisfaction_table_are_refused():
    data = tomllib.loads(MOODS.read_text())
    data["satisfaction"]["strat"] = 1.0
    with pytest.raises(cjsim.ScenarioFileError, match=r"satisfaction\.strat"):
        scenario_from_dict(data, source="moods.toml")


def test_schema_describes_satisfaction():
    schema = cjsim.json_schema()
    assert "satisfaction" in schema["properties"]
    feeling = schema["$defs"]["FeelingSpec"]["properties"]
    assert set(feeling) == {"visit", "wait_over_days", "wait", "renege", "refund"}
