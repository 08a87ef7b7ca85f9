"""Baseline against variants: the stage funnel, KPI deltas and the investment ranking."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cjsim.kpis import node_name, split_name, unit_of
from cjsim.plotting._common import axes, money_label

if TYPE_CHECKING:
    from cjsim.engines.result import Result
    from cjsim.interventions.compare import Comparison

__all__ = ["DELTA_KPIS", "deltas", "funnel", "ranking", "stage_reach"]

DELTA_KPIS = ("conversion_rate", "revenue_per_customer", "profit_per_customer", "profit")
MONEY = ("incremental_profit", "npv", "intervention_cost")  # ranking columns in money


def _baseline(comparison: Comparison, kpi: str) -> float:
    """The baseline's mean of ``kpi``: value minus paired delta, over replications."""
    d = comparison.deltas
    rows = d[d["kpi"] == kpi]
    if rows.empty:
        known = ", ".join(d["kpi"].unique())
        raise KeyError(f"no KPI {kpi!r} in the comparison; available: {known}")
    first = rows[rows["variant"] == rows["variant"].iloc[0]]
    return float((first["value"] - first["delta"]).mean())


def _blind(comparison: Comparison, kpis: Sequence[str]) -> list[str]:
    """Variants whose deltas of ``kpis`` are all NaN (effects the engine cannot see)."""
    t = comparison.table[comparison.table["kpi"].isin(kpis)]
    nan = t.groupby("variant", sort=False)["delta"].apply(lambda s: bool(s.isna().all()))
    return [str(v) for v, blind in nan.items() if blind]


def _legend(ax: Any, blind: Sequence[str]) -> None:
    """The legend, ending with the variants left out because the engine is blind to them."""
    from matplotlib.lines import Line2D

    handles, labels = ax.get_legend_handles_labels()
    if blind:
        handles.append(Line2D([], [], linestyle="none"))
        labels.append("not shown, effect unseen\nby the engine: " + ", ".join(blind))
    ax.legend(handles, labels, fontsize=8)


def stage_reach(results: Mapping[str, Result] | Comparison) -> pd.DataFrame:
    """Share of customers reaching each stage: one column per result (or baseline and
    variant), one row per stage.  Variants of a comparison whose effect the engine cannot
    see (NaN deltas) are left out."""
    if isinstance(results, Mapping):
        columns = {name: r.per_node("stage_reach") for name, r in results.items()}
        if not any(len(c) for c in columns.values()):
            raise ValueError("no stage_reach[...] KPIs in these results — nothing to plot")
        return pd.DataFrame(columns)
    t = results.table
    stages = {k: split_name(k) for k in dict.fromkeys(t["kpi"])}
    kpis = [k for k, (name, node) in stages.items() if name == "stage_reach" and node]
    if not kpis:
        raise ValueError("no stage_reach[...] KPIs in this comparison — nothing to plot")
    reach = t[t["kpi"].isin(kpis)]
    blind = _blind(results, kpis)
    frame = pd.DataFrame(index=[stages[k][1] for k in kpis])
    frame["baseline"] = [_baseline(results, k) for k in kpis]
    for variant, rows in reach.groupby("variant", sort=False):
        if variant not in blind:
            frame[str(variant)] = rows.set_index("kpi").loc[kpis, "mean"].to_numpy(dtype=float)
    return frame


def funnel(results: Mapping[str, Result] | Comparison, ax: Any = None) -> Any:
    """Grouped bars: the share of customers reaching each stage, per result or for the
    baseline and each variant of a comparison (:func:`stage_reach`).

    Parameters
    ----------
    results : dict of name to Result, or Comparison
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One bar container per series, labelled with its name.
    """
    table = stage_reach(results)
    ax = axes(ax, figsize=(max(7.0, 1.3 * len(table)), 4.0))
    x = np.arange(len(table))
    width = 0.8 / table.shape[1]
    for k, name in enumerate(table.columns):
        ax.bar(x - 0.4 + (k + 0.5) * width, table[name], width, label=str(name))
    ax.set_xticks(x, list(table.index))
    ax.set_xlabel("stage")
    ax.set_ylabel("share of customers reaching the stage")
    title = "stage funnel"
    blind: list[str] = []
    if not isinstance(results, Mapping):
        title = f"{results.scenario}: stage funnel, baseline and variants ({results.engine})"
        blind = _blind(results, [node_name("stage_reach", s) for s in table.index])
    elif len(results) == 1:
        title = f"{next(iter(results))}: stage funnel"
    ax.set_title(title)
    _legend(ax, blind)
    return ax


def deltas(
    comparison: Comparison,
    kpis: Sequence[str] | None = None,
    ax: Any = None,
    relative: bool | None = None,
) -> Any:
    """Forest plot: each variant's change of each KPI against the baseline with its 95 %
    interval (``comparison.table``: ``delta, delta_ci_low, delta_ci_high``).

    Parameters
    ----------
    comparison : Comparison
    kpis : sequence of str, optional
        Default :data:`DELTA_KPIS`.
    ax : matplotlib Axes, optional
    relative : bool, optional
        Show the change in percent of the baseline's value (KPIs of different units can
        then share one axis).  Default: relative when there are several KPIs.

    Returns
    -------
    matplotlib Axes
        One errorbar container per variant, labelled with its name.
    """
    kpis = list(kpis or DELTA_KPIS)
    known = list(dict.fromkeys(comparison.table["kpi"]))
    unknown = [k for k in kpis if k not in known]
    if unknown:
        raise KeyError(f"no KPI {', '.join(map(repr, unknown))} in the comparison; one of {known}")
    relative = len(kpis) > 1 if relative is None else relative
    t = comparison.table.set_index(["variant", "kpi"])
    blind = _blind(comparison, kpis)
    variants = [v for v in dict.fromkeys(comparison.table["variant"]) if v not in blind]
    ax = axes(ax, figsize=(7.0, 1.0 + 0.35 * len(kpis) * max(len(variants), 1)))
    step = 0.8 / max(len(variants), 1)
    for v, variant in enumerate(variants):
        rows = t.loc[[(variant, k) for k in kpis]]
        centre = rows["delta"].to_numpy(dtype=float)
        low, high = rows["delta_ci_low"].to_numpy(float), rows["delta_ci_high"].to_numpy(float)
        if relative:
            base = np.array([abs(_baseline(comparison, k)) for k in kpis])
            scale = np.divide(100.0, base, out=np.full(len(kpis), np.nan), where=base > 0)
            centre, low, high = centre * scale, low * scale, high * scale
        y = np.arange(len(kpis)) - 0.4 + (v + 0.5) * step
        ax.errorbar(
            centre, y, xerr=[centre - low, high - centre], fmt="o", capsize=3, label=variant
        )
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_yticks(range(len(kpis)), kpis)
    ax.invert_yaxis()
    _legend(ax, blind)
    if relative:
        ax.set_xlabel("change against the baseline (% of the baseline's value)")
    elif all(unit_of(k).startswith("money") for k in kpis):
        ax.set_xlabel(money_label("change against the baseline", comparison.meta))
    else:
        ax.set_xlabel("change against the baseline")
    ax.set_ylabel("KPI")
    ax.set_title(f"{comparison.scenario}: KPI changes with 95 % intervals ({comparison.engine})")
    return ax


def ranking(comparison: Comparison, metric: str = "incremental_profit", ax: Any = None) -> Any:
    """The investment ranking: one horizontal bar per variant with its 95 % interval,
    best at the top.

    Parameters
    ----------
    comparison : Comparison
    metric : str
        A column of ``comparison.ranking`` with ``_ci_low`` / ``_ci_high`` columns:
        ``incremental_profit``, ``roi``, ``npv`` or ``delta_conversion``.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        One bar container (variants top to bottom in ranked order); variants without a
        figure (NaN) get a zero-width bar marked "n/a".
    """
    r = comparison.ranking
    ranked = [c[: -len("_ci_low")] for c in r.columns if c.endswith("_ci_low")]
    if metric not in ranked:
        raise ValueError(f"metric {metric!r} cannot be ranked; use one of {', '.join(ranked)}")
    r = r.sort_values(metric, ascending=False, na_position="last", ignore_index=True)
    value = r[metric].to_numpy(dtype=float)
    low, high = r[f"{metric}_ci_low"].to_numpy(float), r[f"{metric}_ci_high"].to_numpy(float)
    ax = axes(ax, figsize=(7.0, 1.0 + 0.45 * len(r)))
    y = np.arange(len(r))
    bars = ax.barh(
        y,
        np.nan_to_num(value),
        xerr=[np.nan_to_num(value - low), np.nan_to_num(high - value)],
        color=["seagreen" if v > 0 else "indianred" for v in np.nan_to_num(value)],
        capsize=4,
    )
    bars.set_label(metric)
    for yy, v in zip(y, value, strict=True):
        if not math.isfinite(v):
            ax.annotate("n/a", (0.0, yy), ha="left", va="center", fontsize=8, color="dimgrey")
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_yticks(y, list(r["variant"]))
    ax.invert_yaxis()
    label = metric.replace("_", " ")
    if metric == "roi":
        label = "ROI (incremental profit / intervention cost)"
    elif metric in MONEY:
        label = money_label(label, comparison.meta)
    ax.set_xlabel(f"{label}, 95 % interval")
    ax.set_ylabel("investment")
    ax.set_title(f"{comparison.scenario}: investments ranked by {metric.replace('_', ' ')}")
    return ax
