"""Paired deltas against the baseline, the investment ranking and the variance split.

The input is what a comparison ran: for each parameter draw, each variant (the baseline
first) and each replication, its KPIs (with ``profit`` net of the intervention's cost,
``intervention_cost`` and ``npv``, :func:`~cjsim.economics.cashflow.replication_economics`)
and its net cash per time bin.  Replication ``r`` of every variant saw the same
customers (common random numbers), so deltas are taken pairwise, replication by
replication.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cjsim.economics.flows import break_even_uplift, payback_day, roi
from cjsim.intervals import interval

__all__ = [
    "DELTA_COLUMNS",
    "Outcome",
    "delta_table",
    "p_best",
    "paired_deltas",
    "rank_variants",
    "variance_split",
]

DELTA_COLUMNS = [
    "variant",
    "kpi",
    "mean",
    "delta",
    "delta_ci_low",
    "delta_ci_high",
    "delta_std_err",
    "p_increase",
]


@dataclass(frozen=True, eq=False)
class Outcome:
    """What one parameter draw gave: ``kpis[variant][replication]`` and
    ``cash[variant][replication]`` (net cash per bin), the baseline first; ``day`` is each
    bin's start day."""

    kpis: list[list[dict[str, float]]]
    cash: list[list[np.ndarray]]
    day: np.ndarray


def paired_deltas(outcomes: list[Outcome], names: list[str]) -> pd.DataFrame:
    """``draw, replication, variant, kpi, value, delta``: each variant's value of each KPI
    and its difference to the baseline in the same draw and replication."""
    rows = []
    for d, outcome in enumerate(outcomes):
        kpis = outcome.kpis
        for v, name in enumerate(names, start=1):
            for r, (base, var) in enumerate(zip(kpis[0], kpis[v], strict=True)):
                for kpi, value in var.items():
                    rows.append((d, r, name, kpi, value, value - base.get(kpi, math.nan)))
    return pd.DataFrame(rows, columns=["draw", "replication", "variant", "kpi", "value", "delta"])


def delta_table(deltas: pd.DataFrame, draws: int) -> pd.DataFrame:
    """Per variant and KPI: mean value, mean delta with its 95 % interval and standard
    error, and the share of pairs in which the KPI rose (:data:`DELTA_COLUMNS`).  With
    several draws the interval comes from the spread of the draws' mean deltas, which
    carries both parameter uncertainty and simulation noise."""
    rows = []
    for (variant, kpi), group in deltas.groupby(["variant", "kpi"], sort=False):
        delta = group["delta"].to_numpy(dtype=float)
        if draws > 1:
            delta = group.groupby("draw")["delta"].mean().to_numpy(dtype=float)
        finite = delta[np.isfinite(delta)]
        mean, low, high, se = interval(finite) if len(finite) else (math.nan,) * 4
        value = float(group["value"].mean())
        rows.append((variant, kpi, value, mean, low, high, se, float((group["delta"] > 0).mean())))
    return pd.DataFrame(rows, columns=DELTA_COLUMNS)


def _profit_deltas(deltas: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Incremental profit (net of the intervention's cost), one row per pair (draw,
    replication), one column per variant."""
    return deltas[deltas["kpi"] == "profit"].pivot_table(
        index=["draw", "replication"], columns="variant", values="delta", dropna=False
    )[names]


def p_best(incremental: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
    """Each variant's share of the win, per pair: ``incremental[pair, variant]`` is its
    incremental profit in that pair of runs.

    The choice is among the ``candidates`` (default: every variant; e.g. those within a
    budget) *and doing nothing*, whose incremental profit is 0: a variant wins a pair when
    no candidate and not the baseline does better.  So an investment that never beats the
    baseline never wins, and P(best) of the candidates plus the chance that doing nothing
    is best sum to 1.  A tie shares the win; a variant without a figure (NaN) never wins;
    a variant that is no candidate gets NaN.

    >>> p_best(np.array([[-5.0, -2.0], [3.0, 1.0]]))
    array([[0., 0.],
           [1., 0.]])
    """
    allowed = np.ones(incremental.shape[1], bool) if candidates is None else candidates
    values = np.where(allowed, np.nan_to_num(incremental, nan=-np.inf), -np.inf)
    values = np.column_stack([np.zeros(len(values)), values])  # doing nothing first
    top = values == values.max(axis=1, keepdims=True)
    shares = (top / top.sum(axis=1, keepdims=True))[:, 1:]
    return np.where(allowed, shares, np.nan)


def _paybacks(outcomes: list[Outcome], v: int) -> tuple[float, float, float]:
    """Payback day of variant ``v``'s mean incremental cash, and the 2.5 and 97.5 %
    percentiles of the pairs' payback days ("never" is later than any day; NaN there)."""
    increments = [[c - b for c, b in zip(o.cash[v], o.cash[0], strict=True)] for o in outcomes]
    mean_cash = np.mean([np.mean(pairs, axis=0) for pairs in increments], axis=0)
    days = np.array(
        [
            payback_day(cash, o.day)
            for o, pairs in zip(outcomes, increments, strict=True)
            for cash in pairs
        ]
    )
    days = np.where(np.isnan(days), np.inf, days)
    low = np.percentile(days, 2.5, method="lower")
    high = np.percentile(days, 97.5, method="higher")
    return payback_day(mean_cash, outcomes[0].day), _finite(low), _finite(high)


def _finite(value: float) -> float:
    """``value``, or NaN where it is infinite ("never")."""
    return float(value) if np.isfinite(value) else math.nan


def _with_interval(column: str, t: pd.DataFrame, kpi: str) -> dict[str, float]:
    """``column`` and its interval from the delta of ``kpi`` in ``t`` (indexed by KPI)."""
    mean, low, high = t.loc[kpi, ["delta", "delta_ci_low", "delta_ci_high"]].to_numpy(float)
    return {column: float(mean), f"{column}_ci_low": float(low), f"{column}_ci_high": float(high)}


def _variant_row(
    name: str,
    t: pd.DataFrame,
    cost: np.ndarray,
    net: np.ndarray,
    wins: np.ndarray,
    paybacks: tuple[float, float, float],
) -> dict[str, object]:
    """The ranking row of one variant: ``t`` its deltas (indexed by KPI), ``cost`` its
    intervention cost and ``net`` its incremental net profit per pair, ``wins`` its share
    of the win per pair, ``paybacks`` from :func:`_paybacks`."""
    rois = roi(net, cost)
    r_mean, r_low, r_high, _ = interval(rois) if np.isfinite(rois).all() else (math.nan,) * 4
    gain = _with_interval("incremental_profit", t, "profit")
    return {
        "variant": name,
        **gain,
        "intervention_cost": float(cost.mean()),
        "roi": r_mean,
        "roi_ci_low": r_low,
        "roi_ci_high": r_high,
        **_with_interval("npv", t, "npv"),
        "payback_day": paybacks[0],
        "payback_day_p2.5": paybacks[1],
        "payback_day_p97.5": paybacks[2],
        "break_even_uplift": break_even_uplift(gain["incremental_profit"], float(cost.mean())),
        "p_beats_baseline": float((net > 0).mean()),
        "p_best": float(wins.mean()) if np.isfinite(wins).all() else math.nan,
        **_with_interval("delta_conversion", t, "conversion_rate"),
    }


def rank_variants(
    deltas: pd.DataFrame,
    outcomes: list[Outcome],
    names: list[str],
    table: pd.DataFrame,
    candidates: list[bool] | None = None,
) -> pd.DataFrame:
    """One row per variant, best incremental profit first: incremental profit (net of the
    intervention's cost), cost, ROI, NPV, payback day with its percentiles, break-even
    uplift, P(beats baseline), P(best) (:func:`p_best`) and the change of conversion,
    with 95 % intervals.

    Parameters
    ----------
    deltas : DataFrame
        :func:`paired_deltas`.
    outcomes : list of Outcome
        The runs, one per parameter draw (their net cash gives the paybacks).
    names : list of str
        The variants, in the order of ``Outcome.kpis[1:]``.
    table : DataFrame
        :func:`delta_table`.
    candidates : list of bool, optional
        Which variants may be chosen (e.g. those within a budget), for P(best); default
        all.  The others get P(best) NaN.
    """
    wide = _profit_deltas(deltas, names)
    allowed = None if candidates is None else np.asarray(candidates, dtype=bool)
    wins = p_best(wide.to_numpy(dtype=float), allowed)
    rows = []
    for v, name in enumerate(names, start=1):
        t = table[table["variant"] == name].set_index("kpi")
        mine = deltas[(deltas["variant"] == name) & (deltas["kpi"] == "intervention_cost")]
        cost = mine["value"].to_numpy(dtype=float)
        net = wide[name].to_numpy(dtype=float)
        rows.append(_variant_row(name, t, cost, net, wins[:, v - 1], _paybacks(outcomes, v)))
    return pd.DataFrame(rows).sort_values("incremental_profit", ascending=False, ignore_index=True)


def variance_split(deltas: pd.DataFrame) -> pd.DataFrame:
    """Split each delta's variance over parameter draws into parameter uncertainty and
    simulation noise: ``variant, kpi, delta, sd_parameter, sd_simulation, parameter_share``."""
    rows = []
    for (variant, kpi), group in deltas.groupby(["variant", "kpi"], sort=False):
        by_draw = group.groupby("draw")["delta"]
        means = by_draw.mean()
        within = float((by_draw.var(ddof=1) / by_draw.count()).fillna(0.0).mean())
        total = float(means.var(ddof=1))
        parameter = max(total - within, 0.0)
        share = parameter / total if total > 0 else math.nan
        rows.append(
            (variant, kpi, float(means.mean()), math.sqrt(parameter), math.sqrt(within), share)
        )
    return pd.DataFrame(
        rows,
        columns=["variant", "kpi", "delta", "sd_parameter", "sd_simulation", "parameter_share"],
    )
