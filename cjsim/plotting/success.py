"""Journey success scores (:class:`cjsim.analysis.success.SuccessScores`): the value at
stake of each journey, ranked, with its score."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cjsim.plotting._common import BAD, GOOD, axes, money_label, title

if TYPE_CHECKING:
    from cjsim.analysis.success import SuccessScores

__all__ = ["success"]


def success(found: SuccessScores, ax: Any = None) -> Any:
    """One bar per journey: the profit it would add if it met its targets, largest at the
    top, labelled with its score (0-100); journeys that meet their targets in green.

    Parameters
    ----------
    found : SuccessScores
    ax : matplotlib Axes, optional
    """
    table = found.scores
    ax = axes(ax, figsize=(7.0, 1.2 + 0.5 * len(table)))
    y = np.arange(len(table))[::-1]
    colours = [GOOD if met else BAD for met in table["met"]]
    bars = ax.barh(y, table["value_at_stake"].to_numpy(float), color=colours)
    ax.set_yticks(y, [str(name) for name in table["journey"]])
    labels = [f"score {score:.0f}" for score in table["score"]]
    ax.bar_label(bars, labels, padding=3, fontsize="small")
    ax.set_xlabel(money_label("value at stake: profit if the journey met its targets", found.meta))
    ax.margins(x=0.2)
    title(ax, "Journeys ranked by the value at stake (green: targets met)")
    return ax
