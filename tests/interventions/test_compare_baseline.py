"""A comparison keeps its baseline's own Result: the same numbers ``simulate`` gives for the
same seed (common random numbers: the baseline's replications are simulate's), or the
analytic engine's exact solution."""

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.interventions import load_interventions
from cjsim.interventions.compare import compare
from tests.shops import calm_fashion


@pytest.fixture(scope="module")
def sc():
    return calm_fashion().replace(horizon_days=30.0)


@pytest.fixture(scope="module")
def guide():
    ivs = load_interventions("scenarios/fashionfusion_investments.toml")
    return next(iv for iv in ivs if iv.name == "better_size_guide")


def test_the_simulated_baseline_is_what_simulate_gives(sc, guide):
    options = {"engine": "vectorized", "replications": 3, "seed": 5, "ignore_capacity": True}
    cmp = compare(sc, [guide], **options)
    alone = cjsim.simulate(sc, **options)
    pd.testing.assert_frame_equal(cmp.baseline.kpis, alone.kpis)
    pd.testing.assert_frame_equal(cmp.baseline.timeseries, alone.timeseries)
    assert cmp.baseline.meta["seed"] == 5 and cmp.baseline.engine == "vectorized"
    # and it is the baseline the deltas were taken against
    d = cmp.deltas[cmp.deltas["kpi"] == "revenue"]
    assert (d["value"] - d["delta"]).mean() == pytest.approx(cmp.baseline["revenue"], rel=1e-12)


def test_another_seed_gives_another_baseline(sc, guide):
    options = {"engine": "vectorized", "replications": 3, "ignore_capacity": True}
    cmp = compare(sc, [guide], seed=5, **options)
    other = cjsim.simulate(sc, seed=6, **options)
    assert not np.allclose(cmp.baseline.kpis["mean"], other.kpis["mean"], equal_nan=True)


def test_the_analytic_baseline_is_the_exact_solution(sc, guide):
    cmp = compare(sc, [guide], engine="analytic")
    exact = cjsim.solve_analytic(sc, removal=False, elasticity=False)
    assert cmp.baseline["conversion_rate"] == exact["conversion_rate"]
    assert cmp.baseline["customers"] == pytest.approx(exact["customers"], rel=1e-12)
    assert cmp.baseline.timeseries is None


def test_parameter_draws_pool_the_baseline(sc, guide):
    draws = [sc.replace(economics=type(sc.economics)(gross_margin=m)) for m in (0.3, 0.6)]
    cmp = compare(sc, [guide], engine="analytic", scenario_draws=draws)
    profits = [
        cjsim.solve_analytic(d.replace(horizon_days=30.0), removal=False, elasticity=False)[
            "profit_per_customer"
        ]
        for d in draws
    ]
    assert cmp.baseline["profit_per_customer"] == pytest.approx(np.mean(profits))
    assert len(cmp.baseline.tables["draws"]) == 2
