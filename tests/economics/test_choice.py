"""The recommendation: the best candidate within the budget when it pays, else nothing."""

import math

import pandas as pd
import pytest

from cjsim.economics import recommend


def _ranking(**columns):
    base = {
        "variant": ["a", "b", "c"],
        "incremental_profit": [900.0, 50.0, math.nan],
        "incremental_profit_ci_low": [400.0, -20.0, math.nan],
        "incremental_profit_ci_high": [1400.0, 120.0, math.nan],
        "intervention_cost": [5000.0, 100.0, 10.0],
        "p_beats_baseline": [1.0, 0.8, math.nan],
        "p_best": [0.9, 0.1, math.nan],
    }
    return pd.DataFrame(base | columns)


def test_the_best_that_pays_is_recommended():
    rec = recommend(_ranking())
    assert (rec.choice, rec.incremental_profit, rec.p_best) == ("a", 900.0, 0.9)
    text = " ".join(rec.sentences("EUR", 365.0))
    assert text.startswith("Make the investment a:")
    assert "+900 [+400, +1,400] EUR over 365 days" in text and "best choice in 90 %" in text


def test_a_budget_leaves_out_what_it_cannot_pay():
    assert recommend(_ranking(), budget=1000.0).choice == "b"


def test_nothing_is_recommended_when_nothing_pays():
    rec = recommend(_ranking(incremental_profit=[-10.0, -5.0, math.nan]))
    assert rec.choice is None and rec.best == "b"
    assert rec.sentences("EUR", 60.0)[0].startswith("Do nothing: no investment is expected")


def test_a_portfolio_is_chosen_among_those_within_the_budget():
    table = _ranking().rename(columns={"variant": "portfolio"})
    table["portfolio"] = ["a+b", "b", "c"]
    table["size"] = [2, 1, 1]
    table["within_budget"] = [False, True, True]
    rec = recommend(_ranking(), portfolio=table, budget=200.0)
    assert (rec.choice, rec.portfolio) == ("b", False)
    table["within_budget"] = True
    rec = recommend(_ranking(), portfolio=table, budget=1e6)
    assert (rec.choice, rec.portfolio) == ("a+b", True)
    assert rec.to_dict()["cost"] == pytest.approx(5000.0)
