"""Drift: has the holdout period's behaviour moved away from the calibrated model?

:func:`detect_drift` reads the holdout log (already mapped with the fit's mapping and
ended at each customer's first outcome, as :func:`~cjsim.calibration.validate` reads it),
cuts it into spells with the calibration's own :func:`.stages.spells`, and runs three
kinds of test against the fit:

- **transition row**, per fitted touchpoint: the holdout's completed moves out of it,
  counted per target, against the movers' row the scenario simulates — the classes'
  rows (``Mixture.rows()``) mixed by each class's share of the calibration moves out of
  that touchpoint (a class that moves more often makes more of the moves, so the class
  shares, which count customers, would weight it too little; with one class this is
  the pooled posterior mean).  Pearson's chi-square goodness of fit; cells expecting
  fewer than :data:`MIN_EXPECTED` moves are pooled, and the pool joins the smallest
  other cells until it expects that many; no test with fewer than two cells.  The
  reference row is itself estimated from ``n_cal`` calibration moves, so the statistic
  is divided by ``1 + n_holdout / n_cal`` (the variance of the observed-minus-reference
  share is the sum of both samples'), which makes it chi-square under no drift.
  Effect: the largest difference between holdout and model shares, in percentage
  points, and its target.  The holdout moves include those out of the touchpoint
  where a customer was open at the cut-off (the warm start).
- **dwell**, per fitted touchpoint: the completed lengths of the spells that *started*
  in the holdout against the movers' dwell mixed over the classes alike.  A spell that
  starts ``w`` days before the holdout's end completes only if it lasts at most ``w``,
  so completed spells are biased short; each spell is therefore compared with the
  reference conditioned on ``d <= w``: ``u = G(d) / G(w)`` (``G`` the movers' mixture
  CDF) is uniform under no drift, and a one-sample Kolmogorov–Smirnov test checks it.
  The reference is itself fitted to ``n_cal`` calibration spells; its noise is allowed
  for as in the two-sample KS test (effective size ``n m / (n + m)``), which is
  conservative for a parametric fit.  Effect: the ratio of medians, holdout over model,
  estimated as the time-scale stretch of the reference whose conditional PITs average
  1/2 (a plain ratio of completed spells' medians would shrink towards 1 under the
  censoring; the table's detail gives both medians of the completed spells).  The
  reference is the stationary dwell; at a touchpoint with a ``dwell_rate`` calendar
  (office hours, a season) each spell and window is measured on the calendar's clock,
  as the dwell is (with dwell by destination the one-class dwell stands for the
  per-destination ones).
- **arrivals** (not for a closed cohort): the new customers in the holdout against the
  fitted rate times the holdout's exposure (the seasonal pattern applied).  Because
  the rate is estimated from ``n_cal`` calibration arrivals, the exact conditional test
  of two Poisson rates is used: given both counts' total, the holdout's is binomial
  with the holdout's share of the exposure (two-sided, by the likelihood of the
  outcome).  Effect: the rate ratio, holdout over fitted.

Multiple testing: Holm's step-down adjustment over every test run (it controls the
chance of any false alarm at ``alpha``, whatever the tests' dependence); a test alarms
when its adjusted p-value is at most ``alpha``.  A test with fewer than
:data:`MIN_OBSERVED` moves or completed spells is not run, nor a dwell test where the
model's median dwell is under a minute (a near-instant step: its spells measure the log's
time stamps, not behaviour); ``Drift.skipped`` says which.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from cjsim.calibration.fit import Fit
from cjsim.calibration.stages import spells
from cjsim.errors import CalibrationError

__all__ = [
    "DRIFT_COLUMNS",
    "MIN_EXPECTED",
    "MIN_OBSERVED",
    "Drift",
    "DwellTest",
    "arrival_test",
    "conditional_pit",
    "detect_drift",
    "dwell_test",
    "holm",
    "row_test",
]

Cdf = Callable[[np.ndarray], np.ndarray]  # a CDF of days, vectorised
MIN_EXPECTED = 5.0  # a chi-square cell expects at least this many moves
INSTANT_DAYS = 1 / 1440  # a dwell whose model median is under a minute is not tested
MIN_OBSERVED = 5  # a test needs at least this many moves, spells or calibration arrivals
DRIFT_COLUMNS = [
    "test",
    "touchpoint",
    "target",
    "n",
    "statistic",
    "df",
    "p_value",
    "p_adjusted",
    "alarm",
    "effect",
    "effect_measure",
    "detail",
]


@dataclass(frozen=True)
class Drift:
    """The drift tests of one holdout: a row per test (:data:`DRIFT_COLUMNS`), the
    level ``alpha`` of Holm's correction, and the tests that could not be run."""

    table: pd.DataFrame
    alpha: float = 0.01
    skipped: tuple[str, ...] = ()
    correction: str = "holm"

    @property
    def alarms(self) -> pd.DataFrame:
        """The tests that survive the correction."""
        return self.table[self.table["alarm"].astype(bool)]

    def summary_lines(self) -> list[str]:
        """A heading and one line per alarm."""
        n_alarms = len(self.alarms)
        head = f"  drift: {len(self.table)} tests, Holm at {self.alpha:g}: " + (
            f"{n_alarms} alarm(s)" if n_alarms else "no alarm"
        )
        lines = [head]
        for r in self.alarms.to_dict(orient="records"):
            where = f" at {r['touchpoint']}" if r["touchpoint"] else ""
            effect = (
                f"{r['effect']:+.1f} pp to {r['target']}"
                if r["effect_measure"] == "pp"
                else f"{r['effect_measure']} {r['effect']:.3g}"
            )
            lines.append(
                f"    {r['test']}{where}: {effect} ({r['detail']}), "
                f"p = {r['p_value']:.2g}, adjusted {r['p_adjusted']:.2g}"
            )
        return lines

    def to_dict(self) -> dict[str, Any]:
        """``alpha``, ``correction``, ``tests`` (the table as records) and ``skipped``."""
        return {
            "alpha": self.alpha,
            "correction": self.correction,
            "tests": self.table.to_dict(orient="records"),
            "skipped": list(self.skipped),
        }


def merge_cells(
    observed: np.ndarray, expected: np.ndarray, min_expected: float = MIN_EXPECTED
) -> tuple[np.ndarray, np.ndarray]:
    """Cells expecting fewer than ``min_expected`` pooled into one, the pool joined by
    the smallest other cells until it expects ``min_expected`` (the pool last).

    >>> o, e = merge_cells(np.array([3, 40, 7]), np.array([2.0, 45.0, 3.0]))
    >>> o.tolist(), e.tolist()
    ([40, 10], [45.0, 5.0])
    """
    small = expected < min_expected
    if not small.any():
        return observed, expected
    pool_o, pool_e = observed[small].sum(), expected[small].sum()
    rest_o, rest_e = observed[~small], expected[~small]
    while pool_e < min_expected and len(rest_e):
        j = int(np.argmin(rest_e))
        pool_o, pool_e = pool_o + rest_o[j], pool_e + rest_e[j]
        rest_o, rest_e = np.delete(rest_o, j), np.delete(rest_e, j)
    return np.append(rest_o, pool_o), np.append(rest_e, pool_e)


def row_test(
    observed: np.ndarray,
    share: np.ndarray,
    *,
    reference_moves: float = math.inf,
    min_expected: float = MIN_EXPECTED,
) -> tuple[float, int, float]:
    """Pearson's chi-square of ``observed`` counts per target against the model's
    ``share`` per target: ``(statistic, df, p)``, NaN without two cells after
    :func:`merge_cells`.  ``reference_moves``: the moves ``share`` was estimated from
    (the statistic is divided by ``1 + n / reference_moves``; infinite: a known row).
    """
    observed = np.asarray(observed, dtype=float)
    n = observed.sum()
    obs, exp = merge_cells(observed, n * np.asarray(share, dtype=float), min_expected)
    if len(obs) < 2 or n <= 0:
        return math.nan, 0, math.nan
    chi2 = float(((obs - exp) ** 2 / exp).sum()) / (1 + n / reference_moves)
    df = len(obs) - 1
    return chi2, df, float(stats.chi2.sf(chi2, df))


@dataclass(frozen=True)
class DwellTest:
    """A dwell test's outcome: KS distance and p-value, the time-scale ratio and the
    completed spells' medians (holdout, and model under the same windows), in days."""

    distance: float
    p_value: float
    scale_ratio: float
    holdout_median: float
    model_median: float


def conditional_pit(
    days: np.ndarray, windows: np.ndarray, cdf: Cdf, scale: float = 1.0
) -> np.ndarray:
    """``G(d / scale) / G(w / scale)``: each completed spell's place in the reference
    (stretched by ``scale``) conditioned on ending within its window; uniform under
    no drift."""
    g = np.asarray(cdf(np.asarray(days, float) / scale))
    g_window = np.asarray(cdf(np.asarray(windows, float) / scale))
    return np.clip(g / np.maximum(g_window, 1e-300), 0.0, 1.0)


def dwell_test(
    days: np.ndarray, windows: np.ndarray, cdf: Cdf, *, reference_spells: float = math.inf
) -> DwellTest:
    """One-sample KS test of completed spells' ``days`` against ``cdf`` (the movers'
    dwell CDF) conditioned on each spell's window (``d <= w``), by their
    :func:`conditional_pit`.  ``reference_spells``: the spells ``cdf`` was fitted to;
    its noise is allowed for as in the two-sample KS test (effective size
    ``n m / (n + m)``; conservative for a parametric fit).

    The effect is the time-scale ratio ``c``, holdout over model: the stretch of the
    reference whose conditional PITs average 1/2 (under a change of time scale it is
    the ratio of the dwell's medians, the windows accounted for).
    """
    n = len(days)
    u = conditional_pit(days, windows, cdf)
    distance = float(stats.kstest(u, "uniform").statistic)
    shrink = 1 + n / reference_spells  # 1 for a known reference
    n_eff = max(round(n / shrink), 1)
    p = float(stats.kstwo.sf(distance, n_eff))
    return DwellTest(
        distance,
        p,
        _scale_ratio(days, windows, cdf),
        float(np.median(days)),
        _model_median(windows, cdf),
    )


def _scale_ratio(days: np.ndarray, windows: np.ndarray, cdf: Cdf) -> float:
    """The stretch ``c`` of the reference with mean conditional PIT 1/2 (within
    ``e^-6 .. e^6``)."""

    def excess(log_c: float) -> float:
        return float(conditional_pit(days, windows, cdf, math.exp(log_c)).mean()) - 0.5

    low, high = -6.0, 6.0
    if excess(low) <= 0 or excess(high) >= 0:
        return math.exp(low if excess(low) <= 0 else high)
    return math.exp(optimize.brentq(excess, low, high, xtol=1e-6))


def _model_median(windows: np.ndarray, cdf: Cdf) -> float:
    """The median of the mixture over spells of the reference conditioned on ``d <= w``."""
    g_window = np.maximum(np.asarray(cdf(np.asarray(windows, float))), 1e-300)

    def below_half(x: float) -> float:
        g = np.asarray(cdf(np.array([x])))[0]
        return float(np.minimum(g / g_window, 1.0).mean()) - 0.5

    low, high = 1e-9, float(np.max(windows))
    if below_half(low) >= 0:
        return low
    return float(optimize.brentq(below_half, low, high, xtol=1e-9))


def arrival_test(
    new_customers: int, expected: float, calibration_customers: int
) -> tuple[float, float]:
    """Exact conditional test of equal Poisson rates: ``(rate ratio, p)``.

    ``expected``: the holdout's new customers at the fitted rate, which was estimated
    from ``calibration_customers`` arrivals; given the total, the holdout's count is
    binomial with probability ``expected / (expected + calibration_customers)``.

    >>> ratio, p = arrival_test(50, 100.0, 1000)
    >>> round(ratio, 2), p < 1e-4
    (0.5, True)
    """
    total = new_customers + calibration_customers
    share = expected / (expected + calibration_customers)
    p = stats.binomtest(new_customers, total, share).pvalue
    return new_customers / expected, float(p)


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values (same order as given).

    >>> holm(np.array([0.01, 0.04, 0.03])).round(6).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(stepped, 1.0)
    return out


def holdout_spells(fit: Fit, events: pd.DataFrame, span_days: float) -> pd.DataFrame:
    """The holdout's spells (:func:`.stages.spells`): ``customer_id, node, days,
    target`` (-1: open at the end) and ``start`` (days from the cut-off; negative for the
    spell a customer was in at the cut-off, from the fit's customer state).

    ``events``: the holdout in :class:`~.holdout.HoldoutFrame`'s shape (``customer,
    day, node``, mapped and ended at each customer's first outcome)."""
    state = fit.customers[~fit.customers["closed"].to_numpy()]
    warm = pd.DataFrame(
        {
            "customer": state["customer_id"].astype(str).to_numpy(),
            "day": -state["elapsed_days"].to_numpy(dtype=float),
            "node": state["node"].to_numpy(),
        }
    )
    held = events[["customer", "day", "node"]]
    both = pd.concat([warm[warm["customer"].isin(set(held["customer"]))], held])
    both = both.sort_values(["customer", "day"], kind="stable").reset_index(drop=True)
    frame = pd.DataFrame(
        {
            "customer_id": both["customer"],
            "time": fit.cutoff + pd.to_timedelta(both["day"], unit="D"),
            "node": both["node"],
        }
    )
    spec = fit.mapping
    end = fit.cutoff + pd.to_timedelta(span_days, unit="D")
    out = spells(frame, end, (*spec.touchpoints, *spec.outcomes))
    out["start"] = both["day"].to_numpy(dtype=float)
    return out[out["node"].isin(list(spec.touchpoints))].reset_index(drop=True)


def _class_moves(fit: Fit, node: int) -> np.ndarray:
    """(K,) each class's calibration moves out of fitted touchpoint ``node``."""
    return np.asarray(fit.mixture.counts[:, node, :].sum(axis=1), dtype=float)


def reference_row(fit: Fit, node: int) -> tuple[np.ndarray, float]:
    """The movers' row at fitted touchpoint ``node`` the scenario simulates (the classes'
    rows mixed by their calibration moves out of it) and the number of those moves."""
    moves = _class_moves(fit, node)
    rows = fit.mixture.rows()[:, node, :]
    weights = moves / moves.sum() if moves.sum() > 0 else fit.mixture.share
    return weights @ rows, float(moves.sum())


def reference_cdf(fit: Fit, node: int) -> Cdf:
    """The movers' dwell CDF at fitted touchpoint ``node``, mixed over the classes by
    their calibration moves out of it (a callable of days)."""
    mix = fit.mixture
    moves = _class_moves(fit, node)
    if moves.sum() <= 0:
        moves = np.asarray(mix.share, dtype=float)
    spells_started = moves / np.maximum(1 - mix.q[:, node], 1e-12)
    weights = spells_started / spells_started.sum()
    level = float(weights @ (1 - mix.q[:, node]))  # the share that moves on
    return lambda days: mix.next_event_cdf(node, days, weights) / level


def _row_record(fit: Fit, name: str, node: int, done: pd.DataFrame) -> dict[str, Any]:
    """The transition-row test of one touchpoint from its completed holdout spells."""
    targets = (*fit.mapping.touchpoints, *fit.mapping.outcomes)
    share, moves = reference_row(fit, node)
    observed = np.bincount(done["target"].to_numpy(), minlength=len(targets)).astype(float)
    chi2, df, p = row_test(observed, share, reference_moves=moves)
    diff = observed / observed.sum() - share
    j = int(np.argmax(np.abs(diff)))
    detail = (
        f"to {targets[j]}: {observed[j] / observed.sum():.1%} of {observed.sum():.0f} moves, "
        f"model {share[j]:.1%}"
    )
    return _record(
        "transition row", name, len(done), chi2, df, p, 100 * diff[j], "pp", detail, targets[j]
    )


def _dwell_record(
    fit: Fit, name: str, node: int, done: pd.DataFrame, span_days: float
) -> dict[str, Any]:
    """The dwell test of one touchpoint from its completed spells started in the holdout
    (on the touchpoint's calendar clock when it has one, as its dwell was fitted)."""
    start = done["start"].to_numpy(dtype=float)
    windows = span_days - start
    days = done["days"].to_numpy(dtype=float)
    calendar = (fit.assembler.calendars or {}).get(name)
    if calendar is not None:
        clock = calendar.clock(start)
        days = calendar.clock(start + days) - clock
        windows = calendar.clock(np.full(len(start), float(span_days))) - clock
    moves = float(_class_moves(fit, node).sum())
    t = dwell_test(days, windows, reference_cdf(fit, node), reference_spells=moves)
    detail = (
        f"completed spells' median {t.holdout_median:.3g} days, model {t.model_median:.3g} "
        "under the same windows"
    )
    return _record(
        "dwell", name, len(done), t.distance, math.nan, t.p_value, t.scale_ratio, "ratio", detail
    )


def _record(
    test: str,
    touchpoint: str,
    n: int,
    statistic: float,
    df: float,
    p: float,
    effect: float,
    measure: str,
    detail: str,
    target: str = "",
) -> dict[str, Any]:
    """One row of the drift table (without the correction's columns)."""
    return {
        "test": test,
        "touchpoint": touchpoint,
        "target": target,
        "n": int(n),
        "statistic": float(statistic),
        "df": float(df),
        "p_value": float(p),
        "effect": float(effect),
        "effect_measure": measure,
        "detail": detail,
    }


def _touchpoint_records(
    fit: Fit, sp: pd.DataFrame, span_days: float
) -> tuple[list[dict[str, Any]], list[str]]:
    """The row and dwell tests of every fitted touchpoint, and those skipped."""
    records, skipped = [], []
    for node, name in enumerate(fit.exits):
        done = sp[(sp["node"] == name) & (sp["target"] >= 0)]
        fresh = done[done["start"] >= 0]
        row = _row_record(fit, name, node, done) if len(done) >= MIN_OBSERVED else None
        if row is not None and math.isfinite(row["p_value"]):
            records.append(row)
        else:
            skipped.append(f"transition row at {name}: {len(done)} moves")
        if len(fresh) < MIN_OBSERVED:
            skipped.append(f"dwell at {name}: {len(fresh)} completed spells")
        elif reference_cdf(fit, node)(np.array([INSTANT_DAYS]))[0] >= 0.5:
            skipped.append(f"dwell at {name}: near-instant (the model's median under a minute)")
        else:
            records.append(_dwell_record(fit, name, node, fresh, span_days))
    return records, skipped


def expected_arrivals(fit: Fit, days: float) -> float:
    """New customers the fitted rate (its weekly / monthly pattern applied) expects in
    the first ``days`` days after the cut-off."""
    start = fit.cutoff
    dates = pd.date_range(start.normalize(), start + pd.to_timedelta(days, unit="D"), freq="D")
    day0 = (dates - start).total_seconds().to_numpy() / 86400.0  # each date's start, in days
    overlap = np.clip(np.minimum(day0 + 1, days) - np.maximum(day0, 0.0), 0.0, None)
    return float((fit.arrivals.rate_on(dates) * overlap).sum())


def _arrival_records(
    fit: Fit, events: pd.DataFrame, arrivals_days: float
) -> tuple[list[dict[str, Any]], list[str]]:
    """The arrivals test (none for a closed cohort or too few calibration arrivals)."""
    if fit.mapping.closed_cohort:
        return [], []
    calibration = int(fit.arrivals.customers)
    expected = expected_arrivals(fit, arrivals_days)
    if calibration < MIN_OBSERVED or expected <= 0:
        return [], [f"arrivals: {calibration} in the calibration period"]
    new = events[~events["existing"].to_numpy()]
    first = new.sort_values("day", kind="stable").groupby("customer").first()
    starts = first["node"].isin(list(fit.mapping.touchpoints)) & (first["day"] < arrivals_days)
    count = int(starts.sum())
    ratio, p = arrival_test(count, expected, calibration)
    detail = f"{count} new customers, {expected:.1f} expected"
    return [_record("arrivals", "", count, count, math.nan, p, ratio, "rate ratio", detail)], []


def detect_drift(
    fit: Fit,
    events: pd.DataFrame,
    *,
    span_days: float,
    arrivals_days: float | None = None,
    alpha: float = 0.01,
) -> Drift:
    """The drift tests of the module's docstring on a holdout log, Holm-corrected.

    Parameters
    ----------
    fit : Fit
        The calibrated model (its mixture, mapping, customers' state and arrivals).
    events : DataFrame
        The holdout in :class:`~.holdout.HoldoutFrame`'s shape: ``customer, existing,
        day, node`` (days from the cut-off), mapped with the fit's mapping and ended at
        each customer's first outcome.
    span_days : float
        Length of the holdout window in days (spells still going then are open).
    arrivals_days : float, optional
        New customers counted up to this day (default ``span_days``).
    alpha : float
        Family-wise level of the alarms, in (0, 1).

    Raises
    ------
    CalibrationError
        For ``alpha`` outside (0, 1).
    """
    if not 0 < alpha < 1:
        raise CalibrationError(f"drift: alpha must be in (0, 1), got {alpha}")
    sp = holdout_spells(fit, events, span_days)
    records, skipped = _touchpoint_records(fit, sp, span_days)
    until = span_days if arrivals_days is None else min(arrivals_days, span_days)
    more, more_skipped = _arrival_records(fit, events, until)
    table = pd.DataFrame(
        [*records, *more], columns=[c for c in DRIFT_COLUMNS if c not in ("p_adjusted", "alarm")]
    )
    adjusted = holm(table["p_value"].to_numpy(dtype=float))
    table.insert(DRIFT_COLUMNS.index("p_adjusted"), "p_adjusted", adjusted)
    table.insert(DRIFT_COLUMNS.index("alarm"), "alarm", adjusted <= alpha)
    return Drift(table, alpha, (*skipped, *more_skipped))
