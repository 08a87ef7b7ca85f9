"""The assembler builds the fitted scenario from the fitted parameters, and a
scenario per posterior draw; it pickles."""

import dataclasses
import pickle

import numpy as np
import pytest

from cjsim.calibration.assembler import SILENT_EXIT, Parameters, draw_parameters


def test_the_fitted_parameters_give_the_fitted_scenario(segment_fit):
    fit = segment_fit
    assert fit.assembler(Parameters.fitted(fit.mixture, fit.competing)) == fit.scenario
    again = pickle.loads(pickle.dumps(fit.assembler))
    assert again(Parameters.fitted(fit.mixture, fit.competing)) == fit.scenario


def test_segments_carry_the_drawn_shares_and_rows_sum_to_one(segment_fit):
    fit = segment_fit
    drawn = draw_parameters(np.random.default_rng(4), fit.mixture)
    sc = fit.assembler(drawn)
    shares = [s.share for s in sc.population.segments]
    assert shares == pytest.approx(list(drawn.share / drawn.share.sum()), abs=1e-12)
    for row in sc.transitions.values():
        assert sum(row.values()) == pytest.approx(1.0, abs=1e-9)
    assert SILENT_EXIT in sc.outcomes


def test_a_draw_is_reproducible_and_keeps_the_dwell_scales(segment_fit):
    mix = segment_fit.mixture
    one = draw_parameters(np.random.default_rng(1), mix)
    two = draw_parameters(np.random.default_rng(1), mix)
    for field in ("share", "q", "rows"):
        np.testing.assert_array_equal(getattr(one, field), getattr(two, field))
    assert one.scale is mix.scale
    assert not np.array_equal(one.q, mix.q)


def test_dwell_by_destination_draws_each_touchpoints_shares(destination_fit):
    fit = destination_fit
    drawn = draw_parameters(np.random.default_rng(2), fit.mixture, fit.competing)
    assert drawn.competing is not None and set(drawn.competing) == set(fit.competing)
    for name, cf in drawn.competing.items():
        assert cf.probs.sum() == pytest.approx(1.0)
        assert dataclasses.replace(cf, probs=fit.competing[name].probs).targets == cf.targets
    sc = fit.assembler(drawn)
    assert any(name.startswith("shop_to_") for name in sc.touchpoints)
