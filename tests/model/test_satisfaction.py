"""The satisfaction model: the logit tilt of a row, and its validation."""

import dataclasses
import math
from pathlib import Path

import pytest

import cjsim
from cjsim.model import Feeling, Satisfaction

MOODS = Path(__file__).resolve().parents[1] / "data" / "moods.toml"


def test_tilt_is_a_multinomial_logit_of_the_row():
    sat = Satisfaction(link={"churned": -1.0, "loyal": 0.5})
    row = {"shop": 0.2, "loyal": 0.3, "churned": 0.5}
    s = 1.3
    weights = {"shop": 0.2, "loyal": 0.3 * math.exp(0.5 * s), "churned": 0.5 * math.exp(-s)}
    total = sum(weights.values())
    tilted = sat.tilt(row, s)
    assert tilted == pytest.approx({k: w / total for k, w in weights.items()}, rel=1e-12)
    assert math.fsum(tilted.values()) == pytest.approx(1.0, abs=1e-15)


def test_beta_zero_or_no_satisfaction_leaves_a_row_unchanged():
    row = {"shop": 0.25, "churned": 0.75}
    assert Satisfaction(link={"churned": 0.0}).tilt(row, 3.0) == row
    assert Satisfaction(link={"churned": -2.0}).tilt(row, 0.0) == row


def test_a_wrong_link_sign_moves_the_edge_the_other_way():
    row = {"shop": 0.5, "churned": 0.5}
    happy = Satisfaction(link={"churned": -1.0}).tilt(row, 1.0)["churned"]
    wrong = Satisfaction(link={"churned": 1.0}).tilt(row, 1.0)["churned"]
    assert happy < 0.5 < wrong


@pytest.fixture(scope="module")
def moods():
    return cjsim.load_scenario(MOODS)


def _problems(exc):
    return {p.path: p for p in exc.value.problems}


def test_effects_need_a_satisfaction_model(moods):
    with pytest.raises(cjsim.ModelError) as exc:
        moods.replace(satisfaction=None)
    problem = _problems(exc)["touchpoints.size_guide.satisfaction"]
    assert "no satisfaction model" in problem.message
    assert "[satisfaction]" in problem.hint


def test_bad_satisfaction_models_are_refused_naming_the_key(moods):
    sat = dataclasses.replace(
        moods.satisfaction, detractor_at=2.0, link={"churnd": -1.0, "lost": math.inf}
    )
    with pytest.raises(cjsim.ModelError) as exc:
        moods.replace(satisfaction=sat)
    found = _problems(exc)
    assert "churned" in found["satisfaction.link.churnd"].hint  # did you mean
    assert "finite" in found["satisfaction.link.lost"].message
    assert "below promoter_at" in found["satisfaction.detractor_at"].message


@pytest.mark.parametrize(
    ("feeling", "key", "words"),
    [
        (Feeling(wait_over_days=1.0, wait=-1.0), "wait", "needs a desk"),
        (Feeling(renege=-1.0), "renege", "needs patience"),
        (Feeling(refund=0.5), "refund", "refund_share"),
        (Feeling(visit=math.nan), "visit", "finite"),
    ],
)
def test_effects_a_touchpoint_cannot_have_are_refused(moods, feeling, key, words):
    tp = dataclasses.replace(moods.touchpoints["browse"], feeling=feeling)
    with pytest.raises(cjsim.ModelError) as exc:
        moods.replace(touchpoints={**moods.touchpoints, "browse": tp})
    assert words in _problems(exc)[f"touchpoints.browse.satisfaction.{key}"].message


def test_far_out_numbers_are_refused_and_journey_targets_need_the_table():
    from cjsim.errors import CJSimError
    from cjsim.scenario import scenario_from_dict

    base = {
        "scenario": {"name": "Bounds", "horizon_days": 50, "stages": ["a"]},
        "population": {"arrivals": {"kind": "cohort", "size": 10}, "entry": {"x": 1.0}},
        "touchpoints": {"x": {"stage": "a", "dwell": {"dist": "exponential", "mean": 1}}},
        "outcomes": {"churned": {}},
        "transitions": {"x": {"churned": 1.0}},
    }
    with pytest.raises(CJSimError, match=r"satisfaction.start: must be a finite number"):
        scenario_from_dict({**base, "satisfaction": {"start": 1e7}})
    feel = {"x": {**base["touchpoints"]["x"], "satisfaction": {"visit": 1e300}}}
    with pytest.raises(CJSimError, match=r"touchpoints.x.satisfaction.visit"):
        scenario_from_dict({**base, "touchpoints": feel, "satisfaction": {}})
    goal = {"name": "all", "entry": "x", "targets": {"net_promoter": 0.2}}
    with pytest.raises(CJSimError, match=r"journeys\[0\].targets.net_promoter: .*needs a"):
        scenario_from_dict({**base, "journeys": [goal]})
    both = {**goal, "name": "both", "targets": {"net_promoter": 0.2, "conversion_rate": 0.5}}
    sc = scenario_from_dict({**base, "journeys": [both, goal], "satisfaction": {}})
    calm = sc.without_satisfaction()
    assert [dict(j.targets) for j in calm.journeys] == [{"conversion_rate": 0.5}]


def test_the_analytic_flows_refuse_satisfaction_and_the_figures_say_untilted():
    from cjsim.engines.flows import edge_flows
    from cjsim.plotting.graph import edge_flows as figure_flows

    sc = cjsim.load_scenario("scenarios/fashionfusion.toml")
    with pytest.raises(cjsim.SimulationError, match="satisfaction model"):
        edge_flows(sc)
    table = figure_flows(sc)
    assert table.attrs["untilted"]
    assert table.equals(figure_flows(sc.without_satisfaction()))
