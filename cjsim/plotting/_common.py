"""Helpers shared by the figures: a fresh Axes when none is given, KPI look-ups."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cjsim.engines.result import Result

__all__ = ["axes", "bracketed", "money_label"]

_BRACKET = re.compile(r"^(?P<prefix>[a-z_]+)\[(?P<name>.+)\]$")


def axes(ax: Any, figsize: tuple[float, float] = (7.0, 4.0)) -> Any:
    """``ax``, or the Axes of a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize)
    return new


def bracketed(result: Result, prefix: str) -> dict[str, float]:
    """The KPIs ``prefix[name]`` of ``result`` as ``{name: mean}``, in KPI order."""
    out = {}
    for kpi, mean in zip(result.kpis["kpi"], result.kpis["mean"], strict=True):
        match = _BRACKET.match(str(kpi))
        if match and match["prefix"] == prefix:
            out[match["name"]] = float(mean)
    return out


def money_label(what: str, meta: dict[str, Any]) -> str:
    """``what (EUR)`` when the currency is known."""
    currency = meta.get("currency")
    return f"{what} ({currency})" if currency else what
