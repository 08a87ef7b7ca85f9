"""Seasonality in behaviour (:mod:`cjsim.calibration.behaviour`): detected by a test,
never invented.

Reference: logs generated from a known repeat-purchase process over three years whose
pace of buying again doubles in November and December.  The test must find it (and
the fitted factors must put those months near 2 relative to the rest); the same test
on logs with no season (the wrong model is then the seasonal one) must leave the pace
alone on every seed; a log shorter than two years is not tested at all; and the
calendar reaches the scenario as the touchpoint's ``dwell_rate``.
"""

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.calibration.behaviour import seasonal_test
from cjsim.calibration.fit import calibrate
from tests.calibration.synthetic import buys, shop_log

MAPPING = {"touchpoints": {"shop": ["shop"]}, "purchases": ["shop"], "cutoff": "2023-01-01"}
START = pd.Timestamp("2020-01-01")
MEAN_GAP, EXIT = 45.0, 0.15


def generate(seed, season=True, days=1096, n=1500):
    """Customers arriving over ``days``; after each purchase they leave with EXIT, else
    buy again at rate factor(month) / MEAN_GAP (factor 2 in Nov-Dec with ``season``)."""
    rng = np.random.default_rng(seed)
    months = pd.date_range(START, periods=days // 28 + 3, freq="MS")
    bounds = ((months - START).days).to_numpy(float)
    factor = np.where(season & months.month.isin([11, 12]), 2.0, 1.0)

    def gap(t):
        """Days to the next purchase from ``t``: an exponential on the seasonal clock."""
        need, start = rng.exponential(1.0), t  # operational time to the next purchase
        while need > 0 and t < days:
            j = np.searchsorted(bounds, t, side="right") - 1
            rate = factor[j] / MEAN_GAP
            if need <= rate * (bounds[j + 1] - t):
                return t + need / rate - start
            need -= rate * (bounds[j + 1] - t)
            t = bounds[j + 1]
        return t - start + 1.0  # beyond the log's end

    rows = []
    for c in range(n):
        rows += [(str(c), t) for t in buys(rng, rng.uniform(0, days), days, EXIT, gap)]
    return shop_log(rows, START, value=20.0)


def fit(log, **kwargs):
    return calibrate(
        log,
        MAPPING,
        cjsim.EventColumns(segment=None),
        dwell_families=("exponential",),
        horizon_days=365,
        **kwargs,
    )


@pytest.fixture(scope="module")
def seasonal():
    return fit(generate(0))


def test_a_christmas_pace_is_found(seasonal):
    tests = seasonal.report["behaviour_seasonality"]
    row = tests.set_index("touchpoint").loc["shop"]
    assert row["used"] and row["p_value"] < 1e-6
    rate = seasonal.scenario.touchpoints["shop"].dwell_rate
    assert rate is not None
    # from the cut-off (1 January): January's factor, then November's and December's
    factors = dict(rate.factors)
    jan, nov = factors[0.0], factors[304.0]
    assert 1.6 < nov / jan < 2.5
    rest = [f for day, f in factors.items() if day < 304]  # January to October: flat
    assert max(rest) / min(rest) < 1.25
    assert "seasonal pace of moving on" in seasonal.summary()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_season_is_invented(seed):
    fitted = fit(generate(seed, season=False))
    row = fitted.report["behaviour_seasonality"].set_index("touchpoint").loc["shop"]
    assert not row["used"] and row["p_value"] > 0.01
    assert fitted.scenario.touchpoints["shop"].dwell_rate is None


def test_a_short_log_is_not_tested():
    short = generate(4, days=400, n=400)
    fitted = calibrate(
        short,
        {**MAPPING, "cutoff": "2021-02-01"},
        cjsim.EventColumns(segment=None),
        dwell_families=("exponential",),
    )
    row = fitted.report["behaviour_seasonality"].iloc[0]
    assert not row["used"] and "not tested" in row["note"] and "730" in row["note"]
    assert "seasonality in behaviour: not tested" in fitted.summary()


def test_seasonality_none_skips_the_test():
    fitted = fit(generate(5, n=300), seasonality="none")
    assert fitted.report["behaviour_seasonality"].empty


def test_the_calendar_moves_simulated_purchases_into_the_season(seasonal):
    """Simulating the fitted scenario: purchases per day in Nov-Dec run about twice
    January's, as in the log; without the calendar they would not."""
    res = cjsim.simulate(seasonal.scenario, engine="vectorized", replications=2, seed=1)
    days = res.timeseries.groupby("day")["purchases"].mean()
    jan = days[(days.index >= 0) & (days.index < 31)].mean()
    nov_dec = days[(days.index >= 304) & (days.index < 365)].mean()
    assert nov_dec / jan > 1.5


def rejections(lift, trend, n=1000, seed=0):
    """Share of ``n`` simulated 36-month series rejected at 5 %: Poisson counts around
    random expectations, times a log-linear ``trend`` per month and ``lift`` in Nov-Dec."""
    rng = np.random.default_rng(seed)
    month = np.arange(36) % 12
    hits = 0
    for _ in range(n):
        expected = rng.uniform(200, 400, 36)
        mean = expected * np.exp(trend * np.arange(36)) * np.where(month >= 10, lift, 1.0)
        hits += seasonal_test(rng.poisson(mean).astype(float), expected, month)[1] < 0.05
    return hits / n


def test_the_seasonal_test_holds_its_level_and_finds_a_lift():
    """Under no season (with a drift the stationary fit missed) the test rejects at its
    level: within 3 binomial standard errors of 5 %; a 15 % Nov-Dec lift is found most
    of the time (the wrong model, no season, is rejected)."""
    se = (0.05 * 0.95 / 1000) ** 0.5
    assert abs(rejections(1.0, 0.01) - 0.05) < 3 * se
    assert rejections(1.15, 0.01, seed=1) > 0.8
