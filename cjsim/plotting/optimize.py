"""The objective of an optimisation against its lever
(:class:`cjsim.interventions.optimize.Optimum`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cjsim.plotting._common import GOOD, NEUTRAL, axes, money_label, title

if TYPE_CHECKING:
    from cjsim.interventions.optimize import Optimum

__all__ = ["optimum"]


def optimum(result: Optimum, lever: str | None = None, ax: Any = None) -> Any:
    """Every setting simulated: the objective (net of the levers' cost) with its 95 %
    interval against one lever's value, the best marked.

    Parameters
    ----------
    result : Optimum
    lever : str, optional
        The lever's label (``node.key``); the first lever by default.  With several
        levers each point is a setting of all of them, drawn at this lever's value.
    ax : matplotlib Axes, optional
    """
    table = result.evaluations.sort_values(lever or result.levers[0].label)
    name = lever or result.levers[0].label
    if name not in table.columns:
        labels = ", ".join(lv.label for lv in result.levers)
        raise ValueError(f"no lever {name!r}; the levers are {labels}")
    x, y = table[name].to_numpy(float), table["mean"].to_numpy(float)
    low, high = table["ci_low"].to_numpy(float), table["ci_high"].to_numpy(float)
    ax = axes(ax)
    ax.errorbar(
        x,
        y,
        yerr=[np.nan_to_num(y - low), np.nan_to_num(high - y)],
        fmt="o",
        color=NEUTRAL,
        capsize=3,
        label="settings simulated (95 % interval)",
    )
    if len(result.levers) == 1:
        ax.plot(x, y, color=NEUTRAL, linewidth=1, alpha=0.6)
    ax.plot([result.best[name]], [result.mean], "*", color=GOOD, markersize=14, label="best")
    ax.set_xlabel(name)
    ax.set_ylabel(money_label(f"{result.objective} net of the levers' cost", result.meta))
    ax.legend(loc="best", fontsize="small")
    title(ax, f"{result.objective} against {name} ({result.method})")
    return ax
