"""Probability distributions of times (days) and money.

Each distribution family is an immutable class that knows itself: its mean, variance
and Laplace transform, how to sample (one member with a caller's
:class:`numpy.random.Generator`, or many members of the family at once from stacked
numpy parameters), the time left given time already spent, its log-density and
log-survival, how to scale itself, and its file form (``to_dict`` /
:func:`distribution_from_dict`).  Nothing outside this module branches on a family's
name.  Parameters are checked on construction; a bad one raises
:class:`~cjsim.errors.ModelError` naming the parameter and its value.

>>> import numpy as np
>>> d = Gamma(mean=85.0, cv=0.6)
>>> round(d.variance, 2)
2601.0
>>> d.sample(np.random.default_rng(1), 3).shape
(3,)
>>> distribution_from_dict({"dist": "gamma", "shape": 4.0, "scale": 0.5}).mean
2.0
"""

from cjsim.model.distributions.base import DISTRIBUTIONS, Distribution, distribution_from_dict
from cjsim.model.distributions.continuous import Exponential, Gamma, LogNormal, Uniform, Weibull
from cjsim.model.distributions.discrete import Empirical, Fixed

__all__ = [
    "DISTRIBUTIONS",
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Uniform",
    "Weibull",
    "distribution_from_dict",
]
