"""The stage funnel: the share of customers reaching each stage, or, against a baseline,
each variant's change of that share in percentage points with its 95 % interval.

Stage shares of a baseline and a variant differ by fractions of a point, so bars of the
shares themselves look the same for every variant; the changes are what a reader needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cjsim.kpis import split_name
from cjsim.plotting._common import axes, title
from cjsim.plotting.comparison import _baseline, _blind, _legend
from cjsim.plotting.labels import engine_label, name_label

if TYPE_CHECKING:
    from cjsim.engines.result import Result
    from cjsim.interventions.compare import Comparison

__all__ = ["Z95", "funnel", "stage_changes", "stage_reach"]

Z95 = 1.959963984540054  # the normal quantile of a two-sided 95 % interval
CHANGE_COLUMNS = ["stage", "variant", "baseline_pct", "change_pp", "low_pp", "high_pp"]


def _stage_kpis(names: pd.Series) -> list[str]:
    kpis = [k for k in dict.fromkeys(names) if split_name(k)[0] == "stage_reach"]
    if not kpis or any(split_name(k)[1] is None for k in kpis):
        raise ValueError("no stage_reach[...] KPIs in these results — nothing to plot")
    return kpis


def stage_reach(results: Mapping[str, Result] | Comparison) -> pd.DataFrame:
    """Share of customers reaching each stage: one column per result (or baseline and
    variant), one row per stage.  Variants of a comparison whose effect the engine cannot
    see (NaN deltas) are left out."""
    if isinstance(results, Mapping):
        columns = {name: r.per_node("stage_reach") for name, r in results.items()}
        if not any(len(c) for c in columns.values()):
            raise ValueError("no stage_reach[...] KPIs in these results — nothing to plot")
        return pd.DataFrame(columns)
    kpis = _stage_kpis(results.table["kpi"])
    frame = pd.DataFrame(index=[split_name(k)[1] for k in kpis])
    frame["baseline"] = [_baseline(results, k) for k in kpis]
    reach = results.table[results.table["kpi"].isin(kpis)]
    blind = _blind(results, kpis)
    for variant, rows in reach.groupby("variant", sort=False):
        if variant not in blind:
            frame[str(variant)] = rows.set_index("kpi").loc[kpis, "mean"].to_numpy(dtype=float)
    return frame


def _paired(comparison: Comparison) -> pd.DataFrame:
    """The comparison's paired changes of every stage's reach (``CHANGE_COLUMNS``)."""
    t = comparison.table
    kpis = _stage_kpis(t["kpi"])
    blind = _blind(comparison, kpis)
    rows = t[t["kpi"].isin(kpis) & ~t["variant"].isin(blind)]
    baseline = pd.Series({k: _baseline(comparison, k) for k in kpis})
    return pd.DataFrame(
        {
            "stage": [split_name(k)[1] for k in rows["kpi"]],
            "variant": rows["variant"].to_numpy(),
            "baseline_pct": 100.0 * baseline.loc[rows["kpi"]].to_numpy(dtype=float),
            "change_pp": 100.0 * rows["delta"].to_numpy(dtype=float),
            "low_pp": 100.0 * rows["delta_ci_low"].to_numpy(dtype=float),
            "high_pp": 100.0 * rows["delta_ci_high"].to_numpy(dtype=float),
        },
        columns=CHANGE_COLUMNS,
    )


def _unpaired(results: Mapping[str, Result]) -> pd.DataFrame:
    """Each result's change of every stage's reach against the first result, with a
    normal 95 % interval from both standard errors (independent runs)."""
    frames = {}
    for name, r in results.items():
        k = r.kpis[[split_name(str(n))[0] == "stage_reach" for n in r.kpis["kpi"]]]
        frames[name] = k.set_index("kpi")[["mean", "std_err"]].astype(float).fillna(0.0)
    (reference, base), *others = frames.items()
    if base.empty:
        raise ValueError(f"no stage_reach[...] KPIs in {reference!r} — nothing to plot")
    rows = []
    for name, own in others:
        change = own["mean"].reindex(base.index) - base["mean"]
        half = Z95 * np.hypot(own["std_err"].reindex(base.index), base["std_err"])
        for kpi in base.index:
            c, h = 100.0 * change[kpi], 100.0 * half[kpi]
            rows.append((split_name(kpi)[1], name, 100.0 * base.loc[kpi, "mean"], c, c - h, c + h))
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def stage_changes(results: Mapping[str, Result] | Comparison) -> pd.DataFrame:
    """Each variant's change in the share of customers reaching each stage.

    For a comparison, the paired change against its baseline with the comparison's 95 %
    interval (variants whose effect the engine cannot see are left out); for several
    results, each one's change against the first, with a normal 95 % interval from both
    standard errors (the runs are independent).

    Returns
    -------
    DataFrame
        ``stage, variant, baseline_pct, change_pp, low_pp, high_pp``: the baseline's
        share in percent, the change and its interval in percentage points.
    """
    if isinstance(results, Mapping):
        return _unpaired(results)
    return _paired(results)


def _shares(result: Result, name: str, ax: Any) -> Any:
    """One result's funnel: a bar per stage, its share in percent with its interval."""
    k = result.kpis.set_index("kpi")
    kpis = _stage_kpis(result.kpis["kpi"])
    share = 100.0 * k.loc[kpis, "mean"].to_numpy(dtype=float)
    low = 100.0 * k.loc[kpis, "ci_low"].to_numpy(dtype=float)
    high = 100.0 * k.loc[kpis, "ci_high"].to_numpy(dtype=float)
    ax = axes(ax, figsize=(7.0, 1.2 + 0.5 * len(kpis)))
    y = np.arange(len(kpis))
    error = [np.nan_to_num(share - low), np.nan_to_num(high - share)]
    bars = ax.barh(y, share, xerr=error, color="steelblue", capsize=3, label=name_label(name))
    ax.bar_label(bars, [f"{v:.3g} %" for v in share], padding=4, fontsize=8)
    ax.set_yticks(y, [name_label(split_name(k)[1]) for k in kpis])
    ax.invert_yaxis()
    ax.set_xlim(0.0, 115.0)
    ax.set_xlabel("share of customers reaching the stage (%), 95 % interval")
    ax.set_ylabel("stage")
    title(ax, f"{name_label(name)}: stage funnel")
    return ax


def _changes(table: pd.DataFrame, ax: Any) -> Any:
    """Per stage (top to bottom) and variant, the change in pp with its interval."""
    stages = list(dict.fromkeys(table["stage"]))
    variants = list(dict.fromkeys(table["variant"]))
    ax = axes(ax, figsize=(7.0, 1.5 + 0.3 * len(stages) * max(len(variants), 1)))
    step = 0.8 / max(len(variants), 1)
    for v, variant in enumerate(variants):
        rows = table[table["variant"] == variant].set_index("stage").loc[stages]
        centre = rows["change_pp"].to_numpy(dtype=float)
        error = [centre - rows["low_pp"].to_numpy(float), rows["high_pp"].to_numpy(float) - centre]
        y = np.arange(len(stages)) - 0.4 + (v + 0.5) * step
        ax.errorbar(centre, y, xerr=error, fmt="o", capsize=3, label=name_label(variant))
    ax.axvline(0.0, color="grey", linewidth=0.8)
    base = table.groupby("stage", sort=False)["baseline_pct"].first()
    ticks = [f"{name_label(s)}\n(baseline {base[s]:.3g} %)" for s in stages]
    ax.set_yticks(range(len(stages)), ticks)
    ax.invert_yaxis()
    ax.set_xlabel("change in the share reaching the stage (percentage points), 95 % interval")
    ax.set_ylabel("stage")
    return ax


def funnel(results: Mapping[str, Result] | Comparison, ax: Any = None) -> Any:
    """The stage funnel.  Of one result: the share of customers reaching each stage.  Of a
    comparison (or several results, the first the baseline): each variant's change of
    that share in percentage points with its 95 % interval (:func:`stage_changes`), the
    baseline's shares in the stage labels.

    Parameters
    ----------
    results : dict of name to Result, or Comparison
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Of one result, one bar container labelled with its name; else one errorbar
        container per variant, labelled with its name.
    """
    if isinstance(results, Mapping) and len(results) == 1:
        name, result = next(iter(results.items()))
        return _shares(result, name, ax)
    ax = _changes(stage_changes(results), ax)
    blind: list[str] = []
    if isinstance(results, Mapping):
        text = f"Stage funnel: change against {name_label(next(iter(results)))}"
    else:
        blind = [name_label(b) for b in _blind(results, _stage_kpis(results.table["kpi"]))]
        engine = engine_label(results.engine)
        text = f"{results.scenario}: change in the stage funnel against the baseline ({engine})"
    _legend(ax, blind)
    title(ax, text)
    return ax
