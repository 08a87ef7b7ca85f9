"""Satisfaction in the simulation engines.

References: exact hand-computed satisfaction on a deterministic journey with a desk
(waits, reneging, refunds); the vectorized engine against the DES on journeys without
desks, one with segments, customers at day 0 and a non-zero start (4 standard errors
of the difference, fixed seeds), each paired with a wrong model
(every beta doubled) that the same check rejects; the same journey with every beta 0
against the journey without a satisfaction model (identical behaviour).
"""

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import cjsim
from cjsim.model import Population, Segment
from cjsim.scenario import scenario_from_dict

from .conftest import as_cohort

MOODS = Path(__file__).resolve().parents[1] / "data" / "moods.toml"
KPIS = [
    "satisfaction_mean",
    "promoter_share",
    "detractor_share",
    "net_promoter",
    "satisfaction[consideration]",
    "satisfaction[retention]",
    "absorption[churned]",
    "absorption[lost]",
    "conversion_rate",
]
REPS = 12


@pytest.fixture(scope="module")
def moods():
    return as_cohort(cjsim.load_scenario(MOODS), 3000, 1500.0)


def per_replication(sc, engine, seed=7, reps=REPS):
    res = cjsim.simulate(sc, engine=engine, replications=reps, seed=seed)
    return res.tables["replications"].set_index("replication")


def z_of_difference(a, b, kpi):
    x, y = a[kpi].to_numpy(float), b[kpi].to_numpy(float)
    se = np.hypot(x.std(ddof=1), y.std(ddof=1)) / np.sqrt(len(x))
    return abs(x.mean() - y.mean()) / se


def doubled(sc):
    link = {k: 2 * b for k, b in sc.satisfaction.link.items()}
    return sc.replace(satisfaction=dataclasses.replace(sc.satisfaction, link=link))


def with_segments(sc):
    """Two segments, customers at a touchpoint at day 0, and a start of 0.3 (rows are
    tilted from the first step)."""
    segs = (Segment("fan", 0.4, 1.2, {("browse", "checkout"): 1.5}), Segment("casual", 0.6))
    pop = Population(sc.population.arrivals, sc.population.entry, segs, initial={"loyal": 300})
    return sc.replace(population=pop, satisfaction=dataclasses.replace(sc.satisfaction, start=0.3))


CASES = {"plain": lambda sc: sc, "segments_start": with_segments}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request, moods):
    sc = CASES[request.param](moods)
    return sc, per_replication(sc, "des")


def test_des_and_vectorized_agree_on_satisfaction_and_churn(case):
    sc, des_runs = case
    vec = per_replication(sc, "vectorized", seed=8)
    z = {k: z_of_difference(des_runs, vec, k) for k in KPIS}
    assert max(z.values()) < 4, z


def test_a_wrong_link_is_rejected_by_the_same_check(case):
    sc, des_runs = case
    wrong = per_replication(doubled(sc), "vectorized", seed=8)
    z = {k: z_of_difference(des_runs, wrong, k) for k in KPIS}
    assert z["absorption[churned]"] > 4 and z["satisfaction_mean"] > 4, z


@pytest.mark.parametrize("engine", ["des", "vectorized"])
def test_with_every_beta_zero_behaviour_is_that_of_no_satisfaction(moods, engine):
    flat = moods.replace(
        satisfaction=dataclasses.replace(
            moods.satisfaction, link=dict.fromkeys(moods.satisfaction.link, 0.0)
        )
    )
    plain = moods.replace(
        touchpoints={
            k: dataclasses.replace(tp, feeling=None) for k, tp in moods.touchpoints.items()
        },
        satisfaction=None,
    )
    a = per_replication(flat, engine, reps=3)
    b = per_replication(plain, engine, reps=3)
    for kpi in ["absorption[churned]", "conversion_rate", "revenue", "time_to_absorption"]:
        np.testing.assert_allclose(a[kpi], b[kpi], rtol=1e-10, err_msg=kpi)
    assert "satisfaction_mean" in a and "satisfaction_mean" not in b


DESK = """
[scenario]
name = "Desk"
horizon_days = 30
stages = ["buy", "after"]

[population]
arrivals = { kind = "cohort", size = 2 }
entry = { shop = 1.0 }

[touchpoints.shop]
stage = "buy"
purchase = true
order_value = { dist = "fixed", value = 10.0 }

[touchpoints.desk]
stage = "after"
capacity = 1
service = { dist = "fixed", value = 1.0 }
patience = { dist = "fixed", value = PATIENCE }
renege_to = "done"
refund_share = 1.0
satisfaction = { visit = 1.0, wait_over_days = 0.5, wait = -2.0, renege = -3.0, refund = 0.25 }

[touchpoints.thanks]
stage = "after"
satisfaction = { visit = 0.5 }

[outcomes]
done = {}

[transitions]
shop = { desk = 1.0 }
desk = { thanks = 1.0 }
thanks = { done = 1.0 }

[satisfaction]
promoter_at = 1.0
detractor_at = -0.5
"""


def desk_kpis(patience):
    import tomllib

    sc = scenario_from_dict(tomllib.loads(DESK.replace("PATIENCE", str(patience))))
    res = cjsim.simulate(sc, engine="des", replications=1, seed=1)
    return res.tables["replications"].set_index("replication").iloc[0]


def test_desk_effects_exactly():
    # one server, two customers at day 0: the first is served at once (refund 0.25,
    # visit 1, thanks 0.5: 1.75); the second waits 1 day > 0.5 (wait -2, refund 0.25,
    # visit 1, thanks 0.5: -0.25)
    k = desk_kpis(patience=5.0)
    assert k["satisfaction_mean"] == pytest.approx((1.75 - 0.25) / 2, abs=1e-12)
    assert k["promoter_share"] == 0.5 and k["detractor_share"] == 0.0
    assert k["satisfaction_at[desk]"] == pytest.approx((1.25 - 0.75) / 2, abs=1e-12)
    assert k["satisfaction_at[thanks]"] == pytest.approx(0.75, abs=1e-12)


def test_reneging_and_its_refund_exactly():
    # the second customer gives up after 0.5 days: refunded (0.25), renege -3 -> -2.75
    k = desk_kpis(patience=0.5)
    assert k["satisfaction_mean"] == pytest.approx((1.75 - 2.75) / 2, abs=1e-12)
    assert k["detractor_share"] == 0.5 and k["promoter_share"] == 0.5
    assert k["satisfaction[after]"] == pytest.approx((1.25 + 1.75 - 2.75) / 3, abs=1e-12)


def test_the_analytic_engine_refuses_satisfaction_and_names_the_engines(moods):
    with pytest.raises(cjsim.SimulationError, match="satisfaction") as exc:
        cjsim.simulate(moods, engine="analytic")
    assert "engine='des'" in str(exc.value) and "engine='vectorized'" in str(exc.value)


def _far_out(churned_beta: float) -> cjsim.Scenario:
    """One touchpoint, half to each outcome, satisfaction 60 from the start: exp(beta * s)
    of about exp(-780), which overflows (or underflows to 0/0) without a stable softmax."""
    return scenario_from_dict(
        {
            "scenario": {"name": "Far out", "horizon_days": 50, "stages": ["a"]},
            "population": {"arrivals": {"kind": "cohort", "size": 4000}, "entry": {"x": 1.0}},
            "touchpoints": {"x": {"stage": "a", "dwell": {"dist": "exponential", "mean": 1}}},
            "outcomes": {"churned": {}, "lost": {}},
            "transitions": {"x": {"churned": 0.5, "lost": 0.5}},
            "satisfaction": {"start": 60.0, "link": {"churned": churned_beta, "lost": -13.0}},
        }
    )


@pytest.mark.parametrize("engine", ["des", "vectorized"])
def test_a_far_out_tilt_is_a_stable_softmax(engine):
    """Equal betas cancel however large beta * s is: half churn (binomial standard error),
    and a beta 0.1 apart (odds e^6) is rejected by the same check."""
    n = 4000

    def z(sc):
        share = per_replication(sc, engine, reps=2)["absorption[churned]"].to_numpy(float)
        return abs(share.mean() - 0.5) / np.sqrt(0.25 / (n * len(share)))

    assert z(_far_out(-13.0)) < 4
    assert z(_far_out(-12.9)) > 4
