"""Arrival seasonality is used when the data show it, and only then.

A weekly pattern (weekends at a third of the weekday rate) must be detected and its
factors recovered within 4 standard errors; a constant Poisson stream must not be given a
pattern (the test is at alpha = 1 %, over 20 seeds at most 2 false alarms are allowed:
Binomial(20, 0.01) exceeds 2 with probability 0.001).
"""

import numpy as np
import pandas as pd
import pytest

from cjsim.calibration.arrivals import fit_arrivals, pattern_test

START = pd.Timestamp("2021-01-04")  # a Monday
DAYS = 182


def stream(seed, weekly=None, rate=40.0):
    rng = np.random.default_rng(seed)
    factors = np.ones(7) if weekly is None else np.asarray(weekly)
    dates = START + pd.to_timedelta(np.arange(DAYS), "D")
    counts = rng.poisson(rate * factors[dates.day_of_week])
    times = np.repeat(dates.to_numpy(), counts) + pd.to_timedelta(rng.random(counts.sum()), "D")
    return pd.Series(np.sort(times))


WEEKLY = [1.2, 1.2, 1.2, 1.2, 1.2, 0.4, 0.4]


def test_a_weekly_pattern_is_found_and_recovered():
    fit = fit_arrivals(stream(1, WEEKLY), START, START + pd.Timedelta(days=DAYS))
    assert fit.weekly is not None
    per_day = 40.0 * np.asarray(WEEKLY)
    mean = per_day.mean()
    se = np.sqrt(per_day / (DAYS / 7)) / mean  # each factor's standard error, roughly
    assert np.all(np.abs(np.asarray(fit.weekly) - np.asarray(WEEKLY) / np.mean(WEEKLY)) < 4 * se)
    assert fit.rate_per_day == pytest.approx(mean, abs=4 * np.sqrt(mean / DAYS))
    rates = dict(fit.piecewise(START + pd.Timedelta(days=DAYS), 14))
    assert len(rates) >= 4  # weekdays and weekends alternate
    assert min(rates.values()) < 0.5 * max(rates.values())


def test_a_constant_stream_gets_no_pattern():
    alarms = sum(
        fit_arrivals(stream(seed), START, START + pd.Timedelta(days=DAYS)).weekly is not None
        for seed in range(20)
    )
    assert alarms <= 2


def test_seasonality_can_be_forced_or_switched_off():
    s = stream(3, WEEKLY)
    end = START + pd.Timedelta(days=DAYS)
    assert fit_arrivals(s, START, end, seasonality="none").weekly is None
    assert fit_arrivals(stream(3), START, end, seasonality="weekly").weekly is not None
    assert fit_arrivals(s, START, end).monthly is None  # half a year: no monthly test


def test_pattern_test_with_exposures_holds_its_level():
    """The arrivals' F test with exposures (as the behaviour test's offsets) rejects
    pure Poisson counts at its level: within 3 binomial standard errors of 5 %."""
    rng = np.random.default_rng(0)
    key = np.arange(36) % 12
    hits = 0
    for _ in range(1000):
        exposure = rng.uniform(200, 400, 36)
        hits += pattern_test(rng.poisson(exposure).astype(float), key, 12, exposure)[1] < 0.05
    assert abs(hits / 1000 - 0.05) < 3 * (0.05 * 0.95 / 1000) ** 0.5
