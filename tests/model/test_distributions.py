"""Distributions know their moments: samples agree with mean, variance and Laplace transform.

Reference: each distribution's closed-form moments; tolerance 4 standard errors of the
sample mean (computed from the analytic variance), fixed seeds.
"""

import math

import numpy as np
import pytest

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
