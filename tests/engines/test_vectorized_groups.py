"""The vectorized engine's dwell groups: members that share their parameters are sampled
with the family's own sampler (numpy's scalar-parameter path) instead of one gathered
parameter row per customer, and draw the very same numbers."""

import numpy as np
import pytest

from cjsim.engines.vectorized import _dwell_groups
from cjsim.model import Exponential, Fixed, Gamma, LogNormal, Uniform, Weibull

FAMILIES = [Exponential(2.0), Gamma(2.0, 0.5), LogNormal(3.0, 0.8), Weibull(1.5, 2.0)]
FAMILIES += [Uniform(1.0, 4.0), Fixed(2.5)]


def draws(dist, rows, *, common: bool) -> np.ndarray:
    """One group of ``dist`` at 3 nodes; its draws for ``rows`` with or without the
    shared-parameter shortcut (the gathered rows are the method it replaces)."""
    (group,) = _dwell_groups([dist] * 3, [[dist] * 3])
    assert (group.common is not None) == dist.stackable
    if not common:
        group = type(group)(group.member, group.params, group.dist, None)
    return group.sample(rows, np.random.default_rng(5))


@pytest.mark.parametrize("dist", [d for d in FAMILIES if d.stackable], ids=lambda d: d.kind)
def test_shared_parameters_draw_what_gathered_rows_draw(dist):
    rows = np.random.default_rng(1).integers(0, 3, 1000)
    assert np.array_equal(draws(dist, rows, common=True), draws(dist, rows, common=False))


def test_the_check_sees_different_parameters():
    rows = np.zeros(1000, np.intp)
    other = draws(Exponential(2.5), rows, common=True)
    assert not np.array_equal(draws(Exponential(2.0), rows, common=True), other)


def test_members_with_different_parameters_gather_them():
    fast, slow = Exponential(1.0), Exponential(3.0)
    (group,) = _dwell_groups([fast, slow], [[fast, slow]])
    assert group.common is None
    values = group.sample(np.array([0, 1] * 5000), np.random.default_rng(2))
    for sample, mean in ((values[0::2], 1.0), (values[1::2], 3.0)):
        se = mean / np.sqrt(len(sample))  # an exponential's sd is its mean
        assert abs(sample.mean() - mean) < 4 * se
    # the wrong model, one parameter shared by both nodes, is rejected by the same rule
    se_diff = np.hypot(values[0::2].std(), values[1::2].std()) / np.sqrt(len(values) / 2)
    assert abs(values[0::2].mean() - values[1::2].mean()) > 4 * se_diff
