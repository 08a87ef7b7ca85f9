"""Money over time: discounting, NPV, payback, ROI and break-even.

Conventions: cash on day ``d`` (0-based) is discounted by ``(1 + r) ** (-d / 365)`` for
the annual rate ``r``; a one-off (fixed) cost falls on day 0.

>>> round(npv([100.0] * 365, 0.10), 2)
34819.1
>>> payback_day([-100.0, 30.0, 30.0, 50.0])
3.0
>>> roi(50.0, 200.0), break_even_uplift(50.0, 200.0)
(0.25, 0.8)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["break_even_uplift", "discount_factors", "npv", "payback_day", "roi"]


def discount_factors(days: int, annual_rate: float) -> np.ndarray:
    """``(1 + r) ** (-d / 365)`` for ``d = 0 .. days - 1``."""
    return np.power(1.0 + annual_rate, -np.arange(days) / 365.0)


def npv(daily_cash: Sequence[float] | np.ndarray, annual_rate: float) -> float:
    """Net present value at day 0 of one cash flow per day."""
    cash = np.asarray(daily_cash, dtype=float)
    return float(cash @ discount_factors(len(cash), annual_rate))


def payback_day(daily_cash: Sequence[float] | np.ndarray) -> float:
    """The first day from which the cumulative cash stays at or above 0 (NaN: never).

    Day 0 when the cumulative cash never goes below 0.
    """
    cumulative = np.cumsum(np.asarray(daily_cash, dtype=float))
    below = np.flatnonzero(cumulative < 0)
    if not len(below):
        return 0.0
    day = int(below[-1]) + 1
    return float(day) if day < len(cumulative) else math.nan


def roi(incremental_profit: float, cost: float) -> float:
    """Return on investment: incremental profit (net of the cost) per unit of cost."""
    return incremental_profit / cost if cost > 0 else math.nan


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
