"""Sensitivity of a KPI to every parameter, one at a time (tornado chart data).

Edges and dwell times go through the exact analytic engine (instant, no noise);
capacities and service times only matter in queues, so they go through the DES with
common random numbers (the baseline and each perturbation see the same customers).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from cjsim.engines.analytic import solve
from cjsim.experiment import RunOptions, run_replications
from cjsim.model import Scenario
from cjsim.model.rows import set_edge

__all__ = ["tornado"]


def _edge(sc: Scenario, source: str, target: str, factor: float) -> Scenario | None:
    row = dict(sc.transitions[source])
    names = list(row)
    p = row[target] * factor
    if p > 1 or row[target] >= 1:
        return None
    moved = set_edge(np.array([row[t] for t in names]), names.index(target), p)
    return sc.replace(
        transitions={**sc.transitions, source: dict(zip(names, moved.tolist(), strict=True))}
    )


def _dwell(sc: Scenario, node: str, factor: float) -> Scenario | None:
    tp = sc.touchpoints[node]
    if tp.dwell.mean == 0:
        return None
    new = dataclasses.replace(tp, dwell=tp.dwell.scaled(factor))
    return sc.replace(touchpoints={**sc.touchpoints, node: new})


def _analytic_rows(sc: Scenario, kpi: str, change: float) -> list[dict[str, object]]:
    def value(s: Scenario | None) -> float:
        return solve(s, removal=False, elasticity=False)[kpi] if s is not None else math.nan

    base = value(sc)
    rows = []
    for source, row in sc.transitions.items():
        for target, p in row.items():
            if 0 < p < 1:
                rows.append(
                    (
                        "edge",
                        f"{source}->{target}",
                        p,
                        _edge(sc, source, target, 1 - change),
                        _edge(sc, source, target, 1 + change),
                    )
                )
    for node, tp in sc.touchpoints.items():
        rows.append(
            (
                "dwell",
                node,
                tp.dwell.mean,
                _dwell(sc, node, 1 - change),
                _dwell(sc, node, 1 + change),
            )
        )
    return [
        {
            "kind": kind,
            "parameter": name,
            "value": v,
            "kpi_low": value(lo) - base,
            "kpi_high": value(hi) - base,
            "engine": "analytic",
        }
        for kind, name, v, lo, hi in rows
        if lo is not None or hi is not None
    ]


def _queue_variants(
    sc: Scenario, change: float
) -> list[tuple[str, str, float, Scenario, Scenario]]:
    out = []
    for node, tp in sc.touchpoints.items():
        if tp.capacity is None or tp.service is None:
            continue
        step = max(1, round(tp.capacity * change))
        low_cap = dataclasses.replace(tp, capacity=max(1, tp.capacity - step))
        high_cap = dataclasses.replace(tp, capacity=tp.capacity + step)
        out.append(
            (
                "capacity",
                node,
                float(tp.capacity),
                sc.replace(touchpoints={**sc.touchpoints, node: low_cap}),
                sc.replace(touchpoints={**sc.touchpoints, node: high_cap}),
            )
        )
        fast = dataclasses.replace(tp, service=tp.service.scaled(1 - change))
        slow = dataclasses.replace(tp, service=tp.service.scaled(1 + change))
        out.append(
            (
                "service",
                node,
                tp.service.mean,
                sc.replace(touchpoints={**sc.touchpoints, node: fast}),
                sc.replace(touchpoints={**sc.touchpoints, node: slow}),
            )
        )
    return out


def _des_rows(
    sc: Scenario, kpi: str, change: float, replications: int, seed: int, workers: int
) -> list[dict[str, object]]:
    variants = _queue_variants(sc, change)
    if not variants:
        return []
    scenarios = [sc] + [s for v in variants for s in v[3:]]
    options = RunOptions(
        engine="des", replications=replications, seed=seed, workers=workers, progress=False
    ).resolve(sc)
    outputs = run_replications(scenarios, options)
    means = [float(np.mean([o.kpis[kpi] for o in outs])) for outs in outputs]
    rows = []
    for i, (kind, node, value, _, _) in enumerate(variants):
        rows.append(
            {
                "kind": kind,
                "parameter": node,
                "value": value,
                "kpi_low": means[1 + 2 * i] - means[0],
                "kpi_high": means[2 + 2 * i] - means[0],
                "engine": "des",
            }
        )
    return rows


def tornado(
    scenario: Scenario,
    kpi: str = "profit_per_customer",
    change: float = 0.1,
    queues: bool = True,
    replications: int = 5,
    seed: int = 1,
    workers: int = 1,
) -> pd.DataFrame:
    """KPI change when each parameter moves by -``change`` and +``change`` (a share).

    Edges move under the format's renormalisation rule; dwell and service times are
    scaled; capacities move by ``change`` of their servers (at least one).  Rows are
    sorted by the span ``|kpi_high - kpi_low|``, largest first.

    Returns
    -------
    DataFrame
        ``kind, parameter, value, kpi_low, kpi_high, span, engine``.
    """
    if not 0 < change < 1:
        raise ValueError(f"change must be in (0, 1), got {change!r}")
    rows = _analytic_rows(scenario, kpi, change)
    if queues and scenario.horizon_days:
        rows += _des_rows(scenario, kpi, change, replications, seed, workers)
    table = pd.DataFrame(rows)
    table["span"] = (table["kpi_high"] - table["kpi_low"]).abs()
    return table.sort_values("span", ascending=False, ignore_index=True)
