"""What an intervention costs, and what it spends in each time bin of a run.

>>> import numpy as np
>>> from cjsim.economics.cashflow import DaySeries
>>> week = DaySeries.of_days(arrivals=np.full(7, 10.0))
>>> cost_series(Costs(fixed=100.0, per_day=2.0, per_customer=0.5), week).tolist()
[107.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from cjsim._io import FrozenMap

if TYPE_CHECKING:
    from cjsim.economics.cashflow import DaySeries

__all__ = ["Costs", "cost_series"]


@dataclass(frozen=True)
class Costs:
    """What an intervention costs: once, per day, per customer, purchase or visit."""

    fixed: float = 0.0
    per_day: float = 0.0
    per_customer: float = 0.0
    per_purchase: float = 0.0
    per_visit: Mapping[str, float] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        object.__setattr__(self, "per_visit", FrozenMap(self.per_visit))

    def __add__(self, other: Costs) -> Costs:
        visits = dict(self.per_visit)
        for node, cost in other.per_visit.items():
            visits[node] = visits.get(node, 0.0) + cost
        return Costs(
            self.fixed + other.fixed,
            self.per_day + other.per_day,
            self.per_customer + other.per_customer,
            self.per_purchase + other.per_purchase,
            visits,
        )


def cost_series(costs: Costs, series: DaySeries) -> np.ndarray:
    """The intervention's spending in each time bin of ``series`` (money).

    ``per_day`` is paid for each bin's width in days, ``per_customer`` for each arrival,
    ``per_purchase`` for each purchase, ``per_visit`` for each visit started at its
    touchpoint; the ``fixed`` cost falls in the first bin (day 0).
    """
    spend = (
        costs.per_day * series.days
        + costs.per_customer * series.arrivals
        + costs.per_purchase * series.purchases
    )
    for node, cost in costs.per_visit.items():
        spend = spend + cost * series.visits[node]
    spend = np.asarray(spend, dtype=float).copy()
    spend[0] += costs.fixed
    return spend
