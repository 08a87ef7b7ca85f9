"""The DES engine's numpy lockstep walk of arrivals (``engines/_lockstep.py``) against its
scalar walk, customer by customer.

Both walks read the same counter-based blocks, so they must give the same replication:
every count equal, every sum equal up to the order in which floating-point numbers are
added (relative 1e-9, the golden record's tolerance).  The journeys below use every
feature the lockstep books itself (costs, purchases, refunds away from a desk, segments
with edge and dwell multipliers and their own distributions, discounting) and every
feature it hands back (desks with patience and experience effects, referrals, a calendar
of pace, initial customers).  The same comparison must reject a lockstep that walks a
journey with one edge moved by 1 %.
"""

from __future__ import annotations

import math

import pytest

import cjsim
from cjsim.engines import des
from cjsim.engines._compiled import compile_scenario
from cjsim.engines._lockstep import Lockstep
from cjsim.engines._tally import Totals
from cjsim.engines.des import DesReplication
from cjsim.model import (
    DwellRate,
    Empirical,
    ExperienceEffect,
    Exponential,
    Fixed,
    Gamma,
    JourneyBuilder,
    LogNormal,
    Referrals,
)

REL = 1e-9


def everything(to_guide: float = 0.2, rate: float = 60.0) -> cjsim.Scenario:
    """A shop with every feature of a journey (see the module docstring)."""
    b = JourneyBuilder("all", stages=["aware", "consider", "buy", "after"], horizon_days=300.0)
    b.touchpoint("ad", "aware", dwell=Exponential(1.5), cost_per_visit=0.5)
    b.touchpoint("web", "consider", dwell=LogNormal(2.0, 1.2))
    b.touchpoint(
        "guide",
        "consider",
        dwell=Gamma(0.05, 0.8),
        dwell_rate=DwellRate(((0.0, 1.0), (150.0, 1.6))),
    )
    b.touchpoint(
        "chat",
        "consider",
        dwell=Fixed(0.0),
        capacity=1,
        service=Gamma(0.05, 0.8),
        patience=Exponential(0.02),
        renege_to="lost",
        experience=(ExperienceEffect(0.01, {"lost": 1.5}),),
    )
    b.touchpoint("checkout", "buy", purchase=True, order_value=Gamma(80.0, 0.5), dwell=Fixed(0.0))
    b.touchpoint("delivery", "after", dwell=Gamma(3.0, 0.4), cost_per_visit=5.5)
    b.touchpoint("portal", "after", dwell=Exponential(1.0), refund_share=0.5)
    b.touchpoint("dormant", "after", dwell=Exponential(40.0))
    b.touchpoint(
        "review",
        "after",
        dwell=Empirical((1.0, 3.0, 7.0), (0.5, 0.3, 0.2)),
        cost_per_visit=1.0,
        referrals=Referrals(0.3, "web", Exponential(14.0)),
    )
    b.outcome("lost").outcome("churned")
    b.edges("ad", web=0.3, rest="lost")
    b.edges("web", guide=to_guide, chat=0.05, checkout=0.1, web=0.15, rest="lost")
    b.edges("guide", checkout=0.3, web=0.2, rest="lost")
    b.edges("chat", checkout=0.4, rest="lost")
    b.edges("checkout", delivery=1.0)
    b.edges("delivery", portal=0.2, review=0.1, dormant=0.6, rest="churned")
    b.edges("portal", dormant=0.7, rest="churned")
    b.edges("review", dormant=0.9, rest="churned")
    b.edges("dormant", checkout=0.2, web=0.2, rest="churned")
    b.poisson(rate).entry(ad=0.7, web=0.3).initial(dormant=300, web=40)
    b.segment(
        "fan",
        0.3,
        1.3,
        {"web->checkout": 1.5},
        {"dormant": 0.8},
        dwell={"delivery": Exponential(2.0)},
    )
    b.segment("casual", 0.7, 0.9, order_value={"checkout": LogNormal(60.0, 0.6)})
    return b.economics(gross_margin=0.45, discount_rate=0.1, fixed_cost_per_day=10.0).build()


def fields(t: Totals) -> dict[str, float]:
    """Every number of a replication's totals, flattened."""
    out: dict[str, float] = {}
    for name, value in vars(t).items():
        if name == "queues":
            for node, q in value.items():
                for k, v in vars(q).items():
                    out[f"queue{node}.{k}"] = math.fsum(v) if k == "waits" else v
        elif isinstance(value, list):
            out |= {f"{name}[{i}]": v for i, v in enumerate(value)}
        else:
            out[name] = value
    return out


def differences(a: Totals, b: Totals) -> list[str]:
    """The numbers of ``a`` and ``b`` that differ (integers exactly, sums beyond REL)."""
    fa, fb = fields(a), fields(b)
    assert fa.keys() == fb.keys()
    return [
        f"{k}: {fa[k]} != {fb[k]}"
        for k in fa
        if not math.isclose(fa[k], fb[k], rel_tol=REL, abs_tol=REL * max(1.0, abs(fa[k])))
    ]


def replicate(sc: cjsim.Scenario, *, lockstep: bool, seed: int = 3, replication: int = 0) -> Totals:
    sim = DesReplication(
        sc, compile_scenario(sc), seed, replication, float(sc.horizon_days or 0), lockstep=lockstep
    )
    return sim.run()


@pytest.mark.parametrize("replication", [0, 1])
def test_lockstep_equals_the_scalar_walk_on_every_feature(replication, monkeypatch):
    sc = everything()
    scalar = replicate(sc, lockstep=False, replication=replication)
    assert scalar.customers > 18_000, "several chunks of arrivals"
    assert scalar.queues[3].reneged > 0 and scalar.refunds > 0 and scalar.purchases > 500
    handed, walked = [], []
    walk = Lockstep.walk

    def spy(self, banks, times, segs, entry):
        hand, state = walk(self, banks, times, segs, entry)
        handed.append(len(hand.index))
        walked.append(len(times))
        return hand, state

    monkeypatch.setattr(Lockstep, "walk", spy)
    monkeypatch.setattr(des, "CHUNK_BATCHES", 16)  # several chunks, a partial one last
    assert differences(scalar, replicate(sc, lockstep=True, replication=replication)) == []
    assert len(walked) >= 4 and sum(handed) < 0.2 * sum(walked), "the lockstep walks most"


def test_lockstep_equals_the_scalar_walk_on_the_bundled_scenarios():
    for path in ("scenarios/fashionfusion.toml", "scenarios/saas_trial.toml"):
        sc = cjsim.load_scenario(path).replace(horizon_days=120.0)
        scalar = replicate(sc, lockstep=False)
        assert differences(scalar, replicate(sc, lockstep=True)) == [], path


def test_the_same_comparison_rejects_a_moved_edge():
    scalar = replicate(everything(), lockstep=False)
    moved = replicate(everything(to_guide=0.202), lockstep=True)
    assert differences(scalar, moved), "one edge moved by 1 % must show"
