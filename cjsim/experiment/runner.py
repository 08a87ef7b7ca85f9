"""One bundle of replications, run wherever an executor puts it.

A task carries the scenario itself (picklable) and rebuilds the engine's
compiled form locally, so a process pool or a Dask worker needs nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cjsim.engines._compiled import compile_scenario
from cjsim.engines._tally import kpi_values, timeseries
from cjsim.engines.des import DesReplication
from cjsim.engines.vectorized import VectorizedReplication
from cjsim.model import Scenario

__all__ = ["ReplicationOutput", "Task", "run_task"]


@dataclass(frozen=True)
class Task:
    """Replications ``first .. first + count - 1`` of one run."""

    scenario: Scenario
    engine: str
    seed: int
    first: int
    count: int
    horizon: float
    events: bool = False
    ignore_capacity: bool = False


@dataclass(frozen=True)
class ReplicationOutput:
    """What one replication returns: KPIs, its day series and, on request, its event log."""

    replication: int
    kpis: dict[str, float]
    timeseries: pd.DataFrame
    events: pd.DataFrame | None
    visits_by_day: np.ndarray  # (touchpoints, days): visits started per day


def _events(
    rows: list, sc: Scenario, replication: int, engine: str, warm_ids: dict[int, str]
) -> pd.DataFrame:
    """The event log of one replication: one row per visit, and one row per absorption
    into an outcome (``touchpoint`` is the outcome's name, ``stage`` is empty).  With a
    per-customer warm start, column ``warm_id`` holds the warm-start customer id of
    warm-start customers (None for everybody else)."""
    columns = ["customer", "time", "touchpoint", "stage", "value"]
    if engine == "des":
        frame = pd.DataFrame(rows, columns=columns)
    else:
        data = np.concatenate(rows) if rows else np.zeros((0, 4))
        names = np.array([*sc.touchpoints, *sc.outcomes])
        stages = np.array([tp.stage for tp in sc.touchpoints.values()] + [""] * len(sc.outcomes))
        node = data[:, 2].astype(int)
        frame = pd.DataFrame(
            {
                "customer": data[:, 0].astype(np.int64),
                "time": data[:, 1],
                "touchpoint": names[node],
                "stage": stages[node],
                "value": data[:, 3],
            }
        )
        frame = frame.sort_values(["customer", "time"], kind="stable", ignore_index=True)
    frame.insert(0, "replication", replication)
    if sc.population.warm_start is not None:
        frame["warm_id"] = pd.Series(
            [warm_ids.get(c) for c in frame["customer"].tolist()], dtype=object
        )
    return frame


def run_task(task: Task) -> list[ReplicationOutput]:
    """Run the task's replications in order."""
    sc = task.scenario
    comp = compile_scenario(sc) if task.engine == "des" else None
    out = []
    for rep in range(task.first, task.first + task.count):
        engine: DesReplication | VectorizedReplication
        if comp is not None:
            engine = DesReplication(sc, comp, task.seed, rep, task.horizon, task.events)
        else:
            engine = VectorizedReplication(
                sc, task.seed, rep, task.horizon, task.events, task.ignore_capacity
            )
        totals = engine.run()
        events = (
            _events(engine.log, sc, rep, task.engine, engine.warm_ids)
            if engine.log is not None
            else None
        )
        visits = np.asarray(totals.starts_by_day, dtype=float).reshape(totals.n_nodes, -1)
        out.append(
            ReplicationOutput(
                rep,
                kpi_values(totals, sc, task.horizon),
                timeseries(totals, sc, task.horizon),
                events,
                visits[:, : totals.days],
            )
        )
    return out
