"""Journey success scores: each journey of a scenario's ``[[journeys]]`` against its targets.

A journey's customers are those who enter at one touchpoint or those of one segment
(:class:`cjsim.model.JourneyGoal`).  Their KPIs come from an engine run of the journey's
own scenario: the same journey with only those customers arriving, at their share of
the arrivals (initial and warm-start customers left out: the scores are of new
customers; referrals left out too: the friends a journey's customers bring are
customers of the referral entry, not of the journey).  Each target's attainment is the
share of it reached — ``actual / target`` where higher is better, ``target / actual``
where lower is, capped at 1 — and a journey's score is 100 times the mean attainment of
its targets; it meets its targets when every attainment is 1.

(Work in progress: the value at stake — the incremental profit if the journey met its
targets, computed by the engines — comes next.)
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cjsim.experiment import RunOptions
from cjsim.kpis import lookup
from cjsim.model import CohortArrivals, JourneyGoal, PoissonArrivals, Scenario

__all__ = [
    "SuccessScores",
    "attainment",
    "journey_scenario",
    "success_scores",
    "without_referrals",
]

COLUMNS = ["journey", "kpi", "target", "actual", "ci_low", "ci_high", "attainment", "met"]


def journey_scenario(sc: Scenario, goal: JourneyGoal) -> tuple[Scenario, float]:
    """The scenario of ``goal``'s customers alone, and their share of the arrivals."""
    pop = sc.population
    if goal.entry is not None:
        share = pop.entry[goal.entry] / sum(pop.entry.values())
        population = dataclasses.replace(pop, entry={goal.entry: 1.0})
    else:
        segments = pop.effective_segments
        mine = next(s for s in segments if s.name == goal.segment)
        share = mine.share / sum(s.share for s in segments)
        population = dataclasses.replace(pop, segments=(dataclasses.replace(mine, share=1.0),))
    arrivals = population.arrivals
    if isinstance(arrivals, PoissonArrivals):
        arrivals = PoissonArrivals(tuple((start, rate * share) for start, rate in arrivals.rates))
    elif isinstance(arrivals, CohortArrivals):
        arrivals = CohortArrivals(max(1, round(arrivals.size * share)))
    population = dataclasses.replace(population, arrivals=arrivals, initial={}, warm_start=None)
    return without_referrals(sc).replace(population=population, journeys=()), share


def without_referrals(sc: Scenario) -> Scenario:
    """``sc`` with no referrals: a journey's KPIs are those of its own customers, and the
    friends they bring enter (and are scored) at the referral entry."""
    touchpoints = {
        name: dataclasses.replace(tp, referrals=None) if tp.referrals else tp
        for name, tp in sc.touchpoints.items()
    }
    return sc.replace(touchpoints=touchpoints)


def attainment(kpi: str, actual: float, target: float) -> float:
    """The share of ``target`` that ``actual`` reaches, in [0, 1] (the KPI's better
    direction from :mod:`cjsim.kpis`); 1 when met, 0 when not met and not comparable
    as a ratio (a sign change or a zero)."""
    declared = lookup(kpi)
    higher = bool(declared is None or declared.higher_is_better)
    met = actual >= target if higher else actual <= target
    if met:
        return 1.0
    if not (math.isfinite(actual) and actual > 0 and target > 0):
        return 0.0
    return min(1.0, actual / target if higher else target / actual)


@dataclass(frozen=True)
class SuccessScores:
    """What :func:`success_scores` found.

    Attributes
    ----------
    scores : DataFrame
        One row per journey: ``journey, selector, share, score, met`` (score 0-100).
    targets : DataFrame
        One row per target: :data:`COLUMNS`.
    """

    scores: pd.DataFrame
    targets: pd.DataFrame
    meta: dict[str, Any]


def success_scores(
    scenario: Scenario,
    *,
    engine: str = "analytic",
    replications: int = 10,
    seed: int | None = None,
    workers: int = 1,
    options: RunOptions | None = None,
) -> SuccessScores:
    """Score every journey of ``scenario.journeys`` against its targets.

    The analytic engine (default) gives each journey's KPIs exactly; a simulation engine
    gives them with 95 % intervals and sees queues.
    """
    from cjsim.errors import SimulationError
    from cjsim.experiment import simulate

    if not scenario.journeys:
        raise SimulationError(
            "the scenario names no journeys to score — add [[journeys]] with targets to "
            "the file (see docs/scenario_format.md)"
        )
    given = RunOptions(engine=engine, replications=replications, seed=seed, workers=workers)
    opts = options or given
    rows, targets = [], []
    for goal in scenario.journeys:
        alone, share = journey_scenario(scenario, goal)
        kpis = simulate(alone, options=opts).kpis.set_index("kpi")
        found = []
        for kpi, target in goal.targets.items():
            values = kpis.loc[kpi, ["mean", "ci_low", "ci_high"]].to_numpy(dtype=float)
            actual, low, high = (float(x) for x in values)
            got = attainment(kpi, actual, target)
            found.append(got)
            targets.append((goal.name, kpi, target, actual, low, high, got, got >= 1.0))
        kind, name = goal.selector
        score = 100.0 * sum(found) / len(found)
        rows.append((goal.name, f"{kind} {name}", share, score, all(a >= 1.0 for a in found)))
    scores = pd.DataFrame(rows, columns=["journey", "selector", "share", "score", "met"])
    meta = {"engine": opts.engine if isinstance(opts.engine, str) else opts.engine.name}
    return SuccessScores(scores, pd.DataFrame(targets, columns=COLUMNS), meta)
