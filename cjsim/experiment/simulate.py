"""``simulate``: replications of an engine, with 95 % t-intervals and a recorded seed."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from cjsim.engines.analytic import solve
from cjsim.engines.result import Result
from cjsim.errors import SimulationError
from cjsim.experiment.executors import EXECUTORS, run_all
from cjsim.experiment.runner import ReplicationOutput, Task, run_task
from cjsim.intervals import interval_table
from cjsim.model import Scenario

__all__ = ["ENGINES", "interval_table", "simulate"]

ENGINES = ("analytic", "des", "vectorized")


def _check(
    sc: Scenario,
    engine: str,
    replications: int,
    workers: int,
    horizon: float | None,
) -> float:
    if engine not in ENGINES:
        raise SimulationError(f"unknown engine {engine!r} — use one of {', '.join(ENGINES)}")
    if not isinstance(replications, int) or replications < 1:
        raise SimulationError(f"replications must be a whole number >= 1, got {replications!r}")
    if not isinstance(workers, int) or workers < 1:
        raise SimulationError(f"workers must be a whole number >= 1, got {workers!r}")
    horizon = horizon if horizon is not None else sc.horizon_days
    if horizon is None:
        raise SimulationError(
            f"scenario {sc.name!r} has no horizon_days — the {engine} engine "
            "simulates a time span: add horizon_days to [scenario]"
        )
    return float(horizon)


def _tasks(
    sc: Scenario,
    engine: str,
    seed: int,
    replications: int,
    horizon: float,
    parallel: int,
    events: bool,
    ignore_capacity: bool,
) -> list[Task]:
    per_task = max(1, math.ceil(replications / (4 * parallel))) if parallel > 1 else 1
    return [
        Task(
            sc,
            engine,
            seed,
            first,
            min(per_task, replications - first),
            horizon,
            events,
            ignore_capacity,
        )
        for first in range(0, replications, per_task)
    ]


def _series(outputs: list[ReplicationOutput]) -> pd.DataFrame:
    frames = pd.concat([o.timeseries for o in outputs], keys=range(len(outputs)))
    mean = frames.groupby("day").mean()
    for column in ("cumulative_revenue", "cumulative_profit"):
        grouped = frames.groupby("day")[column]
        mean[f"{column}_p2.5"] = grouped.quantile(0.025)
        mean[f"{column}_p97.5"] = grouped.quantile(0.975)
    return mean.reset_index()


def _notes(sc: Scenario, engine: str, ignore_capacity: bool) -> list[str]:
    notes = [
        "customers still in the journey at the horizon are in flight (in_flight_share), "
        "never lost; time_to_absorption averages those absorbed before it"
    ]
    if (
        engine == "vectorized"
        and ignore_capacity
        and any(tp.capacity for tp in sc.touchpoints.values())
    ):
        notes.append(
            "capacity ignored (ignore_capacity=True): no queues, service time counted "
            "as extra dwell, no reneging, no experience effects"
        )
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


def run_replications(
    scenarios: list[Scenario],
    engine: str,
    replications: int,
    seed: int,
    workers: int = 1,
    executor: str = "serial",
    scheduler: str | None = None,
    progress: bool | None = None,
    horizon: float | None = None,
    events: bool = False,
    ignore_capacity: bool = False,
    first: int = 0,
) -> list[list[ReplicationOutput]]:
    """Replications ``first .. first + replications - 1`` of each scenario, all submitted at
    once to the executor; the same replication number means the same draws (common random
    numbers)."""
    horizon = _check(scenarios[0], engine, replications, workers, horizon)
    if engine == "vectorized":  # refuse capacity here, before any worker starts
        from cjsim.engines.vectorized import VectorizedReplication

        for sc in scenarios:
            VectorizedReplication(sc, seed, 0, horizon, ignore_capacity=ignore_capacity)
    parallel = workers if executor != "serial" else 1
    tasks, owner = [], []
    for k, sc in enumerate(scenarios):
        for task in _tasks(
            sc, engine, seed, replications, horizon, parallel, events, ignore_capacity
        ):
            tasks.append(dataclasses.replace(task, first=task.first + first))
            owner.append(k)
    label = f"{engine} {scenarios[0].name}" + (
        f" +{len(scenarios) - 1}" if len(scenarios) > 1 else ""
    )
    chunks = run_all(
        run_task, tasks, [t.count for t in tasks], executor, workers, scheduler, progress, label
    )
    out: list[list[ReplicationOutput]] = [[] for _ in scenarios]
    for k, chunk in zip(owner, chunks, strict=True):
        out[k].extend(chunk)
    return out


def simulate(
    scenario: Scenario,
    engine: str = "des",
    replications: int = 10,
    seed: int | None = None,
    workers: int = 1,
    executor: str | None = None,
    scheduler: str | None = None,
    events: bool = False,
    progress: bool | None = None,
    horizon_days: float | None = None,
    ignore_capacity: bool = False,
) -> Result:
    """Simulate ``scenario`` and return KPIs with 95 % t-intervals over replications.

    Parameters
    ----------
    engine : {"des", "vectorized", "analytic"}
    replications : int
        Independent replications (>= 2 for intervals); ignored by ``analytic``.
    seed : int, optional
        Root of the seed tree; None draws fresh entropy, recorded in ``meta["seed"]``.
        The same seed gives the same numbers for any ``workers`` and executor.
    workers : int
        Processes to use; more than 1 means a local process pool by default.
    executor : {"serial", "process", "dask"}, optional
        Where to run; ``"dask"`` starts a LocalCluster unless ``scheduler`` is given.
    scheduler : str, optional
        Address of an existing Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    events : bool
        Keep the per-customer event log (``Result.events``); memory grows with it.
    progress : bool, optional
        Show a progress bar; default: only on a terminal and outside CI.
    horizon_days : float, optional
        Override the scenario's horizon.
    ignore_capacity : bool
        Let the vectorized engine run a model with capacity touchpoints, without queues.
    """
    if engine == "analytic":
        return solve(scenario)
    horizon = _check(scenario, engine, replications, workers, horizon_days)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if executor is None:
        executor = "dask" if scheduler else ("process" if workers > 1 else "serial")
    if executor not in EXECUTORS:
        raise SimulationError(f"unknown executor {executor!r} — use one of {', '.join(EXECUTORS)}")
    outputs = run_replications(
        [scenario],
        engine,
        replications,
        seed,
        workers,
        executor,
        scheduler,
        progress,
        horizon,
        events,
        ignore_capacity,
    )[0]
    per_rep = pd.DataFrame(
        [o.kpis for o in outputs], index=pd.RangeIndex(len(outputs), name="replication")
    )
    tables = {"replications": per_rep.reset_index(), "timeseries": _series(outputs)}
    event_log = pd.concat([o.events for o in outputs], ignore_index=True) if events else None
    meta = {
        "seed": seed,
        "replications": replications,
        "horizon_days": horizon,
        "executor": executor,
        "workers": workers,
        "currency": scenario.currency,
    }
    return Result(
        scenario.name,
        engine,
        interval_table(per_rep),
        tables,
        tuple(_notes(scenario, engine, ignore_capacity)),
        meta,
        event_log,
    )
