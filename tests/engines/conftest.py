"""Shared scenarios for the engine tests."""

import dataclasses

import pytest

import cjsim
from cjsim.model import CohortArrivals, Population
from tests.shops import calm_fashion


def without_capacity(sc: cjsim.Scenario) -> cjsim.Scenario:
    """The same journey with every queue removed (service, patience, experience too)."""
    tps = {
        name: dataclasses.replace(
            tp, capacity=None, service=None, patience=None, renege_to=None, experience=()
        )
        for name, tp in sc.touchpoints.items()
    }
    return sc.replace(touchpoints=tps)


def as_cohort(sc: cjsim.Scenario, size: int, horizon: float) -> cjsim.Scenario:
    """A cohort of ``size`` at day 0 followed for ``horizon`` days."""
    pop = sc.population
    return sc.replace(
        population=Population(CohortArrivals(size), pop.entry, pop.segments), horizon_days=horizon
    )


@pytest.fixture(scope="session")
def fashion_free() -> cjsim.Scenario:
    """FashionFusion without queues or satisfaction, 4,000 customers followed until
    (nearly) all leave."""
    sc = calm_fashion()
    return as_cohort(without_capacity(sc), 4000, 20_000.0)
