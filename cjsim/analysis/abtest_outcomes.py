"""Per-customer outcomes of a simulated journey, and how long enrolling customers takes:
what a field A/B test measures and how fast it fills (:func:`cjsim.analysis.abtest.ab_test_design`).

How cohorts are handled: only customers who arrived at least ``follow_up_days`` before the
horizon count, each with what happened in their first ``follow_up_days``; a field test
enrols customers as they arrive at the scenario's arrival rate from day 0 of its calendar.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize

from cjsim.economics import Costs
from cjsim.errors import OptionError, did_you_mean
from cjsim.model import Population, Scenario

__all__ = ["KPIS", "check_kpi", "customer_outcomes", "enrolment_days"]

#: The KPIs a field test can confirm, and the test each uses.
KPIS = {
    "conversion_rate": "pooled two-proportion z-test (closed-form size, Fleiss)",
    "revenue_per_customer": "Welch t-test (size by simulated field tests)",
    "profit_per_customer": "Welch t-test (size by simulated field tests)",
}


def check_kpi(kpi: str) -> None:
    if kpi not in KPIS:
        raise OptionError(
            f"kpi {kpi!r} cannot be sized for a field test — {did_you_mean(kpi, KPIS)}"
        )


def customer_outcomes(
    events: pd.DataFrame,
    scenario: Scenario,
    *,
    kpi: str,
    follow_up_days: float | None,
    horizon_days: float,
    costs: Costs | None = None,
) -> np.ndarray:
    """One outcome per customer of one replication's event log.

    Parameters
    ----------
    events : DataFrame
        An engine's event log (``customer, time, touchpoint, value``), one replication.
    scenario : Scenario
        The scenario that produced it (purchase touchpoints, visit costs, margin).
    kpi : {"conversion_rate", "revenue_per_customer", "profit_per_customer"}
        1/0 for a purchase; the order values less refunds; or the gross margin of that
        revenue less the visits' costs, the cost per customer and ``costs`` (an
        intervention's per-customer, per-purchase and per-visit costs; its fixed and
        daily costs are not per customer and stay out).
    follow_up_days : float or None
        Each customer's window from arrival (days > 0); customers who arrived later than
        ``horizon_days - follow_up_days`` are left out (not observed long enough).  None:
        every customer, with everything up to the horizon (as the engine's KPIs count).
    horizon_days : float
        The simulated span.

    Returns
    -------
    ndarray
        One value per customer who arrived in the enrolment window, in customer order;
        warm-start customers (in the journey before day 0) are left out.
    """
    check_kpi(kpi)
    log = events
    if "warm_id" in log:
        log = log[log["warm_id"].isna()]
    if follow_up_days is not None:
        arrival = log.groupby("customer")["time"].transform("min")
        window = log["time"] < arrival + follow_up_days
        log = log[(arrival <= horizon_days - follow_up_days) & window]
    customers = log["customer"].to_numpy()
    ids, owner = np.unique(customers, return_inverse=True)
    tps = scenario.touchpoints
    names = log["touchpoint"].to_numpy()
    purchase = np.array([n in tps and bool(tps[n].purchase) for n in names])
    if kpi == "conversion_rate":
        return (np.bincount(owner, purchase, len(ids)) > 0).astype(float)
    revenue = np.bincount(owner, log["value"].to_numpy(float), len(ids))
    if kpi == "revenue_per_customer":
        return revenue
    extra = costs or Costs()
    visit_cost = {n: tp.cost_per_visit + extra.per_visit.get(n, 0.0) for n, tp in tps.items()}
    per_row = np.array([visit_cost.get(n, 0.0) for n in names]) + extra.per_purchase * purchase
    e = scenario.economics
    fixed = e.cost_per_customer + extra.per_customer
    return e.gross_margin * revenue - np.bincount(owner, per_row, len(ids)) - fixed


def enrolment_days(population: Population, customers: float) -> float:
    """Days from day 0 until ``customers`` have arrived on average (the last rate goes on
    past the horizon); infinite when a fixed cohort is smaller."""

    def short(t: float) -> float:
        return population.expected_customers(t) - customers

    upper = 1.0
    while short(upper) < 0:
        if upper > 1e7:
            return math.inf
        upper *= 2
    return float(optimize.brentq(short, 0.0, upper, xtol=1e-6))
