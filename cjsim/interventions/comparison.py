"""What :func:`~cjsim.interventions.compare.compare` returns: :class:`Comparison`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cjsim._io import atomic_write_text, to_jsonable
from cjsim.engines.result import Result

__all__ = ["Comparison"]


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

    @property
    def exact(self) -> bool:
        """True when an exact engine answered (no replications, no noise)."""
        return bool(self.meta.get("exact", False))

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
        """The comparison as JSON text (NaN written as null)."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def summary(self) -> str:
        """Plain text: the ranking by incremental profit with intervals, then the notes."""
        columns = ["variant", "incremental_profit", "incremental_profit_ci_low"]
        columns += ["incremental_profit_ci_high", "roi", "p_beats_baseline"]
        runs = self.meta.get("replications")
        head = (
            f"{self.scenario} — {len(self.ranking)} interventions, {self.engine} engine, "
            f"{runs} paired replications, seed {self.meta.get('seed')}"
        )
        table = self.ranking[columns].to_string(index=False, float_format=lambda v: f"{v:,.4g}")
        return "\n".join([head, table, *(f"note: {n}" for n in self.notes)])

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

    def save(self, directory: str | Path) -> list[Path]:
        """Write ranking.csv, comparison.csv, deltas.csv and comparison.json atomically
        (and uncertainty.csv with parameter draws); returns the paths written."""
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
        return [out / name for name in files]
