"""Money: intervention costs, cash flows per time bin, discounting, NPV, ROI, payback,
break-even and the ranking of investments.

The only implementation of these figures; :func:`cjsim.compare` runs the variants and
hands their outputs here.  Pure arithmetic on numbers and arrays: this layer imports no
engine, experiment or intervention.

Conventions: cash on day ``d`` (0-based) is discounted by ``(1 + r) ** (-d / 365)`` for
the annual rate ``r``; a one-off (fixed) cost falls on day 0.

>>> round(npv([100.0] * 365, 0.10), 2)
34819.1
>>> payback_day([-100.0, 30.0, 30.0, 50.0])
3.0
>>> roi(50.0, 200.0), break_even_uplift(50.0, 200.0)
(0.25, 0.8)
"""

from cjsim.economics.cashflow import CashFlows, DaySeries, cash_flows, replication_economics
from cjsim.economics.costs import Costs, cost_series
from cjsim.economics.flows import (
    break_even_uplift,
    discount_factors,
    npv,
    payback_day,
    profit,
    roi,
)
from cjsim.economics.ranking import (
    Outcome,
    delta_table,
    paired_deltas,
    rank_variants,
    variance_split,
)

__all__ = [
    "CashFlows",
    "Costs",
    "DaySeries",
    "Outcome",
    "break_even_uplift",
    "cash_flows",
    "cost_series",
    "delta_table",
    "discount_factors",
    "npv",
    "paired_deltas",
    "payback_day",
    "profit",
    "rank_variants",
    "replication_economics",
    "roi",
    "variance_split",
]
