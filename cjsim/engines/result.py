"""The result every engine returns: KPIs with intervals, tables and notes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cjsim._io import to_jsonable, write_output_set
from cjsim.kpis import split_name

__all__ = ["KPI_COLUMNS", "Result"]

KPI_COLUMNS = ["kpi", "mean", "ci_low", "ci_high", "std_err"]


@dataclass(frozen=True)
class Result:
    """What an engine run returns.

    Attributes
    ----------
    scenario : str
        The scenario's name.
    engine : str
        ``"analytic"``, ``"vectorized"`` or ``"des"``.
    kpis : pandas.DataFrame
        Columns ``kpi, mean, ci_low, ci_high, std_err``; exact engines give
        zero-width intervals.
    tables : dict of str to DataFrame
        Extra tables, e.g. ``removal_effects`` and ``elasticities``.
    notes : tuple of str
        What the engine ignored or assumed (queues, horizon …).
    """

    scenario: str
    engine: str
    kpis: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    events: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if "mean" not in self.kpis or "kpi" not in self.kpis:
            return
        means = self.kpis["mean"].to_numpy()
        if means.dtype.kind != "f":
            means = pd.to_numeric(self.kpis["mean"], errors="coerce").to_numpy(dtype=float)
        overflowed = [str(k) for k in self.kpis["kpi"].to_numpy()[np.isinf(means)]]
        if overflowed:
            note = (
                f"{', '.join(overflowed[:5])}{' …' if len(overflowed) > 5 else ''} overflowed "
                "(infinite; null in JSON): the values are too large for floats — scale "
                "the money or the number of customers down"
            )
            object.__setattr__(self, "notes", (*self.notes, note))

    @property
    def exact(self) -> bool:
        """True for an exact engine's answer (no replications, zero-width intervals)."""
        return bool(self.meta.get("exact", False))

    def __getitem__(self, kpi: str) -> float:
        """The mean of one KPI, e.g. ``result["conversion_rate"]``."""
        rows = self.kpis.loc[self.kpis["kpi"] == kpi, "mean"]
        if rows.empty:
            raise KeyError(f"no KPI {kpi!r}; available: {', '.join(self.kpis['kpi'])}")
        return float(rows.iloc[0])

    def per_node(self, kpi: str) -> pd.Series:
        """The means of a per-node KPI by node name, e.g. ``result.per_node("visits")``
        (visits per customer of each touchpoint; see :mod:`cjsim.kpis`); empty without it."""
        names = [split_name(str(k)) for k in self.kpis["kpi"]]
        keep = [name == kpi and node is not None for name, node in names]
        nodes = [node for (_, node), k in zip(names, keep, strict=True) if k]
        return pd.Series(self.kpis["mean"].to_numpy(float)[keep], index=nodes, name=kpi)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict keyed by KPI name."""
        kpis = {
            row.kpi: {c: getattr(row, c) for c in KPI_COLUMNS[1:]}
            for row in self.kpis.itertuples(index=False)
        }
        tables = {
            name: table.to_dict(orient="records")
            for name, table in self.tables.items()
            if name not in ("timeseries", "replications")
        }
        return to_jsonable(
            {
                "scenario": self.scenario,
                "engine": self.engine,
                "kpis": kpis,
                **tables,
                "notes": list(self.notes),
                "meta": self.meta,
            }
        )

    def to_json(self) -> str:
        """The result as JSON text (NaN written as null)."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def summary(self, kpis: int | None = 12) -> str:
        """A few lines of plain text: what ran, then the first ``kpis`` KPIs (None: all)
        with their 95 % intervals, then the notes.

        >>> import cjsim
        >>> sc = cjsim.load_scenario("scenarios/saas_trial.toml")
        >>> res = cjsim.simulate(sc, engine="analytic")
        >>> print(res.summary(kpis=2))  # doctest: +NORMALIZE_WHITESPACE
        CloudLedger SaaS trial — analytic engine (exact)
        kpi                     mean
        conversion_rate    0.0407063
        repeat_rate         0.781179
        …and 30 more KPIs
        """
        runs = not self.exact
        how = "exact" if self.exact else f"{self.meta.get('replications')} replications"
        how += "" if self.exact else f", seed {self.meta.get('seed')}"
        head = f"{self.scenario} — {self.engine} engine ({how})"
        shown = self.kpis if kpis is None else self.kpis.head(kpis)
        columns = ["mean", "ci_low", "ci_high"] if runs else ["mean"]
        width = max([3, *(len(k) for k in shown["kpi"])])
        lines = [head, "kpi".ljust(width) + "".join(f"{c:>13}" for c in columns)]
        for row in shown.itertuples(index=False):
            values = "".join(f"{getattr(row, c):>13.6g}" for c in columns)
            lines.append(str(row.kpi).ljust(width) + values)
        if len(shown) < len(self.kpis):
            lines.append(f"…and {len(self.kpis) - len(shown)} more KPIs")
        lines += [f"note: {note}" for note in self.notes] if kpis is None else []
        return "\n".join(lines)

    @property
    def timeseries(self) -> pd.DataFrame | None:
        """Per-day means over replications (simulation engines only)."""
        return self.tables.get("timeseries")

    def plot_graph(self, scenario: Any, ax: Any = None) -> Any:
        """The journey graph of ``scenario`` with this result's flows and removal effects
        (:func:`cjsim.plotting.journey_graph`; the result does not keep the scenario)."""
        from cjsim.plotting import journey_graph

        return journey_graph(scenario, self, ax=ax)

    def plot_timeseries(self, kind: str = "stages", ax: Any = None) -> Any:
        """Customers per stage or cumulative profit over time
        (:func:`cjsim.plotting.timeseries`)."""
        from cjsim.plotting import timeseries

        return timeseries(self, kind=kind, ax=ax)

    def plot_funnel(self, ax: Any = None) -> Any:
        """The share of customers reaching each stage (:func:`cjsim.plotting.funnel`)."""
        from cjsim.plotting import funnel

        return funnel({self.scenario: self}, ax=ax)

    def save(self, directory: str | Path) -> list[Path]:
        """Write ``kpis.csv``, ``kpis.json``, one CSV per table and ``events.parquet``.

        The whole set is written into a temporary folder and renamed into place
        (:func:`cjsim._io.write_output_set`): a failure leaves the previous set whole, and
        files of an earlier run that this one lacks (``events.parquet``) are dropped.
        """
        files: dict[str, bytes | str] = {
            "kpis.csv": self.kpis.to_csv(index=False),
            "kpis.json": self.to_json(),
        }
        for name, table in self.tables.items():
            files[f"{name}.csv"] = table.to_csv(index=False)
        if self.events is not None:
            import io

            buffer = io.BytesIO()
            self.events.to_parquet(buffer, index=False)
            files["events.parquet"] = buffer.getvalue()
        return write_output_set(directory, files)
