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
(simulation noise given the fitted parameters).  The statistics and tables themselves
are in :mod:`.holdout`; this module reads the logs into its shape and runs the
simulations.  The drift tests (the holdout's transition rows, dwell and arrivals against
the fit, Holm-corrected) are in :mod:`.drift`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cjsim._io import write_output_set
from cjsim.calibration.assembler import SILENT_EXIT
from cjsim.calibration.drift import Drift, detect_drift
from cjsim.calibration.events import (
    EventColumns,
    map_events,
    read_events,
    timestamp,
    until_outcome,
)
from cjsim.calibration.fit import Fit
from cjsim.calibration.holdout import (
    WEEK,
    HoldoutFrame,
    band_table,
    curve_table,
    funnel_table,
    history_table,
    holdout_statistics,
)
from cjsim.calibration.saved import json_ready
from cjsim.errors import CalibrationError
from cjsim.experiment import RunOptions, simulate
from cjsim.experiment.executors import default_workers
from cjsim.model import PoissonArrivals, Scenario

__all__ = ["Validation", "validate"]


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
    seed: int | None = None  # the simulations' root seed, to replay them
    drift: Drift | None = None  # the drift tests (:mod:`.drift`)

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

    def plot_drift(self, ax: Any = None) -> Any:
        """The drift tests' Holm-adjusted p-values against the level
        (:func:`cjsim.plotting.drift_tests`)."""
        from cjsim.plotting import drift_tests

        return drift_tests(self, ax=ax)

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
        """The four tables by the names :meth:`to_dict` and :meth:`save` use, and
        ``drift`` when the drift tests were run."""
        tables = {
            "metrics": self.table,
            "curve": self.curve,
            "by_history": self.by_history,
            "funnel": self.funnel,
        }
        return tables if self.drift is None else {**tables, "drift": self.drift.table}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the tables as records (``metrics``, ``curve``,
        ``by_history``, ``funnel``), ``curve_mape`` and ``holdout_mape`` (NaN as None),
        ``seed`` and, when the drift tests were run, ``drift`` (``alpha``,
        ``correction``, ``tests``: the drift table as records, ``skipped``)."""
        tables = {k: v for k, v in self.tables.items() if k != "drift"}
        out: dict[str, Any] = {
            **{k: json.loads(v.to_json(orient="records")) for k, v in tables.items()},
            "curve_mape": self.curve_mape,
            "holdout_mape": self.holdout_mape,
            "seed": self.seed,
        }
        if self.drift is not None:
            out["drift"] = self.drift.to_dict()
        return json_ready(out)

    def to_json(self) -> str:
        """:meth:`to_dict` as indented JSON text (what ``cjsim validate --json`` prints)."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def save(self, directory: str | Path) -> list[Path]:
        """Write ``metrics.csv``, ``curve.csv``, ``by_history.csv``, ``funnel.csv`` (and
        ``drift.csv`` with the drift tests) and ``validation.json`` (:meth:`to_json`) into
        ``directory`` as one set (:func:`cjsim._io.write_output_set`: all or nothing);
        returns the paths written. (The plots: :meth:`save_plot`.)"""
        files = {f"{name}.csv": table.to_csv(index=False) for name, table in self.tables.items()}
        files["validation.json"] = self.to_json()
        return write_output_set(directory, files)

    def summary(self) -> str:
        """A few lines for a terminal."""
        lines = [
            f"holdout {self.cutoff:%Y-%m-%d} to {self.end:%Y-%m-%d}, "
            f"{self.replications} replications, seed {self.seed}"
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
        if self.drift is not None:
            lines += self.drift.summary_lines()
        return "\n".join(lines)


def _actual_frame(
    fit: Fit, holdout: pd.DataFrame | str | Path, columns: EventColumns | None, end: Any
) -> tuple[HoldoutFrame, pd.Timestamp, list[str]]:
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
    return HoldoutFrame(frame, _history(fit)), stop, mapped.warnings


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
    options: RunOptions,
    arrivals_until: float | None = None,
) -> list[HoldoutFrame]:
    sc = fit.scenario.replace(horizon_days=span)
    if arrivals_until is not None:
        sc = _stop_arrivals(sc, arrivals_until)
    res = simulate(sc, options=options.replace(horizon_days=span))
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
        HoldoutFrame(frame[rep == r].reset_index(drop=True), history)
        for r in range(options.replications)
    ]


def validate(
    fit: Fit,
    holdout: pd.DataFrame | str | Path,
    *,
    columns: EventColumns | None = None,
    end: str | pd.Timestamp | None = None,
    replications: int = 20,
    seed: int | None = None,
    engine: str = "des",
    workers: int | None = None,
    progress: bool | None = None,
    arrivals_end: str | pd.Timestamp | None = None,
    drift_alpha: float = 0.01,
) -> Validation:
    """Simulate from the cut-off to ``end`` (default: the holdout log's last event) and
    compare with the holdout log (which may also hold the calibration events: only those
    after the cut-off are used).  The window is ``[cut-off, end)``; dates without an
    offset are UTC, like the log's times.  ``arrivals_end``: new customers stop arriving then
    (e.g. a log of cases *started* up to a date, with events until a later one).

    The replications run in ``workers`` processes (default: :func:`default_workers`,
    as ``cjsim compare``; the same ``seed`` gives the same numbers for any number),
    with a progress bar when ``progress`` (default: on a terminal, outside CI).

    The drift tests (:func:`.drift.detect_drift`: transition rows, dwell and arrivals of
    the holdout against the fit) alarm at the family-wise level ``drift_alpha`` (Holm).

    Raises
    ------
    CalibrationError
        For an unreadable holdout log or one with no event after the cut-off.
    """
    if replications < 2:
        raise CalibrationError(f"replications must be >= 2 for a band, got {replications}")
    if not 0 < drift_alpha < 1:
        raise CalibrationError(f"drift_alpha must be in (0, 1), got {drift_alpha}")
    options = RunOptions(
        engine=engine,
        replications=replications,
        seed=seed,
        workers=default_workers(replications) if workers is None else workers,
        progress=progress,
        events=True,
    ).resolve(fit.scenario, need_horizon=False)
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
    n_open = float(fit.customers["closed"].eq(False).sum())
    act = holdout_statistics(actual, fit.mapping, n_open, weeks, offset)
    sims = [
        holdout_statistics(f, fit.mapping, n_open, weeks, offset)
        for f in _simulated_frames(fit, span, options, until)
    ]
    return Validation(
        band_table([s.figures for s in sims], act.figures),
        curve_table(sims, act),
        history_table(sims, act, history),
        funnel_table(sims, act),
        fit.cutoff,
        stop,
        replications,
        offset,
        tuple(warnings),
        options.seed,
        detect_drift(fit, actual.events, span_days=span, arrivals_days=until, alpha=drift_alpha),
    )
