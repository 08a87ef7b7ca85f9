"""Replications of one or more scenarios, in bundles, wherever an executor puts them.

A task carries the scenario itself (picklable) and the engine's name or object, and
rebuilds the engine's compiled form locally, so a process pool or a Dask worker needs
nothing else.  The same replication number means the same draws in every scenario
(common random numbers).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from cjsim.engines.base import Engine, ReplicationOutput
from cjsim.engines.registry import get_engine
from cjsim.errors import SimulationError
from cjsim.experiment.executors import run_all
from cjsim.experiment.options import RunOptions
from cjsim.model import Scenario

__all__ = ["Task", "run_replications", "run_task"]


@dataclass(frozen=True)
class Task:
    """Replications ``first .. first + count - 1`` of one scenario."""

    scenario: Scenario
    engine: str | Engine
    seed: int
    first: int
    count: int
    horizon: float
    events: bool = False
    ignore_capacity: bool = False


def run_task(task: Task) -> list[ReplicationOutput]:
    """Run the task's replications in order."""
    return get_engine(task.engine).run(
        task.scenario,
        seed=task.seed,
        replications=range(task.first, task.first + task.count),
        horizon=task.horizon,
        events=task.events,
        ignore_capacity=task.ignore_capacity,
    )


def _tasks(sc: Scenario, options: RunOptions, replications: int, first: int) -> list[Task]:
    parallel = options.workers if options.executor != "serial" else 1
    per_task = max(1, math.ceil(replications / (4 * parallel))) if parallel > 1 else 1
    assert options.seed is not None and options.horizon_days is not None
    base = Task(
        sc,
        options.engine,
        options.seed,
        0,
        0,
        options.horizon_days,
        options.events,
        options.ignore_capacity,
    )
    return [
        dataclasses.replace(base, first=first + k, count=min(per_task, replications - k))
        for k in range(0, replications, per_task)
    ]


def run_replications(
    scenarios: list[Scenario],
    options: RunOptions,
    *,
    first: int = 0,
    names: Sequence[str] | None = None,
) -> list[list[ReplicationOutput]]:
    """Replications ``first .. first + options.replications - 1`` of each scenario, all
    submitted at once to the executor; ``options`` must be resolved
    (:meth:`RunOptions.resolve`).  An exact engine answers each scenario once.  ``names``
    (the variants') prefix the error of a scenario the engine refuses."""
    engine = options.engine_object
    for k, sc in enumerate(scenarios):  # refuse here, before any worker starts
        try:
            engine.check(sc, ignore_capacity=options.ignore_capacity, horizon=options.horizon_days)
        except SimulationError as exc:
            if names is None:
                raise
            raise SimulationError(f"{names[k]}: {exc}") from None
    replications = 1 if engine.exact else options.replications
    tasks, owner = [], []
    for k, sc in enumerate(scenarios):
        for task in _tasks(sc, options, replications, first):
            tasks.append(task)
            owner.append(k)
    label = f"{engine.name} {scenarios[0].name}" + (
        f" +{len(scenarios) - 1}" if len(scenarios) > 1 else ""
    )
    assert options.executor is not None
    chunks = run_all(
        run_task,
        tasks,
        [t.count for t in tasks],
        options.executor,
        options.workers,
        options.scheduler,
        options.progress,
        label,
    )
    out: list[list[ReplicationOutput]] = [[] for _ in scenarios]
    for k, chunk in zip(owner, chunks, strict=True):
        out[k].extend(chunk)
    return out
