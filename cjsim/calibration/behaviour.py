"""Seasonality in behaviour: whether customers move on faster in some months of the year
(the run-up to Christmas, summer holidays), tested and never invented.

Per fitted touchpoint, from the calibration period's spells:

- **observed**: the events that ended a spell there (a move to the next touchpoint or
  an outcome), counted per calendar month;
- **expected**: what the touchpoint's pooled cure fit (:mod:`.exits`) predicts in the
  same months without any season: each spell contributes the rise of its cumulative
  hazard of moving on, ``H(e) = -log(q + (1 - q) S(e))``, over the days it spent in each
  month (a spell is cut at month boundaries), so the customers' elapsed time — a fresh
  visit moves on sooner than an old one — is accounted for;
- **test**: a Poisson regression of the observed on the expected (as an offset) with a
  log-linear trend over the period, with and without a factor per month of the year; the
  deviance drop is tested by the quasi-Poisson F test when the counts vary more than
  Poisson, else by chi-squared (:func:`.arrivals.quasi_poisson`, shared with the
  arrivals).  The trend takes up a slow drift the stationary fit misses (customers'
  ageing, a misfitted mixture), so only a pattern that repeats by month counts; the test
  runs only with at least :data:`MIN_DAYS` days of data, every month seen twice;
- **use**: significant at :data:`ALPHA`, the factors (each month's observed over
  expected, relative to the whole period's) become the touchpoint's calendar of dwell
  rates (:class:`~cjsim.model.DwellRate`) from the cut-off over the horizon.  The dwell
  fitted without the season is an average over the months; the factors average 1 over
  the exposure, so the base stays the average pace (an approximation: the dwell is not
  refitted with the season).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cjsim.calibration.arrivals import quasi_poisson
from cjsim.calibration.exits import ExitFit
from cjsim.calibration.families import MIN_DAYS as SHORTEST

__all__ = ["ALPHA", "MIN_DAYS", "BehaviourFit", "fit_behaviour", "seasonal_test", "summary_line"]

MIN_DAYS = 730  # two years: every month seen at least twice
ALPHA = 0.01
REFINE = 20  # at most this many refinements of the factors
DAYS_IN_MONTH = np.array([31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
COLUMNS = ["touchpoint", "months", "statistic", "p_value", "used", "note"]


@dataclass(frozen=True)
class BehaviourFit:
    """The tests per touchpoint and the monthly factors of those whose test passed."""

    tests: pd.DataFrame  # COLUMNS
    factors: dict[str, tuple[float, ...]]  # touchpoint -> factor per month, January first

    def calendar(
        self, touchpoint: str, start: pd.Timestamp, horizon_days: float
    ) -> tuple[tuple[float, float], ...] | None:
        """``((day, factor), ...)`` from ``start`` over the horizon (equal months merged);
        None without a significant pattern."""
        factors = self.factors.get(touchpoint)
        if factors is None:
            return None
        days = np.arange(math.ceil(horizon_days) + 1)
        months = pd.DatetimeIndex(start.normalize() + pd.to_timedelta(days, "D")).month - 1
        out: list[tuple[float, float]] = []
        for d, f in zip(days.tolist(), np.asarray(factors)[months].tolist(), strict=True):
            if not out or not math.isclose(out[-1][1], f, rel_tol=1e-12):
                out.append((float(d), round(float(f), 9)))
        return tuple(out)


def summary_line(tests: pd.DataFrame) -> str:
    """One line for :meth:`Fit.summary <cjsim.calibration.Fit.summary>` from the tests
    (``BehaviourFit.tests``, as ``Fit.report["behaviour_seasonality"]`` keeps them)."""
    used = tests[tests["used"]]
    if len(used):
        return f"seasonal pace of moving on (month of the year) at {', '.join(used['touchpoint'])}"
    return f"seasonality in behaviour: {tests['note'].iloc[0]}"


def _month(times: np.ndarray, start: pd.Timestamp) -> np.ndarray:
    """Calendar months since ``start``'s month."""
    index = pd.DatetimeIndex(times)
    return np.asarray((index.year - start.year) * 12 + index.month - start.month)


def _ends(spells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each spell's start and end as datetime64."""
    t0 = spells["time"].to_numpy(dtype="datetime64[ns]")
    return t0, t0 + (spells["days"].to_numpy() * 86400e9).astype("timedelta64[ns]")


def _pieces(spells: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """Each spell cut at calendar-month boundaries: ``month`` (months since the data's
    first month), ``e0, e1`` (elapsed days at the piece's start and end)."""
    t0, t1 = _ends(spells)
    m0, m1 = _month(t0, start), _month(t1, start)
    count = m1 - m0 + 1
    spell = np.repeat(np.arange(len(spells)), count)
    month = m0[spell] + np.arange(len(spell)) - np.repeat(np.cumsum(count) - count, count)
    first_day = pd.Timestamp(year=start.year, month=start.month, day=1)
    bounds = pd.date_range(first_day, periods=int(m1.max()) + 2, freq="MS").to_numpy()
    lo = np.maximum(bounds[month], t0[spell])
    hi = np.minimum(bounds[month + 1], t1[spell])
    day = np.timedelta64(1, "D")
    return pd.DataFrame(
        {
            "spell": spell,
            "month": month,
            "e0": (lo - t0[spell]) / day,
            "e1": (hi - t0[spell]) / day,
        }
    )


def _cumulative_hazard(fit: ExitFit, elapsed: np.ndarray) -> np.ndarray:
    """``-log(q + (1 - q) S(e))``: the expected number of moves by ``e`` days."""
    sf = fit.dist.scipy().sf(np.maximum(elapsed, SHORTEST))
    return -np.log(fit.exit_probability + (1 - fit.exit_probability) * sf)


def _expected(
    pieces: pd.DataFrame, fit: ExitFit, factor: np.ndarray, calendar: np.ndarray, months: int
) -> np.ndarray:
    """Expected moves per month when the pace in each calendar month is ``factor``: each
    spell's operational elapsed time runs at the factor of the month it is in."""
    step = factor[calendar[pieces["month"].to_numpy()]] * (pieces["e1"] - pieces["e0"]).to_numpy()
    spell = pieces["spell"].to_numpy()
    total = np.cumsum(step)
    first = np.r_[True, spell[1:] != spell[:-1]]
    before = (total - step)[first][np.cumsum(first) - 1]  # total before each spell
    end = total - before
    hazard = _cumulative_hazard(fit, end) - _cumulative_hazard(fit, end - step)
    return np.bincount(pieces["month"], weights=hazard, minlength=months)


def _poisson(y: np.ndarray, design: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """The fitted means of a Poisson regression of ``y`` on ``design`` with ``offset``
    (log link), by iteratively reweighted least squares."""
    beta = np.zeros(design.shape[1])
    beta[0] = math.log(max(y.sum(), 1e-12) / np.exp(offset).sum())
    for _ in range(100):
        mu = np.exp(offset + design @ beta)
        z = design @ beta + (y - mu) / mu
        weighted = design * mu[:, None]
        step = np.linalg.lstsq(design.T @ weighted, weighted.T @ z, rcond=None)[0]
        done = np.abs(step - beta).max() < 1e-10
        beta = step
        if done:
            break
    return np.exp(offset + design @ beta)


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)
    return 2 * float(terms.sum())


def seasonal_test(
    observed: np.ndarray, expected: np.ndarray, month_of_year: np.ndarray
) -> tuple[float, float, np.ndarray]:
    """(statistic, p, factor per month of the year) of a month-of-year pattern in
    ``observed`` beyond ``expected`` and a log-linear trend over the cells (months of
    data, in order); the factors average 1 over a year's days (1 where unseen)."""
    keep = expected > 0
    y, offset, month = observed[keep], np.log(expected[keep]), month_of_year[keep]
    t = np.arange(len(observed))[keep].astype(float)
    trend = np.column_stack([np.ones(len(y)), (t - t.mean()) / max(t.std(), 1.0)])
    seen = np.unique(month)
    dummies = (month[:, None] == seen[None, 1:]).astype(float)
    full = np.column_stack([trend, dummies])
    df1, df2 = len(seen) - 1, len(y) - full.shape[1]
    if df1 < 1 or df2 < 1 or y.sum() <= 0:
        return math.nan, math.nan, np.ones(12)
    mu0, mu1 = _poisson(y, trend, offset), _poisson(y, full, offset)
    pearson = float(((y - mu1) ** 2 / mu1).sum()) / df2
    stat, p = quasi_poisson(_deviance(y, mu0) - _deviance(y, mu1), df1, df2, pearson)
    # each month's factor: its fitted over the trend model's, by month of the year
    ratio = np.ones(12)
    for m in seen:
        at = month == m
        ratio[m] = mu1[at].sum() / mu0[at].sum()
    return stat, p, ratio / (ratio @ DAYS_IN_MONTH / DAYS_IN_MONTH.sum())


def _test(
    spells: pd.DataFrame, fit: ExitFit, start: pd.Timestamp
) -> tuple[float, float, np.ndarray, int]:
    """(statistic, p, factor per month of the year, months of data) at one touchpoint:
    the test against no season, then the factors refined until the expectations under
    them (elapsed time on the seasonal clock) leave no month-of-year pattern."""
    pieces = _pieces(spells, start)
    months = int(pieces["month"].max()) + 1
    month_of_year = (np.arange(months) + start.month - 1) % 12
    done = spells["target"].to_numpy() >= 0
    observed = np.bincount(_month(_ends(spells)[1][done], start), minlength=months).astype(float)
    factor = np.ones(12)
    expected = _expected(pieces, fit, factor, month_of_year, months)
    stat, p, level = seasonal_test(observed, expected, month_of_year)
    for _ in range(REFINE):
        factor = factor * level
        expected = _expected(pieces, fit, factor, month_of_year, months)
        level = seasonal_test(observed, expected, month_of_year)[2]
        if np.abs(level - 1).max() < 1e-6:
            break
    factor = factor * level
    return stat, p, factor / (factor @ DAYS_IN_MONTH / DAYS_IN_MONTH.sum()), months


def fit_behaviour(
    spells: pd.DataFrame,
    fits: dict[str, ExitFit],
    start: pd.Timestamp,
    cutoff: pd.Timestamp,
    *,
    seasonality: str = "auto",
    alpha: float = ALPHA,
) -> BehaviourFit:
    """Test each fitted touchpoint's pace of moving on for a month-of-year pattern.

    ``spells`` are the calibration period's (``customer_id, node, days, target`` and the
    spell's start ``time``), ``fits`` the pooled cure fits, ``start`` and ``cutoff`` the
    period; ``seasonality="none"`` skips the tests.
    """
    days = (cutoff - start).total_seconds() / 86400
    rows = []
    factors: dict[str, tuple[float, ...]] = {}
    if seasonality == "none":
        return BehaviourFit(pd.DataFrame(columns=COLUMNS), factors)
    for name, fit in fits.items():
        at = spells[spells["node"] == name]
        if days < MIN_DAYS:
            note = f"not tested: the calibration period has {days:.0f} days, it needs {MIN_DAYS}"
            rows.append((name, math.ceil(days / 30.44), math.nan, math.nan, False, note))
            continue
        f, p, level, months = _test(at, fit, start)
        used = bool(p < alpha)
        note = f"p = {p:.3g} ({'used' if used else 'not significant'} at {alpha:g})"
        rows.append((name, months, f, p, used, note))
        if used:
            factors[name] = tuple(np.round(level, 6).tolist())
    return BehaviourFit(pd.DataFrame(rows, columns=COLUMNS), factors)
