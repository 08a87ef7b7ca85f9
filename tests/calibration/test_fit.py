"""``calibrate`` recovers a known journey from the event log it produced.

Reference: the scenario that generated the log with the DES (its outcome is never logged,
so every exit is silent, as in real data). Across 8 seeds the 95 % intervals must cover
the true silent-exit probabilities (24 checks, at least 20: about Binomial(24, 0.95), mean
22.8, sd 1.1) and the movers' transition shares (32 checks, at least 27). Fixed seeds.
"""

import pandas as pd
import pytest

import cjsim
from cjsim.calibration.fit import SILENT_EXIT, calibrate
from cjsim.model import Exponential, Gamma, JourneyBuilder

TRUTH = (
    JourneyBuilder("truth", stages=["j"], horizon_days=60)
    .touchpoint("browse", "j", dwell=Gamma(3.0, 0.6))
    .touchpoint("cart", "j", dwell=Exponential(2.0))
    .touchpoint("buy", "j", dwell=Gamma(5.0, 0.5))
    .outcome("gone")
    .edges("browse", browse=0.2, cart=0.4, rest="gone")
    .edges("cart", buy=0.5, browse=0.2, rest="gone")
    .edges("buy", browse=0.3, rest="gone")
    .poisson(50.0)
    .entry(browse=1.0)
    .build()
)
MAPPING = {"touchpoints": {t: [t] for t in TRUTH.touchpoints}, "cutoff": "2020-03-01"}


def event_log(seed):
    ev = cjsim.simulate(TRUTH, engine="des", replications=1, seed=seed, events=True).events
    return pd.DataFrame(
        {
            "customer_id": ev["customer"],
            "timestamp": pd.Timestamp("2020-01-01") + pd.to_timedelta(ev["time"], unit="D"),
            "event": ev["touchpoint"],
        }
    )


@pytest.fixture(scope="module")
def fits():
    return [calibrate(event_log(seed), MAPPING) for seed in range(8)]


def test_silent_exits_are_recovered_at_the_nominal_rate(fits):
    hits = 0
    for fit in fits:
        for name, ex in fit.exits.items():
            true_q = TRUTH.transitions[name]["gone"]
            hits += abs(ex.exit_probability - true_q) <= 1.96 * ex.exit_se
    assert hits >= 20, hits


def test_movers_transition_shares_are_recovered_at_the_nominal_rate(fits):
    hits = total = 0
    for fit in fits:
        table = fit.report["transitions"]
        for r in table[table["low"] < table["high"]].itertuples():
            row = TRUTH.transitions[r[1]]
            share = row[r.to] / (1 - row["gone"])
            hits += r.low <= share <= r.high
            total += 1
    assert total == 32
    assert hits >= 27, hits


def test_the_fitted_scenario_runs_and_its_draws_vary(fits):
    fit = fits[0]
    assert SILENT_EXIT in fit.scenario.outcomes
    assert fit.scenario.transitions["browse"][SILENT_EXIT] == pytest.approx(
        fit.exits["browse"].exit_probability
    )
    draws = fit.sample_scenarios(5, seed=1)
    values = {d.transitions["browse"]["cart"] for d in draws}
    assert len(values) == 5
    exact = cjsim.solve_analytic(fit.scenario, removal=False, elasticity=False)
    truth = cjsim.solve_analytic(TRUTH, removal=False, elasticity=False)
    assert exact["visits[buy]"] == pytest.approx(truth["visits[buy]"], rel=0.15)


def test_an_event_log_that_maps_nothing_is_refused():
    log = event_log(0)
    with pytest.raises(cjsim.CalibrationError, match="no event of the log is in the mapping"):
        calibrate(log, {"touchpoints": {"x": ["nothing_like_this"]}})
