"""The emotional curve: customers' mean satisfaction leaving each stage (or touchpoint)
along the journey, with its 95 % interval, against the promoter and detractor lines.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import cjsim
>>> sc = cjsim.load_scenario("tests/data/moods.toml")
>>> res = cjsim.simulate(sc, engine="vectorized", replications=2, seed=1)
>>> ax = emotional_curve(sc, {"baseline": res})
>>> ax.get_ylabel()
'mean satisfaction leaving a visit (points)'
>>> matplotlib.pyplot.close(ax.figure)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cjsim.kpis import node_name
from cjsim.plotting._common import BAD, GOOD, axes, title
from cjsim.plotting.labels import name_label

if TYPE_CHECKING:
    from cjsim.engines.result import Result
    from cjsim.model import Scenario

__all__ = ["KPI_BY", "emotional_curve", "satisfaction_curve"]

KPI_BY = {"stage": "satisfaction", "touchpoint": "satisfaction_at"}  # the KPI per node


def satisfaction_curve(scenario: Scenario, result: Result, *, by: str = "stage") -> pd.DataFrame:
    """The curve's points of ``result`` (a run of ``scenario``): per stage (or
    touchpoint), in journey order, ``mean``, ``ci_low`` and ``ci_high`` of the mean
    satisfaction leaving a visit there.

    Raises
    ------
    ValueError
        For an unknown ``by``, or a result without satisfaction KPIs (a scenario with no
        ``[satisfaction]`` table, or one run by the analytic engine).
    """
    if by not in KPI_BY:
        raise ValueError(f"by must be one of {', '.join(KPI_BY)}, got {by!r}")
    sc = scenario
    nodes = list(sc.stages) if by == "stage" else list(sc.originals())
    names = [node_name(KPI_BY[by], x) for x in nodes]
    table = result.kpis.set_index("kpi")
    if not set(names) <= set(table.index):
        raise ValueError(
            f"no {KPI_BY[by]}[...] KPIs in this result — the scenario needs a [satisfaction] "
            "table and the des or vectorized engine"
        )
    out = table.loc[names, ["mean", "ci_low", "ci_high"]]
    out.index = pd.Index(nodes, name=by)
    return out


def emotional_curve(
    scenario: Scenario, results: Mapping[str, Result], *, by: str = "stage", ax: Any = None
) -> Any:
    """One line per result (runs of ``scenario`` or of its variants): mean satisfaction
    leaving each stage (``by="stage"``) or touchpoint (``by="touchpoint"``) along the
    journey, with 95 % error bars; dashed lines mark the scenario's promoter (green)
    and detractor (red) thresholds.  Stages or touchpoints no customer visited have no
    point."""
    ax = axes(ax)
    first = None
    for label, result in results.items():
        curve = satisfaction_curve(scenario, result, by=by)
        x = np.arange(len(curve))
        mean = curve["mean"].to_numpy(float)
        err = np.abs(curve[["ci_low", "ci_high"]].to_numpy(float).T - mean)
        ax.errorbar(x, mean, yerr=err, marker="o", capsize=3, label=name_label(label))
        first = first or list(curve.index)
    if first is None:
        raise ValueError("no results to plot")
    nodes = first
    sat = scenario.satisfaction
    if sat is not None:
        ax.axhline(sat.promoter_at, color=GOOD, linestyle="--", linewidth=1, label="promoter")
        ax.axhline(sat.detractor_at, color=BAD, linestyle="--", linewidth=1, label="detractor")
    ax.set_xticks(np.arange(len(nodes)), [name_label(n) for n in nodes], rotation=30)
    ax.set_xlabel(by)
    ax.set_ylabel("mean satisfaction leaving a visit (points)")
    ax.legend(fontsize="small")
    title(ax, "The emotional curve along the journey")
    return ax
