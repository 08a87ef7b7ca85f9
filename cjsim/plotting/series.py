"""Simulated time series: customers per stage, cumulative profit with its band."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cjsim.plotting._common import axes, money_label, title
from cjsim.plotting.labels import engine_label, name_label

if TYPE_CHECKING:
    from cjsim.engines.result import Result

__all__ = ["timeseries"]

KINDS = ("stages", "profit")


def timeseries(result: Result, kind: str = "stages", ax: Any = None) -> Any:
    """A simulation's per-day series (mean over replications, ``result.timeseries``).

    Parameters
    ----------
    result : Result
        From the ``des`` or ``vectorized`` engine.
    kind : {"stages", "profit"}
        ``stages``: customers in each stage (columns ``in_<stage>``), one line each;
        ``profit``: cumulative profit with its 2.5–97.5 % band over replications.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    ts = result.timeseries
    if ts is None:
        raise ValueError(
            f"the {result.engine} result has no time series — simulate with "
            "engine='des' or engine='vectorized'"
        )
    ax = axes(ax)
    runs = result.meta.get("replications")
    over = f", mean of {runs} replications" if runs else ""
    engine = engine_label(result.engine)
    if kind == "stages":
        for column in [c for c in ts.columns if c.startswith("in_")]:
            ax.plot(ts["day"], ts[column], label=name_label(column[len("in_") :]))
        ax.set_ylabel("customers in the stage")
        text = f"{result.scenario}: customers per stage ({engine}{over})"
    else:
        if {"cumulative_profit_p2.5", "cumulative_profit_p97.5"} <= set(ts.columns):
            ax.fill_between(
                ts["day"],
                ts["cumulative_profit_p2.5"],
                ts["cumulative_profit_p97.5"],
                alpha=0.25,
                label="2.5–97.5 % of replications",
            )
        ax.plot(ts["day"], ts["cumulative_profit"], label="cumulative profit")
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_ylabel(money_label("cumulative profit", result.meta))
        text = f"{result.scenario}: cumulative profit ({engine}{over})"
    ax.set_xlabel("day")
    ax.legend(fontsize=8)
    title(ax, text)
    return ax
