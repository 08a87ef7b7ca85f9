"""Distribution families know themselves: samples (one member, or many stacked) agree with
mean, variance and Laplace transform; the remaining time follows the conditional survival;
log-density, log-survival and quantiles agree with scipy; the file form round-trips.

Reference: each distribution's closed-form moments, scipy.stats, and quadrature of the
survival function; tolerance 4 standard errors (computed), fixed seeds, each statistical
check paired with a wrong model it rejects.
"""

import math

import numpy as np
import pytest
from scipy import integrate

from cjsim.errors import ModelError
from cjsim.model import (
    DISTRIBUTIONS,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Uniform,
    Weibull,
)
from cjsim.model.distributions import distribution_from_dict

CASES = [
    Exponential(2.0),
    Gamma(85.0, 0.6),
    Gamma.from_shape_scale(2.0, 3.0),
    LogNormal(10.0, 0.5),
    LogNormal.from_median_sigma(5.0, 0.8),
    Weibull(1.5, 10.0),
    Uniform(1.0, 3.0),
    Fixed(2.5),
    Empirical((1.0, 2.0, 7.0), (1.0, 1.0, 2.0)),
]
N = 200_000


@pytest.mark.parametrize("dist", CASES, ids=repr)
def test_sample_mean_matches_analytic_mean(dist):
    x = dist.sample(np.random.default_rng(7), N)
    se = math.sqrt(dist.variance / N)
    assert abs(x.mean() - dist.mean) <= 4 * se + 1e-12


@pytest.mark.parametrize("dist", CASES, ids=repr)
def test_sample_variance_matches_analytic_variance(dist):
    x = dist.sample(np.random.default_rng(8), N)
    # SE of the sample variance: sqrt((m4 - var^2) / N), estimated from the sample.
    m4 = np.mean((x - x.mean()) ** 4)
    se = math.sqrt(max(m4 - x.var() ** 2, 0.0) / N)
    assert abs(x.var() - dist.variance) <= 4 * se + 1e-9


@pytest.mark.parametrize("dist", CASES, ids=repr)
def test_laplace_transform_matches_samples(dist):
    s = 0.05
    y = np.exp(-s * dist.sample(np.random.default_rng(9), N))
    assert abs(y.mean() - dist.laplace(s)) <= 4 * y.std() / math.sqrt(N) + 1e-12


@pytest.mark.parametrize("dist", CASES, ids=repr)
def test_scipy_equivalent_has_the_same_moments(dist):
    frozen = dist.scipy()
    assert frozen.mean() == pytest.approx(dist.mean, rel=1e-9)
    assert frozen.var() == pytest.approx(dist.variance, rel=1e-9, abs=1e-12)


def test_wrong_mean_is_rejected_by_the_same_check():
    """The 4-SE check above has teeth: a 2 % wrong mean fails it."""
    dist = Gamma(85.0, 0.6)
    x = dist.sample(np.random.default_rng(7), N)
    assert abs(x.mean() - 1.02 * dist.mean) > 4 * math.sqrt(dist.variance / N)


def test_sampling_uses_only_the_given_generator():
    state = np.random.get_state()  # noqa: NPY002 - checking the legacy global is untouched
    a = Gamma(3.0, 0.5).sample(np.random.default_rng(1), 5)
    b = Gamma(3.0, 0.5).sample(np.random.default_rng(1), 5)
    assert np.array_equal(a, b)
    assert np.array_equal(np.random.get_state()[1], state[1])  # noqa: NPY002


@pytest.mark.parametrize(
    ("make", "param"),
    [
        (lambda: Exponential(-1.0), "mean"),
        (lambda: Gamma(10.0, 0.0), "cv"),
        (lambda: Gamma.from_shape_scale(-1.0, 2.0), "shape"),
        (lambda: LogNormal(0.0, 1.0), "mean"),
        (lambda: Weibull(1.0, -2.0), "scale"),
        (lambda: Uniform(3.0, 1.0), "high"),
        (lambda: Fixed(float("nan")), "value"),
        (lambda: Empirical(()), "values"),
        (lambda: Empirical((1.0, 2.0), (1.0,)), "weights"),
    ],
)
def test_impossible_parameters_are_refused_naming_the_parameter(make, param):
    with pytest.raises(ModelError) as info:
        make()
    problem = info.value.problems[0]
    assert problem.path == param
    assert problem.hint, "every refusal says how to fix it"


def test_every_kind_round_trips_through_its_dict():
    for dist in CASES:
        d = dist.to_dict()
        assert d["dist"] in DISTRIBUTIONS
        assert type(dist) is DISTRIBUTIONS[d["dist"]]


# ------------------------------------------------------------ stacked numpy sampling
STACKABLE = {
    "exponential": [Exponential(2.0), Exponential(0.5)],
    "gamma": [Gamma(85.0, 0.6), Gamma.from_shape_scale(2.0, 3.0)],
    "lognormal": [LogNormal(10.0, 0.5), LogNormal.from_median_sigma(5.0, 0.8)],
    "weibull": [Weibull(1.5, 10.0), Weibull(0.8, 2.0)],
    "uniform": [Uniform(1.0, 3.0), Uniform(0.0, 10.0)],
    "fixed": [Fixed(2.5), Fixed(0.0)],
}
M = 100_000  # draws per member


def _stacked(members, sampler, seed=10):
    """Draws of ``members`` interleaved in one call of ``sampler``, split per member."""
    params = np.array([m.numpy_params for m in members] * M)
    x = sampler.sample_stacked(params, np.random.default_rng(seed))
    return [x[j :: len(members)] for j in range(len(members))]


def _within_4se(x, mean, variance):
    return abs(x.mean() - mean) <= 4 * math.sqrt(variance / len(x)) + 1e-12


@pytest.mark.parametrize("kind", list(STACKABLE))
def test_stacked_sampler_matches_each_members_moments(kind):
    members = STACKABLE[kind]
    for m, x in zip(members, _stacked(members, members[0]), strict=True):
        assert _within_4se(x, m.mean, m.variance), m
        m4 = np.mean((x - x.mean()) ** 4)
        assert abs(x.var() - m.variance) <= 4 * math.sqrt(max(m4 - x.var() ** 2, 0) / M) + 1e-9


def test_stacked_sampler_of_a_wrong_family_is_rejected_by_the_same_check():
    """Gamma's (shape, scale) read by the Weibull sampler: the mean check fails."""
    members = STACKABLE["gamma"]
    for m, x in zip(members, _stacked(members, STACKABLE["weibull"][0]), strict=True):
        assert not _within_4se(x, m.mean, m.variance), m


def test_a_family_that_cannot_stack_samples_its_own_member():
    emp = Empirical((1.0, 2.0, 7.0), (1.0, 1.0, 2.0))
    assert not emp.stackable
    x = emp.sample_stacked(np.zeros((5, 2)), np.random.default_rng(1))
    assert np.array_equal(x, emp.sample(np.random.default_rng(1), 5))


# ------------------------------------------------------------ remaining time
def _conditional_mean(dist, elapsed, factor):
    """E[cX - e | cX > e] = integral of the survival beyond e over its value at e."""
    sf = dist.scipy().sf
    tail, _ = integrate.quad(lambda y: sf(y / factor), elapsed, math.inf, limit=200)
    return tail / sf(elapsed / factor)


@pytest.mark.parametrize(
    "dist",
    [Exponential(2.0), Gamma(4.0, 0.6), LogNormal(3.0, 0.8), Weibull(1.5, 3.0), Uniform(1, 4)],
    ids=repr,
)
def test_remaining_time_follows_the_conditional_survival(dist):
    """Reference: the conditional mean residual life by quadrature; the unconditional
    mean minus the elapsed days (the wrong model) is rejected by the same check."""
    elapsed, factor = 2.5, 1.7
    u = 1.0 - np.random.default_rng(4).random(M)
    r = dist.remaining(np.full(M, elapsed), u, factor=factor)
    se = r.std() / math.sqrt(M)
    assert abs(r.mean() - _conditional_mean(dist, elapsed, factor)) <= 4 * se
    assert abs(r.mean() - (factor * dist.mean - elapsed)) > 4 * se
    t = 1.0  # and one point of the conditional survival function itself
    sf = dist.scipy().sf
    p = sf((elapsed + t) / factor) / sf(elapsed / factor)
    assert abs((r > t).mean() - p) <= 4 * math.sqrt(p * (1 - p) / M) + 1e-12


def test_remaining_time_of_a_fixed_value_is_what_is_left():
    u = np.array([0.1, 0.5, 1.0])
    left = Fixed(5.0).remaining(np.array([2.0, 4.0, 12.0]), u, factor=2.0)
    assert left.tolist() == [8.0, 6.0, 0.0]


# ------------------------------------------------------------ log-density and survival
@pytest.mark.parametrize("dist", CASES, ids=repr)
def test_logpdf_and_logsf_agree_with_scipy(dist):
    x = np.array([0.3, 1.0, 2.0, 2.5, 7.0, 40.0])
    frozen = dist.scipy()
    exact = frozen.logpmf(x) if hasattr(frozen, "logpmf") else frozen.logpdf(x)
    np.testing.assert_allclose(dist.logpdf(x), exact, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dist.logsf(x), frozen.logsf(x), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("dist", CASES, ids=repr)
def test_quantile_inverts_the_cdf(dist):
    u = np.array([0.05, 0.5, 0.95])
    np.testing.assert_allclose(dist.quantile(u), dist.scipy().ppf(u), rtol=1e-12)


# ------------------------------------------------------------ scaling and file form
@pytest.mark.parametrize("dist", CASES, ids=repr)
def test_scaled_multiplies_every_value(dist):
    s = dist.scaled(2.5)
    assert type(s) is type(dist)
    assert s.mean == pytest.approx(2.5 * dist.mean, rel=1e-12)
    assert s.variance == pytest.approx(2.5**2 * dist.variance, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("dist", CASES, ids=repr)
def test_file_form_round_trips_through_the_registry(dist):
    assert distribution_from_dict(dist.to_dict()) == dist


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"dist": "gamma", "shape": 2.0, "scale": 3.0}, Gamma.from_shape_scale(2.0, 3.0)),
        ({"dist": "lognormal", "median": 5.0, "sigma": 0.8}, LogNormal.from_median_sigma(5, 0.8)),
        ({"dist": "gamma", "mean": 2.0, "cv": 0.5, "shape": None}, Gamma(2.0, 0.5)),
        ({"dist": "empirical", "values": [1, 2]}, Empirical((1, 2))),
    ],
)
def test_alternative_parametrisations_are_read_by_their_family(data, expected):
    assert distribution_from_dict(data) == expected


@pytest.mark.parametrize(
    ("data", "path", "words"),
    [
        ({"dist": "beta"}, "dist", "unknown distribution 'beta'"),
        ({"dist": "weibull", "shape": 2.0}, "scale", "scale missing"),
        ({"dist": "gamma", "mean": 2.0, "shape": 1.0}, "", "needs either mean and cv"),
        ({"dist": "empirical"}, "values", "needs values"),
    ],
)
def test_unreadable_file_forms_are_refused_naming_what_is_wrong(data, path, words):
    with pytest.raises(ModelError) as info:
        distribution_from_dict(data)
    problem = info.value.problems[0]
    assert (problem.path, words in problem.message) == (path, True)
    assert problem.hint
