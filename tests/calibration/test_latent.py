"""Latent segments by EM, segments from a column, and the warm start at the cut-off.

Reference: a log generated with two hidden kinds of customer (fast, loyal buyers and slow
ones who leave early); nobody's kind nor exit is in the log.  EM with two
latent segments must recover each kind's share and silent-exit probability within 4 of
their standard errors (binomial for the share, the Hessian's for q), and a one-class fit
of the same log must have a clearly worse BIC.  The same log with the kind as a column
recovers the same figures without EM.
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.calibration.fit import SILENT_EXIT, calibrate

KINDS = {"loyal": (0.4, 10.0, 0.04), "casual": (0.6, 60.0, 0.5)}  # share, mean gap, q
Q = {k: v[2] for k, v in KINDS.items()}
MAPPING = {"touchpoints": {"shop": ["shop"]}, "purchases": ["shop"], "cutoff": "2021-01-01"}
START = pd.Timestamp("2020-01-01")
N = 1500


@pytest.fixture(scope="module")
def log():
    return generate(366.0)


@pytest.fixture(scope="module")
def latent_fit(log):
    return calibrate(log, MAPPING, cjsim.EventColumns(segment=None), latent_segments=2, seed=1)


def generate(end_day, seed=11):
    """First purchases spread over 100 days; after each purchase the customer leaves
    silently with probability q, else buys again after an exponential gap; the log stops
    at ``end_day`` (the cut-off is day 366)."""
    rng = np.random.default_rng(seed)
    rows = []
    names = list(KINDS)
    for c in range(N):
        kind = names[int(rng.random() >= KINDS["loyal"][0])]
        _, gap, q = KINDS[kind]
        t = rng.uniform(0, 100)
        while t < end_day:
            rows.append((str(c), t, kind))
            if rng.random() < q:
                break
            t += rng.exponential(gap)
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "kind"])
    frame["timestamp"] = START + pd.to_timedelta(frame["day"], unit="D")
    frame["event"] = "shop"
    frame["value"] = rng.gamma(4.0, 10.0, len(frame))
    return frame.drop(columns="day")


def test_em_recovers_shares_and_exits(log, latent_fit):
    fit = latent_fit
    mix = fit.mixture
    loyal = int(np.argmin(mix.scale[:, 0]))  # the faster class
    casual = 1 - loyal
    se_share = np.sqrt(0.4 * 0.6 / N)
    assert mix.share[loyal] == pytest.approx(0.4, abs=4 * se_share + 0.02)
    for k, name in ((loyal, "loyal"), (casual, "casual")):
        assert abs(mix.q[k, 0] - Q[name]) < 4 * mix.q_se[k, 0] + 0.01, (name, mix.q[k, 0])
    assert mix.scale[casual, 0] / mix.scale[loyal, 0] == pytest.approx(6.0, rel=0.25)
    # each class's own mean gap, with the family chosen per class (not on the pooled
    # data, whose mixture of two exponentials looks heavy-tailed)
    table = fit.report["segments"].set_index("segment")["dwell_mean_days"]
    assert table[mix.names[loyal]] == pytest.approx(10.0, rel=0.15)
    assert table[mix.names[casual]] == pytest.approx(60.0, rel=0.15)
    one = calibrate(log, MAPPING, cjsim.EventColumns(segment=None))
    assert one.mixture.bic - mix.bic > 10
    seg = {s.name: s for s in fit.scenario.population.segments}
    assert set(seg) == set(mix.names)
    # the segments reproduce each class's row and dwell exactly
    for k, name in enumerate(mix.names):
        mult = seg[name].dwell_multipliers["shop"]
        base = fit.scenario.touchpoints["shop"].dwell.mean
        table = fit.report["segments"]
        class_mean = table.loc[table["segment"] == name, "dwell_mean_days"].iloc[0]
        assert base * mult == pytest.approx(class_mean, rel=1e-9)
        m = seg[name].edge_multipliers
        row = fit.scenario.transitions["shop"]
        key = next(iter(m))
        assert row[key[1]] * m[key] == pytest.approx(
            (1 - mix.q[k, 0]) if key[1] == "shop" else mix.q[k, 0], rel=1e-9
        )


def test_segments_from_a_column_need_no_em(log):
    fit = calibrate(log, MAPPING, cjsim.EventColumns(segment="kind"))
    names = fit.mixture.names
    assert set(names) == {"loyal", "casual"}
    for k, name in enumerate(names):
        assert abs(fit.mixture.q[k, 0] - Q[name]) < 4 * fit.mixture.q_se[k, 0] + 0.01
    with pytest.raises(cjsim.CalibrationError, match="choose one"):
        calibrate(log, MAPPING, cjsim.EventColumns(segment="kind"), latent_segments=2)


def test_warm_start_is_the_posterior_of_still_being_there(log):
    """One class, exponential dwell: P(still there | e days quiet) = S / (q + (1-q) S)."""
    fit = calibrate(log, MAPPING, cjsim.EventColumns(segment=None), dwell_families=("exponential",))
    q = fit.mixture.q[0, 0]
    mean = fit.mixture.scale[0, 0]
    ws = fit.scenario.population.warm_start.to_frame().set_index("customer")
    state = fit.customers.set_index("customer_id")
    e = state.loc[ws.index, "elapsed_days"].to_numpy()
    s = np.exp(-e / mean)
    expected = s / (q + (1 - q) * s)
    assert ws["probability"].to_numpy() == pytest.approx(expected, rel=1e-9)
    assert (ws["touchpoint"] == "shop").all()
    # a wrong model — no silent exits — would keep everybody
    assert ws["probability"].mean() < 0.9
    assert SILENT_EXIT in fit.scenario.transitions["shop"]


def test_posterior_draws_vary_and_keep_the_segments(latent_fit):
    fit = latent_fit
    draws = fit.sample_scenarios(4, seed=2)
    rows = {d.transitions["shop"][SILENT_EXIT] for d in draws}
    assert len(rows) == 4
    assert all(len(d.population.segments) == 2 for d in draws)


def test_validate_predicts_the_holdout_of_the_true_process():
    """Fit on a year, validate on the next 26 weeks of the same process: the holdout's
    repeat purchases lie within 4 replication standard deviations (plus the fit's own
    error, bounded by 5 %) of the prediction; a wrong warm start that keeps every quiet
    customer is rejected by the same check."""
    full = generate(366.0 + 182.0, seed=5)
    cal = full[full["timestamp"] < pd.Timestamp(MAPPING["cutoff"])]
    cohort = {**MAPPING, "closed_cohort": True}  # nobody new arrives after day 100
    fit = calibrate(cal, cohort, cjsim.EventColumns(segment=None), latent_segments=2, seed=1)
    v = cjsim.validate(fit, full, replications=20, seed=3)
    assert v.metric("new customers")["predicted"] == 0
    row = v.metric("repeat purchases in the holdout")
    sd = (row["high"] - row["low"]) / (2 * 1.96)
    tol = 4 * sd + 0.05 * row["actual"]
    assert abs(row["predicted"] - row["actual"]) < tol, (row["predicted"], row["actual"])
    assert len(v.curve) == 26
    assert v.curve["actual"].iloc[-1] == pytest.approx(v.offset + row["actual"])
    assert v.curve["actual"].is_monotonic_increasing
    assert np.isfinite(v.curve_mape) and np.isfinite(v.holdout_mape)
    # the same check on a wrong warm start: everybody quiet at the cut-off still there
    ws = fit.scenario.population.warm_start.to_frame()
    ws = ws.sort_values("probability").drop_duplicates("customer", keep="last")
    wrong = dataclasses.replace(
        fit,
        scenario=fit.scenario.replace(
            population=dataclasses.replace(
                fit.scenario.population,
                warm_start=cjsim.WarmStart.from_frame(ws.assign(probability=1.0)),
            )
        ),
    )
    w = cjsim.validate(wrong, full, replications=20, seed=3).metric(
        "repeat purchases in the holdout"
    )
    assert abs(w["predicted"] - w["actual"]) > tol


def test_validation_plot_has_title_labels_and_the_curve(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    full = generate(366.0 + 56.0, seed=6)
    fit = calibrate(full, MAPPING, cjsim.EventColumns(segment=None))
    v = cjsim.validate(fit, full, replications=3, seed=1)
    ax = v.plot()
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["actual"].get_ydata()) == list(v.curve["actual"])
    assert list(lines["predicted"].get_ydata()) == list(v.curve["predicted"])
    ax.figure.savefig(tmp_path / "holdout.png")


def test_validate_refuses_a_holdout_without_events_after_the_cut_off(log):
    fit = calibrate(log, MAPPING, cjsim.EventColumns(segment=None))
    with pytest.raises(cjsim.CalibrationError, match="no event between the cut-off"):
        cjsim.validate(fit, log, replications=3)


def test_posterior_draws_feed_the_comparison_uncertainty_split(latent_fit):
    """A what-if on a fitted journey runs on posterior draws and splits its uncertainty
    into parameter and simulation parts (the split itself is tested in
    tests/interventions/test_compare.py; with 1,500 customers the posterior is tight)."""
    fit = latent_fit
    sc = fit.scenario.replace(horizon_days=120.0)
    more_loyal = cjsim.Intervention(
        "win_back",
        changes=(
            cjsim.interventions.Change(
                "scale_transition", {"from": "shop", "to": "shop", "factor": 1.05}
            ),
        ),
    )
    draws = [d.replace(horizon_days=120.0) for d in fit.sample_scenarios(4, seed=2)]
    cmp = cjsim.compare(
        sc, [more_loyal], engine="des", replications=4, seed=1, scenario_draws=draws
    )
    split = cmp.uncertainty.set_index("kpi")
    row = split.loc["purchases_per_customer"]
    assert row["delta"] > 0 and row["sd_simulation"] > 0
    assert np.isfinite(row["sd_parameter"]) and 0 <= row["parameter_share"] <= 1
    assert set(cmp.deltas["draw"]) == {0, 1, 2, 3}
