"""Money: intervention costs, cash flows per time bin, discounting, NPV, ROI, payback,
break-even and the ranking of investments.

The only implementation of these figures; :func:`cjsim.compare` runs the variants and
hands their outputs here.  Pure arithmetic on numbers and arrays: this layer imports no
engine, experiment or intervention.

Modules: :mod:`~cjsim.economics.flows` (the profit formula, discounting, NPV, ROI, payback,
break-even), :mod:`~cjsim.economics.costs` (an intervention's costs and their day series),
:mod:`~cjsim.economics.cashflow` (a run's cash per time bin) and
:mod:`~cjsim.economics.ranking` (paired deltas, the ranking, P(best), the variance split)
and :mod:`~cjsim.economics.choice` (the recommendation).
"""

from cjsim.economics.cashflow import (
    GROSS,
    CashFlows,
    DaySeries,
    cash_flows,
    net_of_cost,
    replication_economics,
)
from cjsim.economics.choice import Recommendation, recommend
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
    p_best,
    paired_deltas,
    rank_variants,
    variance_split,
)

__all__ = [
    "GROSS",
    "CashFlows",
    "Costs",
    "DaySeries",
    "Outcome",
    "Recommendation",
    "break_even_uplift",
    "cash_flows",
    "cost_series",
    "delta_table",
    "discount_factors",
    "net_of_cost",
    "npv",
    "p_best",
    "paired_deltas",
    "payback_day",
    "profit",
    "rank_variants",
    "recommend",
    "replication_economics",
    "roi",
    "variance_split",
]
