"""Per-segment replacement distributions in scenario files: the TOML keys, the round
trip, the JSON Schema and the loader's problem paths."""

import dataclasses
import tomllib
from pathlib import Path

import pytest

import cjsim
from cjsim.errors import ScenarioFileError
from cjsim.model import Empirical, Exponential, Gamma, LogNormal
from cjsim.scenario import scenario_from_dict, scenario_to_toml
from cjsim.scenario.schema import json_schema

VALID_BASE = Path(__file__).parent / "malformed" / "_valid_base.toml"

SEGMENTS = """
[[population.segments]]
name = "loyal"
share = 0.4
order_value_multiplier = 1.5
dwell_multipliers = { search = 0.5 }
dwell = { website = { dist = "lognormal", median = 0.3, sigma = 1.4 }, \
checkout = { dist = "exponential", mean = 0.2 } }
order_value = { checkout = { dist = "gamma", mean = 150.0, cv = 0.3 } }

[[population.segments]]
name = "regular"
share = 0.6
"""


def with_segments(text: str = SEGMENTS) -> dict:
    base = VALID_BASE.read_text(encoding="utf-8")
    start = base.index("[[population.segments]]")
    end = base.index("[economics]")
    return tomllib.loads(base[:start] + text.lstrip() + "\n" + base[end:])


def test_replacement_distributions_are_read_into_the_segment():
    sc = scenario_from_dict(with_segments())
    loyal = sc.population.segments[0]
    assert loyal.dwell == {
        "website": LogNormal.from_median_sigma(0.3, 1.4),
        "checkout": Exponential(0.2),
    }
    assert loyal.order_value == {"checkout": Gamma(150.0, 0.3)}
    assert loyal.dwell_multipliers == {"search": 0.5}
    assert loyal.dwell_at(sc.touchpoints["search"]) == sc.touchpoints["search"].dwell
    assert sc.population.segments[1].dwell == {}


def test_a_scenario_with_replacements_round_trips(tmp_path):
    sc = scenario_from_dict(with_segments())
    out = tmp_path / "segments.toml"
    cjsim.save_scenario(sc, out)
    again = cjsim.load_scenario(out)
    assert again == sc
    assert again.population.segments[0].dwell == sc.population.segments[0].dwell
    text = out.read_text(encoding="utf-8")
    assert 'dwell = { website = { dist = "lognormal"' in text
    assert 'order_value = { checkout = { dist = "gamma"' in text


def test_an_empirical_replacement_round_trips():
    sc = scenario_from_dict(with_segments())
    loyal = sc.population.segments[0]
    own = Empirical((0.5, 1.0, 4.0), (0.2, 0.5, 0.3))
    seg = cjsim.model.Segment(loyal.name, loyal.share, dwell={"review": own})
    pop = dataclasses.replace(sc.population, segments=(seg, sc.population.segments[1]))
    sc = sc.replace(population=pop)
    assert scenario_from_dict(tomllib.loads(scenario_to_toml(sc))) == sc


def test_segments_without_replacements_write_no_new_keys():
    sc = cjsim.load_scenario(VALID_BASE)
    text = scenario_to_toml(sc)
    segment_tables = [t.split("\n\n")[0] for t in text.split("[[population.segments]]")[1:]]
    assert segment_tables and not any(
        line.startswith(("dwell ", "order_value "))
        for table in segment_tables
        for line in table.splitlines()
    )


def test_the_json_schema_describes_the_new_keys():
    spec = json_schema()["$defs"]["SegmentSpec"]["properties"]
    assert "days" in spec["dwell"]["description"]
    assert "money" in spec["order_value"]["description"]
    assert spec["dwell"]["type"] == "object"


def test_a_replacement_with_an_unknown_key_is_refused_with_its_path():
    text = SEGMENTS.replace("mean = 0.2 }", "mean = 0.2, medain = 1.0 }")
    with pytest.raises(ScenarioFileError) as err:
        scenario_from_dict(with_segments(text))
    paths = [p.path for p in err.value.problems]
    assert any(p.startswith("population.segments[0].dwell.checkout") for p in paths), paths
