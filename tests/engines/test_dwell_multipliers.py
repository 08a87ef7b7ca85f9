"""Segment dwell multipliers: every engine scales a segment's dwell, never its service.

References: for the analytic engine, the same journey with the touchpoint's dwell
distribution itself scaled (``Distribution.scaled``, a closed form independent of the
multiplier code) — exact to rounding; for the simulation engines, the analytic engine on
two segments with very different multipliers, with a tolerance of 4 standard errors from
the replications (fixed seeds), paired with the wrong answer of the same journey without
multipliers, which the same check rejects.
"""

import dataclasses

import pytest

import cjsim
from cjsim.model import Exponential, Gamma, JourneyBuilder, LogNormal, Weibull
from tests.engines.reference import exact, z_scores

TIME_KPIS = ["time_to_absorption", "time_to_first_purchase", "clv"]
REPS = 12


def journey(multipliers: bool = True, segments: bool = True) -> cjsim.Scenario:
    """A shop whose loyal customers come back four times faster than the slow ones."""
    b = (
        JourneyBuilder("dwell", stages=["awareness", "purchase", "retention"], horizon_days=5e4)
        .touchpoint("ad", "awareness", dwell=Exponential(2.0), cost_per_visit=0.3)
        .touchpoint("website", "awareness", dwell=Gamma(3.0, 0.8))
        .touchpoint(
            "checkout",
            "purchase",
            purchase=True,
            order_value=Gamma(80.0, 0.5),
            dwell=LogNormal(1.0, 0.7),
        )
        .touchpoint("repeat_purchase", "retention", dwell=Weibull(1.5, 40.0), cost_per_visit=1.0)
        .outcome("lost")
        .outcome("churned")
        .edges("ad", website=0.6, rest="lost")
        .edges("website", website=0.2, checkout=0.3, rest="lost")
        .edges("checkout", repeat_purchase=0.7, rest="churned")
        .edges("repeat_purchase", checkout=0.6, rest="churned")
        .cohort(3000)
        .entry(ad=0.3, website=0.7)
        .economics(gross_margin=0.5, discount_rate=3.0)
    )
    if segments:
        loyal = {"repeat_purchase": 0.25, "website": 0.5} if multipliers else None
        slow = {"repeat_purchase": 6.0, "checkout": 4.0} if multipliers else None
        b.segment("loyal", 0.4, 1.0, None, loyal)
        b.segment("slow", 0.6, 1.0, None, slow)
    return b.build()


@pytest.fixture(scope="module", params=["des", "vectorized"])
def simulated(request):
    sc = journey()
    res = cjsim.simulate(sc, engine=request.param, replications=REPS, seed=3)
    table = res.tables["replications"]
    assert table["in_flight_share"].max() == 0, "the horizon must let everyone leave"
    return table


def test_simulation_engines_match_analytic_with_dwell_multipliers(simulated):
    z = z_scores(simulated, exact(journey()), [*TIME_KPIS, "conversion_rate"])
    assert max(z.values()) < 4, {k: round(v, 2) for k, v in z.items()}


def test_the_same_check_rejects_the_answer_without_multipliers(simulated):
    z = z_scores(simulated, exact(journey(multipliers=False)), TIME_KPIS)
    assert min(z.values()) > 4, {k: round(v, 2) for k, v in z.items()}


@pytest.mark.parametrize("node", ["website", "checkout", "repeat_purchase"])
def test_analytic_multiplier_equals_a_scaled_dwell(node):
    """One segment with factor c at ``node`` == the journey with ``node``'s dwell scaled by c
    (mean and Laplace transform L_cX(s) = L_X(cs), through every time and discounted KPI)."""
    factor = 2.5
    plain = journey(segments=False)
    pop = plain.population
    seg = cjsim.model.Segment("all", 1.0, dwell_multipliers={node: factor})
    with_multiplier = plain.replace(population=dataclasses.replace(pop, segments=(seg,)))
    tp = plain.touchpoints[node]
    scaled_tp = dataclasses.replace(tp, dwell=tp.dwell.scaled(factor))
    scaled = plain.replace(touchpoints={**plain.touchpoints, node: scaled_tp})
    a, b = exact(with_multiplier), exact(scaled)
    for kpi in [*TIME_KPIS, "revenue_per_customer", "profit_per_customer"]:
        assert a[kpi] == pytest.approx(b[kpi], rel=1e-9), kpi
    assert a["clv"] != pytest.approx(exact(plain)["clv"], rel=1e-3)


def test_service_time_is_not_scaled():
    """At a capacity desk the multiplier scales the dwell only: the analytic time per visit
    is c * dwell + service (queues ignored)."""
    sc = journey(segments=False)
    tp = dataclasses.replace(sc.touchpoints["checkout"], capacity=3, service=Exponential(5.0))
    desk = sc.replace(touchpoints={**sc.touchpoints, "checkout": tp})
    seg = cjsim.model.Segment("all", 1.0, dwell_multipliers={"checkout": 3.0})
    scaled = desk.replace(population=dataclasses.replace(desk.population, segments=(seg,)))
    extra = 2.0 * tp.dwell.mean * exact(desk)["visits[checkout]"]
    assert exact(scaled)["time_to_absorption"] == pytest.approx(
        exact(desk)["time_to_absorption"] + extra, rel=1e-12
    )


@pytest.mark.parametrize("engine", ["des", "vectorized"])
def test_simulated_service_is_not_scaled(engine):
    """A desk with more servers than customers (no waiting): the simulated time matches the
    analytic c * dwell + service, and rejects the wrong model that scales service too."""
    sc = journey(segments=False)
    tp = dataclasses.replace(sc.touchpoints["website"], capacity=10_000, service=Gamma(20.0, 0.5))
    desk = sc.replace(touchpoints={**sc.touchpoints, "website": tp})
    seg = cjsim.model.Segment("all", 1.0, dwell_multipliers={"website": 0.2})
    scaled = desk.replace(population=dataclasses.replace(desk.population, segments=(seg,)))
    res = cjsim.simulate(
        scaled, engine=engine, replications=REPS, seed=5, ignore_capacity=engine == "vectorized"
    )
    table = res.tables["replications"]
    kpis = ["time_to_absorption", "time_to_first_purchase", "clv"]
    z = z_scores(table, exact(scaled), kpis)
    assert max(z.values()) < 4, z
    both = dataclasses.replace(tp, dwell=tp.dwell.scaled(0.2), service=tp.service.scaled(0.2))
    wrong = desk.replace(touchpoints={**desk.touchpoints, "website": both})
    assert min(z_scores(table, exact(wrong), kpis).values()) > 4
