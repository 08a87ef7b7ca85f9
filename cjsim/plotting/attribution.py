"""The attribution of a path table: conversions per channel, Markov beside the heuristics."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cjsim.plotting._common import axes, title
from cjsim.plotting.labels import name_label

if TYPE_CHECKING:
    from cjsim.channels import Attribution

__all__ = ["attribution"]

METHODS = (
    ("markov_conversions", "Markov (removal effects)"),
    ("first_touch_conversions", "first touch"),
    ("last_touch_conversions", "last touch"),
    ("linear_conversions", "linear"),
)


def attribution(result: Attribution, ax: Any = None) -> Any:
    """Attributed conversions per channel (largest Markov share first), one bar per
    method: Markov removal effects, first touch, last touch and linear.

    Returns
    -------
    matplotlib Axes
        Four bar containers, one per method, in that order.
    """
    table = result.table.sort_values("markov_share", ascending=False)
    ax = axes(ax, figsize=(max(6.0, 0.9 * len(table) + 2), 4.0))
    x = np.arange(len(table))
    width = 0.8 / len(METHODS)
    for i, (column, label) in enumerate(METHODS):
        ax.bar(x + (i - 1.5) * width, table[column], width, label=label)
    ax.set_xticks(x, [name_label(c) for c in table["channel"]], rotation=30, ha="right")
    ax.set_xlabel("channel")
    ax.set_ylabel("attributed conversions")
    ax.legend(fontsize=8)
    title(ax, f"Attribution of {result.total_conversions:,.0f} conversions by channel")
    return ax
