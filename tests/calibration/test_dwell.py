"""Dwell fits with right censoring recover the distribution that made the data.

Reference: the generating distribution. Each spell is censored by an independent
exponential follow-up time; the tolerance on the fitted mean is 4 approximate standard errors,
sqrt(true variance / completed spells) (censoring loses information, so this is if
anything tight), fixed seeds.
"""

import math

import numpy as np
import pytest

from cjsim.calibration.dwell import fit_dwell, kaplan_meier
from cjsim.errors import CalibrationError
from cjsim.model import Exponential, Gamma, LogNormal, Weibull

N = 3000


def censored_sample(dist, seed, follow_up=8.0):
    rng = np.random.default_rng(seed)
    x = dist.sample(rng, N)
    c = rng.exponential(follow_up, N)
    return np.minimum(x, c), x > c


@pytest.mark.parametrize(
    "truth",
    [Exponential(3.0), Gamma(3.0, 0.4), LogNormal(3.0, 1.5), Weibull(3.0, 4.0)],
    ids=lambda d: d.kind,
)
def test_the_right_family_and_mean_are_recovered_despite_censoring(truth):
    obs, cens = censored_sample(truth, seed=1)
    assert 0.2 < cens.mean() < 0.8, "the test needs real censoring"
    fit = fit_dwell(obs, cens)
    assert fit.kind == truth.kind, fit.candidates
    completed = (~cens).sum()
    se = math.sqrt(truth.variance / completed)
    assert abs(fit.dist.mean - truth.mean) < 4 * se
    assert fit.ks_distance < 0.03


def test_ignoring_censoring_would_be_rejected_by_the_same_check():
    truth = Gamma(3.0, 0.4)
    obs, cens = censored_sample(truth, seed=1)
    naive = fit_dwell(obs, np.zeros(N, dtype=bool))
    se = math.sqrt(truth.variance / (~cens).sum())
    assert abs(naive.dist.mean - truth.mean) > 4 * se


def test_kaplan_meier_by_hand():
    times, survival = kaplan_meier(
        np.array([1.0, 2.0, 2.0, 3.0]), np.array([False, True, False, False])
    )
    # at 1: 3/4 survive; at 2: one event among 3 at risk -> 3/4 * 2/3; at 3: 0
    assert list(times) == [1.0, 2.0, 3.0]
    assert survival == pytest.approx([0.75, 0.5, 0.0])


def test_too_few_completed_spells_is_a_clear_error():
    with pytest.raises(CalibrationError, match="only 1 completed spell"):
        fit_dwell([1.0, 2.0, 3.0], [False, True, True])
    with pytest.raises(CalibrationError, match="finite and >= 0"):
        fit_dwell([1.0, -2.0, 3.0])
