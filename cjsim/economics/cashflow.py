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
{'gross_profit': 200.0, 'intervention_cost': 50.0, 'profit': 150.0, 'npv': 150.0}
>>> cash.tolist()
[0.0, 150.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from cjsim.economics.costs import Costs, cost_series
from cjsim.economics.flows import npv, profit

__all__ = ["GROSS", "CashFlows", "DaySeries", "cash_flows", "net_of_cost", "replication_economics"]

GROSS = ("profit", "profit_per_customer", "clv")
"""The KPIs an engine reports before any intervention's cost.  In a comparison each is
renamed ``gross_<name>``, and ``profit`` and ``profit_per_customer`` become net of the
intervention's cost (:func:`net_of_cost`): one vocabulary, in which *profit* is always
what is left after everything is paid, the investment included."""


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


def net_of_cost(kpis: Mapping[str, float], spent: float) -> dict[str, float]:
    """``kpis`` with the intervention's cost ``spent`` (money over the run) taken off.

    The engine's figures of :data:`GROSS` are kept as ``gross_<name>``; ``profit``
    becomes ``gross_profit - intervention_cost`` and ``profit_per_customer`` loses the
    cost spread over the run's customers (the whole cost, fixed and daily parts too, so
    that its change times the customers is the change of profit).

    >>> net_of_cost({"customers": 10.0, "profit": 50.0, "profit_per_customer": 6.0}, 20.0)
    {'customers': 10.0, 'gross_profit': 50.0, 'gross_profit_per_customer': 6.0, \
'intervention_cost': 20.0, 'profit': 30.0, 'profit_per_customer': 4.0}
    """
    out = {f"gross_{k}" if k in GROSS else k: v for k, v in kpis.items()}
    out["intervention_cost"] = spent
    out["profit"] = kpis["profit"] - spent
    if "profit_per_customer" in kpis:
        customers = kpis.get("customers", math.nan)
        per_customer = spent / customers if customers > 0 else math.nan
        out["profit_per_customer"] = kpis["profit_per_customer"] - per_customer
    return out


def replication_economics(
    kpis: Mapping[str, float],
    series: DaySeries,
    costs: Costs,
    *,
    margin: float,
    annual_rate: float,
) -> tuple[dict[str, float], np.ndarray]:
    """``kpis`` net of the intervention's cost (:func:`net_of_cost`) plus ``npv``, and the
    net cash per bin.

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
    out = net_of_cost(kpis, float(flows.spend.sum()))
    out["npv"] = npv(flows.valued, annual_rate, days=series.day)
    return out, flows.cash
