"""Dwell by destination: the competing-risks mixture cure model.

Reference: spells generated with a known silent exit q = 0.2 and two destinations with
different dwell (A: gamma, mean 2 days; B: lognormal, mean 10 days), censored at a cut-off.
q must lie within 4 of its standard errors, the movers' shares within 4 binomial standard
errors, each destination's mean within 10 % (parametric and Kaplan-Meier alike).  The naive
estimate that counts every open spell as an exit is rejected by the same check.
"""

import numpy as np
import pytest

from cjsim.calibration.competing import fit_competing, weighted_km
from cjsim.calibration.dwell import kaplan_meier

N, Q, P_A = 4000, 0.2, 0.6


def spells(seed):
    rng = np.random.default_rng(seed)
    start = rng.uniform(0, 60, N)
    cured = rng.random(N) < Q
    to_a = rng.random(N) < P_A
    d = np.where(to_a, rng.gamma(4.0, 0.5, N), rng.lognormal(np.log(10) - 0.18, 0.6, N))
    done = ~cured & (start + d < 60)
    target = np.where(to_a, 0, 1)
    return d[done], target[done], (60 - start)[~done]


@pytest.mark.parametrize("families", [None, ("empirical",)])
def test_exit_shares_and_destination_dwell_are_recovered(families):
    days, target, open_ = spells(1)
    fit = fit_competing(days, target, open_, ("A", "B"), families)
    assert abs(fit.exit_probability - Q) < 4 * fit.exit_se
    se_p = np.sqrt(P_A * (1 - P_A) / (N * (1 - Q)))
    assert fit.probs[0] == pytest.approx(P_A, abs=4 * se_p)
    means = [d.mean for d in fit.dists]
    assert means[0] == pytest.approx(2.0, rel=0.10)
    assert means[1] == pytest.approx(10.0, rel=0.10)  # exp(mu + sigma^2 / 2)
    naive = len(open_) / (len(open_) + len(days))
    assert abs(naive - Q) > 4 * fit.exit_se
    heading = fit.heading(np.array([0.5, 30.0]))
    assert heading[0, 0] > heading[1, 0]  # just left: more likely on the fast way to A
    assert heading[0, 1] < 0.01  # after 30 quiet days nobody is still heading for A


def test_a_touchpoint_nobody_leaves_silently_keeps_q_at_zero():
    days, target, open_ = spells(2)
    fit = fit_competing(days, target, open_, ("A", "B"), never_silent=True)
    assert fit.exit_probability < 1e-6
    assert fit.heading(np.array([5.0])).sum() == pytest.approx(1.0)


def test_weighted_kaplan_meier_with_unit_weights_is_kaplan_meier():
    rng = np.random.default_rng(3)
    done = np.round(rng.exponential(3.0, 300), 3)
    opened = np.round(rng.exponential(3.0, 100), 3)
    values, mass = weighted_km(done, opened, np.ones(len(opened)), max_atoms=10_000)
    times, survival = kaplan_meier(
        np.concatenate([done, opened]), np.r_[np.zeros(300, bool), np.ones(100, bool)]
    )
    surv = 1 - np.cumsum(mass)
    assert values[: len(times)] == pytest.approx(times, abs=1e-5)
    assert surv[: len(times) - 1] == pytest.approx(survival[:-1], abs=1e-9)
    assert mass.sum() == pytest.approx(1.0)


def test_calibrate_writes_transit_touchpoints_and_their_warm_start():
    import pandas as pd

    import cjsim

    days, target, open_ = spells(4)
    rows = []
    t0 = pd.Timestamp("2022-01-01")
    cutoff = t0 + pd.Timedelta(days=60)
    for i, (d, m) in enumerate(zip(days, target, strict=True)):
        start = t0 + pd.Timedelta(days=float(60 - d) * 0.5)
        rows += [(f"d{i}", start, "visit"), (f"d{i}", start + pd.Timedelta(days=float(d)), "AB"[m])]
    for i, e in enumerate(open_):
        rows.append((f"o{i}", cutoff - pd.Timedelta(days=float(e)), "visit"))
    log = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event"])
    mapping = {
        "touchpoints": {"visit": ["visit"]},
        "outcomes": {"a": ["A"], "b": ["B"]},
        "cutoff": str(cutoff),
    }
    fit = cjsim.calibrate(log, mapping, dwell_by_destination=True)
    _report_shows_the_dwells_used(fit)
    sc = fit.scenario
    assert {"visit_to_a", "visit_to_b"} <= set(sc.touchpoints)
    assert sc.transitions["visit_to_a"] == {"a": 1.0}
    assert sc.touchpoints["visit"].dwell.mean == 0.0
    ws = sc.population.warm_start.to_frame()
    assert set(ws["touchpoint"]) <= {"visit_to_a", "visit_to_b"}
    assert ws.groupby("customer")["probability"].sum().max() <= 1 + 1e-9
    with pytest.raises(cjsim.CalibrationError, match="one class"):
        cjsim.calibrate(log, mapping, dwell_by_destination=True, latent_segments=2)
    with pytest.raises(cjsim.CalibrationError, match="not one of the mapped touchpoints"):
        cjsim.calibrate(log, {**mapping, "never_silent": ["vist"]})


def _report_shows_the_dwells_used(fit):
    """The report (and ``cjsim calibrate``'s tables) show the per-destination dwells the
    scenario simulates, not the pooled single dwell: A's mean about 2 days, B's about 10
    (the generating means, within 10 %), and the exit table says ``by destination``."""
    from cjsim.cli_format import fit_tables

    table = fit.report["destinations"].set_index("destination")
    assert table.loc["a", "dwell_mean_days"] == pytest.approx(2.0, rel=0.1)
    assert table.loc["b", "dwell_mean_days"] == pytest.approx(10.0, rel=0.1)
    sc = fit.scenario
    for target in ("a", "b"):
        used = sc.touchpoints[f"visit_to_{target}"].dwell.mean
        assert table.loc[target, "dwell_mean_days"] == pytest.approx(used, rel=1e-12)
    exits = fit.report["exits"].set_index("touchpoint")
    assert exits.loc["visit", "dwell"] == "by destination"
    assert exits.loc["visit", "exit_probability"] == pytest.approx(
        fit.competing["visit"].exit_probability
    )
    assert "dwell by destination (what the scenario simulates)" in fit_tables(fit)
