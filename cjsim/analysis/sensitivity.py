"""Sensitivity of a KPI to every parameter, one at a time (the data of a tornado chart).

Each parameter moves down and up as an intervention :class:`~cjsim.interventions.Change`
(``scale_transition``, ``scale_dwell``, ``set_capacity``, ``scale_service``) applied
with :func:`~cjsim.interventions.apply`, so the moves follow the format's rules, e.g. the
renormalisation of a row when one edge moves.  Changes the analytic engine can see go
through it (exact, instant, no noise); the others (capacities and service times only
matter in queues) go through the DES with common random numbers: the baseline and each
move see the same customers. A scenario the analytic engine refuses (satisfaction) has
every move simulated.  The figure is :func:`cjsim.plotting.tornado`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cjsim.engines.base import Engine
from cjsim.engines.registry import answering_engine, get_engine
from cjsim.errors import InterventionError, OptionError
from cjsim.experiment import RunOptions, run_replications
from cjsim.interventions import Change, Intervention, apply
from cjsim.interventions.operations import OPERATIONS
from cjsim.model import Scenario

__all__ = ["sensitivity"]


@dataclass(frozen=True)
class _Probe:
    """One parameter, its base value and the changes moving it down and up."""

    kind: str
    parameter: str
    value: float
    low: Change
    high: Change


def _edge_probes(sc: Scenario, change: float) -> list[_Probe]:
    probes = []
    for source, row in sc.transitions.items():
        for target, p in row.items():
            if 0 < p < 1:
                moves = [
                    Change("scale_transition", {"from": source, "to": target, "factor": f})
                    for f in (1 - change, 1 + change)
                ]
                probes.append(_Probe("edge", f"{source}->{target}", p, *moves))
    return probes


def _node_probes(sc: Scenario, change: float) -> list[_Probe]:
    """Dwell of every touchpoint (but a dwell of 0 days, which cannot scale)."""
    probes = []
    for node, tp in sc.touchpoints.items():
        if tp.dwell.mean != 0:
            moves = [
                Change("scale_dwell", {"node": node, "factor": f}) for f in (1 - change, 1 + change)
            ]
            probes.append(_Probe("dwell", node, tp.dwell.mean, *moves))
    return probes


def _queue_probes(sc: Scenario, change: float) -> list[_Probe]:
    """Servers (by ``change`` of them, at least one) and service time of every queue."""
    probes = []
    for node, tp in sc.touchpoints.items():
        if tp.capacity is None or tp.service is None:
            continue
        step = max(1, round(tp.capacity * change))
        servers = [
            Change("set_capacity", {"node": node, "servers": n})
            for n in (max(1, tp.capacity - step), tp.capacity + step)
        ]
        probes.append(_Probe("capacity", node, float(tp.capacity), *servers))
        service = [
            Change("scale_service", {"node": node, "factor": f}) for f in (1 - change, 1 + change)
        ]
        probes.append(_Probe("service", node, tp.service.mean, *service))
    return probes


def _moved(sc: Scenario, probes: list[_Probe]) -> list[Scenario | None]:
    """The scenario after each probe's low and high change; None where the format forbids
    the move (an edge pushed past 1)."""
    out: list[Scenario | None] = []
    for probe in probes:
        for change in (probe.low, probe.high):
            try:
                name = f"{probe.kind}[{probe.parameter}]"  # never 'baseline'
                out.append(apply(sc, Intervention(name, (change,))))
            except InterventionError:
                out.append(None)
    return out


def _exact(engine: Engine, sc: Scenario, moved: list[Scenario | None], kpi: str) -> list[float]:
    """The exact ``kpi`` of the baseline, then of each moved scenario (NaN for None)."""
    return [engine.solve(s, tables=False)[kpi] if s is not None else math.nan for s in [sc, *moved]]


def _simulated(
    sc: Scenario, moved: list[Scenario | None], kpi: str, options: RunOptions
) -> list[float]:
    """The mean simulated ``kpi`` of the baseline, then of each moved scenario (NaN for
    None); ``options`` resolved."""
    run = [sc, *(s for s in moved if s is not None)]
    outputs = run_replications(run, options)
    means = iter([float(np.mean([o.kpis[kpi] for o in outs])) for outs in outputs])
    base = next(means)
    return [base, *(next(means) if s is not None else math.nan for s in moved)]


def _rows(
    probes: list[_Probe], moved: list[Scenario | None], values: list[float], engine: str
) -> list[dict[str, object]]:
    """One row per probe with at least one possible move; ``values`` from ``_analytic`` or
    ``_des``."""
    base = values[0]
    return [
        {
            "kind": probe.kind,
            "parameter": probe.parameter,
            "value": probe.value,
            "kpi_low": values[1 + 2 * i] - base,
            "kpi_high": values[2 + 2 * i] - base,
            "engine": engine,
        }
        for i, probe in enumerate(probes)
        if moved[2 * i] is not None or moved[2 * i + 1] is not None
    ]


def sensitivity(
    scenario: Scenario,
    *,
    kpi: str = "profit_per_customer",
    change: float = 0.1,
    queues: bool = True,
    replications: int = 5,
    seed: int | None = None,
    workers: int = 1,
    progress: bool | None = False,
) -> pd.DataFrame:
    """KPI change when each parameter moves by -``change`` and +``change`` (a share).

    Edges move under the format's renormalisation rule; dwell and service times are
    scaled; capacities move by ``change`` of their servers (at least one).  Rows are
    sorted by the span ``|kpi_high - kpi_low|``, largest first.

    Parameters
    ----------
    scenario : Scenario
    kpi : str
        A KPI every engine computes, e.g. ``"conversion_rate"``.
    change : float
        The move, a share in (0, 1): 0.1 moves each parameter by -10 % and +10 %.
    queues : bool
        Also move capacities and service times, through the DES (needs a horizon).
    replications : int
        DES replications per moved scenario.
    seed : int, optional
        Root of the DES seed tree; None draws fresh entropy.  The seed used is
        recorded in ``table.attrs["seed"]``.
    workers : int
        Processes for the DES; more than 1 means a local process pool.
    progress : bool, optional
        A progress bar over the DES runs; None: only on a terminal and outside CI.

    Returns
    -------
    DataFrame
        ``kind, parameter, value, kpi_low, kpi_high, span, engine``; a move the format
        forbids (an edge that would pass 1) is NaN.  ``table.attrs`` records the
        ``kpi``, the ``change`` and the ``seed``.
    """
    if not 0 < change < 1:
        raise OptionError(f"change must be in (0, 1), got {change!r}")
    options = RunOptions(
        engine="des", replications=replications, seed=seed, workers=workers, progress=progress
    ).resolve(scenario, need_horizon=False)
    exact, simulated = get_engine("analytic"), options.engine_object
    probes = [*_edge_probes(scenario, change), *_node_probes(scenario, change)]
    if queues:
        probes += _queue_probes(scenario, change)
    solvable = answering_engine(scenario, exact.name)[1] is None  # not with satisfaction
    if not solvable and not options.horizon_days:
        raise OptionError(
            f"scenario {scenario.name!r} has a satisfaction model, which the analytic engine "
            "refuses, so every move is simulated over a time span: add horizon_days to "
            "[scenario] (or sensitivity of scenario.without_satisfaction(), exactly)"
        )
    seen = [p for p in probes if solvable and not exact.blind_to({OPERATIONS[p.low.op].feature})]
    rows = []
    if seen:
        moved = _moved(scenario, seen)
        rows = _rows(seen, moved, _exact(exact, scenario, moved, kpi), exact.name)
    queued = [p for p in probes if p not in seen]
    if options.horizon_days and queued:
        moved = _moved(scenario, queued)
        means = _simulated(scenario, moved, kpi, options)
        rows += _rows(queued, moved, means, simulated.name)
    table = pd.DataFrame(rows)
    table["span"] = (table["kpi_high"] - table["kpi_low"]).abs()
    table = table.sort_values("span", ascending=False, ignore_index=True)
    table.attrs.update(kpi=kpi, change=change, seed=options.seed)
    return table
