"""Baseline against variants: KPI deltas and the investment ranking (the stage funnel is
:mod:`cjsim.plotting.funnel`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from cjsim.kpis import unit_of
from cjsim.plotting._common import BAD, GOOD, axes, money_label, title
from cjsim.plotting.labels import engine_label, kpi_label, name_label

if TYPE_CHECKING:
    from cjsim.interventions.compare import Comparison

__all__ = ["DELTA_KPIS", "deltas", "ranking"]

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
            centre,
            y,
            xerr=[centre - low, high - centre],
            fmt="o",
            capsize=3,
            label=name_label(variant),
        )
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_yticks(range(len(kpis)), [kpi_label(k) for k in kpis])
    ax.invert_yaxis()
    _legend(ax, [name_label(b) for b in blind])
    if relative:
        ax.set_xlabel("change against the baseline (% of the baseline's value)")
    elif len(kpis) == 1:
        ax.set_xlabel(f"change in {kpi_label(kpis[0], comparison.meta)} against the baseline")
    elif all(unit_of(k).startswith("money") for k in kpis):
        ax.set_xlabel(money_label("change against the baseline", comparison.meta))
    else:
        ax.set_xlabel("change against the baseline")
    ax.set_ylabel("KPI")
    engine = engine_label(comparison.engine)
    title(ax, f"{comparison.scenario}: KPI changes against the baseline, 95 % intervals ({engine})")
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
        color=[GOOD if v > 0 else BAD for v in np.nan_to_num(value)],
        capsize=4,
    )
    bars.set_label(metric)
    for yy, v in zip(y, value, strict=True):
        if not math.isfinite(v):
            ax.annotate("n/a", (0.0, yy), ha="left", va="center", fontsize=8, color="dimgrey")
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_yticks(y, [name_label(v) for v in r["variant"]])
    ax.invert_yaxis()
    label = kpi_label(metric)
    if metric == "roi":
        label = "ROI (incremental profit / intervention cost)"
    elif metric in MONEY:
        label = money_label(label, comparison.meta)
    ax.set_xlabel(f"{label}, 95 % interval")
    ax.set_ylabel("investment")
    title(ax, f"{comparison.scenario}: investments ranked by {kpi_label(metric)}")
    return ax
