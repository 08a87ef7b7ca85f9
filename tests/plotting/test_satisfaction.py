"""The emotional curve."""

from pathlib import Path

import numpy as np
import pytest

import cjsim
from cjsim.interventions import Change, Intervention, apply
from cjsim.plotting import emotional_curve
from cjsim.plotting.satisfaction import satisfaction_curve
from tests.shops import calm_fashion

MOODS = Path(__file__).resolve().parents[1] / "data" / "moods.toml"


@pytest.fixture(scope="module")
def moods():
    return cjsim.load_scenario(MOODS)


@pytest.fixture(scope="module")
def result(moods):
    return cjsim.simulate(moods, engine="vectorized", replications=3, seed=2)


def test_the_curve_follows_the_stages_in_journey_order(moods, result):
    curve = satisfaction_curve(moods, result)
    assert list(curve.index) == list(moods.stages)
    table = result.kpis.set_index("kpi")
    assert curve.loc["purchase", "mean"] == table.loc["satisfaction[purchase]", "mean"]
    by_tp = satisfaction_curve(moods, result, by="touchpoint")
    assert list(by_tp.index) == list(moods.touchpoints)


def test_one_line_per_result_and_the_promoter_lines(moods, result):
    iv = Intervention(
        "calm_size_guide", (Change("scale_satisfaction", {"node": "size_guide", "factor": 0.0}),)
    )
    variant = cjsim.simulate(apply(moods, iv), engine="vectorized", replications=3, seed=2)
    ax = emotional_curve(moods, {"baseline": result, "calm size guide": variant})
    assert len(ax.containers) == 2  # two error-bar lines
    levels = sorted(line.get_ydata()[0] for line in ax.lines if line.get_linestyle() == "--")
    assert levels == [moods.satisfaction.detractor_at, moods.satisfaction.promoter_at]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert len(ticks) == len(moods.stages)
    first = ax.containers[0].lines[0].get_ydata()
    np.testing.assert_allclose(first, satisfaction_curve(moods, result)["mean"])


def test_a_result_without_satisfaction_says_what_is_missing():
    sc = calm_fashion()
    res = cjsim.simulate(sc, engine="analytic")
    with pytest.raises(ValueError, match=r"\[satisfaction\] table"):
        satisfaction_curve(sc, res)
    with pytest.raises(ValueError, match="by must be one of"):
        satisfaction_curve(sc, res, by="segment")
