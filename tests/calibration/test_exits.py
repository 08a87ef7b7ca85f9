"""Silent exits: the mixture cure model recovers the exit probability from open spells.

Reference: the generating model (a share q of customers leaves silently, the rest move
on after a gamma dwell; each customer is watched for a uniform window). Coverage of the
95 % interval (from the fitted model's Hessian) is checked across 20 seeds against the
binomial tolerance: at least 16 of 20 (P = 0.984 under nominal coverage). Fixed seeds.
"""

import numpy as np
import pytest

from cjsim.calibration.exits import CureSpells, cure_negll, fit_exit
from cjsim.calibration.families import FITTED, PARAMETRIC
from cjsim.errors import CalibrationError

Q = 0.3


def observed(seed, n=1500):
    rng = np.random.default_rng(seed)
    leave = rng.random(n) < Q
    dwell = rng.gamma(3.0, 1.0, n)
    window = rng.uniform(1.0, 15.0, n)
    moved = ~leave & (dwell < window)
    return dwell[moved], window[~moved]


def test_the_interval_covers_the_true_exit_probability_at_the_nominal_rate():
    hits = 0
    for seed in range(20):
        fit = fit_exit(*observed(seed))
        hits += abs(fit.exit_probability - Q) <= 1.96 * fit.exit_se
    assert hits >= 16, hits


def test_an_inactivity_threshold_would_be_rejected():
    """Calling every open spell an exit overstates q far beyond the interval."""
    done, open_ = observed(1)
    fit = fit_exit(done, open_)
    naive = len(open_) / (len(open_) + len(done))
    assert abs(naive - Q) > 4 * fit.exit_se
    assert fit.dist.mean == pytest.approx(3.0, rel=0.1)


def test_still_active_falls_with_time_open():
    fit = fit_exit(*observed(2))
    values = [fit.still_active(s) for s in (0.0, 2.0, 5.0, 10.0, 30.0)]
    assert values == sorted(values, reverse=True)
    assert values[0] == pytest.approx(1 - fit.exit_probability, rel=1e-6)
    assert values[-1] < 0.01


def test_too_few_completed_spells():
    with pytest.raises(CalibrationError, match="too few"):
        fit_exit([1.0], [2.0, 3.0])


@pytest.mark.parametrize("family", PARAMETRIC, ids=lambda f: f.name)
def test_the_cure_objective_gradient_matches_central_differences(family):
    """K = 3 classes with random weights; reference: the objective itself differenced."""
    rng = np.random.default_rng(4)
    done, open_ = observed(4, n=300)
    sp = CureSpells(done, open_, rng.random((3, len(done))), rng.random((3, len(open_))))
    theta = np.array([-1.0, 0.2, 1.5, 0.1, 0.9, 1.6] + [0.3] * family.has_shape)
    grad = cure_negll(theta, family, sp)[1]
    h = 1e-6
    for i in range(len(theta)):
        step = np.eye(len(theta))[i] * h
        up, down = cure_negll(theta + step, family, sp)[0], cure_negll(theta - step, family, sp)[0]
        assert grad[i] == pytest.approx((up - down) / (2 * h), rel=1e-5, abs=1e-5), i


def test_merging_spells_of_equal_length_keeps_the_likelihood():
    """Whole days repeat: merged with summed weights, value and gradient are unchanged."""
    done, open_ = (np.ceil(x) for x in observed(5, n=400))
    merged = CureSpells.unweighted(done, open_)
    plain = CureSpells(done, open_, np.ones((1, len(done))), np.ones((1, len(open_))))
    assert len(merged.done) < len(done) / 5
    theta = np.array([-0.8, 1.0, 0.9])
    family = FITTED["gamma"]
    a, b = cure_negll(theta, family, merged), cure_negll(theta, family, plain)
    assert a[0] == pytest.approx(b[0], rel=1e-12)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-10)


def test_spells_all_of_one_length_give_a_weibull_spike():
    """The likelihood has no maximum; a lognormal without spread is refused by the model."""
    fit = fit_exit(np.full(50, 2.0), [])
    assert fit.kind == "weibull"
    assert fit.dist.mean == pytest.approx(2.0, rel=1e-3)
    assert fit.native[0] == pytest.approx(1e4)
