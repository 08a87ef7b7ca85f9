"""``simulate``: replications of an engine, with 95 % t-intervals and a recorded seed."""

from __future__ import annotations

import pandas as pd

from cjsim.engines.base import Engine, ReplicationOutput
from cjsim.engines.result import Result
from cjsim.experiment.options import RunOptions
from cjsim.experiment.runner import run_replications
from cjsim.intervals import interval_table, series_table
from cjsim.model import Scenario

__all__ = ["interval_table", "replication_result", "simulate"]


def _notes(sc: Scenario, engine: Engine, ignore_capacity: bool) -> list[str]:
    notes = [
        "customers still in the journey at the horizon are in flight (in_flight_share), "
        "never lost; time_to_absorption averages those absorbed before it",
        *engine.notes(sc, ignore_capacity=ignore_capacity),
    ]
    if sc.population.initial:
        notes.append(
            "warm start: customers placed by population.initial count as customers "
            "(initial_customers) and start a fresh visit at day 0"
        )
    if sc.population.warm_start is not None:
        notes.append(
            "warm start: population.warm_start places each customer (one of its rows, or none "
            "with the remaining probability) mid-visit at day 0; they count as customers "
            "(initial_customers), their visit under way is not booked, and the event log's "
            "warm_id column names them"
        )
    return notes


def simulate(
    scenario: Scenario,
    *,
    engine: str | Engine = "des",
    replications: int = 10,
    seed: int | None = None,
    workers: int = 1,
    executor: str | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    horizon_days: float | None = None,
    events: bool = False,
    ignore_capacity: bool = False,
    options: RunOptions | None = None,
) -> Result:
    """Simulate ``scenario`` and return KPIs with 95 % t-intervals over replications.

    Every option is keyword-only and means what it means in :class:`RunOptions`; pass
    ``options=`` instead to reuse one set.  An exact engine (``"analytic"``) answers in
    one solve, for ``horizon_days`` when given.

    Raises
    ------
    OptionError
        For an invalid option (a ValueError), naming it.
    SimulationError
        When the engine cannot run the scenario (e.g. queues in the vectorized engine).
    """
    given = RunOptions(
        engine=engine,
        replications=replications,
        seed=seed,
        workers=workers,
        executor=executor,
        scheduler=scheduler,
        progress=progress,
        horizon_days=horizon_days,
        events=events,
        ignore_capacity=ignore_capacity,
    )
    opts = given.unless(options).resolve(scenario)
    eng = opts.engine_object
    if eng.exact:
        horizon = opts.horizon_days
        return eng.solve(scenario if horizon is None else scenario.replace(horizon_days=horizon))
    outputs = run_replications([scenario], opts)[0]
    return replication_result(scenario, opts, outputs)


def replication_result(
    scenario: Scenario, opts: RunOptions, outputs: list[ReplicationOutput]
) -> Result:
    """The :class:`Result` of a simulation engine's replications of ``scenario``, run with
    the resolved options ``opts``: KPIs with 95 % t-intervals, the per-replication table,
    the mean day series with 2.5–97.5 % bands of the cumulative money, the event log."""
    engine = opts.engine_object
    per_rep = pd.DataFrame(
        [o.kpis for o in outputs], index=pd.RangeIndex(len(outputs), name="replication")
    )
    series = series_table(
        [o.timeseries for o in outputs], bands=("cumulative_revenue", "cumulative_profit")
    )
    tables = {"replications": per_rep.reset_index(), "timeseries": series}
    log = [o.events for o in outputs if o.events is not None]
    meta = {
        "seed": opts.seed,
        "replications": opts.replications,
        "horizon_days": opts.horizon_days,
        "executor": opts.executor,
        "workers": opts.workers,
        "currency": scenario.currency,
    }
    return Result(
        scenario.name,
        engine.name,
        interval_table(per_rep),
        tables,
        tuple(_notes(scenario, engine, opts.ignore_capacity)),
        meta,
        pd.concat(log, ignore_index=True) if opts.events else None,
    )
