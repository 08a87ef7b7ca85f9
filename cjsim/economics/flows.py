"""Money over time: the profit formula, discounting, NPV, payback, ROI and break-even.

Conventions: cash of a bin starting on day ``d`` is discounted by ``(1 + r) ** (-d / 365)``
for the annual rate ``r``; a one-off (fixed) cost falls on day 0.  Bins are days unless
their start days are given.

>>> round(npv([100.0] * 365, 0.10), 2)
34819.1
>>> payback_day([-100.0, 30.0, 30.0, 50.0])
3.0
>>> roi(50.0, 200.0), break_even_uplift(50.0, 200.0)
(0.25, 0.8)
>>> profit(0.5, 1000.0, 300.0)
200.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["break_even_uplift", "discount_factors", "npv", "payback_day", "profit", "roi"]


def profit(margin: Any, revenue: Any, cost: Any) -> Any:
    """Profit: the gross ``margin`` (share) of ``revenue`` less ``cost`` (money).

    The one place this formula lives; it works on floats, arrays and complex numbers
    (the analytic engine's complex-step derivatives) alike.
    """
    return margin * revenue - cost


def discount_factors(days: int | np.ndarray, annual_rate: float) -> np.ndarray:
    """``(1 + r) ** (-d / 365)`` for ``d = 0 .. days - 1``, or for each start day ``d`` of
    an array ``days``."""
    offsets = np.arange(days) if isinstance(days, int) else np.asarray(days, dtype=float)
    return np.power(1.0 + annual_rate, -offsets / 365.0)


def npv(
    daily_cash: Sequence[float] | np.ndarray,
    annual_rate: float,
    days: Sequence[float] | np.ndarray | None = None,
) -> float:
    """Net present value at day 0 of one cash flow per bin.

    Parameters
    ----------
    daily_cash : sequence of float
        Money per bin.
    annual_rate : float
        Discount rate per year (0.1 = 10 %).
    days : sequence of float, optional
        The start day of each bin; default ``0, 1, 2 …`` (bins of one day).
    """
    cash = np.asarray(daily_cash, dtype=float)
    starts = len(cash) if days is None else np.asarray(days, dtype=float)
    return float(cash @ discount_factors(starts, annual_rate))


def payback_day(
    daily_cash: Sequence[float] | np.ndarray, days: Sequence[float] | np.ndarray | None = None
) -> float:
    """The first day from which the cumulative cash stays at or above 0 (NaN: never).

    Day 0 when the cumulative cash never goes below 0.  With ``days`` (each bin's start
    day), the start day of the bin from which it stays there.
    """
    cumulative = np.cumsum(np.asarray(daily_cash, dtype=float))
    below = np.flatnonzero(cumulative < 0)
    if not len(below):
        return 0.0
    day = int(below[-1]) + 1
    if day >= len(cumulative):
        return math.nan
    return float(day) if days is None else float(np.asarray(days, dtype=float)[day])


def roi(incremental_profit: Any, cost: Any) -> Any:
    """Return on investment: incremental profit (net of the cost) per unit of cost.

    NaN without a cost.  Elementwise on arrays (one ROI per replication).
    """
    if np.ndim(incremental_profit) == 0 and np.ndim(cost) == 0:
        return incremental_profit / cost if cost > 0 else math.nan
    spent = np.asarray(cost, dtype=float)
    paid = spent > 0
    return np.where(paid, np.asarray(incremental_profit) / np.where(paid, spent, 1.0), np.nan)


def break_even_uplift(incremental_profit: float, cost: float) -> float:
    """The share of the estimated effect at which ROI reaches 0.

    With the effect scaled by ``s``, the gross benefit ``incremental_profit + cost``
    scales (to first order) by ``s`` and the cost does not: break-even at
    ``s = cost / (incremental_profit + cost)``.  Below 1: a smaller effect still pays;
    above 1: the effect must be larger than estimated; infinite without a benefit.
    """
    benefit = incremental_profit + cost
    if benefit <= 0:
        return math.inf
    return cost / benefit
