"""The DES desks' short cuts change no number.

A desk event is a wake on SimPy's queue; the engine takes consecutive wakes straight from
the queue, joins a queue at once at the end of a desk event when no pending event comes
first, and sends a customer leaving a desk to an outcome or a no-dwell desk without a
walk.  The reference is the plain scheme: one event per SimPy step, every join
scheduled, every move walked.  Both must give identical totals, on journeys where events
tie (fixed times, cohorts at day 0) as well as on random ones; an engine that joins at
once even when an event at the same time is pending (the wrong order) must not.
"""

import dataclasses

import numpy as np
import pytest

from cjsim.engines._compiled import compile_scenario
from cjsim.engines.des import _JOIN, _SERVED, DesReplication
from cjsim.model import ExperienceEffect, Exponential, Fixed, JourneyBuilder, Scenario
from cjsim.model.journey import Referrals


class OneEventPerStep(DesReplication):
    """The reference: SimPy takes every desk event, and every move is walked."""

    def _wake(self, wake):
        now = self.env.now
        if wake.kind == _SERVED:
            self._on_served(wake.cust, wake.arg, now)
        elif wake.kind == _JOIN:
            self._on_join(wake.cust, wake.arg, now)
        else:
            self._on_patience(wake.cust, wake.arg, now)

    def _walk_on(self, cust, node, now):
        self._start(cust, node, now)


class JoinsTooEarly(DesReplication):
    """Wrong: a join at the end of a desk event jumps events pending at the same time."""

    def _join_now(self, cust, now):
        self._on_join(cust, now, now)


def ties(cohort: bool) -> Scenario:
    """Three no-dwell desks with fixed service and patience: many events at one time."""
    b = JourneyBuilder("ties", stages=["s"], horizon_days=60.0)
    b.touchpoint(
        "a", "s", capacity=2, service=Fixed(1.0), patience=Fixed(2.0), renege_to="gave_up",
        cost_per_visit=1.0,
    )  # fmt: skip
    b.touchpoint(
        "b", "s", capacity=1, service=Fixed(0.5), patience=Fixed(1.0), renege_to="c",
        purchase=True, order_value=Fixed(10.0),
    )  # fmt: skip
    b.touchpoint(
        "c", "s", capacity=1, service=Fixed(0.25), refund_share=0.5,
        referrals=Referrals(0.7, "a", Fixed(0.0)),
        experience=(ExperienceEffect(0.2, {"a": 3.0}),),
    )  # fmt: skip
    b.outcome("done").outcome("gave_up")
    b.edges("a", b=0.7, rest="done").edges("b", c=0.5, a=0.3, rest="done")
    b.edges("c", a=0.3, rest="done")
    (b.cohort(40) if cohort else b.poisson(3.0)).entry(a=1.0).initial(a=5, b=3)
    return b.build()


def meeting() -> Scenario:
    """Customers leave desk ``a`` each whole day, to desk ``b`` directly or via ``d``
    (a fixed day), so a customer leaving ``a`` meets at ``b`` one who left a day before;
    the latter's join, scheduled after the former's service end, must still go first."""
    b = JourneyBuilder("meeting", stages=["s"], horizon_days=40.0)
    b.touchpoint("a", "s", capacity=1, service=Fixed(1.0))
    b.touchpoint("d", "s", dwell=Fixed(1.0))
    b.touchpoint("b", "s", capacity=1, service=Exponential(1.5), cost_per_visit=1.0)
    b.outcome("done").edges("a", b=0.5, d=0.5).edges("d", b=1.0).edges("b", rest="done")
    return b.cohort(60).entry(a=1.0).build()


def ring(patience: bool) -> Scenario:
    """Four desks in a ring (exponential times), as in benchmarks/peers.py."""
    b = JourneyBuilder("ring", stages=["s"], horizon_days=150.0)
    names = ["n0", "n1", "n2", "n3"]
    extra = {"patience": Exponential(2.0), "renege_to": "gave_up"} if patience else {}
    for name in names:
        b.touchpoint(name, "s", capacity=2, service=Exponential(1.0), **extra)
    b.outcome("done").outcome("gave_up")
    for i, name in enumerate(names):
        b.edges(name, **{names[(i + 1) % 4]: 0.8}, rest="done")
    return b.poisson(6.0).entry(n0=0.5, n2=0.5).build()


def totals(kind: type[DesReplication], sc: Scenario, replication: int) -> dict[str, object]:
    sim = kind(sc, compile_scenario(sc), 5, replication, sc.horizon_days, events=True)
    run = sim.run()
    out = {f.name: getattr(run, f.name) for f in dataclasses.fields(run)}
    out["queues"] = {i: dataclasses.astuple(q) for i, q in sim.t.queues.items()}
    return out | {"log": sim.log}


def same(a: dict[str, object], b: dict[str, object]) -> bool:
    return all(
        np.array_equal(x, b[k]) if isinstance(x, np.ndarray) else x == b[k] for k, x in a.items()
    )


CASES = {
    "ties-cohort": ties(cohort=True),
    "ties": ties(cohort=False),
    "meeting": meeting(),
    "ring": ring(patience=False),
    "ring-patience": ring(patience=True),
}


@pytest.mark.parametrize("sc", CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("replication", [0, 1])
def test_the_short_cuts_give_the_numbers_of_one_event_per_step(sc, replication):
    assert same(totals(DesReplication, sc, replication), totals(OneEventPerStep, sc, replication))


def test_the_check_rejects_joins_that_jump_pending_events():
    sc = meeting()
    assert not same(totals(JoinsTooEarly, sc, 0), totals(OneEventPerStep, sc, 0))
