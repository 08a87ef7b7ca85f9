"""Distribution parameters are checked for numerical sanity, not only sign: each bound
refuses a value just outside with a ModelError naming the parameter, and accepts one
just inside."""

import math

import numpy as np
import pytest

from cjsim.errors import ModelError
from cjsim.model.distributions import distribution_from_dict

OUTSIDE = [
    ({"dist": "weibull", "shape": 0.001, "scale": 1.0}, "shape"),
    ({"dist": "lognormal", "median": 1.0, "sigma": 100.0}, "sigma"),
    ({"dist": "gamma", "mean": 1.0, "cv": 1e-200}, "cv"),
    ({"dist": "lognormal", "mean": 1.0, "cv": 1e4}, "cv"),
    ({"dist": "exponential", "mean": 1e308}, "mean"),
    ({"dist": "gamma", "mean": 1e13, "cv": 0.5}, "mean"),
    ({"dist": "uniform", "low": 0.0, "high": 1e300}, "high"),
    ({"dist": "fixed", "value": 1e300}, "value"),
    ({"dist": "weibull", "shape": 0.1, "scale": 1e12}, "scale"),
]

INSIDE = [
    {"dist": "weibull", "shape": 0.1, "scale": 1.0},
    {"dist": "lognormal", "median": 1.0, "sigma": 3.7},
    {"dist": "gamma", "mean": 1.0, "cv": 1e-4},
    {"dist": "lognormal", "mean": 1.0, "cv": 1e3},
    {"dist": "exponential", "mean": 1e12},
]


@pytest.mark.parametrize(("data", "param"), OUTSIDE)
def test_outside_the_bound_is_a_model_error(data, param):
    with pytest.raises(ModelError) as err:
        distribution_from_dict(data)
    assert err.value.problems[0].path == param
    assert err.value.problems[0].hint


@pytest.mark.parametrize("data", INSIDE)
def test_just_inside_the_bound_has_finite_moments_and_samples(data):
    dist = distribution_from_dict(data)
    assert math.isfinite(dist.mean) and math.isfinite(dist.variance)
    draws = dist.sample(np.random.default_rng(1), 100)
    assert np.all(np.isfinite(draws))
