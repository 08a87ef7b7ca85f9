"""The tornado chart of :func:`cjsim.analysis.sensitivity`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from cjsim.kpis import lookup
from cjsim.plotting._common import BAD, GOOD, NEUTRAL, axes, title
from cjsim.plotting.labels import kpi_label, name_label

__all__ = ["colours", "parameter_label", "tornado"]

MOVES = (("kpi_low", "down", "//"), ("kpi_high", "up", ""))  # column, direction, hatch
KINDS = {  # how a parameter of each kind of the sensitivity table reads
    "edge": "{source} → {target} (share)",
    "dwell": "time at {node}",
    "capacity": "servers at {node}",
    "service": "service time at {node}",
}


def parameter_label(kind: str, parameter: str) -> str:
    """A row of the sensitivity table in words: ``website → checkout (share)``,
    ``time at size guide``."""
    source, arrow, target = parameter.partition("->")
    if kind == "edge" and arrow:
        return KINDS[kind].format(source=name_label(source), target=name_label(target))
    template = KINDS.get(kind, "{node} ({kind})")
    return template.format(node=name_label(parameter), kind=kind)


def colours(changes: np.ndarray, kpi: str | None) -> list[str]:
    """The colour of each KPI change: :data:`GOOD` when it moves the KPI the better way
    (the registry's ``higher_is_better``), :data:`BAD` the worse way, :data:`NEUTRAL`
    when the KPI has no better direction, is unknown, or does not move."""
    declared = lookup(kpi) if kpi else None
    better = declared.higher_is_better if declared is not None else None
    if better is None:
        return [NEUTRAL] * len(changes)
    sign = 1.0 if better else -1.0
    return [
        NEUTRAL if not math.isfinite(c) or c == 0 else GOOD if sign * c > 0 else BAD
        for c in changes
    ]


def _key(ax: Any, kpi: str | None, change: str) -> None:
    """The legend: what the colours and the hatching mean."""
    from matplotlib.patches import Patch

    declared = lookup(kpi) if kpi else None
    handles = [
        Patch(facecolor="white", edgecolor="black", hatch="//", label=f"parameter −{change}"),
        Patch(facecolor="white", edgecolor="black", label=f"parameter +{change}"),
    ]
    if declared is not None and declared.higher_is_better is not None:
        handles += [
            Patch(color=GOOD, label=f"{kpi_label(kpi or '')} better"),
            Patch(color=BAD, label=f"{kpi_label(kpi or '')} worse"),
        ]
    ax.legend(handles=handles, fontsize=8, loc="lower right")  # the shortest bars


def tornado(
    table: pd.DataFrame,
    ax: Any = None,
    kpi: str | None = None,
    top: int | None = None,
    change: float | None = None,
) -> Any:
    """Tornado chart: for each parameter, the KPI change when it moves down (``kpi_low``,
    hatched) and up (``kpi_high``), largest span at the top.  A bar is green when the KPI
    moves the better way, red when it moves the worse way (the KPI registry's
    ``higher_is_better``), grey for a KPI without a better direction.

    Parameters
    ----------
    table : DataFrame
        :func:`cjsim.analysis.sensitivity` output (``kind, parameter, kpi_low, kpi_high``
        …, sorted by span).
    ax : matplotlib Axes, optional
    kpi : str, optional
        The KPI's name; default ``table.attrs["kpi"]``.
    top : int, optional
        Show only the first ``top`` rows.
    change : float, optional
        The share each parameter moved by (0.1: ±10 %); default ``table.attrs["change"]``.

    Returns
    -------
    matplotlib Axes
        Two bar containers, ``parameter down`` and ``parameter up``, each bar spanning
        0 to the change (a NaN change, e.g. an edge that cannot grow, draws no width);
        the title names the KPI and the move.
    """
    kpi = kpi or table.attrs.get("kpi")
    change = change if change is not None else table.attrs.get("change")
    moved = f"{100 * change:.3g} %" if change is not None else "a step"
    rows = table.head(top) if top is not None else table
    ax = axes(ax, figsize=(7.0, 1.6 + 0.3 * len(rows)))
    y = np.arange(len(rows))
    for column, direction, hatch in MOVES:
        values = rows[column].to_numpy(dtype=float)
        edge = "white" if hatch else "none"
        bars = ax.barh(
            y, np.nan_to_num(values), color=colours(values, kpi), hatch=hatch, edgecolor=edge
        )
        bars.set_label(f"parameter {direction}")
    ax.axvline(0.0, color="black", linewidth=0.8)
    kinds, parameters = rows["kind"].astype(str), rows["parameter"].astype(str)
    ax.set_yticks(y, [parameter_label(k, p) for k, p in zip(kinds, parameters, strict=True)])
    ax.invert_yaxis()
    what = kpi_label(kpi) if kpi else "the KPI"
    ax.set_xlabel(f"change in {what} against the base value")
    ax.set_ylabel("parameter")
    _key(ax, kpi, moved)
    title(ax, f"Sensitivity of {what} to each parameter moved ±{moved}, one at a time")
    return ax
