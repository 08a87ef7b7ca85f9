"""Office hours (:mod:`cjsim.calibration.office`): an hour-of-week pace of moving on,
found by a test and never invented.

References: spells generated with a known weekly calendar (staff work weekdays 8 to
20, and barely otherwise), started mostly in the daytime like real arrivals.

- the test finds the pattern, and the fitted factors put the open hours at their true
  level within 4 standard errors (Poisson counts of the moves), while the same check
  rejects the flat pace (the wrong model);
- logs with the same daytime starts but no office hours (a gamma dwell whose hazard
  falls with the time already spent, the hard case for a baseline in bins) are
  rejected at most as often as the level allows: the count of rejections among 40
  seeds at 1 % stays below the binomial bound of 0.1 % (3), and the same count on
  office-hour logs is 40;
- through :func:`~cjsim.calibrate`: the weekly calendar reaches the scenario with
  ``period_days = 7`` and the dwell is fitted on the office clock; a log of dates (all
  at midnight, like CDNOW) is not tested.
"""

import math

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.calibration.office import (
    HOURS,
    hour_of_week,
    office_factors,
    office_test,
    week_calendar,
)

DAYS = 56.0  # eight weeks, the log starting on a Monday
OPEN = np.zeros(HOURS, dtype=bool)
for _day in range(5):
    OPEN[_day * 24 + 8 : _day * 24 + 20] = True
TRUE = np.where(OPEN, 1.0, 0.02)
TRUE = TRUE / TRUE.mean()  # the calendar's factors average 1 over the week


def starts(rng: np.random.Generator, n: int) -> np.ndarray:
    """Start days in [0, DAYS), four in five in the open hours."""
    hour = np.where(
        rng.random(n) < 0.8,
        rng.choice(np.flatnonzero(OPEN), n),
        rng.choice(np.flatnonzero(~OPEN), n),
    )
    week = rng.integers(0, int(DAYS // 7), n)
    return week * 7 + (hour + rng.random(n)) / 24


def spells(seed: int, office: bool, n: int = 3000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(start, days, moved): a dwell of mean one day on the office clock (``office``) or
    a gamma(0.5) dwell of mean one day in real time; censored at DAYS."""
    rng = np.random.default_rng(seed)
    t0 = starts(rng, n)
    if office:
        cal = week_calendar(TRUE)
        end = cal.real(cal.clock(t0) + rng.exponential(1.0, n))
    else:
        end = t0 + rng.gamma(0.5, 2.0, n)
    moved = end < DAYS
    return t0, np.minimum(end, DAYS) - t0, moved


def test_office_hours_are_found_and_their_level_recovered():
    t0, days, moved = spells(0, office=True)
    _, p = office_test(t0, days, moved)
    assert p < 1e-12
    factor = office_factors(t0, days, moved)
    end_hour = np.floor(np.mod(24 * (t0 + days)[moved], HOURS)).astype(int)
    for hours in (OPEN, ~OPEN):
        # the hours' mean factor: its relative standard error from the moves counted
        se = TRUE[hours].mean() / math.sqrt(int(hours[end_hour].sum()))
        fitted = factor[hours].mean()
        assert abs(fitted - TRUE[hours].mean()) < 4 * se, (fitted, TRUE[hours].mean(), se)
        assert abs(fitted - 1.0) > 4 * se  # the wrong model: no office hours


def test_no_pattern_is_invented_at_the_stated_level():
    rejected = sum(office_test(*spells(seed, office=False))[1] < 0.01 for seed in range(40))
    assert rejected <= 3  # P(Binomial(40, 0.01) > 3) < 0.001
    found = sum(office_test(*spells(seed, office=True, n=1500))[1] < 0.01 for seed in range(40))
    assert found == 40


def test_too_few_moves_are_not_tested():
    t0, days, moved = spells(1, office=True, n=400)
    assert all(math.isnan(x) for x in office_test(t0, days, moved))


def test_hour_of_week_counts_from_monday_midnight():
    times = pd.to_datetime(["2024-01-01 00:30", "2024-01-07 23:00", "2024-01-10 12:00"])
    np.testing.assert_allclose(hour_of_week(times.to_numpy()), [0.5, 167.0, 60.0])


def office_log(seed: int = 2, n: int = 3000) -> pd.DataFrame:
    """Each customer visits the site (at a daytime-heavy hour) and, after a dwell of
    mean one office day, either buys or leaves a trace of leaving."""
    rng = np.random.default_rng(seed)
    t0, days, _ = spells(seed, office=True, n=n)
    monday = pd.Timestamp("2024-01-01")
    first = monday + pd.to_timedelta(t0, "D")
    then = monday + pd.to_timedelta(t0 + days, "D")
    kind = np.where(rng.random(n) < 0.6, "buy", "quit")
    ids = [f"c{i}" for i in range(n)]
    seen = (t0 + days) < DAYS
    return pd.DataFrame(
        {
            "customer_id": ids + [i for i, s in zip(ids, seen, strict=True) if s],
            "timestamp": list(first) + list(then[seen]),
            "event": ["visit"] * n + list(kind[seen]),
            "value": 10.0,
        }
    )


MAPPING = {
    "touchpoints": {"site": ["visit"], "shop": ["buy"]},
    "outcomes": {"quit": ["quit"]},
    "purchases": ["shop"],
    "cutoff": "2024-02-26",
}


@pytest.fixture(scope="module")
def fit():
    return cjsim.calibrate(office_log(), MAPPING, cjsim.EventColumns(segment=None))


def test_the_weekly_calendar_reaches_the_scenario(fit):
    rate = fit.scenario.touchpoints["site"].dwell_rate
    assert rate is not None and rate.period_days == 7.0
    row = fit.report["office_hours"].set_index("touchpoint").loc["site"]
    assert row["used"] and row["p_value"] < 1e-12
    # day 0 is the cut-off, a Monday 00:00: closed until 08:00, then open
    assert rate.factors[0][0] == 0.0 and rate.factors[0][1] < 0.2
    assert dict(rate.factors)[8 / 24] > 1.5
    # the dwell is in office days: mean one day, as generated (real time: longer)
    assert 0.85 < fit.scenario.touchpoints["site"].dwell.mean < 1.15


def test_a_log_of_dates_is_not_tested():
    log = office_log(n=1500)
    log["timestamp"] = log["timestamp"].dt.normalize()
    fit = cjsim.calibrate(log, MAPPING, cjsim.EventColumns(segment=None))
    assert fit.report["office_hours"].empty
    assert fit.scenario.touchpoints["site"].dwell_rate is None
    assert fit.arrivals.hourly is None


def test_arrivals_keep_their_hours(fit):
    """Reference: four in five visits start in the open hours; the fitted hourly rates
    over the scenario's first four weeks put that share of the arrivals there within 4
    binomial standard errors, and the same check rejects arrivals spread over the day."""
    assert fit.arrivals.hourly is not None
    rates = fit.scenario.population.arrivals.rates
    starts = np.array([s for s, _ in rates] + [28.0])
    keep = starts[:-1] < 28
    span = np.diff(starts)[keep]
    expected = np.array([r for _, r in rates])[keep] * span
    hour = np.floor(np.mod(24 * starts[:-1][keep], HOURS)).astype(int)  # day 0: Monday 0:00
    share = expected[OPEN[hour]].sum() / expected.sum()
    se = math.sqrt(0.8 * 0.2 / fit.arrivals.customers)
    assert abs(share - 0.8) < 4 * se
    assert abs(OPEN.mean() - 0.8) > 4 * se  # the wrong model: no hour-of-week pattern


def test_a_fit_with_office_hours_loads_back_whole(fit, tmp_path):
    fit.save(tmp_path / "fit")
    back = cjsim.load_fit(tmp_path / "fit")
    assert back.scenario == fit.scenario
    assert back.assembler.calendars == fit.assembler.calendars
    assert back.arrivals.hourly == fit.arrivals.hourly
    drawn = back.sample_scenarios(1, seed=0)[0].touchpoints["site"].dwell_rate
    assert drawn == fit.scenario.touchpoints["site"].dwell_rate
