"""``validate``: simulate the holdout period from the warm start and compare with what
happened.

The fitted scenario starts at the cut-off with every customer who was still open there
(:class:`~cjsim.model.WarmStart`) plus new arrivals, and runs to the end of the holdout.
The same statistics are computed from each simulated event log and from the real
holdout log, so predicted and actual are measured alike:

- the cumulative repeat-purchase curve by week (a purchase by a customer who had bought
  before), counted from the start of the data;
- holdout purchases of the existing customers by how many purchases they made before
  the cut-off (e.g. CDNOW's customers with no repeat purchase);
- revenue; new customers, their conversion and median time to first purchase;
- the funnel of new customers: the share reaching each touchpoint and outcome, and the
  share still open at the end; the median time from entry to an outcome;
- for customers open at the cut-off, the share reaching each outcome.

Predicted figures are the mean over replications with a 95 % band of the replications
(simulation noise given the fitted parameters).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cjsim._io import atomic_write_text
from cjsim.calibration.assembler import SILENT_EXIT
from cjsim.calibration.events import (
    EventColumns,
    map_events,
    read_events,
    timestamp,
    until_outcome,
)
from cjsim.calibration.fit import Fit
from cjsim.calibration.saved import json_ready
from cjsim.errors import CalibrationError
from cjsim.model import PoissonArrivals, Scenario

__all__ = ["Validation", "validate"]

WEEK = 7.0
HISTORY_BUCKETS = (0, 1, 2, 3, 4, 5, 7, 10)  # purchases before the cut-off: 0, 1, ..., 10+


@dataclass(frozen=True)
class Validation:
    """Predicted against actual over the holdout period.

    Like :class:`~cjsim.Result` and :class:`~cjsim.calibration.Fit` it has
    :meth:`to_dict`, :meth:`to_json`, :meth:`save` and :meth:`summary`.
    """

    table: pd.DataFrame  # metric, predicted, low, high, actual, error, relative_error
    curve: pd.DataFrame  # week, predicted, low, high, actual (cumulative repeat purchases)
    by_history: pd.DataFrame  # purchases_before, customers, predicted, low, high, actual
    funnel: pd.DataFrame  # group, node, predicted, low, high, actual
    cutoff: pd.Timestamp
    end: pd.Timestamp
    replications: int
    offset: float = 0.0  # repeat purchases before the cut-off (the curve starts there)
    warnings: tuple[str, ...] = ()

    @property
    def curve_mape(self) -> float:
        """Mean absolute percentage error of the cumulative curve over the holdout weeks."""
        c = self.curve[self.curve["actual"] > 0]
        return (
            float(100 * np.mean(np.abs(c["predicted"] / c["actual"] - 1))) if len(c) else math.nan
        )

    @property
    def holdout_mape(self) -> float:
        """The same, on repeat purchases counted from the cut-off only (stricter: the
        calibration-period purchases no longer dilute the error)."""
        c = self.curve
        pred, act = c["predicted"] - self.offset, c["actual"] - self.offset
        keep = act > 0
        if not keep.any():
            return math.nan
        return float(100 * np.mean(np.abs(pred[keep] / act[keep] - 1)))

    def metric(self, name: str) -> pd.Series:
        """One row of :attr:`table`."""
        rows = self.table[self.table["metric"] == name]
        if rows.empty:
            raise KeyError(
                f"{name!r}: not a validation metric — one of {list(self.table['metric'])}"
            )
        return rows.iloc[0]

    def plot(self, ax: Any = None) -> Any:
        """Predicted (band over replications) against actual cumulative repeat purchases."""
        from cjsim.plotting import holdout

        return holdout(self, ax=ax)

    def save_plot(self, path: str | Path) -> Path:
        """Write :meth:`plot` as an image (PNG, SVG, PDF by the suffix), without pyplot,
        so no interactive backend is touched."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(7, 4))
        self.plot(ax=fig.add_subplot())
        fig.savefig(path, dpi=120, bbox_inches="tight")
        return Path(path)

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        """The four tables by the names :meth:`to_dict` and :meth:`save` use."""
        return {
            "metrics": self.table,
            "curve": self.curve,
            "by_history": self.by_history,
            "funnel": self.funnel,
        }

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the tables as records (``metrics``, ``curve``,
        ``by_history``, ``funnel``), ``curve_mape`` and ``holdout_mape`` (NaN as None)."""
        return json_ready(
            {
                **{k: json.loads(v.to_json(orient="records")) for k, v in self.tables.items()},
                "curve_mape": self.curve_mape,
                "holdout_mape": self.holdout_mape,
            }
        )

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text (what ``cjsim validate --json`` prints)."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def save(self, directory: str | Path) -> list[Path]:
        """Write ``metrics.csv``, ``curve.csv``, ``by_history.csv``, ``funnel.csv`` and
        ``validation.json`` (:meth:`to_json`) into ``directory`` (created when missing),
        each atomically; returns the paths written.  (The plot: :meth:`save_plot`.)"""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, table in self.tables.items():
            written.append(out / f"{name}.csv")
            atomic_write_text(written[-1], table.to_csv(index=False))
        written.append(out / "validation.json")
        atomic_write_text(written[-1], self.to_json())
        return written

    def summary(self) -> str:
        """A few lines for a terminal."""
        lines = [
            f"holdout {self.cutoff:%Y-%m-%d} to {self.end:%Y-%m-%d}, "
            f"{self.replications} replications"
        ]
        for r in self.table.to_dict(orient="records"):
            err = float(r["relative_error"])
            rel = f" ({err:+.1%})" if np.isfinite(err) else ""
            lines.append(
                f"  {r['metric']:<36} {r['predicted']:>9,.4g} "
                f"[{r['low']:,.4g}, {r['high']:,.4g}] actual {r['actual']:>9,.4g}{rel}"
            )
        lines.append(
            f"  cumulative repeat-purchase curve: MAPE {self.curve_mape:.2f} % "
            f"(holdout purchases only: {self.holdout_mape:.2f} %)"
        )
        return "\n".join(lines)


@dataclass(frozen=True)
class _Frame:
    """A holdout log in one shape: customer, existing, day, node, value."""

    events: pd.DataFrame
    history: pd.Series  # existing customer -> purchases before the cut-off


def _statistics(
    f: _Frame, fit: Fit, weeks: int, offset: float
) -> tuple[dict[str, float], np.ndarray, pd.Series, dict[tuple[str, str], float]]:
    spec = fit.mapping
    ev = f.events
    bought = ev[ev["node"].isin(spec.purchases)]
    before = bought["customer"].map(f.history).fillna(0).to_numpy()
    rank = bought.groupby("customer").cumcount().to_numpy()
    repeat = (before + rank) >= 1
    week = np.minimum((bought["day"].to_numpy() // WEEK).astype(int), weeks - 1)
    curve = offset + np.cumsum(np.bincount(week[repeat], minlength=weeks)[:weeks])
    stats: dict[str, float] = {
        "repeat purchases in the holdout": float(repeat.sum()),
        "purchases in the holdout": float(len(bought)),
        "revenue in the holdout": float(bought["value"].sum()) if "value" in bought else math.nan,
    }
    existing_buys = bought[bought["existing"].to_numpy()]
    per_customer = existing_buys.groupby("customer").size()
    by_history = (
        per_customer.reindex(f.history.index, fill_value=0)
        .groupby(_bucket(f.history))
        .sum()
        .astype(float)
    )
    new = ev[~ev["existing"].to_numpy()]
    funnel: dict[tuple[str, str], float] = {}
    n_new = new["customer"].nunique()
    stats["new customers"] = float(n_new)
    if n_new:
        first_seen = new.groupby("customer")["day"].min()
        new_buys = new[new["node"].isin(spec.purchases)]
        first_buy = new_buys.groupby("customer")["day"].min()
        stats["conversion of new customers"] = len(first_buy) / n_new
        wait = (first_buy - first_seen.reindex(first_buy.index)).to_numpy()
        stats["median days to first purchase (new)"] = (
            float(np.median(wait)) if len(wait) else math.nan
        )
        reached = new.groupby("node")["customer"].nunique() / n_new
        for node in [*spec.touchpoints, *spec.outcomes]:
            funnel[("new", node)] = float(reached.get(node, 0.0))
        ended = new[new["node"].isin(spec.outcomes)].groupby("customer")["day"].min()
        funnel[("new", "open at the end")] = 1 - len(ended) / n_new
        to_outcome = (ended - first_seen.reindex(ended.index)).to_numpy()
        stats["median days from entry to an outcome (new)"] = (
            float(np.median(to_outcome)) if len(to_outcome) else math.nan
        )
    old = ev[ev["existing"].to_numpy()]
    n_open = float(fit.customers["closed"].eq(False).sum())
    if spec.outcomes and n_open:
        reached_old = old[old["node"].isin(spec.outcomes)].groupby("node")["customer"].nunique()
        for node in spec.outcomes:
            funnel[("open at the cut-off", node)] = float(reached_old.get(node, 0)) / n_open
    return stats, curve, by_history, funnel


def _bucket(history: pd.Series) -> pd.Series:
    edges = np.asarray(HISTORY_BUCKETS)
    idx = np.searchsorted(edges, history.to_numpy(), side="right") - 1
    labels = [str(a) if b - a == 1 else f"{a}-{b - 1}" for a, b in itertools.pairwise(edges)] + [
        f"{edges[-1]}+"
    ]
    return pd.Series(np.asarray(labels)[idx], index=history.index, name="purchases_before")


def _actual_frame(
    fit: Fit, holdout: pd.DataFrame | str | Path, columns: EventColumns | None, end: Any
) -> tuple[_Frame, pd.Timestamp, list[str]]:
    log = read_events(holdout, columns or fit.columns)
    # the window is [cut-off, end), like the simulation's [0, horizon); by default it
    # ends just after the last event
    stop = timestamp(end) if end is not None else log["time"].max() + pd.Timedelta(seconds=1)
    window = log[(log["time"] >= fit.cutoff) & (log["time"] < stop)].reset_index(drop=True)
    if window.empty:
        raise CalibrationError(
            f"the holdout log has no event between the cut-off {fit.cutoff:%Y-%m-%d} and "
            f"{stop:%Y-%m-%d} — give events after the calibration period"
        )
    window.attrs = log.attrs
    mapped = map_events(window, fit.mapping)
    ev = mapped.events
    known = fit.customers.set_index("customer_id")
    frame = pd.DataFrame(
        {
            "customer": ev["customer_id"].astype(str),
            "existing": ev["customer_id"].isin(known.index).to_numpy(),
            "day": ((ev["time"] - fit.cutoff).dt.total_seconds() / 86400.0).to_numpy(),
            "node": ev["node"].to_numpy(),
            "value": ev["value"].to_numpy() if "value" in ev else np.nan,
        }
    )
    # a customer closed before the cut-off who shows up again is not part of the model
    closed = set(known.index[known["closed"].to_numpy()])
    frame = frame[~frame["customer"].isin(closed)]
    frame = until_outcome(
        frame.sort_values(["customer", "day"], kind="stable"), set(fit.mapping.outcomes), "customer"
    )[0]
    return _Frame(frame, _history(fit)), stop, mapped.warnings


def _history(fit: Fit) -> pd.Series:
    c = fit.customers
    return pd.Series(c["purchases"].to_numpy(), index=c["customer_id"].astype(str).to_numpy())


def _stop_arrivals(sc: Scenario, day: float) -> Scenario:
    """``sc`` with no new arrivals from ``day`` on."""
    arrivals = sc.population.arrivals
    if not isinstance(arrivals, PoissonArrivals) or day >= (sc.horizon_days or math.inf):
        return sc
    rates = [(s, r) for s, r in arrivals.rates if s < day] + [(day, 0.0)]
    population = dataclasses.replace(sc.population, arrivals=PoissonArrivals(tuple(rates)))
    return sc.replace(population=population)


def _simulated_frames(
    fit: Fit,
    span: float,
    replications: int,
    seed: int,
    engine: str,
    workers: int,
    arrivals_until: float | None = None,
) -> list[_Frame]:
    import cjsim

    sc = fit.scenario.replace(horizon_days=span)
    if arrivals_until is not None:
        sc = _stop_arrivals(sc, arrivals_until)
    res = cjsim.simulate(
        sc, engine=engine, replications=replications, seed=seed, events=True, workers=workers
    )
    log = res.events
    assert log is not None
    history = _history(fit)
    warm = log["warm_id"] if "warm_id" in log else pd.Series(None, index=log.index)
    frame = pd.DataFrame(
        {
            "replication": log["replication"].to_numpy(),
            "customer": np.where(
                warm.notna(), warm.astype(str), "new:" + log["customer"].astype(str)
            ),
            "existing": warm.notna().to_numpy(),
            "day": log["time"].to_numpy(),
            "node": log["touchpoint"].to_numpy(),
            "value": log["value"].to_numpy(),
        }
    )
    frame = frame[frame["node"] != SILENT_EXIT]
    rep = frame.pop("replication").to_numpy()
    return [  # one frame per replication, empty when nothing happened in it
        _Frame(frame[rep == r].reset_index(drop=True), history) for r in range(replications)
    ]


def validate(
    fit: Fit,
    holdout: pd.DataFrame | str | Path,
    *,
    columns: EventColumns | None = None,
    end: str | pd.Timestamp | None = None,
    replications: int = 20,
    seed: int = 0,
    engine: str = "des",
    workers: int = 1,
    arrivals_end: str | pd.Timestamp | None = None,
) -> Validation:
    """Simulate from the cut-off to ``end`` (default: the holdout log's last event) and
    compare with the holdout log (which may also hold the calibration events: only those
    after the cut-off are used).  The window is ``[cut-off, end)``; dates without an
    offset are UTC, like the log's times.  ``arrivals_end``: new customers stop arriving then
    (e.g. a log of cases *started* up to a date, with events until a later one).

    Raises
    ------
    CalibrationError
        For an unreadable holdout log or one with no event after the cut-off.
    """
    if replications < 2:
        raise CalibrationError(f"replications must be >= 2 for a band, got {replications}")
    actual, stop, warnings = _actual_frame(fit, holdout, columns, end)
    span = (stop - fit.cutoff).total_seconds() / 86400.0
    until = (
        None
        if arrivals_end is None
        else (timestamp(arrivals_end) - fit.cutoff).total_seconds() / 86400.0
    )
    weeks = max(math.ceil(span / WEEK), 1)
    history = _history(fit)
    offset = float((history - 1).clip(lower=0).sum())
    act = _statistics(actual, fit, weeks, offset)
    sims = [
        _statistics(f, fit, weeks, offset)
        for f in _simulated_frames(fit, span, replications, seed, engine, workers, until)
    ]
    table = _table([s[0] for s in sims], act[0])
    curves = np.stack([s[1] for s in sims])
    curve = pd.DataFrame(
        {
            "week": np.arange(1, weeks + 1),
            "predicted": curves.mean(axis=0),
            "low": np.percentile(curves, 2.5, axis=0),
            "high": np.percentile(curves, 97.5, axis=0),
            "actual": act[1].astype(float),
        }
    )
    hist = pd.concat([s[2] for s in sims], axis=1).fillna(0.0)
    by_history = pd.DataFrame(
        {
            "customers": _bucket(history).value_counts(),
            "predicted": hist.mean(axis=1),
            "low": hist.quantile(0.025, axis=1),
            "high": hist.quantile(0.975, axis=1),
            "actual": act[2],
        }
    ).fillna(0.0)
    by_history.index.name = "purchases_before"
    by_history = by_history.loc[sorted(by_history.index, key=_bucket_order)].reset_index()
    funnel = _table([s[3] for s in sims], act[3], key="node")
    funnel.insert(0, "group", [k[0] for k in funnel["node"]])
    funnel["node"] = [k[1] for k in funnel["node"]]
    return Validation(
        table, curve, by_history, funnel, fit.cutoff, stop, replications, offset, tuple(warnings)
    )


def _bucket_order(label: str) -> int:
    return int(label.split("-")[0].rstrip("+"))


def _table(
    sims: list[dict[Any, float]], actual: dict[Any, float], key: str = "metric"
) -> pd.DataFrame:
    keys = list(dict.fromkeys([*actual, *(k for s in sims for k in s)]))
    rows = []
    for k in keys:
        values = np.array([s.get(k, math.nan) for s in sims], dtype=float)
        finite = values[np.isfinite(values)]
        a = actual.get(k, math.nan)
        pred = float(finite.mean()) if len(finite) else math.nan
        rows.append(
            {
                key: k,
                "predicted": pred,
                "low": float(np.percentile(finite, 2.5)) if len(finite) else math.nan,
                "high": float(np.percentile(finite, 97.5)) if len(finite) else math.nan,
                "actual": a,
                "error": pred - a,
                "relative_error": (pred - a) / a if a else math.nan,
            }
        )
    columns = [key, "predicted", "low", "high", "actual", "error", "relative_error"]
    return pd.DataFrame(rows, columns=columns)
