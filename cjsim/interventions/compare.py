"""``compare``: the baseline and each intervention with common random numbers.

Every variant runs with the same seed, so replication ``r`` of every variant sees
the same customers with the same draws; paired deltas then carry far less noise
than independent runs.  This module orchestrates: it builds the variants, runs them
(simulated, or solved by the analytic engine as one *expected replication*), hands each
run's day series to :mod:`cjsim.economics` (intervention cost, net profit, NPV, the
ranking with ROI, payback, break-even, P(beats baseline) and P(best)) and assembles the
:class:`Comparison`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cjsim._io import atomic_write_text, to_jsonable
from cjsim.economics import (
    Costs,
    DaySeries,
    Outcome,
    delta_table,
    paired_deltas,
    rank_variants,
    replication_economics,
    variance_split,
)
from cjsim.engines.analytic import solve
from cjsim.engines.result import Result
from cjsim.errors import SimulationError
from cjsim.experiment.runner import ReplicationOutput
from cjsim.experiment.simulate import ENGINES, run_replications
from cjsim.intervals import interval_table, series_table
from cjsim.interventions.model import Intervention, apply
from cjsim.kpis import node_name
from cjsim.model import CohortArrivals, Scenario

__all__ = ["ANALYTIC_BLIND", "Comparison", "compare"]

ANALYTIC_BLIND = {"set_capacity": "queues", "scale_service": "queues", "set_service": "queues"}
BANDED = ("cumulative_revenue", "cumulative_profit")  # baseline series with 2.5–97.5 % bands


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
    baseline : Result
        The baseline's own result from the same runs (its KPIs with intervals and, from a
        simulation engine, its time series), so nothing needs simulating twice.
    uncertainty : DataFrame or None
        With parameter draws: how much of each delta's spread is parameter uncertainty.
    """

    scenario: str
    engine: str
    table: pd.DataFrame
    ranking: pd.DataFrame
    deltas: pd.DataFrame
    baseline: Result
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
        return to_jsonable(out)

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


# ----------------------------------------------------------------------------- the runs
def _variants(sc: Scenario, interventions: list[Intervention]) -> list[Scenario]:
    return [apply(sc, iv) for iv in interventions]


def _costs(interventions: list[Intervention]) -> list[Costs]:
    """What each run pays on top of the journey: nothing for the baseline."""
    return [Costs(), *(iv.costs for iv in interventions)]


def _economics(
    sc: Scenario, costs: Costs, series: DaySeries, kpis: dict[str, float]
) -> tuple[dict[str, float], np.ndarray]:
    e = sc.economics
    return replication_economics(
        kpis, series, costs, margin=e.gross_margin, annual_rate=e.discount_rate
    )


def _observed(sc: Scenario, out: ReplicationOutput) -> DaySeries:
    """A simulated replication's day series."""
    ts = out.timeseries
    columns = ("day", "days", "arrivals", "purchases", "revenue", "cost")
    day, days, arrivals, purchases, revenue, cost = (ts[c].to_numpy(dtype=float) for c in columns)
    visits = dict(zip(sc.touchpoints, out.visits_by_day, strict=True))
    return DaySeries(day, days, arrivals, purchases, revenue, cost, visits)


def _simulated(
    draws: list[Scenario],
    interventions: list[Intervention],
    engine: str,
    replications: int,
    seed: int,
    run: dict[str, Any],
) -> tuple[list[Outcome], list[ReplicationOutput]]:
    """Per draw, every variant's economics per replication; and the baseline's outputs."""
    outcomes, baseline = [], []
    for d, sc in enumerate(draws):
        scenarios = [sc, *_variants(sc, interventions)]
        outputs = run_replications(
            scenarios,
            engine,
            replications,
            seed,
            workers=run["workers"],
            executor=run["executor"],
            scheduler=run["scheduler"],
            progress=run["progress"],
            horizon=run["horizon"],
            ignore_capacity=run["ignore_capacity"],
            first=d * replications,
        )
        kpis, cash = [], []
        for scen, costs, outs in zip(scenarios, _costs(interventions), outputs, strict=True):
            pairs = [_economics(scen, costs, _observed(scen, o), o.kpis) for o in outs]
            kpis.append([p[0] for p in pairs])
            cash.append([p[1] for p in pairs])
        day = outputs[0][0].timeseries["day"].to_numpy(dtype=float)
        outcomes.append(Outcome(kpis, cash, day))
        baseline.extend(outputs[0])
    return outcomes, baseline


def _simulated_baseline(
    sc: Scenario, engine: str, outputs: list[ReplicationOutput], meta: dict[str, Any]
) -> Result:
    """The baseline's Result from its replications, as :func:`cjsim.simulate` builds it."""
    per_rep = pd.DataFrame(
        [o.kpis for o in outputs], index=pd.RangeIndex(len(outputs), name="replication")
    )
    series = series_table([o.timeseries for o in outputs], bands=BANDED)
    tables = {"replications": per_rep.reset_index(), "timeseries": series}
    return Result(sc.name, engine, interval_table(per_rep), tables, (), meta)


def _analytic_daily_arrivals(sc: Scenario, days: int) -> np.ndarray:
    """Expected arrivals on each day: a cohort on day 0, Poisson by its piecewise rate."""
    arr = sc.population.arrivals
    if isinstance(arr, CohortArrivals):
        counts = np.zeros(days)
        counts[0] = float(arr.size)
        return counts
    return np.diff([0.0, *(arr.expected_count(float(d)) for d in range(1, days + 1))])


def _expected(sc: Scenario, k: dict[str, float], horizon: float) -> DaySeries:
    """The analytic engine's expected replication: the expected customers of each day
    (referred ones included) times its per-customer figures, each customer's whole
    journey booked on its arrival day, and its lifetime value for the NPV."""
    start = np.arange(math.ceil(horizon), dtype=float)
    width = np.minimum(start + 1.0, horizon) - start  # the last day may be partial
    arrivals = _analytic_daily_arrivals(sc, len(start)) * k["population_multiplier"]
    fixed = sc.economics.fixed_cost_per_day * width
    visits = {t: arrivals * k[node_name("visits", t)] for t in sc.touchpoints}
    return DaySeries(
        start,
        width,
        arrivals,
        arrivals * k["purchases_per_customer"],
        arrivals * k["revenue_per_customer"],
        arrivals * k["cost_per_customer"] + fixed,
        visits,
        lifetime=arrivals * k["clv"] - fixed,
    )


def _analytic(
    sc: Scenario, interventions: list[Intervention], horizon: float
) -> tuple[Outcome, Result]:
    """Every variant's economics as one expected replication; and the baseline's Result."""
    kpis, cash, results = [], [], []
    for scen, costs in zip([sc, *_variants(sc, interventions)], _costs(interventions), strict=True):
        res = solve(scen.replace(horizon_days=horizon), removal=False, elasticity=False)
        k = {str(n): float(v) for n, v in zip(res.kpis["kpi"], res.kpis["mean"], strict=True)}
        series = _expected(scen, k, horizon)
        figures, flow = _economics(scen, costs, series, k)
        kpis.append([figures])
        cash.append([flow])
        results.append(res)
    return Outcome(kpis, cash, series.day), results[0]


def _analytic_baseline(results: list[Result], meta: dict[str, Any]) -> Result:
    """The baseline's exact Result; over several draws, their means with intervals."""
    if len(results) == 1:
        return results[0]
    per_draw = pd.DataFrame(
        [dict(zip(r.kpis["kpi"], r.kpis["mean"], strict=True)) for r in results],
        index=pd.RangeIndex(len(results), name="draw"),
    )
    first = results[0]
    tables = {"draws": per_draw.reset_index()}
    return Result(first.scenario, first.engine, interval_table(per_draw), tables, (), meta)


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
    meta = {
        "seed": seed,
        "replications": replications if engine != "analytic" else 1,
        "draws": len(draws),
        "horizon_days": horizon,
        "currency": scenario.currency,
    }
    if engine == "analytic":
        solved = [_analytic(sc, interventions, horizon) for sc in draws]
        outcomes = [outcome for outcome, _ in solved]
        baseline = _analytic_baseline([res for _, res in solved], meta)
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
        outcomes, outputs = _simulated(draws, interventions, engine, replications, seed, run)
        baseline = _simulated_baseline(scenario, engine, outputs, meta)
    deltas = paired_deltas(outcomes, names)
    table = delta_table(deltas, len(draws))
    ranking = rank_variants(deltas, outcomes, names, table)
    notes = _compare_notes(engine, interventions, ranking, table)
    return Comparison(
        scenario.name,
        engine,
        table,
        ranking,
        deltas,
        baseline,
        tuple(notes),
        meta,
        variance_split(deltas) if len(draws) > 1 else None,
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
