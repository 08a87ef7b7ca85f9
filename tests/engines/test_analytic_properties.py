"""Property tests of the analytic engine on random absorbing journeys (hypothesis).

Each example is a random journey drawn from a seed and a shape; the properties hold
for every absorbing chain: absorption sums to 1, visits are non-negative, exact
elasticities equal central finite differences, and removing a touchpoint never
raises conversions.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cjsim
from cjsim.engines.analytic import ELASTICITY_KPIS
from cjsim.model.rows import set_edge
from cjsim.model.synthetic import random_journey
from tests.shops import calm_fashion

journeys = st.builds(
    lambda seed, n, density, referrals, segments: random_journey(
        np.random.default_rng(seed),
        n_touchpoints=n,
        density=density,
        referrals=referrals,
        segments=segments,
    ),
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 9),
    density=st.floats(0.1, 0.9),
    referrals=st.booleans(),
    segments=st.booleans(),
)
SETTINGS = settings(
    max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


def solve(sc, **kw):
    return cjsim.solve_analytic(sc, **({"removal": False, "elasticity": False} | kw))


@SETTINGS
@given(journeys)
def test_absorption_probabilities_sum_to_one(sc):
    res = solve(sc)
    assert sum(res[f"absorption[{o}]"] for o in sc.outcomes) == pytest.approx(1.0, abs=1e-9)


@SETTINGS
@given(journeys)
def test_expected_visits_and_rates_are_in_range(sc):
    res = solve(sc)
    assert all(res[f"visits[{t}]"] >= -1e-12 for t in sc.touchpoints)
    assert -1e-12 <= res["conversion_rate"] <= 1 + 1e-12
    assert res["purchases_per_customer"] >= res["conversion_rate"] - 1e-12
    for stage in sc.stages:
        assert -1e-12 <= res[f"stage_reach[{stage}]"] <= 1 + 1e-12


def moved(sc, source, target, probability):
    row = sc.transitions[source]
    names = list(row)
    new = set_edge(np.array([row[t] for t in names]), names.index(target), probability)
    return sc.replace(transitions={**sc.transitions, source: dict(zip(names, new, strict=True))})


@settings(
    max_examples=15, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(journeys)
def test_elasticities_match_central_finite_differences(sc):
    table = cjsim.solve_analytic(sc, removal=False).tables["elasticities"]
    h = 1e-6
    for (source, target), rows in table.groupby(["from", "to"], sort=False):
        p = rows["probability"].iloc[0]
        if not h < p < 1 - h:
            continue
        up, down = solve(moved(sc, source, target, p + h)), solve(moved(sc, source, target, p - h))
        for row in rows.itertuples():
            fd = (up[row.kpi] - down[row.kpi]) / (2 * h)
            # FD error: h^2 curvature + rounding eps*|K|/h; both far below this bound.
            scale = max(1.0, abs(row.derivative), abs(up[row.kpi]))
            assert abs(fd - row.derivative) <= 1e-5 * scale, (source, target, row.kpi)


@SETTINGS
@given(journeys)
def test_removing_a_touchpoint_never_raises_conversions(sc):
    table = cjsim.solve_analytic(sc, elasticity=False).tables["removal_effects"]
    assert (table["removal_effect"] >= -1e-12).all()
    assert (table["removal_effect"] <= 1 + 1e-12).all()


def test_removing_the_only_checkout_removes_every_conversion():
    sc = calm_fashion()
    table = cjsim.solve_analytic(sc, elasticity=False).tables["removal_effects"]
    effects = table.set_index("touchpoint")["removal_effect"]
    assert effects["checkout"] == 1.0
    assert 0 < effects["size_guide"] < 1


def test_elasticity_table_covers_every_edge_and_kpi():
    sc = calm_fashion()
    table = cjsim.solve_analytic(sc, removal=False).tables["elasticities"]
    edges = sum(sum(p > 0 for p in row.values()) for row in sc.transitions.values())
    assert len(table) == edges * len(ELASTICITY_KPIS)
