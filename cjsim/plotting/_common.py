"""Helpers shared by the figures: a fresh Axes when none is given, titles that fit their
Axes, money labels and the colours of good and bad."""

from __future__ import annotations

import textwrap
from typing import Any

from cjsim.plotting.labels import plain

__all__ = ["BAD", "GOOD", "NEUTRAL", "axes", "money_label", "renderer", "title"]

GOOD = "seagreen"  # a change for the better (the KPI registry's higher_is_better)
BAD = "indianred"  # a change for the worse
NEUTRAL = "slategrey"  # a KPI without a better direction
SHORTEST_LINE = 24  # characters: titles are never wrapped narrower


def axes(ax: Any, figsize: tuple[float, float] = (7.0, 4.0)) -> Any:
    """``ax``, or the Axes of a new figure of ``figsize`` inches (constrained layout, so
    that titles, labels and colour bars stay inside the figure)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def money_label(what: str, meta: dict[str, Any]) -> str:
    """``what (EUR)`` when the currency is known."""
    currency = meta.get("currency")
    return f"{what} ({currency})" if currency else what


def renderer(figure: Any) -> Any:
    """The renderer of ``figure``'s canvas (to measure text), or None when the backend
    has none."""
    get = getattr(figure.canvas, "get_renderer", None)
    return get() if get is not None else None


def title(ax: Any, text: str) -> None:
    """Set the title of ``ax``, wrapped onto as many lines as it takes to be no wider
    than the Axes, so that the titles of neighbouring Axes never run into each other.
    Call it last: the width measured is the Axes' once its labels are laid out.  A
    ``$`` in a user's name is escaped (:func:`~cjsim.plotting.labels.plain`)."""
    text = plain(text)
    ax.set_title(text)
    measure = renderer(ax.figure)
    if measure is None:
        return
    if ax.figure.get_layout_engine() is not None:
        ax.figure.draw_without_rendering()  # the Axes' size once laid out
    room = 0.92 * ax.get_window_extent(measure).width
    width = len(text)
    for _ in range(4):
        used = ax.title.get_window_extent(measure).width
        if used <= room or width <= SHORTEST_LINE:
            return
        width = max(SHORTEST_LINE, int(width * room / used))
        ax.title.set_text(textwrap.fill(text, width))
