"""Per-replication totals that both simulation engines fill, and the KPIs made from them.

Memory stays flat in the number of customers: each customer is folded into these
sums when it leaves the journey or the horizon ends.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cjsim.economics import profit
from cjsim.kpis import node_name
from cjsim.model import Scenario

__all__ = ["QueueTotals", "Totals", "kpi_values", "time_bins", "timeseries"]

RESERVOIR = 20_000  # waits kept per desk for the p90 (exact below this many)
MAX_BINS = 20_000  # time-series bins; longer horizons get bins of several days


def time_bins(horizon: float) -> tuple[int, float]:
    """(number of bins, days per bin) of the time series for ``horizon`` days."""
    width = 1.0 if horizon <= MAX_BINS else float(math.ceil(horizon / MAX_BINS))
    return math.ceil(horizon / width), width


@dataclass
class QueueTotals:
    """What a capacity touchpoint saw."""

    servers: int
    joined: int = 0
    served: int = 0
    reneged: int = 0
    waited: int = 0  # served after a wait > 0
    wait_sum: float = 0.0
    busy_time: float = 0.0  # server-days of service within the horizon
    queue_time: float = 0.0  # customer-days spent waiting within the horizon
    waits: list[float] = field(default_factory=list)  # a uniform reservoir sample

    def add_wait(self, wait: float, u: float) -> None:
        """Record one served customer's wait; ``u`` is a uniform for the reservoir."""
        self.served += 1
        self.wait_sum += wait
        self.waited += wait > 0
        if len(self.waits) < RESERVOIR:
            self.waits.append(wait)
        else:
            slot = int(u * self.served)
            if slot < RESERVOIR:
                self.waits[slot] = wait


@dataclass
class Totals:
    """Sums over the customers of one replication."""

    n_nodes: int
    n_outcomes: int
    n_stages: int
    days: int  # number of time bins
    bin_days: float = 1.0
    customers: int = 0
    initial_customers: int = 0
    converters: int = 0
    two_plus: int = 0
    retained: int = 0
    in_flight: int = 0
    absorbed: int = 0
    absorbed_time: float = 0.0
    first_purchase_time: float = 0.0
    purchases: int = 0
    order_value: float = 0.0
    refunds: float = 0.0
    discounted_value: float = 0.0
    queues: dict[int, QueueTotals] = field(default_factory=dict)

    def __post_init__(self) -> None:
        d = self.days + 1
        self.outcome_counts = [0] * self.n_outcomes
        self.reach = [0] * self.n_stages
        self.starts_by_day = [0] * (self.n_nodes * d)  # node * d + day of arrival there
        self.stage_ends_by_day = [0] * (self.n_stages * d)
        self.arrivals_by_day = [0] * d
        self.purchases_by_day = [0] * d
        self.revenue_by_day = [0.0] * d
        self.cost_by_day = [0.0] * d  # touchpoint costs, on the day they are incurred
        self.warm_by_stage = [0] * self.n_stages  # warm-start customers mid-visit at day 0
        # satisfaction (scenarios with a satisfaction model): the emotional curve (sum of
        # satisfaction leaving each touchpoint's visits, and their count) and the final state
        self.felt_sum = [0.0] * self.n_nodes
        self.felt_visits = [0] * self.n_nodes
        self.final_sat = 0.0
        self.promoters = 0
        self.detractors = 0

    @property
    def visits(self) -> list[int]:
        """Visits per touchpoint, summed from the per-day starts (not counted twice)."""
        d = self.days + 1
        return [sum(self.starts_by_day[i * d : (i + 1) * d]) for i in range(self.n_nodes)]

    @property
    def touchpoint_cost(self) -> float:
        """Touchpoint costs, summed from the per-day costs."""
        return math.fsum(self.cost_by_day)


def transitions(t: Totals) -> int:
    """Visits made (each a step of the journey): derived, not counted in the hot loop."""
    return sum(t.visits)


def _share(num: float, den: float) -> float:
    return num / den if den else math.nan


def kpi_values(t: Totals, sc: Scenario, horizon: float) -> dict[str, float]:
    """Every KPI of the design from one replication's totals (names from :mod:`cjsim.kpis`)."""
    e = sc.economics
    n = t.customers
    revenue = t.order_value - t.refunds
    cost = t.touchpoint_cost + e.cost_per_customer * n + e.fixed_cost_per_day * horizon
    out = {
        "customers": float(n),
        "initial_customers": float(t.initial_customers),
        "conversion_rate": _share(t.converters, n),
        "repeat_rate": _share(t.two_plus, t.converters),
        "retained_rate": _share(t.retained, t.converters),
        "purchases_per_customer": _share(t.purchases, n),
        "revenue": revenue,
        "revenue_per_customer": _share(revenue, n),
        "average_order_value": _share(t.order_value, t.purchases),
        "cost": cost,
        "cost_per_customer": _share(t.touchpoint_cost, n) + e.cost_per_customer,
        "profit": profit(e.gross_margin, revenue, cost),
        "profit_per_customer": _share(profit(e.gross_margin, revenue, t.touchpoint_cost), n)
        - e.cost_per_customer,
        "clv": _share(t.discounted_value, n) - e.cost_per_customer,
        "time_to_first_purchase": _share(t.first_purchase_time, t.converters),
        "time_to_absorption": _share(t.absorbed_time, t.absorbed),
        "in_flight_share": _share(t.in_flight, n),
    }
    for kpi, nodes, counts in (
        ("visits", *sc.per_original(np.asarray(t.visits, dtype=float))),
        ("absorption", list(sc.outcomes), t.outcome_counts),
        ("stage_reach", list(sc.stages), t.reach),
    ):
        out |= {node_name(kpi, x): _share(v, n) for x, v in zip(nodes, counts, strict=True)}
    names = list(sc.touchpoints)
    for node, q in sorted(t.queues.items()):
        out |= _queue_kpis(names[node], q, horizon)
    if sc.satisfaction is not None:
        out |= satisfaction_kpis(t, sc)
    return out


def satisfaction_kpis(t: Totals, sc: Scenario) -> dict[str, float]:
    """The satisfaction KPIs (see :mod:`cjsim.engines._feelings`) of one replication."""
    n = t.customers
    promoters, detractors = _share(t.promoters, n), _share(t.detractors, n)
    out = {
        "satisfaction_mean": _share(t.final_sat, n),
        "promoter_share": promoters,
        "detractor_share": detractors,
        "net_promoter": promoters - detractors,
    }
    felt, visits = np.asarray(t.felt_sum), np.asarray(t.felt_visits, dtype=float)
    names, sums = sc.per_original(felt)
    _, counts = sc.per_original(visits)
    for x, v, c in zip(names, sums, counts, strict=True):
        out[node_name("satisfaction_at", x)] = _share(v, c)
    stage_of = np.array([sc.stages.index(tp.stage) for tp in sc.touchpoints.values()])
    for s, stage in enumerate(sc.stages):
        at = stage_of == s
        out[node_name("satisfaction", stage)] = _share(felt[at].sum(), visits[at].sum())
    return out


def _queue_kpis(name: str, q: QueueTotals, horizon: float) -> dict[str, float]:
    """The queue KPIs of capacity touchpoint ``name``."""
    figures = {
        "wait_mean": _share(q.wait_sum, q.served),
        "wait_p90": float(np.quantile(q.waits, 0.9)) if q.waits else math.nan,
        "wait_probability": _share(q.waited, q.served),
        "utilization": q.busy_time / (q.servers * horizon),
        "queue_length": q.queue_time / horizon,
        "reneged": _share(q.reneged, q.served + q.reneged),
    }
    return {node_name(kpi, name): value for kpi, value in figures.items()}


def timeseries(t: Totals, sc: Scenario, horizon: float) -> pd.DataFrame:
    """Per-day series: customers in each stage at the end of the day, flows, cumulative money.

    ``day`` is where each bin starts and ``days`` its width (1, or several days for
    horizons over 20,000 days; the last bin ends at the horizon).
    """
    d = t.days + 1
    starts = np.asarray(t.starts_by_day, dtype=float).reshape(t.n_nodes, d)
    ends = np.asarray(t.stage_ends_by_day, dtype=float).reshape(t.n_stages, d)
    stage_of = np.array([sc.stages.index(tp.stage) for tp in sc.touchpoints.values()])
    start = np.arange(t.days) * t.bin_days
    width = np.minimum(start + t.bin_days, horizon) - start
    frame = pd.DataFrame({"day": start, "days": width})
    for s, stage in enumerate(sc.stages):
        inflow = starts[stage_of == s].sum(axis=0)
        inflow[0] += t.warm_by_stage[s]  # in the stage at day 0 without a visit starting
        frame[f"in_{stage}"] = np.cumsum(inflow - ends[s])[: t.days]
    e = sc.economics
    arrivals = np.asarray(t.arrivals_by_day[: t.days], dtype=float)
    revenue = np.asarray(t.revenue_by_day[: t.days])
    cost = np.asarray(t.cost_by_day[: t.days]) + e.cost_per_customer * arrivals
    cost = cost + e.fixed_cost_per_day * width
    frame["arrivals"] = arrivals
    frame["purchases"] = np.asarray(t.purchases_by_day[: t.days], dtype=float)
    frame["revenue"] = revenue
    frame["cost"] = cost
    frame["cumulative_revenue"] = np.cumsum(revenue)
    frame["cumulative_profit"] = np.cumsum(profit(e.gross_margin, revenue, cost))
    return frame
