"""The exact analytic engine: absorbing-Markov-chain algebra, infinite horizon.

Answers, per segment and mixed over segment shares: absorption probabilities,
expected visits, conversion, repeat rate, purchases, revenue (less refunds),
costs, profit, discounted CLV, time to absorption and to first purchase,
stage reach, referrals and the population multiplier, Markov removal effects
and elasticities of every edge.  Queues, experience effects and the horizon
are out of its reach; the result says so in ``notes``.

>>> import cjsim
>>> sc = cjsim.load_scenario("scenarios/saas_trial.toml")
>>> res = solve(sc)
>>> 0 < res["conversion_rate"] < 1
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cjsim.economics import profit
from cjsim.engines._absorbing import evaluate
from cjsim.engines._arrays import ScenarioArrays, to_arrays
from cjsim.engines._linalg import one_blas_thread
from cjsim.engines._matrix import edges
from cjsim.engines._sensitivity import (
    conversions_without,
    edge_derivatives,
    sum_coefficients,
)
from cjsim.engines.base import Engine, ReplicationOutput
from cjsim.engines.result import KPI_COLUMNS, Result
from cjsim.errors import SimulationError
from cjsim.kpis import node_name
from cjsim.model import CohortArrivals, Scenario

__all__ = ["ELASTICITY_KPIS", "AnalyticEngine", "expected_replication", "solve"]

ELASTICITY_KPIS = (
    "conversion_rate",
    "purchases_per_customer",
    "revenue_per_customer",
    "profit_per_customer",
    "clv",
    "time_to_absorption",
)


def _ratio(num: Any, den: Any) -> Any:
    return (
        num / den if abs(den) > 1e-300 else complex(math.nan) if np.iscomplexobj(den) else math.nan
    )


def _scalar_kpis(ev: dict[str, Any]) -> dict[str, Any]:
    """Per-customer KPIs from :func:`evaluate` output (complex-safe)."""
    revenue = ev["order_value"] - ev["refunds"]
    cost = ev["cost"] + ev["cost_per_customer"]
    return {
        "conversion_rate": ev["conversion"],
        "repeat_rate": _ratio(ev["two_plus"], ev["conversion"]),
        "purchases_per_customer": ev["purchases"],
        "revenue_per_customer": revenue,
        "average_order_value": _ratio(ev["order_value"], ev["purchases"]),
        "cost_per_customer": cost,
        "profit_per_customer": profit(ev["margin"], revenue, cost),
        "clv": ev["discounted_value"] - ev["cost_per_customer"],
        "time_to_first_purchase": _ratio(ev["first_purchase_time"], ev["conversion"]),
        "time_to_absorption": ev["time"],
        "referrals_per_customer": 1 - 1 / ev["multiplier"],
        "population_multiplier": ev["multiplier"],
    }


def _run(sc: Scenario, a: ScenarioArrays, base: np.ndarray, **kw: Any) -> dict[str, Any]:
    return evaluate(a, base, sc.economics.gross_margin, sc.economics.cost_per_customer, **kw)


def _kpi_rows(sc: Scenario, a: ScenarioArrays, ev: dict[str, Any]) -> dict[str, float]:
    rows = {k: float(np.real(v)) for k, v in _scalar_kpis(ev).items()}
    customers = (
        sc.population.arrivals.expected_count(sc.horizon_days) * rows["population_multiplier"]
    )
    if math.isfinite(customers):
        fixed = sc.economics.fixed_cost_per_day * (sc.horizon_days or 0.0)
        rows["customers"] = customers
        rows["revenue"] = customers * rows["revenue_per_customer"]
        rows["cost"] = customers * rows["cost_per_customer"] + fixed
        rows["profit"] = profit(sc.economics.gross_margin, rows["revenue"], rows["cost"])
    for kpi, names, values in (
        ("visits", *sc.per_original(np.real(ev["visits"]))),
        ("absorption", a.outcomes, ev["absorption"]),
        ("stage_reach", a.stages, ev["stage_reach"]),
    ):
        rows |= {node_name(kpi, x): float(v) for x, v in zip(names, np.real(values), strict=True)}
    return rows


def removal_effects(sc: Scenario, a: ScenarioArrays, ev: dict[str, Any]) -> pd.DataFrame:
    """Markov removal effect of every touchpoint on conversions per arriving customer.

    In a journey with memory a touchpoint is removed with all its states (the
    scenario's :meth:`~cjsim.model.Scenario.originals`).
    Removing a touchpoint sends its inflow (and its share of the entry mix and of
    referral entries) to a sink outside the journey.  The effect is the relative
    drop in expected converting customers per arrival (referred ones included);
    ``attribution_share`` normalises the effects to sum to 1.
    """
    conversions = float(np.real(ev["conversion"] * ev["multiplier"]))
    index = {name: i for i, name in enumerate(a.touchpoints)}
    masks = []
    for states in sc.originals().values():
        mask = np.zeros(a.n, dtype=bool)
        mask[[index[s] for s in states]] = True
        masks.append(mask)
    without = conversions_without(a, ev, masks)
    with np.errstate(divide="ignore", invalid="ignore"):
        effect = 1 - without / conversions if conversions > 0 else np.full(len(masks), math.nan)
    table = pd.DataFrame(
        {
            "touchpoint": list(sc.originals()),
            "conversions_without": without,
            "removal_effect": effect,
        }
    )
    total = table["removal_effect"].sum()
    table["attribution_share"] = table["removal_effect"] / total if total > 0 else math.nan
    return table


def elasticities(sc: Scenario, a: ScenarioArrays, ev: dict[str, Any]) -> pd.DataFrame:
    """Derivative and elasticity of each KPI in :data:`ELASTICITY_KPIS` for every edge.

    An edge ``p`` moves with the rest of its row rescaled proportionally (the
    format's rule).  Derivatives are exact: adjoint sensitivities from the
    factorisations ``ev`` already holds (:mod:`cjsim.engines._sensitivity`).  Edges
    with ``p = 1`` have no other edge to rescale and are reported as NaN.
    """
    coefficients = sum_coefficients(_scalar_kpis, ev, ELASTICITY_KPIS)
    derivs = edge_derivatives(a, ev, coefficients, ev["margin"])
    rows, cols, p = edges(a.base)
    levels = np.array([float(np.real(_scalar_kpis(ev)[k])) for k in ELASTICITY_KPIS])
    with np.errstate(divide="ignore", invalid="ignore"):
        elastic = np.where(levels != 0, derivs * p[:, None] / levels, math.nan)
    nodes = np.array([*a.touchpoints, *a.outcomes], dtype=object)
    width = len(ELASTICITY_KPIS)
    return pd.DataFrame(
        {
            "from": np.repeat(nodes[rows], width),
            "to": np.repeat(nodes[cols], width),
            "probability": np.repeat(p, width),
            "kpi": np.tile(np.array(ELASTICITY_KPIS, dtype=object), len(rows)),
            "derivative": derivs.ravel(),
            "elasticity": elastic.ravel(),
        }
    )


def _notes(sc: Scenario, ev: dict[str, Any]) -> list[str]:
    notes = [
        "infinite horizon: every customer's whole journey is counted; horizon_days only "
        "sets the number of arriving customers"
    ]
    queues = [n for n, tp in sc.touchpoints.items() if tp.capacity is not None]
    if queues:
        notes.append(
            "queues ignored at " + ", ".join(queues) + ": time there is dwell plus "
            "mean service, with no waiting and no reneging (use engine='des')"
        )
    if any(tp.experience for tp in sc.touchpoints.values()):
        notes.append("experience effects are out of the analytic engine's reach (DES only)")
    calendar = [n for n, tp in sc.touchpoints.items() if tp.dwell_rate is not None]
    if calendar:
        notes.append(
            "calendar dwell rates ignored at " + ", ".join(calendar) + ": dwell at its base "
            "pace all year (use engine='des' or 'vectorized' for the calendar)"
        )
    if float(np.real(ev["multiplier"])) > 1:
        notes.append(
            "per-customer KPIs cover arriving and referred customers alike; "
            "removal effects count converting customers per arrival"
        )
    if sc.population.initial or sc.population.warm_start is not None:
        notes.append(
            "the warm start (population.initial, population.warm_start) is ignored: the "
            "analytic engine describes customers from their arrival"
        )
    if sc.economics.fixed_cost_per_day:
        notes.append(
            "fixed_cost_per_day enters the total cost and profit only, not the per-customer figures"
        )
    return notes


def refuse_satisfaction(scenario: Scenario) -> None:
    """Raise :class:`~cjsim.errors.SimulationError` for a scenario with a satisfaction
    model: a customer's next step then depends on the satisfaction it has gathered (its
    history), not on its touchpoint alone, so one absorbing state per touchpoint has no
    exact answer. The engine refuses rather than answer the chain without feelings."""
    if scenario.satisfaction is not None:
        raise SimulationError(
            f"scenario {scenario.name!r} has a satisfaction model: each customer's "
            "choices depend on the satisfaction it has gathered, which the analytic "
            "engine's absorbing chain (one state per touchpoint) cannot express — use "
            "engine='des' or engine='vectorized' (on the command line --engine des), "
            "which carry satisfaction per customer; scenario.without_satisfaction() is "
            "the same journey with every choice at its untilted probability"
        )


def solve(scenario: Scenario, *, removal: bool = True, elasticity: bool = True) -> Result:
    """Exact expectations of ``scenario`` for an infinite horizon.

    Parameters
    ----------
    scenario : Scenario
    removal : bool
        Compute the removal effect of every touchpoint (low-rank updates of the chain
        already factorised).
    elasticity : bool
        Compute derivatives of the main KPIs for every edge (adjoint sensitivities: a
        few solves for all edges together).

    Raises
    ------
    ModelError
        If the chain cannot absorb, or referrals grow without end (R >= 1).
    SimulationError
        If the scenario has a satisfaction model (:func:`refuse_satisfaction`).
    """
    refuse_satisfaction(scenario)
    with one_blas_thread():
        a = to_arrays(scenario)
        ev = _run(scenario, a, a.base)
        kpis = _kpi_rows(scenario, a, ev)
        tables = {}
        if removal:
            tables["removal_effects"] = removal_effects(scenario, a, ev)
        if elasticity:
            tables["elasticities"] = elasticities(scenario, a, ev)
    values = np.fromiter(kpis.values(), dtype=float, count=len(kpis))
    columns = (list(kpis), values, values, values, np.zeros(len(kpis)))
    frame = pd.DataFrame(dict(zip(KPI_COLUMNS, columns, strict=True)))
    return Result(
        scenario.name,
        "analytic",
        frame,
        tables,
        tuple(_notes(scenario, ev)),
        {"currency": scenario.currency, "exact": True},
    )


def _daily_arrivals(sc: Scenario, horizon: float) -> np.ndarray:
    """Expected arrivals on each day of ``horizon`` days (the last one may be partial): a
    cohort on day 0, Poisson by its piecewise rate."""
    days = math.ceil(horizon)
    arr = sc.population.arrivals
    if isinstance(arr, CohortArrivals):
        counts = np.zeros(days)
        counts[0] = float(arr.size)
        return counts
    ends = (min(float(d), horizon) for d in range(1, days + 1))
    return np.diff([0.0, *(arr.expected_count(end) for end in ends)])


def expected_replication(scenario: Scenario, horizon: float) -> ReplicationOutput:
    """The exact expectation of a replication of ``horizon`` days, in the simulation
    engines' form: per day, the expected arrivals (referred customers included) and their
    whole journeys' purchases, revenue, cost and visits, booked on their arrival day.

    ``booked_value`` holds each day's arrivals times their discounted lifetime value, less
    the day's fixed cost.
    """
    sc = scenario.replace(horizon_days=horizon)
    result = solve(sc, removal=False, elasticity=False)
    k = {str(n): float(v) for n, v in zip(result.kpis["kpi"], result.kpis["mean"], strict=True)}
    days = math.ceil(horizon)
    start = np.arange(days, dtype=float)
    width = np.minimum(start + 1.0, horizon) - start  # the last day may be partial
    arrivals = _daily_arrivals(sc, horizon) * k["population_multiplier"]
    fixed = sc.economics.fixed_cost_per_day * width
    series = pd.DataFrame(
        {
            "day": start,
            "days": width,
            "arrivals": arrivals,
            "purchases": arrivals * k["purchases_per_customer"],
            "revenue": arrivals * k["revenue_per_customer"],
            "cost": arrivals * k["cost_per_customer"] + fixed,
        }
    )
    visits = np.array([k[node_name("visits", t)] for t in sc.touchpoints])[:, None] * arrivals
    return ReplicationOutput(0, k, series, None, visits, arrivals * k["clv"] - fixed)


class AnalyticEngine(Engine):
    """The exact engine: absorbing-chain algebra for an infinite horizon.

    Blind to queues, experience effects, the warm start and calendar dwell rates (it
    notes them: dwell at its base pace); a horizon only sets how many customers arrive.
    """

    name = "analytic"
    exact = True
    models = Engine.models - {
        "capacity",
        "experience",
        "warm_start",
        "dwell_rate",
        "satisfaction",
    }

    def check(
        self, scenario: Scenario, *, ignore_capacity: bool = False, horizon: float | None = None
    ) -> None:
        """Refuse a scenario with a satisfaction model (see :func:`refuse_satisfaction`)."""
        refuse_satisfaction(scenario)

    def solve(self, scenario: Scenario, *, tables: bool = True) -> Result:
        return solve(scenario, removal=tables, elasticity=tables)

    def comparison_notes(self) -> list[str]:
        return [
            "analytic: exact expected deltas for customers arriving within the "
            "horizon, each counted over their whole journey; NPV and payback book each "
            "customer's lifetime value on their arrival day, so the analytic payback is "
            "early (a cohort pays back on day 0 or never) — use the DES for payback"
        ]

    def run(
        self,
        scenario: Scenario,
        *,
        seed: int,
        replications: Sequence[int],
        horizon: float,
        events: bool = False,
        ignore_capacity: bool = False,
    ) -> list[ReplicationOutput]:
        """One exact expected replication, whatever ``replications`` asks (no noise)."""
        return [expected_replication(scenario, horizon)]
