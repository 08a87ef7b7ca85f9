"""``compare``: the baseline and each intervention with common random numbers.

Every variant runs with the same seed, so replication ``r`` of every variant sees
the same customers with the same draws; paired deltas then carry far less noise
than independent runs.  This module orchestrates: it builds the variants, runs them
through the engine protocol (a simulation engine's replications, or an exact engine's
one *expected replication*), hands each run's day series to :mod:`cjsim.economics`
(intervention cost, net profit, NPV, the ranking with ROI, payback, break-even,
P(beats baseline) and P(best)) and assembles the :class:`Comparison`.
"""

from __future__ import annotations

import math

import pandas as pd

from cjsim.economics import (
    Costs,
    DaySeries,
    Outcome,
    delta_table,
    paired_deltas,
    rank_variants,
    replication_economics,
    variance_split,
)
from cjsim.engines.base import FEATURES, Engine, ReplicationOutput
from cjsim.engines.result import Result
from cjsim.errors import SimulationError
from cjsim.experiment import RunOptions, interval_table, replication_result, run_replications
from cjsim.interventions.comparison import Comparison, Runs
from cjsim.interventions.intervention import Intervention, apply, check_interventions
from cjsim.interventions.operations import OPERATIONS
from cjsim.model import Scenario

__all__ = ["Comparison", "blindness_notes", "compare", "in_ranked_order", "run_variants"]

_PROFIT_NOTE = (
    "profit is net of the intervention's costs everywhere (the change of profit is the "
    "incremental profit; gross_profit is before those costs); NPV discounts daily "
    "cash at the scenario's rate; payback is the first day from which the "
    "cumulative incremental cash stays >= 0"
)

_MARGIN_NOTE = (
    "the scenario's gross margin is 100 % (the default when none is given, as in a "
    "calibrated scenario without [economics]): profit, NPV and ROI count all revenue as "
    "profit — set economics.gross_margin if it is less"
)


def _costs(interventions: list[Intervention]) -> list[Costs]:
    """What each run pays on top of the journey: nothing for the baseline."""
    return [Costs(), *(iv.costs for iv in interventions)]


def _series(sc: Scenario, out: ReplicationOutput) -> DaySeries:
    """A replication's day series, simulated or expected."""
    ts = out.timeseries
    columns = ("day", "days", "arrivals", "purchases", "revenue", "cost")
    day, days, arrivals, purchases, revenue, cost = (ts[c].to_numpy(dtype=float) for c in columns)
    visits = dict(zip(sc.touchpoints, out.visits_by_day, strict=True))
    return DaySeries(day, days, arrivals, purchases, revenue, cost, visits, out.booked_value)


def _outcome(
    scenarios: list[Scenario], costs: list[Costs], outputs: list[list[ReplicationOutput]]
) -> Outcome:
    """Every variant's economics per replication (baseline first)."""
    kpis, cash = [], []
    for sc, cost, outs in zip(scenarios, costs, outputs, strict=True):
        e = sc.economics
        pairs = [
            replication_economics(
                o.kpis, _series(sc, o), cost, margin=e.gross_margin, annual_rate=e.discount_rate
            )
            for o in outs
        ]
        kpis.append([p[0] for p in pairs])
        cash.append([p[1] for p in pairs])
    return Outcome(kpis, cash, outputs[0][0].timeseries["day"].to_numpy(dtype=float))


def run_variants(
    draws: list[Scenario],
    interventions: list[Intervention],
    options: RunOptions,
    *,
    baseline: bool = True,
    first: int = 0,
) -> tuple[list[Outcome], list[list[ReplicationOutput]]]:
    """Per parameter draw, the economics of the baseline (unless ``baseline=False``) and
    each intervention, and the first scenario's outputs.

    Replication ``r`` of draw ``d`` is replication ``first + d * options.replications + r``
    of the seed, whatever else runs with it: variants simulated later with the same
    ``options`` (a budget portfolio's combinations, a selection's further stages) see the
    same customers as an earlier baseline — common random numbers across calls.
    """
    costs = [iv.costs for iv in interventions]
    costs = _costs(interventions) if baseline else costs
    outcomes, kept = [], []
    for d, sc in enumerate(draws):
        scenarios = [sc] if baseline else []
        scenarios += [apply(sc, iv) for iv in interventions]
        names = (["baseline"] if baseline else []) + [iv.name for iv in interventions]
        start = first + d * options.replications
        outputs = run_replications(scenarios, options, first=start, names=names)
        outcomes.append(_outcome(scenarios, costs, outputs))
        kept.append(outputs[0])
    return outcomes, kept


def _baseline(
    scenario: Scenario, options: RunOptions, outputs: list[list[ReplicationOutput]]
) -> Result:
    """The baseline's Result from the comparison's own runs (nothing simulated twice): a
    simulation engine's replications over all draws; an exact engine's solve, or over
    several draws the mean of their exact KPIs with intervals."""
    engine = options.engine_object
    if not engine.exact:
        return replication_result(scenario, options, [o for draw in outputs for o in draw])
    if len(outputs) == 1:
        return engine.solve(scenario.replace(horizon_days=options.horizon_days), tables=False)
    per_draw = pd.DataFrame(
        [draw[0].kpis for draw in outputs], index=pd.RangeIndex(len(outputs), name="draw")
    )
    tables = {"draws": per_draw.reset_index()}
    meta = {"draws": len(outputs), "currency": scenario.currency, "exact": False}
    return Result(scenario.name, engine.name, interval_table(per_draw), tables, (), meta)


def blindness_notes(
    engine: Engine,
    interventions: list[Intervention],
    ranking: pd.DataFrame,
    table: pd.DataFrame,
    *,
    ignore_capacity: bool,
) -> list[str]:
    """A note per intervention with effects the engine cannot see; where it sees none of
    the effect, that variant's figures (all but its cost) become NaN rather than a false
    "no effect"."""
    notes = []
    for iv in interventions:
        touched = {OPERATIONS[c.op].feature for c in iv.changes}  # apply checked the ops
        blind = engine.blind_to(touched, ignore_capacity=ignore_capacity)
        if not blind:
            continue
        everything = touched <= blind
        what = "all of its effect" if everything else "part of its effect"
        kinds = ", ".join(sorted(FEATURES[f] for f in blind))
        notes.append(
            f"{iv.name}: the {engine.name} engine cannot see {what} ({kinds}) — queues and "
            "experience effects need engine='des'; its figures here are n/a (not a "
            "number) where they would wrongly read as no effect"
        )
        if everything:
            cols = [c for c in ranking.columns if c not in ("variant", "intervention_cost")]
            ranking.loc[ranking["variant"] == iv.name, cols] = math.nan
            columns = ["delta", "delta_ci_low", "delta_ci_high"]
            table.loc[table["variant"] == iv.name, columns] = math.nan
    return notes


def compare(
    scenario: Scenario,
    interventions: list[Intervention] | tuple[Intervention, ...],
    *,
    engine: str | Engine = "des",
    replications: int = 10,
    seed: int | None = None,
    workers: int = 1,
    executor: str | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    horizon_days: float | None = None,
    ignore_capacity: bool = False,
    scenario_draws: list[Scenario] | None = None,
    options: RunOptions | None = None,
) -> Comparison:
    """Compare the baseline with each intervention, paired by common random numbers.

    Parameters
    ----------
    scenario : Scenario
        The baseline.
    interventions : sequence of Intervention
        The variants (combined ones included), e.g. from ``load_interventions``.
    engine, replications, seed, workers, executor, scheduler, progress, horizon_days,
    ignore_capacity :
        Keyword-only, as in :class:`cjsim.RunOptions`; or pass ``options=`` instead.
        ``engine="analytic"`` gives exact deltas instantly and names the effects it
        cannot see.  The cash flows span ``horizon_days`` (default: the scenario's).
    scenario_draws : list of Scenario, optional
        Several draws of the scenario (e.g. posterior draws from calibration) used
        *instead of* ``scenario``'s single set of parameters; ``uncertainty`` then splits
        each delta's spread into parameter uncertainty and simulation noise.
    """
    interventions = list(interventions)
    if not interventions:
        raise SimulationError("nothing to compare: give at least one intervention")
    check_interventions(scenario, interventions)  # unique names; every problem at once
    given = RunOptions(
        engine=engine,
        replications=replications,
        seed=seed,
        workers=workers,
        executor=executor,
        scheduler=scheduler,
        progress=progress,
        horizon_days=horizon_days,
        ignore_capacity=ignore_capacity,
    )
    opts = given.unless(options).resolve(scenario, need_horizon=True)
    draws = list(scenario_draws) if scenario_draws else [scenario]
    outcomes, outputs = run_variants(draws, interventions, opts)
    runs = Runs(tuple(draws), tuple(interventions), opts, tuple(outcomes))
    return _comparison(scenario, runs, outputs)


def _comparison(
    scenario: Scenario, runs: Runs, outputs: list[list[ReplicationOutput]]
) -> Comparison:
    opts, interventions, outcomes = runs.options, list(runs.interventions), list(runs.outcomes)
    engine = opts.engine_object
    names = [iv.name for iv in interventions]
    deltas = paired_deltas(outcomes, names)
    table = delta_table(deltas, len(outcomes))
    ranking = rank_variants(deltas, outcomes, names, table)
    notes = [_PROFIT_NOTE, *engine.comparison_notes()]
    if scenario.economics.gross_margin == 1.0:
        notes.append(_MARGIN_NOTE)
    blind = blindness_notes(
        engine, interventions, ranking, table, ignore_capacity=opts.ignore_capacity
    )
    notes += blind
    ranking = ranking.sort_values("incremental_profit", ascending=False, ignore_index=True)
    table = in_ranked_order(table, ranking)
    meta = {
        "seed": opts.seed,
        "exact": engine.exact,
        "replications": 1 if engine.exact else opts.replications,
        "draws": len(outcomes),
        "horizon_days": opts.horizon_days,
        "currency": scenario.currency,
        "blind_spots": blind,
    }
    return Comparison(
        scenario.name,
        engine.name,
        table,
        ranking,
        deltas,
        _baseline(scenario, opts, outputs),
        tuple(notes),
        meta,
        variance_split(deltas) if len(outcomes) > 1 else None,
        runs=runs,
    )


def in_ranked_order(
    table: pd.DataFrame, ranking: pd.DataFrame, column: str = "variant"
) -> pd.DataFrame:
    """``table``'s rows grouped by variant in the ranking's order (KPIs in their order)."""
    order = {name: i for i, name in enumerate(ranking[column])}
    rank = table["variant"].map(order)
    return table.iloc[rank.argsort(kind="stable")].reset_index(drop=True)
