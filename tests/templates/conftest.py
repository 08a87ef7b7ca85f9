"""Scenarios the template tests derive from a template: a cohort followed until everyone
leaves, desks too large to bind, one edge moved (a deliberately wrong model)."""

import dataclasses

import cjsim
from cjsim.model import CohortArrivals, Population

COHORT = 8000
"""Customers per replication: a few thousand keeps the tests quick, and gives the
wrong-model checks a power of about 6 to 18 standard errors."""

LONG_HORIZON_DAYS = 30_000.0
"""Long enough for every customer (and every referred friend) to leave every template."""


def as_cohort(sc: cjsim.Scenario, size: int = COHORT) -> cjsim.Scenario:
    """``sc`` with a cohort of ``size`` at day 0, followed for :data:`LONG_HORIZON_DAYS`."""
    pop = sc.population
    return sc.replace(
        population=Population(CohortArrivals(size), pop.entry, pop.segments),
        horizon_days=LONG_HORIZON_DAYS,
    )


def desks(sc: cjsim.Scenario) -> list[str]:
    """The touchpoints of ``sc`` with a capacity (a queue in the des engine)."""
    return [name for name, tp in sc.touchpoints.items() if tp.capacity is not None]


def unbounded_desks(sc: cjsim.Scenario, servers: int) -> cjsim.Scenario:
    """``sc`` with ``servers`` at every desk: with as many servers as customers nobody
    waits, so nobody reneges and no experience effect applies, which is the model the
    analytic engine solves."""
    tps = {
        name: dataclasses.replace(tp, capacity=servers) if tp.capacity is not None else tp
        for name, tp in sc.touchpoints.items()
    }
    return sc.replace(touchpoints=tps)


def moved(sc: cjsim.Scenario, source: str, target: str, factor: float) -> cjsim.Scenario:
    """``sc`` with the edge ``source -> target`` multiplied by ``factor``, the difference
    taken from (or given to) ``source -> lost``."""
    row = dict(sc.transitions[source])
    change = row[target] * (factor - 1)
    row[target] += change
    row["lost"] -= change
    return sc.replace(transitions={**sc.transitions, source: row})
