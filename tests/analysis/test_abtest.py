"""A/B test design on a simulated journey (:mod:`cjsim.analysis.abtest`).

References: the engine's own KPIs for the per-customer outcomes read from its event log
(to 1e-12), the closed form for the sizes of a rate, the arrival rate for the duration,
and simulated field tests for a mean per customer (within 4 Monte Carlo errors).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import cjsim
from cjsim.analysis.abtest import ab_test_design, customer_outcomes, enrolment_days
from cjsim.economics import Costs
from cjsim.errors import OptionError
from cjsim.experiment import abtest
from cjsim.interventions import Intervention
from cjsim.interventions.intervention import Change
from cjsim.model import CohortArrivals, PoissonArrivals, Population
from tests.shops import calm_fashion_file

SCENARIO = calm_fashion_file()  # FashionFusion without satisfaction (tests/shops.py)
RUN = {
    "engine": "vectorized",
    "replications": 3,
    "seed": 4,
    "horizon_days": 120.0,
    "ignore_capacity": True,
}
KPIS = ("conversion_rate", "revenue_per_customer", "profit_per_customer")


@pytest.fixture(scope="module")
def scenario() -> cjsim.Scenario:
    return cjsim.load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def size_guide() -> Intervention:
    change = Change("scale_transition", {"from": "size_guide", "to": "checkout", "factor": 1.6})
    return Intervention("size_guide_plus", (change,), Costs(per_visit={"size_guide": 0.03}))


def test_outcomes_from_the_event_log_average_to_the_engines_kpis(scenario) -> None:
    result = cjsim.simulate(scenario, events=True, **{**RUN, "replications": 2})
    per_rep = result.tables["replications"]
    for rep in range(2):
        log = result.events[result.events["replication"] == rep]
        for kpi in KPIS:
            values = customer_outcomes(
                log, scenario, kpi=kpi, follow_up_days=None, horizon_days=120.0
            )
            assert len(values) == per_rep["customers"][rep]
            assert values.mean() == pytest.approx(per_rep[kpi][rep], rel=1e-12)


def test_a_follow_up_window_keeps_early_customers_only(scenario) -> None:
    result = cjsim.simulate(scenario, events=True, **{**RUN, "replications": 1})
    every = customer_outcomes(
        result.events, scenario, kpi="conversion_rate", follow_up_days=None, horizon_days=120.0
    )
    early = customer_outcomes(
        result.events, scenario, kpi="conversion_rate", follow_up_days=30.0, horizon_days=120.0
    )
    arrivals = scenario.population.expected_customers(90.0)
    assert abs(len(early) - arrivals) <= 4 * math.sqrt(arrivals)  # Poisson count
    assert len(early) < len(every)


def test_enrolment_days_invert_the_arrival_rates() -> None:
    population = Population(PoissonArrivals(((0.0, 100.0), (10.0, 300.0))), {"ad": 1.0})
    assert enrolment_days(population, 500) == pytest.approx(5.0)
    assert enrolment_days(population, 1600) == pytest.approx(10.0 + 600 / 300)
    cohort = Population(CohortArrivals(1000), {"ad": 1.0})
    assert enrolment_days(cohort, 2000) == math.inf  # a fixed cohort never grows


def test_design_of_a_rate_uses_the_closed_form(scenario, size_guide) -> None:
    design = ab_test_design(scenario, size_guide, kpi="conversion_rate", **RUN)
    p0, (point, low, high, _) = design.baseline_value, design.effect
    assert low < point < high and low > 0
    for which, effect in (("point", point), ("ci_low", low), ("ci_high", high)):
        row = design.sizes[design.sizes["which"] == which].iloc[0]
        expected = abtest.sample_size_two_proportions(baseline_rate=p0, variant_rate=p0 + effect)
        assert row["n_per_arm"] == expected
        days = enrolment_days(scenario.population, 2 * expected) + 30.0
        assert row["duration_days"] == pytest.approx(days)
    check = design.check
    assert abs(check.power - 0.8) <= 4 * math.sqrt(0.16 / check.tests)
    assert 0.5 < design.assurance < 0.8  # the effect's doubt lowers the expected power
    assert "closed form" in set(design.curve["source"])
    assert "n per arm" in design.summary()


def test_design_of_revenue_reaches_the_power_by_simulation(scenario, size_guide) -> None:
    run = {**RUN, "replications": 5}
    design = ab_test_design(scenario, size_guide, kpi="revenue_per_customer", tests=400, **run)
    n = int(design.sizes["n_per_arm"].iloc[0])
    check = design.check
    assert check.n_per_arm == n
    assert abs(check.power - 0.8) <= 4 * math.sqrt(0.16 / check.tests)
    sizes = design.sizes.set_index("which")["n_per_arm"]
    assert sizes["ci_high"] < sizes["point"] < sizes["ci_low"]  # larger effects, fewer customers
    assert set(design.curve["source"]) == {"simulated"}
    assert design.to_dict()["sizes"][0]["n_per_arm"] == n


def test_an_interval_end_of_no_effect_has_no_size(scenario, size_guide) -> None:
    """With 3 replications revenue's interval reaches below zero: that end gets no size
    (n/a, with a note), the point estimate still does."""
    design = ab_test_design(scenario, size_guide, kpi="revenue_per_customer", tests=200, **RUN)
    assert design.effect[1] < 0 < design.effect[0]
    sizes = design.sizes.set_index("which")["n_per_arm"]
    assert math.isnan(sizes["ci_low"]) and sizes["point"] > 0
    line = next(x for x in design.summary().splitlines() if x.strip().startswith("ci_low"))
    assert line.split()[2:] == ["n/a", "n/a", "n/a"]
    assert any("no practical sample size confirms" in note for note in design.notes)


def test_a_zero_effect_has_no_sample_size(scenario) -> None:
    """A cheaper basket changes no purchase under common random numbers: conversion moves
    by exactly zero, and no sample size confirms it."""
    cheaper = Intervention(
        "cheaper", (Change("scale_order_value", {"node": "checkout", "factor": 0.9}),)
    )
    with pytest.raises(OptionError, match="no sample size confirms a zero effect — pick"):
        ab_test_design(scenario, cheaper, kpi="conversion_rate", **RUN)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"power": 1.0}, "power must be a probability strictly between 0 and 1"),
        ({"alpha": 0.0}, "alpha must be a probability strictly between 0 and 1"),
        ({"kpi": "conversion"}, "did you mean 'conversion_rate'"),
        ({"engine": "analytic"}, "gives no per-customer outcomes"),
        ({"replications": 1}, "at least 2 for the effect's interval"),
        ({"follow_up_days": 500.0}, "shorter than the horizon"),
        ({"tests": 10}, "tests must be a whole number >= 100"),
    ],
)
def test_bad_options_are_refused_before_running(scenario, size_guide, options, message) -> None:
    with pytest.raises(OptionError, match=message):
        ab_test_design(scenario, size_guide, **{**RUN, **options})


def test_draws_of_the_effect_are_seeded(scenario, size_guide) -> None:
    from cjsim.analysis.abtest import _effect_draws

    a = _effect_draws((1.0, 0.5, 1.5, 0.2), 4, 7)
    assert np.array_equal(a, _effect_draws((1.0, 0.5, 1.5, 0.2), 4, 7))
    assert abs(float(np.median(a)) - 1.0) < 0.02


def test_an_interval_end_too_small_to_confirm_gets_no_size() -> None:
    from cjsim.analysis.abtest import _rate_design

    sizes, check, _, _ = _rate_design(
        0.05, (0.01, 1e-9, 0.02, 0.004), power=0.8, alpha=0.05, tests=200, seed=1, df=9
    )
    assert "ci_low" not in sizes and sizes["point"] == check.n_per_arm
    with pytest.raises(OptionError, match="too small to confirm"):
        _rate_design(
            1e-3, (1e-9, 1e-10, 2e-9, 1e-10), power=0.8, alpha=0.05, tests=200, seed=1, df=9
        )
