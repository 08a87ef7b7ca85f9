"""Paired deltas, the ranking and the variance split on runs small enough to check by hand."""

import math

import numpy as np
import pytest

from cjsim.economics import (
    Outcome,
    delta_table,
    p_best,
    paired_deltas,
    rank_variants,
    variance_split,
)


def _figures(profit, cost, conversion=0.1, npv=None):
    """A run's figures; ``profit`` is net of the intervention's ``cost``."""
    return {
        "conversion_rate": conversion,
        "intervention_cost": cost,
        "profit": profit,
        "npv": profit if npv is None else npv,
    }


def _outcome(base, a, b, cash):
    """Two replications: baseline, variant a and variant b."""
    day = np.arange(3, dtype=float)
    return Outcome([base, a, b], cash, day)


@pytest.fixture
def outcome():
    base = [_figures(100.0, 0.0), _figures(110.0, 0.0)]
    a = [_figures(150.0, 20.0, 0.12), _figures(150.0, 20.0, 0.12)]  # +50, +40
    b = [_figures(90.0, 10.0), _figures(130.0, 10.0)]  # -10, +20
    zero = np.zeros(3)
    cash = [
        [zero, zero],
        [np.array([-20.0, 30.0, 30.0]), np.array([-20.0, 10.0, 50.0])],
        [np.array([-10.0, 0.0, 0.0]), np.array([-10.0, 30.0, 0.0])],
    ]
    return _outcome(base, a, b, cash)


def test_paired_deltas_are_taken_replication_by_replication(outcome):
    d = paired_deltas([outcome], ["a", "b"]).set_index(["variant", "replication", "kpi"])
    assert d.loc[("a", 0, "profit"), "delta"] == 50.0
    assert d.loc[("a", 1, "profit"), "delta"] == 40.0
    assert d.loc[("b", 0, "profit"), "delta"] == -10.0


def test_the_ranking_by_hand(outcome):
    deltas = paired_deltas([outcome], ["a", "b"])
    table = delta_table(deltas, draws=1)
    ranking = rank_variants(deltas, [outcome], ["a", "b"], table).set_index("variant")
    assert list(ranking.index) == ["a", "b"]  # best incremental profit first
    a, b = ranking.loc["a"], ranking.loc["b"]
    assert a["incremental_profit"] == 45.0
    assert a["roi"] == pytest.approx(np.mean([50 / 20, 40 / 20]))
    assert a["p_beats_baseline"] == 1.0 and b["p_beats_baseline"] == 0.5
    assert a["p_best"] == 1.0 and b["p_best"] == 0.0
    assert a["break_even_uplift"] == pytest.approx(20 / 65)
    # mean incremental cash of a: -20, 20, 40 -> cumulative -20, 0, 40: pays back on day 1
    assert a["payback_day"] == 1.0
    assert (a["payback_day_p2.5"], a["payback_day_p97.5"]) == (1.0, 2.0)
    # b's first replication never pays back: its upper percentile is "never" (NaN)
    assert b["payback_day_p2.5"] == 1.0 and math.isnan(b["payback_day_p97.5"])
    assert a["delta_conversion"] == pytest.approx(0.02)


def test_variance_split_between_draws_and_noise(outcome):
    shifted = Outcome(
        [outcome.kpis[0], [{**k, "profit": k["profit"] + 100} for k in outcome.kpis[1]],
         outcome.kpis[2]],
        outcome.cash,
        outcome.day,
    )  # fmt: skip
    deltas = paired_deltas([outcome, shifted], ["a", "b"])
    split = variance_split(deltas).set_index(["variant", "kpi"])
    a = split.loc[("a", "profit")]
    assert a["delta"] == pytest.approx(95.0)
    assert a["sd_simulation"] == pytest.approx(math.sqrt(50.0 / 2))  # var(50, 40) / 2 pairs
    assert a["parameter_share"] > 0.9
    b = split.loc[("b", "profit")]
    assert b["sd_parameter"] == 0.0 and math.isnan(b["parameter_share"])  # no spread at all


def _argmax_among_variants(incremental):
    """The old P(best): the best of the variants, even when all lose to doing nothing."""
    top = incremental == incremental.max(axis=1, keepdims=True)
    return top / top.sum(axis=1, keepdims=True)


def test_p_best_counts_doing_nothing_as_a_choice():
    losers = np.array([[-5.0, -2.0], [-1.0, -3.0]])  # never beat the baseline
    np.testing.assert_array_equal(p_best(losers), np.zeros((2, 2)))
    assert _argmax_among_variants(losers).mean(axis=0).tolist() == [0.5, 0.5]  # the foil
    mixed = np.array([[4.0, 6.0], [3.0, -1.0], [-2.0, -1.0]])
    wins = p_best(mixed).mean(axis=0)
    np.testing.assert_allclose(wins, [1 / 3, 1 / 3])  # the third pair: nothing is best
    tie = p_best(np.array([[0.0, -1.0]]))
    np.testing.assert_array_equal(tie, [[0.5, 0.0]])  # a tie with doing nothing shares


def test_p_best_only_among_candidates():
    incremental = np.array([[10.0, 4.0], [10.0, -1.0]])
    wins = p_best(incremental, np.array([False, True]))
    assert np.isnan(wins[:, 0]).all()  # over the budget: no candidate
    np.testing.assert_array_equal(wins[:, 1], [1.0, 0.0])


def test_the_ranking_uses_the_candidates(outcome):
    deltas = paired_deltas([outcome], ["a", "b"])
    table = delta_table(deltas, draws=1)
    ranking = rank_variants(deltas, [outcome], ["a", "b"], table, candidates=[False, True])
    r = ranking.set_index("variant")
    assert math.isnan(r.loc["a", "p_best"])
    assert r.loc["b", "p_best"] == 0.5  # b wins the pair where it beats the baseline
