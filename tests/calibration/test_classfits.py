"""One touchpoint's M-step fit with each class's own shape (:mod:`cjsim.calibration.classfits`).

Reference: two classes of lognormal dwell (median 5 days, sigma 0.4; median 30 days,
sigma 1.0) with known labels (one-hot weights) and right-censoring at 60 days.  The own
shapes fit must equal two separate one-class fits, recover each class's log sigma
within 4 of its standard error, and beat the shared-shape fit by a likelihood-ratio test
(the shared shape, one sigma for both classes, is the wrong model).
"""

import numpy as np
from scipy import stats

from cjsim.calibration.classfits import fit_node, fit_own, own_se, unpack_own
from cjsim.calibration.exits import CureSpells

TRUTH = ((5.0, 0.4), (30.0, 1.0))  # (median, sigma) per class
N = 600


def spells(seed=4):
    rng = np.random.default_rng(seed)
    days = [m * np.exp(s * rng.standard_normal(N)) for m, s in TRUTH]
    x = np.concatenate(days)
    done = x < 60.0
    labels = np.repeat([0, 1], N)
    onehot = np.stack([labels == 0, labels == 1]).astype(float)
    opened = np.full((~done).sum(), 60.0)
    return CureSpells(x[done], opened, onehot[:, done], onehot[:, ~done])


START = (np.array([0.1, 0.1]), np.array([10.0, 10.0]), 0.7)


def test_own_shapes_are_separate_one_class_fits():
    data = spells()
    theta, value = fit_own("lognormal", data, START)
    for j in range(2):
        one = CureSpells(data.done, data.opened, data.w_done[j : j + 1], data.w_open[j : j + 1])
        alone, _ = fit_node("lognormal", one, (START[0][:1], START[1][:1], 0.7))
        np.testing.assert_allclose(theta[j], alone, rtol=1e-9)
    assert np.isfinite(value)


def test_own_shapes_recover_each_sigma_and_beat_a_shared_shape():
    data = spells()
    theta, own_value = fit_own("lognormal", data, START)
    _, median, sigma = unpack_own(theta, 2, "lognormal")
    se = own_se("lognormal", data, theta, quiet=False)
    for j, (m, s) in enumerate(TRUTH):
        assert abs(np.log(sigma[j]) - np.log(s)) < 4 * se[j, 2], (j, sigma[j])
        assert abs(np.log(median[j]) - np.log(m)) < 4 * se[j, 1], (j, median[j])
    _, shared_value = fit_node("lognormal", data, START)
    # one shape parameter more: chi-square(1) at the 0.1 % level
    assert 2 * (shared_value - own_value) > stats.chi2.ppf(0.999, 1)
