"""Both simulation engines converge to the analytic engine.

Reference: the exact analytic engine on the same capacity-free model. A cohort is
followed for a long horizon so (almost) every customer leaves the journey; the tolerance
is 4 standard errors computed from the replications (fixed seeds). Each check is paired
with a deliberately wrong model that the same comparison rejects.
"""

import numpy as np
import pytest

import cjsim
from cjsim.model.synthetic import random_journey
from tests.engines.reference import z_scores

from .conftest import as_cohort

KPIS = [
    "conversion_rate",
    "purchases_per_customer",
    "revenue_per_customer",
    "time_to_absorption",
    "repeat_rate",
    "time_to_first_purchase",
    "clv",
    "cost_per_customer",
]
REPS = 12


def per_replication(sc, engine, seed=3, reps=REPS):
    res = cjsim.simulate(sc, engine=engine, replications=reps, seed=seed)
    return res.tables["replications"].set_index("replication")


def absorption_kpis(sc):
    return [f"absorption[{o}]" for o in sc.outcomes] + [f"visits[{t}]" for t in sc.touchpoints]


@pytest.mark.parametrize("engine", ["des", "vectorized"])
def test_capacity_free_fashionfusion_matches_analytic(engine, fashion_free):
    table = per_replication(fashion_free, engine)
    assert table["in_flight_share"].max() == 0, "the horizon must let everyone leave"
    exact = cjsim.solve_analytic(fashion_free, removal=False, elasticity=False)
    kpis = KPIS + absorption_kpis(fashion_free)
    z = z_scores(table, exact, kpis)
    assert max(z.values()) < 4, {k: round(v, 2) for k, v in z.items() if v >= 4}


@pytest.mark.parametrize("engine", ["des", "vectorized"])
def test_the_same_check_rejects_a_wrong_model(engine, fashion_free):
    table = per_replication(fashion_free, engine)
    row = dict(fashion_free.transitions["website"])
    row["checkout"] *= 1.15
    row["lost"] = 1 - sum(v for k, v in row.items() if k != "lost")
    wrong = fashion_free.replace(transitions={**fashion_free.transitions, "website": row})
    exact = cjsim.solve_analytic(wrong, removal=False, elasticity=False)
    assert z_scores(table, exact, ["conversion_rate"])["conversion_rate"] > 4


@pytest.mark.parametrize("engine", ["des", "vectorized"])
@pytest.mark.parametrize("seed", [4, 9])
def test_random_chains_match_analytic(engine, seed):
    sc = random_journey(np.random.default_rng(seed), n_touchpoints=7, segments=True, referrals=True)
    sc = as_cohort(sc, 2000, 5_000.0)
    table = per_replication(sc, engine, seed=seed)
    exact = cjsim.solve_analytic(sc, removal=False, elasticity=False)
    z = z_scores(
        table,
        exact,
        [
            "conversion_rate",
            "purchases_per_customer",
            "revenue_per_customer",
            "time_to_absorption",
            *absorption_kpis(sc),
        ],
    )
    assert max(z.values()) < 4, {k: round(v, 2) for k, v in z.items() if v >= 4}


def test_random_chain_check_rejects_a_wrong_model():
    sc = as_cohort(random_journey(np.random.default_rng(4), n_touchpoints=7), 2000, 5_000.0)
    table = per_replication(sc, "vectorized", seed=4)
    first = next(iter(sc.touchpoints))
    row = dict(sc.transitions[first])
    target = next(iter(row))
    row = {k: (v * 0.8 if k == target else v) for k, v in row.items()}
    row[next(k for k in row if k != target)] += sum(sc.transitions[first].values()) - sum(
        row.values()
    )
    wrong = sc.replace(transitions={**sc.transitions, first: row})
    exact = cjsim.solve_analytic(wrong, removal=False, elasticity=False)
    z = z_scores(table, exact, absorption_kpis(sc))
    assert max(z.values()) > 4


def test_des_and_vectorized_agree_on_a_horizon_that_censors(fashion_free):
    """With a short horizon the analytic engine cannot answer; the two simulators must agree
    with each other (difference of two independent means, 4 combined standard errors)."""
    sc = fashion_free.replace(horizon_days=30.0)
    a, b = per_replication(sc, "des", seed=5), per_replication(sc, "vectorized", seed=6)
    for kpi in ("conversion_rate", "in_flight_share", "retained_rate", "revenue"):
        se = np.hypot(a[kpi].std(ddof=1), b[kpi].std(ddof=1)) / np.sqrt(REPS)
        assert abs(a[kpi].mean() - b[kpi].mean()) < 4 * se, kpi
