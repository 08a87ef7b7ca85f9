"""Cash flows of one run, simulated or expected: what the economics of a comparison reads.

A run is described by a :class:`DaySeries` (what happened in each time bin).  A simulated
replication fills it from its counts; the analytic engine's *expected replication* from
the expected arrivals of each day times its per-customer figures, with each arrival's
lifetime value booked on its arrival day for the NPV.  One set of functions then gives
both paths their intervention cost, net cash, net profit and NPV.

>>> import numpy as np
>>> from cjsim.economics.costs import Costs
>>> run = DaySeries.of_days(arrivals=np.array([10.0, 10.0]), revenue=np.array([100.0, 300.0]))
>>> kpis, cash = replication_economics({"profit": 200.0}, run, Costs(fixed=50.0),
...                                    margin=0.5, annual_rate=0.0)
>>> kpis
{'profit': 200.0, 'intervention_cost': 50.0, 'net_profit': 150.0, 'npv': 150.0}
>>> cash.tolist()
[0.0, 150.0]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from cjsim.economics.costs import Costs, cost_series
from cjsim.economics.flows import npv, profit

__all__ = ["CashFlows", "DaySeries", "cash_flows", "replication_economics"]


@dataclass(frozen=True, eq=False)
class DaySeries:
    """What one run did in each time bin (arrays of equal length, one entry per bin).

    Attributes
    ----------
    day, days : ndarray
        Start day of each bin and its width in days (the last bin may end early, at the
        horizon).
    arrivals, purchases : ndarray
        Customers arriving and purchases made in the bin.
    revenue, cost : ndarray
        Revenue less refunds, and the journey's own costs (touchpoint, per-customer and
        fixed), in money.
    visits : mapping of str to ndarray
        Visits started at each touchpoint in the bin.
    lifetime : ndarray, optional
        What the NPV discounts instead of the bin's profit: each arrival's discounted
        lifetime profit booked on its arrival day, less fixed costs (the analytic engine,
        which has no timing inside a journey).  None: the bin's own profit.
    """

    day: np.ndarray
    days: np.ndarray
    arrivals: np.ndarray
    purchases: np.ndarray
    revenue: np.ndarray
    cost: np.ndarray
    visits: Mapping[str, np.ndarray] = field(default_factory=dict)
    lifetime: np.ndarray | None = None

    @classmethod
    def of_days(
        cls,
        *,
        arrivals: np.ndarray,
        purchases: np.ndarray | None = None,
        revenue: np.ndarray | None = None,
        cost: np.ndarray | None = None,
        visits: Mapping[str, np.ndarray] | None = None,
    ) -> DaySeries:
        """A series of whole days ``0, 1, …``; figures not given are 0."""
        zeros = np.zeros(len(arrivals))
        return cls(
            np.arange(len(arrivals), dtype=float),
            np.ones(len(arrivals)),
            np.asarray(arrivals, dtype=float),
            zeros if purchases is None else purchases,
            zeros if revenue is None else revenue,
            zeros if cost is None else cost,
            dict(visits or {}),
        )


@dataclass(frozen=True, eq=False)
class CashFlows:
    """Money per time bin of one run under one intervention.

    Attributes
    ----------
    spend : ndarray
        The intervention's cost.
    cash : ndarray
        Net cash: the journey's profit less ``spend``.
    valued : ndarray
        What the NPV discounts: ``cash``, or the lifetime values less fixed costs and
        ``spend`` (:attr:`DaySeries.lifetime`).
    """

    spend: np.ndarray
    cash: np.ndarray
    valued: np.ndarray


def cash_flows(series: DaySeries, costs: Costs, *, margin: float) -> CashFlows:
    """The intervention's spending and the net cash of each bin; ``margin`` is the gross
    margin (share of revenue)."""
    spend = cost_series(costs, series)
    cash = profit(margin, series.revenue, series.cost) - spend
    valued = cash if series.lifetime is None else series.lifetime - spend
    return CashFlows(spend, cash, valued)


def replication_economics(
    kpis: Mapping[str, float],
    series: DaySeries,
    costs: Costs,
    *,
    margin: float,
    annual_rate: float,
) -> tuple[dict[str, float], np.ndarray]:
    """``kpis`` (with ``profit``) plus ``intervention_cost``, ``net_profit`` and ``npv``,
    and the net cash per bin.

    Parameters
    ----------
    kpis : mapping
        The run's KPIs; ``profit`` is the journey's profit over the horizon (money).
    series : DaySeries
    costs : Costs
        The intervention's costs (``Costs()`` for the baseline).
    margin : float
        Gross margin, a share of revenue.
    annual_rate : float
        Discount rate per year for the NPV.
    """
    flows = cash_flows(series, costs, margin=margin)
    out = dict(kpis)
    out["intervention_cost"] = float(flows.spend.sum())
    out["net_profit"] = out["profit"] - out["intervention_cost"]
    out["npv"] = npv(flows.valued, annual_rate, days=series.day)
    return out, flows.cash
