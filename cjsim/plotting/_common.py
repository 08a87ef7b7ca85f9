"""Helpers shared by the figures: a fresh Axes when none is given, money labels."""

from __future__ import annotations

from typing import Any

__all__ = ["axes", "money_label"]


def axes(ax: Any, figsize: tuple[float, float] = (7.0, 4.0)) -> Any:
    """``ax``, or the Axes of a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize)
    return new


def money_label(what: str, meta: dict[str, Any]) -> str:
    """``what (EUR)`` when the currency is known."""
    currency = meta.get("currency")
    return f"{what} ({currency})" if currency else what
