"""Run options: one frozen, keyword-only record, resolved once against a scenario.

Every entry point that runs an engine (``simulate``, ``compare``, the sensitivity
analysis, the CLI) takes the same options and resolves them here, by one rule:

- ``horizon_days``: the option, else the scenario's ``horizon_days``; an engine that
  simulates time, and every comparison (its cash flows span days), needs one;
- ``seed``: the option, else fresh entropy drawn here — the only place cjsim draws
  entropy — and recorded in the results so the run can be replayed;
- ``executor``: the option, else ``"dask"`` with a scheduler address, ``"process"`` with
  more than one worker, ``"serial"`` otherwise.

>>> import cjsim
>>> sc = cjsim.load_scenario("scenarios/fashionfusion.toml")
>>> opts = RunOptions(engine="des", replications=4, seed=1, workers=2).resolve(sc)
>>> opts.horizon_days, opts.executor, opts.seed
(365.0, 'process', 1)
>>> RunOptions(replications=0)
Traceback (most recent call last):
...
cjsim.errors.OptionError: replications must be a whole number >= 1, got 0
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from cjsim.engines.base import Engine
from cjsim.engines.registry import get_engine
from cjsim.errors import OptionError, SimulationError
from cjsim.experiment.executors import EXECUTORS
from cjsim.model import Scenario
from cjsim.model.validation import size_problems

__all__ = ["RunOptions", "fresh_seed"]


def fresh_seed() -> int:
    """A new root seed from the operating system's entropy (recorded by every result)."""
    return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]


def _whole(value: object, name: str, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise OptionError(f"{name} must be a whole number >= {low}, got {value!r}")


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How to run an engine.

    Parameters
    ----------
    engine : str or Engine
        ``"des"`` (default), ``"vectorized"``, ``"analytic"``, or an engine object.
    replications : int
        Independent replications (>= 2 for intervals); exact engines need one.
    seed : int, optional
        Root of the seed tree (>= 0); None draws fresh entropy on :meth:`resolve`.
        The same seed gives the same numbers for any ``workers`` and executor.
    workers : int
        Processes to use; more than 1 means a local process pool by default.
    executor : {"serial", "process", "dask"}, optional
        Where to run; ``"dask"`` starts a LocalCluster unless ``scheduler`` is given.
    scheduler : str, optional
        Address of an existing Dask scheduler, e.g. ``"tcp://10.0.0.5:8786"``.
    progress : bool, optional
        Show a progress bar; default: only on a terminal and outside CI.
    horizon_days : float, optional
        Days to simulate instead of the scenario's horizon (> 0).
    events : bool
        Keep the per-customer event log; memory grows with it.
    ignore_capacity : bool
        Let the vectorized engine run a model with capacity touchpoints, without queues.
    """

    engine: str | Engine = "des"
    replications: int = 10
    seed: int | None = None
    workers: int = 1
    executor: str | None = None
    scheduler: str | None = None
    progress: bool | None = None
    horizon_days: float | None = None
    events: bool = False
    ignore_capacity: bool = False

    def __post_init__(self) -> None:
        get_engine(self.engine)
        _whole(self.replications, "replications", 1)
        _whole(self.workers, "workers", 1)
        if self.seed is not None:
            _whole(self.seed, "seed", 0)
        if self.executor is not None and self.executor not in EXECUTORS:
            raise OptionError(
                f"unknown executor {self.executor!r} — use one of {', '.join(EXECUTORS)}"
            )
        horizon = self.horizon_days
        if horizon is not None and (
            isinstance(horizon, bool)
            or not isinstance(horizon, int | float)
            or not math.isfinite(horizon)
            or horizon <= 0
        ):
            raise OptionError(f"horizon_days must be a finite number of days > 0, got {horizon!r}")

    @property
    def engine_object(self) -> Engine:
        """The engine these options name."""
        return get_engine(self.engine)

    def unless(self, options: RunOptions | None) -> RunOptions:
        """``options`` when given, else these (separate keyword options); giving both is
        an error, so no keyword option is silently ignored."""
        if options is None:
            return self
        if self != RunOptions():
            raise OptionError("give either options= or separate keyword options, not both")
        return options

    def replace(self, **changes: object) -> RunOptions:
        """A copy with ``changes`` (checked again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def resolve(self, scenario: Scenario, *, need_horizon: bool | None = None) -> RunOptions:
        """These options with every default decided for ``scenario``: a seed, an executor,
        a float horizon (required when ``need_horizon``, by default when the engine
        simulates), and the engine checked against the scenario."""
        engine = self.engine_object
        horizon = self.horizon_days if self.horizon_days is not None else scenario.horizon_days
        if need_horizon is None:
            need_horizon = not engine.exact
        if horizon is None and need_horizon:
            raise SimulationError(
                f"scenario {scenario.name!r} has no horizon_days — the {engine.name} engine "
                "simulates a time span: add horizon_days to [scenario], or pass horizon_days= "
                "(--horizon DAYS on the command line)"
            )
        if horizon is not None:
            for problem in size_problems(scenario.population, horizon):
                raise OptionError(f"horizon_days={horizon:g}: {problem.format()}")
        engine.check(scenario, ignore_capacity=self.ignore_capacity, horizon=horizon)
        executor = self.executor or (
            "dask" if self.scheduler else ("process" if self.workers > 1 else "serial")
        )
        return self.replace(
            seed=fresh_seed() if self.seed is None else int(self.seed),
            executor=executor,
            horizon_days=None if horizon is None else float(horizon),
        )
