"""New customers: a Poisson arrival rate, with weekly or monthly seasonality when the
data show it.

The daily counts of first events are tested for a day-of-week pattern, and — with at
least two years of data — a month-of-year pattern, each by a quasi-Poisson F test of the
seasonal model against the constant rate (the dispersion estimated from the seasonal
model's Pearson residuals, so day-to-day noise beyond Poisson does not pass for
seasonality).  A log whose times have a time of day (:func:`.has_time_of_day`)
is also tested (with five arrivals per hour of the week at least), by the same test on
hourly counts, for an hour-of-week pattern: used, it
replaces the day-of-week one (it holds it), so customers arrive at the hours they did —
which matters once a touchpoint keeps office hours (:mod:`.office`).  A pattern
significant at ``alpha`` multiplies the base rate; the result is written as piecewise
daily (with an hour-of-week pattern, hourly) rates from the cut-off over the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["ArrivalFit", "fit_arrivals", "has_time_of_day", "pattern_test", "quasi_poisson"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class ArrivalFit:
    """Base rate per day with its standard error, seasonal factors and their tests."""

    rate_per_day: float
    rate_se: float
    customers: int
    days: float
    weekly: tuple[float, ...] | None  # factor per weekday, Monday first; None = not shown
    monthly: tuple[float, ...] | None  # factor per month, January first
    tests: pd.DataFrame  # pattern, f_statistic, p_value, used
    hourly: tuple[float, ...] | None = None  # factor per hour of the week, Monday 0-1 first

    def rate_on(self, dates: pd.DatetimeIndex) -> np.ndarray:
        """The fitted rate on each date (with an hour-of-week pattern, the day's mean)."""
        rate = np.full(len(dates), self.rate_per_day)
        if self.hourly is not None:
            rate *= np.asarray(self.hourly).reshape(7, 24).mean(axis=1)[dates.day_of_week]
        elif self.weekly is not None:
            rate *= np.asarray(self.weekly)[dates.day_of_week]
        if self.monthly is not None:
            rate *= np.asarray(self.monthly)[dates.month - 1]
        return rate

    def piecewise(self, start: pd.Timestamp, horizon_days: float) -> list[tuple[float, float]]:
        """``[(day, rate), ...]`` from ``start`` over the horizon, equal pieces merged."""
        if self.weekly is None and self.monthly is None and self.hourly is None:
            return [(0.0, self.rate_per_day)]
        per_day = 24 if self.hourly is not None else 1
        steps = np.arange(math.ceil(horizon_days * per_day) + 1)
        days = steps / per_day
        # a pattern keyed by calendar day (hour): piece d covers [start + d, start + d + step)
        hourly = per_day == 24
        times = start.floor("h" if hourly else "D") + pd.to_timedelta(steps, "h" if hourly else "D")
        rates = self.rate_on(pd.DatetimeIndex(times))
        if self.hourly is not None:
            hour = (times.day_of_week * 24 + times.hour).to_numpy()
            daily = np.asarray(self.hourly).reshape(7, 24).mean(axis=1)[times.day_of_week]
            rates = rates / daily * np.asarray(self.hourly)[hour]
        out: list[tuple[float, float]] = []
        for d, r in zip(days.tolist(), rates.tolist(), strict=True):
            if not out or not math.isclose(out[-1][1], r, rel_tol=1e-12):
                out.append((float(d), round(float(r), 9)))
        return out


def has_time_of_day(times: pd.Series) -> bool:
    """Whether most times carry a time of day (not all at midnight, as in a log of dates)."""
    t = pd.Series(np.asarray(times, dtype="datetime64[ns]"))
    return bool(len(t)) and float((t != t.dt.normalize()).mean()) >= 0.5


def quasi_poisson(drop: float, df1: int, df2: int, dispersion: float) -> tuple[float, float]:
    """(F, p) of a deviance drop on ``df1`` degrees of freedom, scaled by the dispersion
    estimated on ``df2`` (the quasi-Poisson F test).  The dispersion is not floored at
    1: the F reference already allows for its noise, and a floor makes the test far more
    conservative than its level."""
    f = (drop / df1) / max(dispersion, 1e-12)
    return f, float(stats.f.sf(f, df1, df2))


def pattern_test(
    counts: np.ndarray, key: np.ndarray, levels: int, expected: np.ndarray | None = None
) -> tuple[float, float, np.ndarray]:
    """Quasi-Poisson F test of a per-level rate against one rate for all levels.

    ``counts`` per cell (a day, a month), ``key`` each cell's level (a weekday, a
    month of the year), and ``expected`` each cell's exposure (default one per cell):
    under the constant model a cell's mean is ``rate * expected``, under the pattern
    ``rate[level] * expected``.  The dispersion comes from the pattern model's Pearson
    residuals, so noise beyond Poisson does not pass for a pattern (:func:`quasi_poisson`).
    Returns (F, p, factors: each level's rate over the overall one; 1 where unseen).
    """
    exposure_cell = np.ones(len(counts)) if expected is None else np.asarray(expected, float)
    total = float(exposure_cell.sum())
    rate = float(counts.sum()) / total if total > 0 else 0.0
    exposure = np.bincount(key, weights=exposure_cell, minlength=levels)
    observed = np.bincount(key, weights=counts, minlength=levels)
    seen = exposure > 0
    level_rate = np.divide(observed, exposure, out=np.full(levels, rate), where=seen)
    fitted = level_rate[key] * exposure_cell
    null = rate * exposure_cell
    log_ratio = np.log(np.maximum(fitted, 1e-300)) - np.log(np.maximum(null, 1e-300))
    ratio = np.where(counts > 0, log_ratio, 0.0)
    deviance_drop = 2 * float((counts * ratio).sum())
    df1 = int(seen.sum()) - 1
    df2 = int((exposure_cell > 0).sum()) - int(seen.sum())
    if df1 < 1 or df2 < 1 or rate <= 0:
        return math.nan, math.nan, np.ones(levels)
    pearson = float((((counts - fitted) ** 2) / np.maximum(fitted, 1e-12)).sum()) / df2
    f, p = quasi_poisson(deviance_drop, df1, df2, pearson)
    factors = np.where(seen, level_rate / rate, 1.0)
    return float(f), p, factors


def fit_arrivals(
    first_times: pd.Series,
    start: pd.Timestamp,
    cutoff: pd.Timestamp,
    *,
    seasonality: str = "auto",
    alpha: float = 0.01,
) -> ArrivalFit:
    """Fit the arrival process to customers' first-event times in ``[start, cutoff)``.

    ``seasonality``: ``"auto"`` (use a pattern when its test is significant at
    ``alpha``), ``"none"``, ``"weekly"``, ``"monthly"`` or ``"both"``.
    """
    times = first_times[(first_times >= start) & (first_times < cutoff)]
    span = max((cutoff - start).total_seconds() / 86400.0, 1e-9)
    n = len(times)
    rate = n / span
    day0 = start.normalize()
    n_days = max((cutoff.normalize() - day0).days, 0)
    dates = pd.DatetimeIndex(day0 + pd.to_timedelta(np.arange(n_days), "D"))
    idx = ((times.dt.normalize() - day0).dt.days).to_numpy()
    counts = np.bincount(idx[idx < n_days], minlength=n_days).astype(float)
    rows = []
    weekly = monthly = None
    if n_days >= 28:
        f, p, factors = pattern_test(counts, dates.day_of_week.to_numpy(), 7)
        use = seasonality in ("weekly", "both") or (seasonality == "auto" and p < alpha)
        rows.append(("weekly", f, p, use))
        weekly = tuple(np.round(factors, 6).tolist()) if use else None
    if n_days >= 730:  # each month seen at least twice, so a trend is not a season
        f, p, factors = pattern_test(counts, dates.month.to_numpy() - 1, 12)
        use = seasonality in ("monthly", "both") or (seasonality == "auto" and p < alpha)
        rows.append(("monthly", f, p, use))
        monthly = tuple(np.round(factors, 6).tolist()) if use else None
    hourly = None
    if n_days >= 28 and n >= 5 * 168 and has_time_of_day(times):  # five per hour of the week
        f, p, factors = _hour_of_week(times, day0, n_days)
        use = seasonality != "none" and p < alpha
        rows.append(("hour of the week", f, p, use))
        hourly = tuple(np.round(factors, 6).tolist()) if use else None
    tests = pd.DataFrame(rows, columns=["pattern", "f_statistic", "p_value", "used"])
    return ArrivalFit(rate, math.sqrt(n) / span, n, span, weekly, monthly, tests, hourly)


def _hour_of_week(
    times: pd.Series, day0: pd.Timestamp, n_days: int
) -> tuple[float, float, np.ndarray]:
    """:func:`pattern_test` of the hourly counts of arrivals by hour of the week."""
    hours = n_days * 24
    idx = ((times - day0).dt.total_seconds() // 3600).to_numpy().astype(np.intp)
    counts = np.bincount(idx[(idx >= 0) & (idx < hours)], minlength=hours).astype(float)
    cells = pd.DatetimeIndex(day0 + pd.to_timedelta(np.arange(hours), "h"))
    return pattern_test(counts, (cells.day_of_week * 24 + cells.hour).to_numpy(), 168)
