"""The statistics :func:`~cjsim.calibration.validate` measures alike on the real holdout
log and on every simulated one, and the tables that set them side by side.

A holdout log comes in one shape, :class:`HoldoutFrame` (``customer, existing, day, node,
value``, days counted from the cut-off); :func:`holdout_statistics` gives its
:class:`HoldoutStatistics`; :func:`band_table`, :func:`curve_table`,
:func:`history_table` and :func:`funnel_table` set the mean and 95 % band over
replications against the actual figure.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cjsim.calibration.events import Mapping

__all__ = [
    "HISTORY_BUCKETS",
    "WEEK",
    "HoldoutFrame",
    "HoldoutStatistics",
    "band_table",
    "bucket",
    "curve_table",
    "funnel_table",
    "history_table",
    "holdout_statistics",
]

WEEK = 7.0
HISTORY_BUCKETS = (0, 1, 2, 3, 4, 5, 7, 10)  # purchases before the cut-off: 0, 1, ..., 10+


@dataclass(frozen=True)
class HoldoutFrame:
    """A holdout log in one shape: customer, existing, day, node, value."""

    events: pd.DataFrame
    history: pd.Series  # existing customer -> purchases before the cut-off


@dataclass(frozen=True)
class HoldoutStatistics:
    """What one holdout log shows."""

    figures: dict[str, float]  # metric -> value
    curve: np.ndarray  # cumulative repeat purchases by week
    by_history: pd.Series  # purchases of existing customers by history bucket
    funnel: dict[tuple[str, str], float]  # (group, node) -> share


def bucket(history: pd.Series) -> pd.Series:
    """Each customer's history bucket (``"0"``, ``"1"``, ``"5-6"``, ``"10+"`` …)."""
    edges = np.asarray(HISTORY_BUCKETS)
    idx = np.searchsorted(edges, history.to_numpy(), side="right") - 1
    labels = [str(a) if b - a == 1 else f"{a}-{b - 1}" for a, b in itertools.pairwise(edges)] + [
        f"{edges[-1]}+"
    ]
    return pd.Series(np.asarray(labels)[idx], index=history.index, name="purchases_before")


def _bucket_order(label: str) -> int:
    return int(label.split("-")[0].rstrip("+"))


def _purchases(
    f: HoldoutFrame, purchases: list[str], weeks: int, offset: float
) -> tuple[dict[str, float], np.ndarray, pd.Series]:
    ev = f.events
    bought = ev[ev["node"].isin(purchases)]
    before = bought["customer"].map(f.history).fillna(0).to_numpy()
    rank = bought.groupby("customer").cumcount().to_numpy()
    repeat = (before + rank) >= 1
    week = np.minimum((bought["day"].to_numpy() // WEEK).astype(int), weeks - 1)
    curve = offset + np.cumsum(np.bincount(week[repeat], minlength=weeks)[:weeks])
    figures: dict[str, float] = {
        "repeat purchases in the holdout": float(repeat.sum()),
        "purchases in the holdout": float(len(bought)),
        "revenue in the holdout": float(bought["value"].sum()) if "value" in bought else math.nan,
    }
    per_customer = bought[bought["existing"].to_numpy()].groupby("customer").size()
    by_history = (
        per_customer.reindex(f.history.index, fill_value=0)
        .groupby(bucket(f.history))
        .sum()
        .astype(float)
    )
    return figures, curve, by_history


def _median(x: np.ndarray) -> float:
    return float(np.median(x)) if len(x) else math.nan


def _mean(x: np.ndarray) -> float:
    return float(np.mean(x)) if len(x) else math.nan


def _new_customers(
    ev: pd.DataFrame, spec: Mapping, figures: dict[str, float], funnel: dict[Any, float]
) -> None:
    """New customers' figures and funnel (added to ``figures`` and ``funnel``)."""
    new = ev[~ev["existing"].to_numpy()]
    n_new = new["customer"].nunique()
    figures["new customers"] = float(n_new)
    if not n_new:
        return
    first_seen = new.groupby("customer")["day"].min()
    first_buy = new[new["node"].isin(spec.purchases)].groupby("customer")["day"].min()
    figures["conversion of new customers"] = len(first_buy) / n_new
    wait = (first_buy - first_seen.reindex(first_buy.index)).to_numpy()
    figures["median days to first purchase (new)"] = _median(wait)
    original = spec.originals()  # a journey with memory: reach of the original touchpoints
    nodes = new["node"].replace(original)
    reached = new.groupby(nodes)["customer"].nunique() / n_new
    for node in [*dict.fromkeys(original.values()), *spec.outcomes]:
        funnel[("new", node)] = float(reached.get(node, 0.0))
    ended = new[new["node"].isin(spec.outcomes)].groupby("customer")["day"].min()
    funnel[("new", "open at the end")] = 1 - len(ended) / n_new
    to_outcome = (ended - first_seen.reindex(ended.index)).to_numpy()
    figures["median days from entry to an outcome (new)"] = _median(to_outcome)
    figures["mean days from entry to an outcome (new)"] = _mean(to_outcome)
    # case duration without outcomes: entry to the last event seen (cut at the holdout's
    # end for the simulation and the log alike)
    last_seen = new.groupby("customer")["day"].max()
    to_last = (last_seen - first_seen.reindex(last_seen.index)).to_numpy()
    figures["median days from entry to the last event (new)"] = _median(to_last)
    figures["mean days from entry to the last event (new)"] = _mean(to_last)


def holdout_statistics(
    f: HoldoutFrame, spec: Mapping, n_open: float, weeks: int, offset: float
) -> HoldoutStatistics:
    """The statistics of one holdout log (``n_open``: customers open at the cut-off;
    ``offset``: repeat purchases before it, where the curve starts)."""
    figures, curve, by_history = _purchases(f, spec.purchases, weeks, offset)
    funnel: dict[tuple[str, str], float] = {}
    _new_customers(f.events, spec, figures, funnel)
    old = f.events[f.events["existing"].to_numpy()]
    if spec.outcomes and n_open:
        reached_old = old[old["node"].isin(spec.outcomes)].groupby("node")["customer"].nunique()
        for node in spec.outcomes:
            funnel[("open at the cut-off", node)] = float(reached_old.get(node, 0)) / n_open
    return HoldoutStatistics(figures, curve, by_history, funnel)


def band_table(
    sims: list[dict[Any, float]], actual: dict[Any, float], key: str = "metric"
) -> pd.DataFrame:
    """Per key: ``predicted`` (mean over replications), ``low``/``high`` (2.5 and 97.5
    percentiles), ``actual``, ``error`` and ``relative_error``."""
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


def curve_table(sims: list[HoldoutStatistics], actual: HoldoutStatistics) -> pd.DataFrame:
    """The cumulative repeat-purchase curve by week: band over replications and actual."""
    curves = np.stack([s.curve for s in sims])
    return pd.DataFrame(
        {
            "week": np.arange(1, curves.shape[1] + 1),
            "predicted": curves.mean(axis=0),
            "low": np.percentile(curves, 2.5, axis=0),
            "high": np.percentile(curves, 97.5, axis=0),
            "actual": actual.curve.astype(float),
        }
    )


def history_table(
    sims: list[HoldoutStatistics], actual: HoldoutStatistics, history: pd.Series
) -> pd.DataFrame:
    """Holdout purchases of existing customers by their purchases before the cut-off."""
    hist = pd.concat([s.by_history for s in sims], axis=1).fillna(0.0)
    table = pd.DataFrame(
        {
            "customers": bucket(history).value_counts(),
            "predicted": hist.mean(axis=1),
            "low": hist.quantile(0.025, axis=1),
            "high": hist.quantile(0.975, axis=1),
            "actual": actual.by_history,
        }
    ).fillna(0.0)
    table.index.name = "purchases_before"
    return table.loc[sorted(table.index, key=_bucket_order)].reset_index()


def funnel_table(sims: list[HoldoutStatistics], actual: HoldoutStatistics) -> pd.DataFrame:
    """The funnel: ``group, node`` and the band against the actual share."""
    funnel = band_table([s.funnel for s in sims], actual.funnel, key="node")
    funnel.insert(0, "group", [k[0] for k in funnel["node"]])
    funnel["node"] = [k[1] for k in funnel["node"]]
    return funnel
