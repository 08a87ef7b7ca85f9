"""Continuous heterogeneity (``calibrate(..., heterogeneity="gamma" | "lognormal")``).

References: the quadrature grids against the moments of the distributions they stand
for (each paired with the wrong parameter, which the same check rejects); the marginal
likelihood's analytic gradient against central differences; and a recovery test — a log
generated from a known gamma pace with a beta loyalty (lognormal gaps between
purchases) must give back the pace's shape, the beta's ``a`` and ``b`` and the dwell's
sigma within the 95 % intervals of the fit's standard errors at close to nominal
coverage; the one-class fit of the same logs (the wrong model: no pace heterogeneity)
must miss the dwell's sigma by the same check.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cjsim
from cjsim.calibration import load_fit
from cjsim.calibration.fit import calibrate
from cjsim.calibration.mixing import (
    PACES,
    _Layout,
    _Objective,
    _start,
    beta_points,
)
from cjsim.calibration.stages import CalibrationOptions, fit_exits, prepare_log, spell_arrays
from cjsim.errors import CalibrationError
from tests.calibration.synthetic import buys, shop_log

R, A, B, MEDIAN, SIGMA = 2.0, 2.0, 6.0, 20.0, 0.6  # pace shape, loyalty beta, dwell
MAPPING = {"touchpoints": {"shop": ["shop"]}, "purchases": ["shop"], "cutoff": "2021-01-01"}
START = pd.Timestamp("2020-01-01")
Z95 = 1.959964


def generate(seed, n=1500):
    """First purchases over 60 days; each customer has a gamma pace (mean 1, shape R)
    and a silent-exit probability from Beta(A, B); after each purchase they leave with
    it, else buy again after a lognormal gap of median MEDIAN / pace."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n):
        pace = rng.gamma(R, 1 / R)
        q = rng.beta(A, B)
        gap = lambda _t, p=pace: MEDIAN / p * np.exp(SIGMA * rng.standard_normal())  # noqa: E731
        rows += [(str(c), t) for t in buys(rng, rng.uniform(0, 60), 366.0, q, gap)]
    return shop_log(rows, START)


def fit_log(log, **kwargs):
    return calibrate(
        log, MAPPING, cjsim.EventColumns(segment=None), dwell_families=("lognormal",), **kwargs
    )


@pytest.mark.parametrize(("name", "value"), [("gamma", 0.4), ("gamma", 3.0), ("lognormal", 0.9)])
def test_pace_grid_has_the_mean_and_variance_of_its_distribution(name, value):
    points, log_w = PACES[name].grid(value, 16)
    w = np.exp(log_w)
    variance = 1 / value if name == "gamma" else math.expm1(value**2)
    assert w.sum() == pytest.approx(1.0, abs=1e-12)
    assert w @ points == pytest.approx(1.0, rel=1e-9)
    assert w @ (points - 1) ** 2 == pytest.approx(variance, rel=1e-6)
    # the wrong parameter's grid fails the same variance check
    wrong, log_wrong = PACES[name].grid(value * 1.5, 16)
    assert np.exp(log_wrong) @ (wrong - 1) ** 2 != pytest.approx(variance, rel=1e-2)


def test_loyalty_bins_keep_the_beta_mean_and_its_quantiles():
    points = beta_points(0.5, 1.5, 8)
    assert points.mean() == pytest.approx(0.25, rel=1e-9)
    # each bin's conditional mean lies inside its bin
    edges = stats.beta(0.5, 1.5).ppf(np.linspace(0, 1, 9))
    assert np.all((points > edges[:-1]) & (points < edges[1:]))
    assert beta_points(1.5, 0.5, 8).mean() != pytest.approx(0.25, rel=1e-2)


@pytest.fixture(scope="module")
def objective():
    log = prepare_log(generate(3, n=300), MAPPING, cjsim.EventColumns(segment=None))
    options = CalibrationOptions(dwell_families=("lognormal",))
    exits = fit_exits(log, options)
    sp = spell_arrays(log, exits.fitted)
    layout = _Layout((False,), (True,), 6, 4)
    shop = exits.fits["shop"]
    start = (np.array([shop.exit_probability]), np.array([shop.native[-1]]), np.array([1.0]))
    return {
        name: (_Objective(sp, ("lognormal",), layout, law), _start(start, layout, law))
        for name, law in PACES.items()
    }


@pytest.mark.parametrize("name", list(PACES))
def test_marginal_likelihood_gradient_matches_central_differences(objective, name):
    fn, x0 = objective[name]
    x = x0 + np.linspace(-0.2, 0.2, len(x0))
    _, grad = fn(x)
    h = 1e-5
    numeric = [
        (fn(x + h * np.eye(len(x))[i])[0] - fn(x - h * np.eye(len(x))[i])[0]) / (2 * h)
        for i in range(len(x))
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-4)


def z_scores(fit):
    m = fit.mixture.mixing
    est = np.log([m.parameter, m.a[0], m.b[0], fit.mixture.shape[0]])
    se = np.array([m.parameter_se, m.a_se[0], m.b_se[0], fit.mixture.dwell_se[0, 0, 1]])
    return (est - np.log([R, A, B, SIGMA])) / se


def test_gamma_pace_and_beta_loyalty_recovered_within_their_intervals():
    fits = [fit_log(generate(seed), heterogeneity="gamma") for seed in (0, 1)]
    z = np.concatenate([z_scores(fit) for fit in fits])
    assert np.isfinite(z).all()
    # 8 intervals at 95 %: at least 6 (P(fewer) = 0.6 % under nominal coverage)
    assert (np.abs(z) <= Z95).sum() >= 6, z


def test_one_class_misses_the_dwell_sigma():
    """The wrong model — no pace heterogeneity — puts the customers' differences in
    pace into the dwell's spread: its sigma's interval misses the truth."""
    one = fit_log(generate(0), latent_segments=1).mixture
    z = (math.log(one.shape[0]) - math.log(SIGMA)) / one.dwell_se[0, 0, 1]
    assert abs(z) > Z95, z


@pytest.fixture(scope="module")
def gamma_fit():
    return fit_log(generate(5, n=600), heterogeneity="gamma")


def test_continuous_fit_is_an_ordinary_segmented_scenario(gamma_fit):
    mix = gamma_fit.mixture
    assert mix.k == 32 * 8 and len(gamma_fit.scenario.population.segments) == mix.k
    assert mix.share.sum() == pytest.approx(1.0)
    # the pace scales every dwell: the class scales are the base over the pace points
    pace = PACES["gamma"].grid(mix.mixing.parameter, 32)[0]
    ratio = mix.scale[:: mix.mixing.loyalty_points, 0] * pace
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-9)
    assert "continuous heterogeneity: gamma pace" in gamma_fit.summary()
    expected = cjsim.solve_analytic(gamma_fit.scenario)
    assert expected["revenue"] > 0


def test_continuous_fit_round_trips_and_keeps_its_shares_in_draws(gamma_fit, tmp_path):
    gamma_fit.save(tmp_path / "fit.toml")
    back = load_fit(tmp_path / "fit.toml")
    saved, loaded = gamma_fit.mixture.mixing, back.mixture.mixing
    assert (loaded.pace, loaded.parameter) == (saved.pace, saved.parameter)
    np.testing.assert_array_equal(loaded.a, saved.a)
    np.testing.assert_array_equal(loaded.b, saved.b)
    drawn = gamma_fit.sample_scenarios(2, seed=0)
    shares = [s.share for s in drawn[0].population.segments]
    np.testing.assert_allclose(shares, gamma_fit.mixture.share, rtol=1e-9)


def test_continuous_heterogeneity_refuses_latent_segments_and_unknown_names():
    log = generate(0, n=100)
    with pytest.raises(CalibrationError, match="drop latent_segments"):
        fit_log(log, heterogeneity="gamma", latent_segments=3)
    with pytest.raises(CalibrationError, match="heterogeneity must be one of"):
        fit_log(log, heterogeneity="poisson")
    with pytest.raises(CalibrationError, match="whole number or 'auto'"):
        fit_log(log, latent_segments="many")


def test_a_touchpoint_nobody_leaves_silently_has_no_loyalty_parameters():
    """Two touchpoints, the first never silent: it has a scale and a shape but no beta,
    so the parameters are r, then (scale, shape) and (a, b, scale, shape): 7, and every
    standard error is finite (a parameter the likelihood does not see would make the
    Hessian singular)."""
    rng = np.random.default_rng(7)
    rows = []
    for c in range(600):
        pace = rng.gamma(R, 1 / R)
        t = rng.uniform(0, 60)
        rows.append((str(c), "browse", t))
        t += 5.0 / pace * np.exp(0.5 * rng.standard_normal())
        while t < 366.0:
            rows.append((str(c), "shop", t))
            if rng.random() < 0.2:
                break
            t += MEDIAN / pace * np.exp(SIGMA * rng.standard_normal())
    log = pd.DataFrame(rows, columns=["customer_id", "event", "day"])
    log["timestamp"] = START + pd.to_timedelta(log.pop("day"), unit="D")
    mapping = {
        "touchpoints": {"browse": ["browse"], "shop": ["shop"]},
        "purchases": ["shop"],
        "cutoff": "2021-01-01",
        "never_silent": ["browse"],
    }
    fit = calibrate(
        log,
        mapping,
        cjsim.EventColumns(segment=None, value=None),
        dwell_families=("lognormal",),
        heterogeneity="gamma",
    )
    mix = fit.mixture
    rows_free = 0  # browse -> shop only; shop -> shop only: no free row probability
    assert mix.n_parameters == 1 + 2 + 4 + rows_free
    assert math.isnan(mix.mixing.a[0]) and np.isfinite(mix.mixing.a[1])
    assert np.isfinite(mix.mixing.parameter_se) and np.isfinite(mix.mixing.a_se[1])
    assert np.isfinite(mix.dwell_se[0]).all()


def test_no_pace_difference_ends_at_the_bound_without_an_interval():
    """Customers who all buy at one pace: r runs to its bound (a spread of 10 %), where
    no interval is given; the likelihood is finite there (the Laguerre weights would
    overflow past r = 171)."""
    rng = np.random.default_rng(8)
    rows = []
    for c in range(800):
        gap = lambda _t: MEDIAN * np.exp(SIGMA * rng.standard_normal())  # noqa: E731
        rows += [(str(c), t) for t in buys(rng, rng.uniform(0, 60), 366.0, 0.15, gap)]
    fit = fit_log(shop_log(rows, START), heterogeneity="gamma")
    m = fit.mixture.mixing
    assert m.parameter == pytest.approx(PACES["gamma"].bounds[1])
    assert math.isnan(m.parameter_se) and np.isfinite(m.a_se[0])
    assert np.isfinite(fit.mixture.loglik)
