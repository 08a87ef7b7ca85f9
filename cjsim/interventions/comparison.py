"""What :func:`~cjsim.interventions.compare.compare` returns: :class:`Comparison`."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import cjsim.formatting as fmt
from cjsim._io import to_jsonable, write_output_set
from cjsim.economics import Recommendation, recommend
from cjsim.engines.result import Result

if TYPE_CHECKING:
    from cjsim.economics import Outcome
    from cjsim.experiment import RunOptions, Selection
    from cjsim.interventions.intervention import Intervention
    from cjsim.model import Scenario

__all__ = ["Comparison", "Runs"]


@dataclass(frozen=True, eq=False)
class Runs:
    """What a comparison simulated, kept in memory (never saved) so that a budget
    portfolio reuses the variants instead of simulating them again: the parameter draws,
    the variants, the resolved run options (their seed included) and every run's
    economics (:class:`~cjsim.economics.Outcome`, one per draw)."""

    draws: tuple[Scenario, ...]
    interventions: tuple[Intervention, ...]
    options: RunOptions
    outcomes: tuple[Outcome, ...]


def _gain(row: Mapping[Any, Any]) -> str:
    """A ranking row's incremental profit with its interval, for people."""
    return fmt.with_interval(
        fmt.money,
        row["incremental_profit"],
        row["incremental_profit_ci_low"],
        row["incremental_profit_ci_high"],
        signed=True,
    )


@dataclass(frozen=True)
class Comparison:
    """What ``compare`` returns.

    Attributes
    ----------
    table : DataFrame
        ``variant, kpi, mean, delta, delta_ci_low, delta_ci_high, delta_std_err, p_increase``,
        variants in the ranking's order.  ``profit`` and ``profit_per_customer`` are net of
        the intervention's cost, so the change of ``profit`` *is* the ranking's incremental
        profit; ``gross_profit``, ``gross_profit_per_customer`` and ``gross_clv`` are the
        figures before that cost.
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
    portfolio : DataFrame or None
        With a budget (:meth:`with_portfolio`): the combinations of investments ranked,
        those within ``meta["budget"]`` first (:func:`cjsim.interventions.portfolio`).
    selection : Selection or None
        With ranking and selection (:func:`cjsim.interventions.selection.with_selection`):
        the variant that is best with the asked probability, and the replications spent.
    runs : Runs or None
        What was simulated, for a portfolio or a selection to reuse; not saved.
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
    portfolio: pd.DataFrame | None = None
    selection: Selection | None = None
    runs: Runs | None = field(default=None, repr=False, compare=False)

    @property
    def exact(self) -> bool:
        """True when an exact engine answered (no replications, no noise)."""
        return bool(self.meta.get("exact", False))

    @property
    def budget(self) -> float | None:
        """The budget of the portfolio, if one was found."""
        budget = self.meta.get("budget")
        return None if budget is None else float(budget)

    def with_portfolio(self, table: pd.DataFrame, budget: float) -> Comparison:
        """This comparison with its budget ``portfolio`` (``meta["budget"]`` set)."""
        return dataclasses.replace(self, portfolio=table, meta={**self.meta, "budget": budget})

    def with_selection(self, selection: Selection) -> Comparison:
        """This comparison with its ranking-and-selection result."""
        return dataclasses.replace(self, selection=selection)

    def recommendation(self) -> Recommendation:
        """What to do (:func:`cjsim.economics.recommend`): the best investment, or with a
        budget the best portfolio within it, if it is expected to pay; else nothing."""
        return recommend(self.ranking, portfolio=self.portfolio, budget=self.budget)

    def to_dict(self) -> dict[str, Any]:
        out = {
            "scenario": self.scenario,
            "engine": self.engine,
            "recommendation": self.recommendation().to_dict(),
            "ranking": self.ranking.to_dict(orient="records"),
            "table": self.table.to_dict(orient="records"),
            "notes": list(self.notes),
            "meta": self.meta,
        }
        if self.uncertainty is not None:
            out["uncertainty"] = self.uncertainty.to_dict(orient="records")
        if self.portfolio is not None:
            out["portfolio"] = self.portfolio.to_dict(orient="records")
            out["portfolio_notes"] = list(self.portfolio.attrs.get("notes", []))
        if self.selection is not None:
            out["selection"] = dataclasses.asdict(self.selection)
        return to_jsonable(out)

    def to_json(self) -> str:
        """The comparison as JSON text (NaN written as null)."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def summary(self) -> str:
        """Plain text: the recommendation, the ranking by incremental profit (net of each
        investment's cost) with intervals, then the notes."""
        head = (
            f"{self.scenario} — {len(self.ranking)} interventions, {self.engine} engine, "
            f"{fmt.runs(self.meta)}, seed {self.meta.get('seed')}"
        )
        currency = str(self.meta.get("currency", ""))
        advice = self.recommendation().sentences(currency, self.meta.get("horizon_days"))
        rows = [
            f"  {r['variant']}: {_gain(r)}, ROI {fmt.percent(r['roi'])}, "
            f"P(beats baseline) {fmt.probability(r['p_beats_baseline'])}"
            for r in self.ranking.to_dict(orient="records")
        ]
        lines = [
            head,
            *advice,
            f"incremental profit in {currency}, net of cost [95 % interval]:",
            *rows,
        ]
        return "\n".join([*lines, *(f"note: {n}" for n in self.notes)])

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
        """Stage funnel: each variant's change in the share reaching each stage, in
        percentage points with paired 95 % intervals (:func:`cjsim.plotting.funnel`)."""
        from cjsim.plotting import funnel

        return funnel(self, ax=ax)

    def save(self, directory: str | Path) -> list[Path]:
        """Write ranking.csv, comparison.csv, deltas.csv and comparison.json (and
        uncertainty.csv with parameter draws, portfolio.csv with a budget, selection.csv
        with a selection) as one set
        (:func:`cjsim._io.write_output_set`: all or nothing); returns the paths written."""
        files = {
            "ranking.csv": self.ranking.to_csv(index=False),
            "comparison.csv": self.table.to_csv(index=False),
            "deltas.csv": self.deltas.to_csv(index=False),
            "comparison.json": self.to_json(),
        }
        if self.uncertainty is not None:
            files["uncertainty.csv"] = self.uncertainty.to_csv(index=False)
        if self.portfolio is not None:
            files["portfolio.csv"] = self.portfolio.to_csv(index=False)
        if self.selection is not None:
            files["selection.csv"] = self.selection.table().to_csv(index=False)
        return write_output_set(directory, files)
