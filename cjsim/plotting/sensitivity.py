"""The tornado chart of :func:`cjsim.analysis.sensitivity`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cjsim.plotting._common import axes

__all__ = ["tornado"]


def tornado(
    table: pd.DataFrame, ax: Any = None, kpi: str | None = None, top: int | None = None
) -> Any:
    """Tornado chart: for each parameter, the KPI change when it moves down (``kpi_low``)
    and up (``kpi_high``), largest span at the top.

    Parameters
    ----------
    table : DataFrame
        :func:`cjsim.analysis.sensitivity` output (``kind, parameter, kpi_low, kpi_high``
        …, sorted by span).
    ax : matplotlib Axes, optional
    kpi : str, optional
        The KPI's name, for the axis label.
    top : int, optional
        Show only the first ``top`` rows.

    Returns
    -------
    matplotlib Axes
        Two bar containers, ``parameter down`` and ``parameter up``, each bar spanning
        0 to the change (a NaN change, e.g. an edge that cannot grow, draws no width).
    """
    rows = table.head(top) if top is not None else table
    ax = axes(ax, figsize=(7.0, 1.0 + 0.3 * len(rows)))
    y = np.arange(len(rows))
    for column, label, colour in (
        ("kpi_low", "parameter down", "indianred"),
        ("kpi_high", "parameter up", "seagreen"),
    ):
        ax.barh(y, np.nan_to_num(rows[column].to_numpy(dtype=float)), color=colour, label=label)
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set_yticks(y, [f"{r.parameter} ({r.kind})" for r in rows.itertuples(index=False)])
    ax.invert_yaxis()
    ax.set_xlabel(f"change in {kpi or 'the KPI'} against the base value")
    ax.set_ylabel("parameter")
    ax.set_title(f"Sensitivity of {kpi or 'the KPI'}: one parameter at a time")
    ax.legend(fontsize=8)
    return ax
