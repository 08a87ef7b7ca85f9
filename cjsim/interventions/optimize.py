"""How much of a lever is best: staff, a discount, a pace, a budget — searched by
simulation under common random numbers.

A :class:`Lever` is one numeric key of one intervention operation (``servers`` of
``set_capacity`` at a desk, ``factor`` of ``scale_order_value`` at checkout, ``factor`` of
``scale_arrivals`` for a marketing budget, ...) with its range and its cost per unit.
Every setting tried is simulated with the same seed and replication numbers, so each
sees the same customers: the objective becomes one deterministic function of the levers
(sample-average approximation), and a well-kept deterministic optimiser applies:

- one integer lever: golden-section search over the integers (profit against servers is
  unimodal when each server costs the same and adds less than the one before), then the
  neighbours of the best are checked;
- one continuous lever: ``scipy.optimize.minimize_scalar(method="bounded")`` (Brent);
- several levers: ``scipy.optimize.differential_evolution`` with ``integrality`` for the
  integer ones, each generation simulated as one batch (a process pool runs it side by
  side), seeded from the run's seed.

Optuna (TPE) was the alternative for noisy black-box search.  Common random numbers take
the noise out of the comparison of settings, so its strength — modelling the noise — buys
nothing here, while scipy's methods are deterministic, reproducible from the seed and
already a dependency.

The objective is a money KPI net of the levers' costs: ``profit`` (over the horizon) or
``npv``.  Each lever costs ``cost_per_unit`` (a :class:`~cjsim.interventions.Costs`) times
its value: a server at 45 a day is ``Costs(per_day=45)`` per server.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cjsim.economics import Costs
from cjsim.errors import SimulationError
from cjsim.experiment import RunOptions
from cjsim.intervals import interval
from cjsim.interventions.compare import run_variants
from cjsim.interventions.intervention import Change, Intervention, apply
from cjsim.model import Scenario

__all__ = ["KINDS", "OBJECTIVES", "Lever", "Optimum", "optimize"]

OBJECTIVES = ("profit", "npv")
GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0
GRID_POINTS = 11  # values of a continuous lever on a grid
KINDS = {  # lever kind in text -> (operation, key varied, whole numbers only)
    "servers": ("set_capacity", "servers", True),
    "order_value": ("scale_order_value", "factor", False),
    "dwell": ("scale_dwell", "factor", False),
    "service": ("scale_service", "factor", False),
    "arrivals": ("scale_arrivals", "factor", False),
}


@dataclass(frozen=True)
class Lever:
    """One dial: ``key`` of operation ``op`` between ``low`` and ``high``.

    Parameters
    ----------
    op : str
        An intervention operation, e.g. ``"set_capacity"``, ``"scale_order_value"``,
        ``"scale_dwell"``, ``"scale_service"``, ``"scale_arrivals"``.
    target : mapping
        The operation's other keys, e.g. ``{"node": "support_chat"}``.
    key : str
        The key varied, e.g. ``"servers"`` or ``"factor"``.
    low, high : float
        The range searched (inclusive).
    integer : bool
        Whether only whole values make sense (servers, seats).
    cost_per_unit : Costs
        What one unit of the lever costs; the lever's cost is this times its value.
    """

    op: str
    target: Mapping[str, Any]
    key: str
    low: float
    high: float
    integer: bool = False
    cost_per_unit: Costs = field(default_factory=Costs)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise SimulationError(
                f"lever {self.label}: the range must be finite with low < high, got "
                f"{self.low}..{self.high}"
            )
        if self.integer and math.ceil(self.low) > math.floor(self.high):
            raise SimulationError(f"lever {self.label}: no whole number in {self.low}..{self.high}")
        Change(self.op, {**self.target, self.key: self.low})  # unknown op or key: refused here

    @classmethod
    def parse(cls, spec: str) -> Lever:
        """A lever from text: ``NODE.KIND=LOW..HIGH[@COST]`` or ``arrivals=LOW..HIGH[@COST]``.

        ``KIND`` is one of :data:`KINDS` (``servers`` are whole numbers; the others are
        factors, 1 meaning as in the scenario); ``COST`` is money per day per unit of the
        lever (a server, or a factor of 1).

        >>> Lever.parse("support_chat.servers=1..6@45").costs(3).per_day
        135.0
        """
        name, _, rest = spec.partition("=")
        span, _, cost = rest.partition("@")
        low, _, high = span.partition("..")
        node, _, kind = name.strip().rpartition(".")
        kind = kind or name.strip()
        hint = (
            "expected NODE.KIND=LOW..HIGH[@COST_PER_DAY] with KIND one of "
            f"{', '.join(KINDS)} (or arrivals=LOW..HIGH[@COST_PER_DAY]), e.g. "
            "support_chat.servers=1..6@45"
        )
        if kind not in KINDS or bool(node) == (kind == "arrivals") or not high:
            raise SimulationError(f"lever {spec!r}: {hint}")
        try:
            lo, hi, per_day = float(low), float(high), float(cost) if cost else 0.0
        except ValueError:
            raise SimulationError(f"lever {spec!r}: {hint}") from None
        if not math.isfinite(per_day):
            raise SimulationError(f"lever {spec!r}: the cost must be a finite amount per day")
        op, key, integer = KINDS[kind]
        target = {"node": node} if node else {}
        return cls(op, target, key, lo, hi, integer, Costs(per_day=per_day))

    @property
    def label(self) -> str:
        """``node.key`` (or the operation's name where it has no node)."""
        node = self.target.get("node")
        return f"{node}.{self.key}" if node else f"{self.op}.{self.key}"

    def change(self, value: float) -> Change:
        return Change(self.op, {**self.target, self.key: int(value) if self.integer else value})

    def costs(self, value: float) -> Costs:
        c = self.cost_per_unit
        return Costs(
            c.fixed * value,
            c.per_day * value,
            c.per_customer * value,
            c.per_purchase * value,
            {node: cost * value for node, cost in c.per_visit.items()},
        )


@dataclass(frozen=True)
class Optimum:
    """What :func:`optimize` found.

    Attributes
    ----------
    best : dict
        The best setting, lever label -> value.
    objective : str
        The KPI maximised (net of the levers' costs).
    mean, ci_low, ci_high : float
        The objective at the best setting with its 95 % interval over replications.
    evaluations : DataFrame
        Every setting simulated: one column per lever, then ``mean, ci_low, ci_high,
        std_err`` of the objective, in the order tried.
    method : str
        The search used.
    """

    levers: tuple[Lever, ...]
    best: dict[str, float]
    objective: str
    mean: float
    ci_low: float
    ci_high: float
    evaluations: pd.DataFrame
    method: str
    meta: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        setting = ", ".join(f"{k} = {_show(v)}" for k, v in self.best.items())
        return (
            f"best: {setting}; {self.objective} net of the levers' cost {self.mean:,.0f} "
            f"[{self.ci_low:,.0f}, {self.ci_high:,.0f}] ({len(self.evaluations)} settings "
            f"simulated, {self.method})"
        )

    def to_dict(self) -> dict[str, Any]:
        from cjsim._io import to_jsonable

        return to_jsonable(
            {
                "best": self.best,
                "objective": self.objective,
                "mean": self.mean,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "method": self.method,
                "evaluations": self.evaluations.to_dict(orient="records"),
                "meta": self.meta,
            }
        )

    def plot(self, ax: Any = None) -> Any:
        """The objective against each lever (:func:`cjsim.plotting.optimum`)."""
        from cjsim.plotting import optimum

        return optimum(self, ax=ax)


def _show(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.4g}"


class _Objective:
    """The objective of settings, simulated in batches and remembered."""

    def __init__(self, sc: Scenario, levers: Sequence[Lever], objective: str, opts: RunOptions):
        self.sc, self.levers, self.objective, self.opts = sc, tuple(levers), objective, opts
        self.seen: dict[tuple[float, ...], tuple[float, float, float, float]] = {}
        self.values: dict[tuple[float, ...], np.ndarray] = {}  # per replication

    def key(self, x: Sequence[float]) -> tuple[float, ...]:
        return tuple(
            float(round(v)) if lv.integer else float(v)
            for lv, v in zip(self.levers, x, strict=True)
        )

    def variant(self, x: tuple[float, ...]) -> Intervention:
        changes = tuple(lv.change(v) for lv, v in zip(self.levers, x, strict=True))
        costs = sum((lv.costs(v) for lv, v in zip(self.levers, x, strict=True)), Costs())
        return Intervention(
            " ".join(f"{lv.label}={_show(v)}" for lv, v in zip(self.levers, x, strict=True)),
            changes,
            costs,
        )

    def batch(self, settings: Sequence[Sequence[float]]) -> list[float]:
        """Mean objective of each setting (new ones simulated together)."""
        keys = [self.key(x) for x in settings]
        new = list(dict.fromkeys(k for k in keys if k not in self.seen))
        if new:
            outcomes, _ = run_variants(
                [self.sc], [self.variant(k) for k in new], self.opts, baseline=False
            )
            for k, kpis in zip(new, outcomes[0].kpis, strict=True):
                self.values[k] = np.array([row[self.objective] for row in kpis])
                self.seen[k] = interval(self.values[k])
        return [self.seen[k][0] for k in keys]

    def __call__(self, x: Sequence[float]) -> float:
        return self.batch([x])[0]

    def margin(self, best: tuple[float, ...]) -> dict[str, Any]:
        """The best's lead over the next best setting, paired replication by replication
        (the same customers), with its 95 % interval; empty with one setting."""
        others = sorted((k for k in self.seen if k != best), key=lambda k: -self.seen[k][0])
        if not others:
            return {}
        lead, low, high, _ = interval(self.values[best] - self.values[others[0]])
        return {
            "runner_up": list(others[0]),
            "lead": lead,
            "lead_ci_low": low,
            "lead_ci_high": high,
        }

    def table(self) -> pd.DataFrame:
        rows = [
            {
                **{lv.label: v for lv, v in zip(self.levers, k, strict=True)},
                "mean": m,
                "ci_low": lo,
                "ci_high": hi,
                "std_err": se,
            }
            for k, (m, lo, hi, se) in self.seen.items()
        ]
        return pd.DataFrame(rows)


def _golden_integer(f: _Objective, lever: Lever) -> tuple[float, ...]:
    """The best whole value of one lever by golden-section search, then its neighbours."""
    a, b = math.ceil(lever.low), math.floor(lever.high)
    while b - a > 2:
        c = b - round(GOLDEN * (b - a))
        d = a + round(GOLDEN * (b - a))
        if c >= d:
            c, d = (a + b) // 2, (a + b) // 2 + 1
        fc, fd = f.batch([[c], [d]])
        if fc >= fd:
            b = d
        else:
            a = c
    candidates = list(range(a, b + 1))
    values = f.batch([[v] for v in candidates])
    best = candidates[int(np.argmax(values))]
    while True:  # the search assumed one peak: step to a better neighbour if there is one
        around = [v for v in (best - 1, best + 1) if lever.low <= v <= lever.high]
        scores = f.batch([[v] for v in around])
        if not scores or max(scores) <= f([best]):
            return (float(best),)
        best = around[int(np.argmax(scores))]


def _brent(f: _Objective, lever: Lever) -> tuple[float, ...]:
    from scipy import optimize as so  # loaded when first needed

    f.batch([[v] for v in np.linspace(lever.low, lever.high, 5)])  # the curve, and a start
    found = so.minimize_scalar(
        lambda v: -f([v]),
        bounds=(lever.low, lever.high),
        method="bounded",
        options={"xatol": (lever.high - lever.low) * 1e-3},
    )
    best = max(f.seen, key=lambda k: f.seen[k][0])  # Brent's answer or a grid point
    return best if f.seen[best][0] > -found.fun else f.key([found.x])


def _evolution(f: _Objective, levers: Sequence[Lever], seed: int) -> tuple[float, ...]:
    from scipy import optimize as so  # loaded when first needed

    def negative(population: np.ndarray) -> np.ndarray:  # (levers, settings)
        return -np.asarray(f.batch(population.T.tolist()))

    so.differential_evolution(
        negative,
        bounds=[(lv.low, lv.high) for lv in levers],
        integrality=[lv.integer for lv in levers],
        seed=seed,
        popsize=5,
        maxiter=15,
        tol=1e-6,
        polish=False,
        updating="deferred",
        vectorized=True,
    )
    return max(f.seen, key=lambda k: f.seen[k][0])


def _grid(f: _Objective, levers: Sequence[Lever], points: int) -> tuple[float, ...]:
    """Every setting of a grid: each whole value of an integer lever, ``points`` evenly
    spaced values of a continuous one."""
    axes = [
        np.arange(math.ceil(lv.low), math.floor(lv.high) + 1, dtype=float)
        if lv.integer
        else np.linspace(lv.low, lv.high, points)
        for lv in levers
    ]
    f.batch(np.array(np.meshgrid(*axes, indexing="ij")).reshape(len(levers), -1).T.tolist())
    return max(f.seen, key=lambda k: f.seen[k][0])


def _search(
    f: _Objective, levers: list[Lever], search: str, seed: int
) -> tuple[tuple[float, ...], str]:
    if search == "grid":
        return _grid(f, levers, GRID_POINTS), "grid of every setting"
    if len(levers) > 1:
        return _evolution(f, levers, seed), "differential evolution"
    if levers[0].integer:
        return _golden_integer(f, levers[0]), "golden-section search over the integers"
    return _brent(f, levers[0]), "Brent (bounded)"


def optimize(
    scenario: Scenario,
    levers: Sequence[Lever],
    *,
    objective: str = "profit",
    search: str = "auto",
    options: RunOptions | None = None,
    engine: str = "des",
    replications: int = 10,
    seed: int | None = None,
    workers: int = 1,
) -> Optimum:
    """The best setting of ``levers`` for ``objective`` (see the module docstring).

    Parameters
    ----------
    scenario : Scenario
    levers : sequence of Lever
    objective : {"profit", "npv"}
        Maximised, net of the levers' cost, over the scenario's horizon.
    search : {"auto", "grid"}
        ``"auto"``: the search of the module docstring; ``"grid"``: every whole value of
        integer levers and :data:`GRID_POINTS` values of continuous ones (exhaustive).
    options : RunOptions, optional
        Instead of ``engine, replications, seed, workers``; every setting is simulated
        with these options (the same seed: common random numbers).
    """
    levers = _checked(scenario, list(levers), objective, search)
    given = RunOptions(engine=engine, replications=replications, seed=seed, workers=workers)
    opts = (options or given).resolve(scenario, need_horizon=True)
    assert opts.seed is not None
    f = _Objective(scenario, levers, objective, opts)
    best, method = _search(f, levers, search, int(opts.seed) % 2**32)
    mean, low, high, _ = f.seen[best]
    meta = {
        "seed": opts.seed,
        "replications": opts.replications,
        "engine": opts.engine_object.name,
        "horizon_days": opts.horizon_days,
        "currency": scenario.currency,
        **f.margin(best),
    }
    labels = [lv.label for lv in levers]
    return Optimum(
        tuple(levers),
        dict(zip(labels, best, strict=True)),
        objective,
        mean,
        low,
        high,
        f.table(),
        method,
        meta,
    )


def _checked(sc: Scenario, levers: list[Lever], objective: str, search: str) -> list[Lever]:
    if objective not in OBJECTIVES:
        raise SimulationError(
            f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}"
        )
    if search not in ("auto", "grid"):
        raise SimulationError(f"search must be 'auto' or 'grid', got {search!r}")
    if not levers:
        raise SimulationError("nothing to optimise: give at least one lever")
    labels = [lv.label for lv in levers]
    if len(set(labels)) != len(labels):
        raise SimulationError(f"each lever once: {', '.join(labels)} repeats one")
    for lv in levers:  # both ends must make a valid scenario (names, ranges)
        apply(sc, Intervention("lever", (lv.change(lv.low), lv.change(lv.high))))
    return levers
