"""Office hours: whether customers move on from a touchpoint only at some hours of the
week (staff who work weekdays 9 to 9 and Saturday mornings), tested and never invented.

Per fitted touchpoint, from the calibration period's spells, in cells of (elapsed time
in the visit, hour of the week):

- **observed**: the moves out of the touchpoint (a next event; silent leavers are not
  seen), by the elapsed-time bin and the hour of the week they happened in;
- **exposure**: the hours the open spells spent in each cell;
- **models**: a Poisson regression of the moves on the exposure (as an offset) with a
  baseline hazard per elapsed-time bin (:data:`BINS` bins at the quantiles of the moves'
  elapsed times, so a fast visit's moves are compared with fast visits' exposure), with
  and without a factor per hour of the week — proportional hazards in the time of the
  week;
- **test**: Pearson's X² of the moves per hour of the week against the model without
  a pattern (the score test of the hour-of-week factor; its cells are the week's 168
  hours, not the sparse two-way table), on 167 degrees of freedom, at :data:`ALPHA`;
  only for a log whose times have a time of day (:func:`has_time_of_day`; a log of
  dates says nothing about hours), with at least :data:`MIN_DAYS` days of data and
  :data:`MIN_MOVES` moves (five per hour of the week, the usual rule for X²);
- **use**: significant, the factors (mean 1 over the week, floored at :data:`FLOOR`)
  become a weekly :class:`~cjsim.model.DwellRate` (``period_days=7``), and are refined
  on the operational clock they define: the elapsed time is the calendar's, so a visit
  started on Friday evening is not counted as a long one (:data:`ROUNDS` rounds).  The
  touchpoint's spells are then measured on that clock (:meth:`OfficeFit.operational`)
  before any dwell is fitted, so the fitted dwell is in office days and the engines'
  time change gives back the real times.

Times are the log's naive UTC; a daylight-saving change moves local office hours by an
hour against UTC, which blurs the edge hours of the calendar.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from cjsim.calibration.arrivals import has_time_of_day
from cjsim.model import DwellRate

if TYPE_CHECKING:
    from cjsim.calibration.stages import PreparedLog

__all__ = [
    "ALPHA",
    "MIN_DAYS",
    "OfficeFit",
    "fit_office",
    "has_time_of_day",
    "hour_of_week",
    "office_factors",
    "office_test",
    "office_tests",
    "with_office_hours",
]

HOURS = 168  # hours in a week
ALPHA = 0.01
MIN_DAYS = 28  # every hour of the week seen four times
MIN_MOVES = 5 * 168  # five moves per hour of the week on average
BINS = 30  # elapsed-time bins of the baseline hazard
ROUNDS = 4  # refinements on the operational clock
FLOOR = 1e-3  # the smallest factor (a calendar's factors are > 0)
MONDAY = np.datetime64("1970-01-05T00:00", "ns")  # hour 0 of the week: Monday 00:00
COLUMNS = ["touchpoint", "moves", "statistic", "p_value", "used", "note"]


def hour_of_week(times: np.ndarray | pd.Series) -> np.ndarray:
    """Hours since Monday 00:00 of each time's week (float in ``[0, 168)``)."""
    hours = (np.asarray(times, dtype="datetime64[ns]") - MONDAY) / np.timedelta64(1, "h")
    return np.mod(hours, HOURS)


def week_calendar(factors: np.ndarray) -> DwellRate:
    """The weekly calendar of hourly ``factors`` (Monday 00:00 first) on a clock whose
    day 0 is a Monday 00:00."""
    return DwellRate(tuple((h / 24, float(f)) for h, f in enumerate(factors)), period_days=7.0)


@dataclass(frozen=True)
class OfficeFit:
    """The tests per touchpoint and the hourly factors of those whose test passed."""

    tests: pd.DataFrame  # COLUMNS
    factors: dict[str, tuple[float, ...]]  # touchpoint -> factor per hour of the week

    def calendar(self, touchpoint: str, start: pd.Timestamp) -> DwellRate | None:
        """The weekly calendar on a clock whose day 0 is ``start`` (equal hours merged);
        None without a significant pattern."""
        factors = self.factors.get(touchpoint)
        if factors is None:
            return None
        shift = float(hour_of_week(np.array([start.to_datetime64()]))[0])
        hours = np.arange(HOURS)
        begin = np.mod(hours - shift, HOURS)  # each hour's start on the new clock
        order = np.argsort(begin)
        pieces: list[tuple[float, float]] = [(0.0, factors[math.floor(shift) % HOURS])]
        for h in order:
            f = factors[h]
            if begin[h] > 0 and not math.isclose(pieces[-1][1], f, rel_tol=1e-12):
                pieces.append((float(begin[h]) / 24, f))
        return DwellRate(tuple(pieces), period_days=7.0)

    def operational(self, spells: pd.DataFrame) -> pd.DataFrame:
        """``spells`` (``time, node, days``) with ``days`` on each touchpoint's
        operational clock (unchanged where there is no pattern)."""
        days = spells["days"].to_numpy(dtype=float).copy()
        for name, factors in self.factors.items():
            at = (spells["node"] == name).to_numpy()
            start = hour_of_week(spells["time"].to_numpy()[at]) / 24
            days[at] = _on_clock(week_calendar(np.asarray(factors)), start, days[at])
        return spells.assign(days=days)

    def elapsed(self, nodes: np.ndarray, since: np.ndarray, cutoff: pd.Timestamp) -> np.ndarray:
        """Operational days from ``since`` (times) to ``cutoff`` at each node."""
        spells = pd.DataFrame(
            {
                "time": since,
                "node": nodes,
                "days": (cutoff - pd.DatetimeIndex(since)).total_seconds().to_numpy() / 86400,
            }
        )
        return self.operational(spells)["days"].to_numpy()


def _on_clock(calendar: DwellRate, start: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Operational days of spells starting at ``start`` (days since a Monday 00:00)."""
    return np.maximum(calendar.clock(start + days) - calendar.clock(start), 0.0)


def _exposure(cell: np.ndarray, a: np.ndarray, b: np.ndarray, bins: int) -> np.ndarray:
    """Hours spent in each (bin, hour of the week) by intervals ``[a, b)`` (hours since
    a Monday 00:00) of bin ``cell``: whole weeks to every hour, the rest by a running sum."""
    out = np.zeros((bins, HOURS + 1))
    weeks = np.floor(b / HOURS) - np.floor(a / HOURS)
    out[:, :HOURS] += np.bincount(cell, weights=weeks, minlength=bins)[:, None]
    for sign, x in ((1.0, b), (-1.0, a)):
        r = np.mod(x, HOURS)
        hour = np.minimum(np.floor(r).astype(np.intp), HOURS - 1)
        step = np.zeros((bins, HOURS + 1))
        np.add.at(step[:, 0], cell, sign)
        np.add.at(step, (cell, hour), -sign)
        out += np.cumsum(step, axis=1)  # +1 on the hours before r
        np.add.at(out, (cell, hour), sign * (r - hour))
    return np.maximum(out[:, :HOURS], 0.0)


def _cells(
    start: np.ndarray, days: np.ndarray, moved: np.ndarray, factors: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(observed, exposure) per (elapsed bin, hour of the week), the elapsed time on the
    calendar of ``factors``; ``start`` in days since a Monday 00:00."""
    cal = week_calendar(factors)
    c0 = cal.clock(start)
    op = np.maximum(cal.clock(start + days) - c0, 0.0)
    edges = np.unique(np.quantile(op[moved], np.linspace(0, 1, BINS + 1)[1:-1]))
    edges = np.r_[0.0, edges[edges > 0], np.inf]
    bins = len(edges) - 1
    lo_edge = np.repeat(edges[:-1][None, :], len(op), axis=0)
    inside = lo_edge < op[:, None]
    spell, k = np.nonzero(inside)
    lo = cal.real(c0[spell] + edges[k])
    hi = cal.real(c0[spell] + np.minimum(edges[k + 1], op[spell]))
    exposure = _exposure(k, 24 * lo, 24 * np.maximum(hi, lo), bins)
    end_bin = np.clip(np.searchsorted(edges, op[moved], side="left") - 1, 0, bins - 1)
    end_hour = np.minimum(np.floor(np.mod(24 * (start + days)[moved], HOURS)), HOURS - 1)
    observed = np.zeros((bins, HOURS))
    np.add.at(observed, (end_bin, end_hour.astype(np.intp)), 1.0)
    return observed, exposure


def _two_factor(observed: np.ndarray, exposure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Poisson fit of ``observed ~ exposure * hazard[bin] * factor[hour]`` by alternating
    maximisation; (hazard, factor) with the factors averaging 1 over the week's hours."""
    factor = np.ones(HOURS)
    hazard = observed.sum(1) / np.maximum(exposure.sum(1), 1e-300)
    for _ in range(200):
        hazard = observed.sum(1) / np.maximum(exposure @ factor, 1e-300)
        new = observed.sum(0) / np.maximum(hazard @ exposure, 1e-300)
        new = np.where((hazard @ exposure) > 0, new, 1.0)
        scale = new.mean() if new.mean() > 0 else 1.0
        done = np.abs(new / scale - factor).max() < 1e-9
        factor = new / scale
        if done:
            break
    return observed.sum(1) / np.maximum(exposure @ factor, 1e-300), factor


def office_test(start: np.ndarray, days: np.ndarray, moved: np.ndarray) -> tuple[float, float]:
    """(X², p) of an hour-of-week pattern in the moves of spells starting at ``start``
    (days since a Monday 00:00) and lasting ``days`` (to a move where ``moved``, else
    censored), against the model without one (see the module docstring).  Spells of no
    time (an event at the same instant) say nothing about the hour and are left out;
    with fewer than :data:`MIN_MOVES` moves there is no test (NaN)."""
    timed = days > 0
    start, days, moved = start[timed], days[timed], moved[timed]
    if moved.sum() < MIN_MOVES:
        return math.nan, math.nan
    observed, exposure = _cells(start, days, moved, np.ones(HOURS))
    hazard = observed.sum(1) / np.maximum(exposure.sum(1), 1e-300)
    expected = hazard @ exposure  # moves per hour of the week without a pattern
    seen = expected > 0
    got = observed.sum(0)
    stat = float(((got - expected)[seen] ** 2 / expected[seen]).sum())
    return stat, float(stats.chi2.sf(stat, int(seen.sum()) - 1))


def office_factors(start: np.ndarray, days: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """The factor per hour of the week (Monday 00:00 first; mean 1, at least
    :data:`FLOOR`) of the proportional-hazards fit, refined on the operational clock."""
    timed = days > 0
    start, days, moved = start[timed], days[timed], moved[timed]
    factor = np.ones(HOURS)
    for _ in range(ROUNDS + 1):
        factor = _two_factor(*_cells(start, days, moved, factor))[1]
        factor = np.maximum(factor, FLOOR)
        factor = factor / factor.mean()
    return factor


def fit_office(
    spells: pd.DataFrame, touchpoints: tuple[str, ...], days: float, *, alpha: float = ALPHA
) -> OfficeFit:
    """Test each touchpoint's moves for an hour-of-week pattern.

    ``spells``: the calibration period's (``time, node, days, target``; -1: open), its
    times with a time of day; ``days``: the period's length.
    """
    rows = []
    factors: dict[str, tuple[float, ...]] = {}
    for name in touchpoints:
        at = spells[spells["node"] == name]
        moved = at["target"].to_numpy() >= 0
        if days < MIN_DAYS:
            note = f"not tested: the calibration period has {days:.0f} days, it needs {MIN_DAYS}"
            rows.append((name, int(moved.sum()), math.nan, math.nan, False, note))
            continue
        start = hour_of_week(at["time"].to_numpy()) / 24
        spent = at["days"].to_numpy(dtype=float)
        f, p = office_test(start, spent, moved)
        used = bool(p < alpha)
        note = f"p = {p:.3g} ({'used' if used else 'not significant'} at {alpha:g})"
        if math.isnan(p):
            note = f"not tested: {int(moved.sum())} timed moves, it needs {MIN_MOVES}"
        rows.append((name, int(moved.sum()), f, p, used, note))
        if used:
            factors[name] = tuple(np.round(office_factors(start, spent, moved), 6).tolist())
    return OfficeFit(pd.DataFrame(rows, columns=COLUMNS), factors)


def office_tests(office: OfficeFit | None) -> pd.DataFrame:
    """The tests of ``office`` (none for a log not tested: no rows)."""
    return pd.DataFrame(columns=COLUMNS) if office is None else office.tests


def with_office_hours(log: PreparedLog, seasonality: str) -> PreparedLog:
    """The log with its office-hours fit (none with ``seasonality="none"`` or a log of
    dates) and its spells on the operational clock."""
    times = log.events["time"]
    if seasonality == "none" or not has_time_of_day(times):
        return log
    days = (log.cutoff - log.data_start).total_seconds() / 86400
    office = fit_office(log.spells, log.touchpoints, days)
    return dataclasses.replace(log, spells=office.operational(log.spells), office=office)
