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
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from cjsim.experiment import RunOptions
from cjsim.experiment.options import fresh_seed
from cjsim.interventions import Change, Intervention, apply
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
    """The scenario of ``goal``'s customers alone, and their share of the arrivals (0,
    and ``sc`` unchanged, when nobody enters there or the segment does not exist).

    A sub-path (``from``) starts at its touchpoint: its customers are those who ever
    reach it (a share per segment from the chain's hitting probabilities, of the chain
    untilted by satisfaction), each entering there at its arrival time with the start
    satisfaction, the segments in the mix of those who reach it."""
    pop = sc.population
    if goal.start is not None:
        from cjsim.engines.flows import touchpoint_reach

        reach = touchpoint_reach(sc.without_satisfaction(), goal.start)
        segments = pop.effective_segments
        total = sum(s.share for s in segments)
        weight = {s.name: s.share / total * reach.get(s.name, 0.0) for s in segments}
        share = sum(weight.values())
        if not share > 0:
            return sc, 0.0  # nobody reaches it
        mix = tuple(
            dataclasses.replace(s, share=weight[s.name] / share)
            for s in segments
            if weight[s.name] > 0
        )
        population = dataclasses.replace(
            pop, entry={goal.start: 1.0}, segments=mix if pop.segments else pop.segments
        )
    elif goal.entry is not None:
        share = pop.entry.get(goal.entry, 0.0) / sum(pop.entry.values())
        if not share > 0:
            return sc, 0.0  # nobody enters there (a warning of the scenario)
        population = dataclasses.replace(pop, entry={goal.entry: 1.0})
    else:
        segments = pop.effective_segments
        mine = next((s for s in segments if s.name == goal.segment), None)
        if mine is None:
            return sc, 0.0  # no such segment (a warning of the scenario)
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

    def to_dict(self) -> dict[str, Any]:
        from cjsim._io import to_jsonable

        return to_jsonable(
            {
                "scores": self.scores.to_dict(orient="records"),
                "targets": self.targets.to_dict(orient="records"),
                "meta": self.meta,
            }
        )

    def plot(self, ax: Any = None) -> Any:
        """The journeys' value at stake with their scores (:func:`cjsim.plotting.success`)."""
        from cjsim.plotting import success

        return success(self, ax=ax)


DRIVERS = {  # target KPI -> what is scaled to meet it (the counterfactual's lever)
    "conversion_rate": "purchase_edges",
    "average_order_value": "order_value",
    "revenue_per_customer": "order_value",
}
MAX_FACTOR = 100.0  # a driver scaled beyond this is out of reach


def driver_changes(sc: Scenario, driver: str, factor: float) -> tuple[Change, ...]:
    """The changes that scale ``driver`` by ``factor``: every purchase touchpoint's order
    value, or every edge from a touchpoint that is not a purchase into one that is (the
    way into a first purchase)."""
    buy = [name for name, tp in sc.touchpoints.items() if tp.purchase]
    if driver == "order_value":
        return tuple(Change("scale_order_value", {"node": n, "factor": factor}) for n in buy)
    return tuple(
        Change("scale_transition", {"from": a, "to": b, "factor": factor})
        for a, row in sc.transitions.items()
        if not sc.touchpoints[a].purchase
        for b in row
        if b in buy
    )


def _kpi_at(sc: Scenario, changes: tuple[Change, ...], kpi: str, opts: RunOptions) -> float | None:
    """``kpi`` of ``sc`` with ``changes``, or None when the changes make no valid journey
    (an edge scaled past its row)."""
    from cjsim.errors import CJSimError
    from cjsim.experiment import simulate

    try:
        changed = apply(sc, Intervention("driver", changes))
    except CJSimError:
        return None
    return _mean(simulate(changed, options=opts).kpis, kpi)


def solve_driver(
    sc: Scenario, kpi: str, target: float, opts: RunOptions, *, tolerance: float = 1e-6
) -> tuple[float, bool]:
    """The factor of ``kpi``'s driver that meets ``target`` (bisection on the engine's
    KPI, which rises with the factor), and whether it is within reach."""
    driver = DRIVERS[kpi]
    low, high = 1.0, 2.0
    while True:  # bracket: double until the target is met or the driver runs out
        value = _kpi_at(sc, driver_changes(sc, driver, high), kpi, opts)
        if value is None or high > MAX_FACTOR:
            high = _largest_valid(sc, driver, kpi, opts, low, high)
            value = _kpi_at(sc, driver_changes(sc, driver, high), kpi, opts)
            if value is None or value < target:
                return high, False
            break
        if value >= target:
            break
        low, high = high, 2.0 * high
    while high - low > tolerance * high:
        mid = 0.5 * (low + high)
        value = _kpi_at(sc, driver_changes(sc, driver, mid), kpi, opts)
        if value is not None and value >= target:
            high = mid
        else:
            low = mid
    return high, True


def _largest_valid(
    sc: Scenario, driver: str, kpi: str, opts: RunOptions, low: float, high: float
) -> float:
    """The largest factor in ``[low, high]`` that still makes a valid journey."""
    for _ in range(40):
        mid = 0.5 * (low + high)
        if _kpi_at(sc, driver_changes(sc, driver, mid), kpi, opts) is None:
            high = mid
        else:
            low = mid
    return low


def value_at_stake(
    alone: Scenario, goal: JourneyGoal, actual: Mapping[str, float], opts: RunOptions
) -> tuple[float, list[str]]:
    """The journey's profit over the horizon if it met its targets, minus its profit now,
    and notes: each unmet target with a driver is met by scaling its driver (solved on
    the engine), one after the other; the profit of the journey so changed is simulated
    with the same options (common random numbers)."""
    from cjsim.experiment import simulate

    changes: tuple[Change, ...] = ()
    notes = []
    for kpi, target in goal.targets.items():
        if attainment(kpi, actual[kpi], target) >= 1.0:
            continue
        if kpi not in DRIVERS:
            notes.append(f"{goal.name}: {kpi} has no driver; its gap is not valued")
            continue
        base = apply(alone, Intervention("so far", changes)) if changes else alone
        factor, reached = solve_driver(base, kpi, target, opts)
        changes += driver_changes(alone, DRIVERS[kpi], factor)
        if not reached:
            notes.append(
                f"{goal.name}: {kpi} {target:g} is out of reach of its driver (x{factor:.3g})"
            )
    if not changes:
        return 0.0, notes
    after = simulate(apply(alone, Intervention("targets met", changes)), options=opts)
    before = simulate(alone, options=opts)
    return _mean(after.kpis, "profit") - _mean(before.kpis, "profit"), notes


def _mean(kpis: pd.DataFrame, kpi: str) -> float:
    """A KPI's mean from a result's KPI table."""
    return float(kpis.loc[kpis["kpi"] == kpi, "mean"].to_numpy(dtype=float)[0])


def success_scores(
    scenario: Scenario,
    *,
    engine: str | None = None,
    replications: int = 10,
    seed: int | None = None,
    workers: int = 1,
    options: RunOptions | None = None,
) -> SuccessScores:
    """Score every journey of ``scenario.journeys`` against its targets.

    The analytic engine (default) gives each journey's KPIs exactly; a simulation engine
    gives them with 95 % intervals and sees queues. The default is des for a scenario the
    analytic engine refuses (one with satisfaction).
    """
    from cjsim.errors import SimulationError
    from cjsim.experiment import simulate

    if not scenario.journeys:
        raise SimulationError(
            "the scenario names no journeys to score — add [[journeys]] with targets to "
            "the file (see docs/scenario_format.md)"
        )
    if engine is None:
        from cjsim.engines.registry import answering_engine

        engine = answering_engine(scenario)[0]
    given = RunOptions(engine=engine, replications=replications, seed=seed, workers=workers)
    opts = options or given
    from cjsim.engines.registry import get_engine

    exact = get_engine(opts.engine).exact
    if opts.seed is None and not exact:  # one seed for every run: paired draws throughout
        opts = dataclasses.replace(opts, seed=fresh_seed())
    rows, targets, notes = [], [], []
    for goal in scenario.journeys:
        alone, share = journey_scenario(scenario, goal)
        if not share > 0:
            kind, name = goal.selector
            who = "arriving customer reaches it" if kind == "from" else "customer arrives"
            notes.append(f"{goal.name}: no {who} ({kind} {name}); not scored")
            continue
        if goal.start is not None:
            notes.append(
                f"{goal.name}: the {share:.1%} of customers who reach {goal.start}, from "
                "their first visit there on, each entering it at its arrival time"
                + (" and with the start satisfaction" if scenario.satisfaction else "")
            )
        kpis = simulate(alone, options=opts).kpis.set_index("kpi")
        found, actual_of = [], {}
        for kpi, target in goal.targets.items():
            values = kpis.loc[kpi, ["mean", "ci_low", "ci_high"]].to_numpy(dtype=float)
            actual, low, high = (float(x) for x in values)
            actual_of[kpi] = actual
            got = attainment(kpi, actual, target)
            found.append(got)
            targets.append((goal.name, kpi, target, actual, low, high, got, got >= 1.0))
        kind, name = goal.selector
        score = 100.0 * sum(found) / len(found)
        stake, said = value_at_stake(alone, goal, actual_of, opts)
        notes += said
        met = all(a >= 1.0 for a in found)
        rows.append((goal.name, f"{kind} {name}", share, score, met, stake))
    columns = ["journey", "selector", "share", "score", "met", "value_at_stake"]
    scores = pd.DataFrame(rows, columns=columns)
    scores = scores.sort_values("value_at_stake", ascending=False, ignore_index=True)
    meta = {
        "engine": opts.engine if isinstance(opts.engine, str) else opts.engine.name,
        "horizon_days": scenario.horizon_days,
        "currency": scenario.currency,
        "replications": None if exact else opts.replications,
        "seed": None if exact else opts.seed,
        "notes": notes,
    }
    return SuccessScores(scores, pd.DataFrame(targets, columns=COLUMNS), meta)
