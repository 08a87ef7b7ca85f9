"""The dwell families as calibration fits them: one declaration each.

Reference: ``scipy.stats`` with ``loc = 0`` (log-density, log-survival, mean, parameters
of an uncensored fit) and the model distributions' own moments.
"""

import math

import numpy as np
import pytest

from cjsim.calibration.families import FAMILIES, INSTANT, PARAMETRIC
from cjsim.model import DISTRIBUTIONS, Empirical, Fixed

SHAPE = {"exponential": math.nan, "gamma": 2.5, "lognormal": 0.7, "weibull": 1.4}
X = np.array([1e-3, 0.4, 1.0, 3.0, 12.0, 60.0])
SCALES = np.array([0.8, 2.0, 5.0])


def _native(family, scale, shape):
    return (shape, 0.0, scale) if family.has_shape else (0.0, scale)


@pytest.mark.parametrize("family", PARAMETRIC, ids=lambda f: f.name)
def test_log_density_and_survival_agree_with_scipy_for_every_scale(family):
    shape = SHAPE[family.name]
    logf, logs = family.log_pdf_sf(X, SCALES, shape)
    assert logf.shape == logs.shape == (len(SCALES), len(X))
    for k, scale in enumerate(SCALES):
        args = _native(family, scale, shape)
        np.testing.assert_allclose(logf[k], family.scipy.logpdf(X, *args), rtol=1e-9)
        np.testing.assert_allclose(logs[k], family.scipy.logsf(X, *args), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("family", PARAMETRIC, ids=lambda f: f.name)
def test_fitted_parameters_build_the_same_distribution(family):
    shape, scale = SHAPE[family.name], 2.0
    args = _native(family, scale, shape)
    dist = family.build(scale, shape)
    assert dist.kind == family.name
    assert family.from_native(args) == dist
    assert dist.mean == pytest.approx(family.scipy.mean(*args), rel=1e-12)
    assert family.mean_factor(shape) * scale == pytest.approx(dist.mean, rel=1e-12)
    assert family.n_params == 1 + family.has_shape


@pytest.mark.parametrize("family", PARAMETRIC, ids=lambda f: f.name)
def test_start_values_are_the_uncensored_fit(family):
    shape = SHAPE[family.name]
    done = family.scipy.rvs(*_native(family, 2.0, shape), size=500, random_state=3)
    params = family.scipy.fit(done, floc=0)
    scale, fitted_shape = family.start(done)
    assert scale == pytest.approx(params[-1], rel=1e-12)
    expected_shape = params[0] if family.has_shape else math.nan
    assert fitted_shape == pytest.approx(expected_shape, rel=1e-12, nan_ok=True)


def test_equal_spells_start_from_their_mean_where_the_fit_fails():
    """Gamma's MLE fails on identical spells: the start is shape 1 at the mean."""
    assert FAMILIES["gamma"].start_native(np.full(10, 3.0)) == (1.0, 0.0, 3.0)


def test_a_fixed_delay_survives_until_its_value():
    logf, logs = FAMILIES["fixed"].log_pdf_sf(
        np.array([1.0, 2.0, 2.0 + INSTANT, 3.0]), np.array([2.0]), math.nan
    )
    assert logs[0].tolist() == [0.0, 0.0, -math.inf, -math.inf]
    assert logf[0].tolist() == [0.0] * 4
    assert FAMILIES["fixed"].build(2.0, math.nan) == Fixed(2.0)
    assert not FAMILIES["fixed"].estimated


def test_kaplan_meier_atoms_survive_with_the_mass_above():
    atoms = (np.array([1.0, 2.0, 5.0]), np.array([0.2, 0.3, 0.5]))
    x = np.array([0.5, 1.0, 3.0, 5.0])
    _, logs = FAMILIES["empirical"].log_pdf_sf(x, np.array([math.nan]), math.nan, atoms)
    np.testing.assert_allclose(np.exp(logs[0]), [1.0, 0.8, 0.5, 0.0], atol=1e-15)
    dist = FAMILIES["empirical"].build(math.nan, math.nan, atoms)
    assert dist == Empirical((1.0, 2.0, 5.0), (0.2, 0.3, 0.5))
    np.testing.assert_allclose(np.exp(dist.logsf(x)), np.exp(logs[0]), atol=1e-15)
    assert FAMILIES["empirical"].nonparametric


def test_every_family_is_a_model_family():
    assert [f.name for f in PARAMETRIC] == ["exponential", "gamma", "lognormal", "weibull"]
    for name, family in FAMILIES.items():
        assert DISTRIBUTIONS[name] is family.model
    assert all(f.estimated and not f.nonparametric for f in PARAMETRIC)


def _central(fun, h=1e-6):
    return (fun(h) - fun(-h)) / (2 * h)


@pytest.mark.parametrize("family", PARAMETRIC, ids=lambda f: f.name)
@pytest.mark.parametrize("term", ["log_pdf_grad", "log_sf_grad"])
def test_derivatives_in_log_scale_and_log_shape_match_central_differences(family, term):
    """Reference: the log density and survival of scipy.stats, differenced numerically."""
    shape = SHAPE[family.name]
    value, d_scale, d_shape = getattr(family, term)(X, SCALES, shape)
    scipy_term = family.scipy.logpdf if term == "log_pdf_grad" else family.scipy.logsf

    def at(ds, dk):
        k = shape * math.exp(dk)
        return np.stack([scipy_term(X, *_native(family, s * math.exp(ds), k)) for s in SCALES])

    np.testing.assert_allclose(value, at(0.0, 0.0), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(d_scale, _central(lambda h: at(h, 0.0)), rtol=1e-5, atol=1e-7)
    expected = _central(lambda h: at(0.0, h)) if family.has_shape else np.zeros_like(value)
    np.testing.assert_allclose(d_shape, expected, rtol=1e-5, atol=1e-7)
