"""``compare``: the baseline and each intervention with common random numbers.

Every variant runs with the same seed, so replication ``r`` of every variant sees
the same customers with the same draws; paired deltas then carry far less noise
than independent runs.  Economics per variant: intervention cost, profit net of
it, NPV of daily cash flows, ROI, payback day, break-even uplift, and the chance
of beating the baseline and of being the best variant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cjsim._io import atomic_write_text
from cjsim.economics import break_even_uplift, discount_factors, payback_day
from cjsim.engines.analytic import solve
from cjsim.engines.result import _clean
from cjsim.errors import SimulationError
from cjsim.experiment.runner import ReplicationOutput
from cjsim.experiment.simulate import ENGINES, interval_table, run_replications
from cjsim.interventions.intervention import Costs, Intervention, apply
from cjsim.interventions.operations import FEATURES, unseen
from cjsim.model import CohortArrivals, Scenario

__all__ = ["ANALYTIC_BLIND", "Comparison", "compare"]

# operation -> what the analytic engine cannot see: it models every feature but capacity
ANALYTIC_BLIND = {op.name: FEATURES[op.feature] for op in unseen(set(FEATURES) - {"capacity"})}


@dataclass(frozen=True)
class Comparison:
    """What ``compare`` returns.

    Attributes
    ----------
    table : DataFrame
        ``variant, kpi, mean, delta, delta_ci_low, delta_ci_high, delta_std_err, p_increase``.
    ranking : DataFrame
        One row per variant, best incremental profit first: profit, cost, ROI, NPV,
        payback, break-even uplift, P(beats baseline), P(best), each with its interval.
    deltas : DataFrame
        Per replication and variant, the paired deltas of every KPI.
    uncertainty : DataFrame or None
        With parameter draws: how much of each delta's spread is parameter uncertainty.
    """

    scenario: str
    engine: str
    table: pd.DataFrame
    ranking: pd.DataFrame
    deltas: pd.DataFrame
    notes: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    uncertainty: pd.DataFrame | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "scenario": self.scenario,
            "engine": self.engine,
            "ranking": self.ranking.to_dict(orient="records"),
            "table": self.table.to_dict(orient="records"),
            "notes": list(self.notes),
            "meta": self.meta,
        }
        if self.uncertainty is not None:
            out["uncertainty"] = self.uncertainty.to_dict(orient="records")
        return _clean(out)

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def plot_deltas(
        self, kpis: list[str] | None = None, ax: Any = None, relative: bool | None = None
    ) -> Any:
        """Forest plot of KPI changes with 95 % intervals (:func:`cjsim.plotting.deltas`)."""
        from cjsim.plotting import deltas

        return deltas(self, kpis, ax=ax, relative=relative)

    def plot_ranking(self, metric: str = "incremental_profit", ax: Any = None) -> Any:
        """The investment ranking with intervals (:func:`cjsim.plotting.ranking`)."""
        from cjsim.plotting import ranking

        return ranking(self, metric, ax=ax)

    def plot_funnel(self, ax: Any = None) -> Any:
        """Stage funnel, baseline and variants (:func:`cjsim.plotting.funnel`)."""
        from cjsim.plotting import funnel

        return funnel(self, ax=ax)

    def save(self, directory: str) -> list[str]:
        """Write ranking.csv, comparison.csv, deltas.csv and comparison.json atomically."""
        from pathlib import Path

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        files = {
            "ranking.csv": self.ranking.to_csv(index=False),
            "comparison.csv": self.table.to_csv(index=False),
            "deltas.csv": self.deltas.to_csv(index=False),
            "comparison.json": self.to_json(),
        }
        if self.uncertainty is not None:
            files["uncertainty.csv"] = self.uncertainty.to_csv(index=False)
        for name, text in files.items():
            atomic_write_text(out / name, text)
        return [str(out / name) for name in files]


# ----------------------------------------------------------------------------- economics
def _cost_series(costs: Costs, sc: Scenario, out: ReplicationOutput) -> np.ndarray:
    """Intervention cost per time bin (a day) of one replication; the fixed cost on day 0."""
    ts = out.timeseries
    daily = (
        costs.per_day * ts["days"].to_numpy()
        + costs.per_customer * ts["arrivals"].to_numpy()
        + costs.per_purchase * ts["purchases"].to_numpy()
    )
    names = list(sc.touchpoints)
    for node, cost in costs.per_visit.items():
        daily = daily + cost * out.visits_by_day[names.index(node)]
    daily = np.asarray(daily, dtype=float).copy()
    daily[0] += costs.fixed
    return daily


def _replication_economics(
    costs: Costs,
    sc: Scenario,
    out: ReplicationOutput,
) -> tuple[dict[str, float], np.ndarray]:
    ts = out.timeseries
    spend = _cost_series(costs, sc, out)
    cash = sc.economics.gross_margin * ts["revenue"].to_numpy() - ts["cost"].to_numpy() - spend
    kpis = dict(out.kpis)
    kpis["intervention_cost"] = float(spend.sum())
    kpis["net_profit"] = kpis["profit"] - kpis["intervention_cost"]
    days = ts["day"].to_numpy(dtype=float)
    kpis["npv"] = float(cash @ np.power(1.0 + sc.economics.discount_rate, -days / 365.0))
    return kpis, cash


# ----------------------------------------------------------------------------- the run
def _variants(sc: Scenario, interventions: list[Intervention]) -> list[Scenario]:
    return [apply(sc, iv) for iv in interventions]


def _simulated(
    draws: list[Scenario],
    interventions: list[Intervention],
    engine: str,
    replications: int,
    seed: int,
    run: dict[str, Any],
) -> list[tuple[list[list[dict[str, float]]], list[list[np.ndarray]]]]:
    """Per draw: KPIs and daily cash, [variant][replication], baseline first."""
    out = []
    for d, sc in enumerate(draws):
        scenarios = [sc, *_variants(sc, interventions)]
        outputs = run_replications(
            scenarios, engine, replications, seed, first=d * replications, **run
        )
        costs = [Costs(), *(iv.costs for iv in interventions)]
        kpis, cash = [], []
        for scen, cost, outs in zip(scenarios, costs, outputs, strict=True):
            pairs = [_replication_economics(cost, scen, o) for o in outs]
            kpis.append([p[0] for p in pairs])
            cash.append([p[1] for p in pairs])
        out.append((kpis, cash))
    return out


def _analytic_daily_arrivals(sc: Scenario, days: int) -> np.ndarray:
    """Expected arrivals on each day: a cohort on day 0, Poisson by its piecewise rate."""
    arr = sc.population.arrivals
    if isinstance(arr, CohortArrivals):
        counts = np.zeros(days)
        counts[0] = float(arr.size)
        return counts
    return np.diff([0.0, *(arr.expected_count(float(d)) for d in range(1, days + 1))])


def _analytic(
    sc: Scenario, interventions: list[Intervention], horizon: float
) -> tuple[list[list[dict[str, float]]], list[list[np.ndarray]]]:
    days = math.ceil(horizon)
    width = np.minimum(np.arange(days) + 1.0, horizon) - np.arange(days)  # last day partial
    kpis, cash = [], []
    for scen, iv in [(sc, None), *zip(_variants(sc, interventions), interventions, strict=True)]:
        res = solve(scen.replace(horizon_days=horizon), removal=False, elasticity=False)
        k = {str(n): float(v) for n, v in zip(res.kpis["kpi"], res.kpis["mean"], strict=True)}
        costs = iv.costs if iv else Costs()
        visits = sum(c * k[f"visits[{t}]"] for t, c in costs.per_visit.items())
        variable = costs.per_customer + costs.per_purchase * k["purchases_per_customer"] + visits
        arrivals = _analytic_daily_arrivals(scen, days) * k["population_multiplier"]
        spend = costs.per_day * width + variable * arrivals
        spend[0] += costs.fixed
        k["intervention_cost"] = float(spend.sum())
        k["net_profit"] = k["profit"] - k["intervention_cost"]
        fixed = scen.economics.fixed_cost_per_day * width
        daily = arrivals * k["profit_per_customer"] - fixed - spend
        lifetime = arrivals * k["clv"] - fixed - spend
        k["npv"] = float(lifetime @ discount_factors(days, scen.economics.discount_rate))
        kpis.append([k])
        cash.append([daily])
    return kpis, cash


def _blind(interventions: list[Intervention]) -> dict[str, str]:
    out = {}
    for iv in interventions:
        kinds = sorted({ANALYTIC_BLIND[c.op] for c in iv.changes if c.op in ANALYTIC_BLIND})
        if kinds:
            everything = all(c.op in ANALYTIC_BLIND for c in iv.changes)
            out[iv.name] = (
                "all of its effect" if everything else "part of its effect"
            ) + f" ({', '.join(kinds)})"
    return out


def _interval(values: np.ndarray) -> tuple[float, float, float, float]:
    """mean, ci_low, ci_high, std_err of ``values`` (one row of interval_table)."""
    row = interval_table(pd.DataFrame({"x": values})).iloc[0]
    if len(values) == 1:
        return float(row["mean"]), float(row["mean"]), float(row["mean"]), 0.0
    return float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]), float(row["std_err"])


def _deltas(
    runs: list[tuple[list[list[dict[str, float]]], list[list[np.ndarray]]]], names: list[str]
) -> pd.DataFrame:
    rows = []
    for d, (kpis, _) in enumerate(runs):
        for v, name in enumerate(names, start=1):
            for r, (base, var) in enumerate(zip(kpis[0], kpis[v], strict=True)):
                for kpi, value in var.items():
                    rows.append((d, r, name, kpi, value, value - base.get(kpi, math.nan)))
    return pd.DataFrame(rows, columns=["draw", "replication", "variant", "kpi", "value", "delta"])


def _table(deltas: pd.DataFrame, draws: int) -> pd.DataFrame:
    rows = []
    for (variant, kpi), group in deltas.groupby(["variant", "kpi"], sort=False):
        delta = group["delta"].to_numpy(dtype=float)
        if draws > 1:  # the spread between draws carries both kinds of uncertainty
            delta = group.groupby("draw")["delta"].mean().to_numpy(dtype=float)
        finite = delta[np.isfinite(delta)]
        mean, low, high, se = _interval(finite) if len(finite) else (math.nan,) * 4
        rows.append(
            (
                variant,
                kpi,
                float(group["value"].mean()),
                mean,
                low,
                high,
                se,
                float((group["delta"] > 0).mean()),
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "variant",
            "kpi",
            "mean",
            "delta",
            "delta_ci_low",
            "delta_ci_high",
            "delta_std_err",
            "p_increase",
        ],
    )


def _ranking(
    deltas: pd.DataFrame, runs: list, names: list[str], table: pd.DataFrame
) -> pd.DataFrame:
    wide = deltas[deltas["kpi"] == "net_profit"].pivot_table(
        index=["draw", "replication"], columns="variant", values="delta"
    )[names]
    # P(best): a tie shares the win; a variant without a figure (NaN) never wins
    values = np.nan_to_num(wide.to_numpy(dtype=float), nan=-np.inf)
    top = values == values.max(axis=1, keepdims=True)
    wins = top / top.sum(axis=1, keepdims=True)
    rows = []
    for v, name in enumerate(names, start=1):
        t = table[table["variant"] == name].set_index("kpi")
        costs = deltas[(deltas["variant"] == name) & (deltas["kpi"] == "intervention_cost")]
        cost = costs["value"].to_numpy(dtype=float)
        net = wide[name].to_numpy(dtype=float)
        roi = np.where(cost > 0, net / np.where(cost > 0, cost, 1.0), np.nan)
        cash = np.mean(
            [np.mean([c - b for c, b in zip(k[v], k[0], strict=True)], axis=0) for _, k in runs],
            axis=0,
        )
        paybacks = np.array(
            [payback_day(c - b) for _, k in runs for c, b in zip(k[v], k[0], strict=True)]
        )
        paybacks = np.where(np.isnan(paybacks), np.inf, paybacks)  # never = later than any
        r_mean, r_low, r_high, _ = _interval(roi) if np.isfinite(roi).all() else (math.nan,) * 4
        rows.append(
            {
                "variant": name,
                "incremental_profit": t.loc["net_profit", "delta"],
                "incremental_profit_ci_low": t.loc["net_profit", "delta_ci_low"],
                "incremental_profit_ci_high": t.loc["net_profit", "delta_ci_high"],
                "intervention_cost": float(cost.mean()),
                "roi": r_mean,
                "roi_ci_low": r_low,
                "roi_ci_high": r_high,
                "npv": t.loc["npv", "delta"],
                "npv_ci_low": t.loc["npv", "delta_ci_low"],
                "npv_ci_high": t.loc["npv", "delta_ci_high"],
                "payback_day": payback_day(cash),
                "payback_day_p2.5": _finite(np.percentile(paybacks, 2.5, method="lower")),
                "payback_day_p97.5": _finite(np.percentile(paybacks, 97.5, method="higher")),
                "break_even_uplift": break_even_uplift(
                    float(t["delta"]["net_profit"]), float(cost.mean())
                ),
                "p_beats_baseline": float((net > 0).mean()),
                "p_best": float(wins[:, v - 1].mean()),
                "delta_conversion": t.loc["conversion_rate", "delta"],
                "delta_conversion_ci_low": t.loc["conversion_rate", "delta_ci_low"],
                "delta_conversion_ci_high": t.loc["conversion_rate", "delta_ci_high"],
            }
        )
    ranking = pd.DataFrame(rows)
    return ranking.sort_values("incremental_profit", ascending=False, ignore_index=True)


def _finite(value: float) -> float:
    """``value``, or NaN where it is infinite ("never")."""
    return float(value) if np.isfinite(value) else math.nan


def _uncertainty(deltas: pd.DataFrame) -> pd.DataFrame:
    """Split each delta's variance into parameter uncertainty and simulation noise."""
    rows = []
    for (variant, kpi), group in deltas.groupby(["variant", "kpi"], sort=False):
        by_draw = group.groupby("draw")["delta"]
        means = by_draw.mean()
        within = float((by_draw.var(ddof=1) / by_draw.count()).fillna(0.0).mean())
        total = float(means.var(ddof=1))
        parameter = max(total - float(within), 0.0)
        rows.append(
            (
                variant,
                kpi,
                float(means.mean()),
                math.sqrt(parameter),
                math.sqrt(float(within)),
                parameter / total if total > 0 else math.nan,
            )
        )
    return pd.DataFrame(
        rows,
        columns=["variant", "kpi", "delta", "sd_parameter", "sd_simulation", "parameter_share"],
    )


def compare(
    scenario: Scenario,
    interventions: list[Intervention] | tuple[Intervention, ...],
    engine: str = "des",
    replications: int = 10,
    seed: int | None = None,
    workers: int = 1,
    executor: str | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    horizon_days: float | None = None,
    scenario_draws: list[Scenario] | None = None,
    ignore_capacity: bool = False,
) -> Comparison:
    """Compare the baseline with each intervention, paired by common random numbers.

    Parameters
    ----------
    scenario : Scenario
        The baseline.
    interventions : sequence of Intervention
        The variants (combined ones included), e.g. from ``load_interventions``.
    engine : {"des", "vectorized", "analytic"}
        ``analytic`` gives exact deltas instantly and names the effects it cannot see.
    replications, seed, workers, executor, scheduler, progress, horizon_days :
        As in :func:`cjsim.simulate`.
    scenario_draws : list of Scenario, optional
        Several draws of the scenario (e.g. posterior draws from calibration) used
        *instead of* ``scenario``'s single set of parameters; ``uncertainty`` then splits
        each delta's spread into parameter uncertainty and simulation noise.
    """
    interventions = list(interventions)
    if not interventions:
        raise SimulationError("nothing to compare: give at least one intervention")
    if engine not in ENGINES:
        raise SimulationError(f"unknown engine {engine!r} — use one of {', '.join(ENGINES)}")
    names = [iv.name for iv in interventions]
    horizon = float(horizon_days or scenario.horizon_days or 365.0)
    draws = list(scenario_draws) if scenario_draws else [scenario]
    if seed is None:
        seed = int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if engine == "analytic":
        runs = [_analytic(sc, interventions, horizon) for sc in draws]
    else:
        executor = executor or ("dask" if scheduler else "process" if workers > 1 else "serial")
        run = {
            "workers": workers,
            "executor": executor,
            "scheduler": scheduler,
            "progress": progress,
            "horizon": horizon,
            "ignore_capacity": ignore_capacity,
        }
        runs = _simulated(draws, interventions, engine, replications, seed, run)
    deltas = _deltas(runs, names)
    table = _table(deltas, len(draws))
    ranking = _ranking(deltas, runs, names, table)
    notes = _compare_notes(engine, interventions, ranking, table)
    meta = {
        "seed": seed,
        "replications": replications if engine != "analytic" else 1,
        "draws": len(draws),
        "horizon_days": horizon,
        "currency": scenario.currency,
    }
    return Comparison(
        scenario.name,
        engine,
        table,
        ranking,
        deltas,
        tuple(notes),
        meta,
        _uncertainty(deltas) if len(draws) > 1 else None,
    )


def _compare_notes(
    engine: str, interventions: list[Intervention], ranking: pd.DataFrame, table: pd.DataFrame
) -> list[str]:
    notes = [
        "incremental profit is net of the intervention's costs; NPV discounts daily "
        "cash at the scenario's rate; payback is the first day from which the "
        "cumulative incremental cash stays >= 0"
    ]
    if engine == "analytic":
        notes.append(
            "analytic: exact expected deltas for customers arriving within the "
            "horizon, each counted over their whole journey; NPV and payback book each "
            "customer's lifetime value on their arrival day, so the analytic payback is "
            "early (a cohort pays back on day 0 or never) — use the DES for payback"
        )
        for name, what in _blind(interventions).items():
            notes.append(
                f"{name}: the analytic engine cannot see {what} — queues and "
                "experience effects need engine='des'; its figures here are NaN "
                "where they would wrongly read as no effect"
            )
            blind_all = what.startswith("all")
            if blind_all:
                cols = [c for c in ranking.columns if c != "variant"]
                ranking.loc[ranking["variant"] == name, cols] = math.nan
                table.loc[table["variant"] == name, ["delta", "delta_ci_low", "delta_ci_high"]] = (
                    math.nan
                )
    else:
        notes.append(
            "variants share the baseline's random numbers (common random numbers): "
            "intervals are for paired differences"
        )
    if engine == "vectorized":
        notes.append(
            "the vectorized engine draws per step for the whole population, so a variant "
            "that reroutes some customers shifts the others' draws: its common random "
            "numbers are partial and its paired intervals wider than the DES's"
        )
    return notes
