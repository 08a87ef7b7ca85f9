"""The counter-based per-customer draws: a value depends only on (batch, customer,
purpose, touchpoint, visit), never on what was drawn before — common random numbers."""

import numpy as np

from cjsim.engines._draws import Bank, CounterDraws, Purpose, distribution_sampler
from cjsim.model import Exponential

Z = 4.0
SIZE = 512


def bank(seed=5, replication=0, batch=0, dwell_mean=1.0):
    samplers = {
        (Purpose.DWELL, node): distribution_sampler(Exponential(dwell_mean)) for node in range(3)
    }
    key = (Purpose.PRIMARY, batch)
    return Bank(CounterDraws(seed, replication), key, SIZE, samplers, 3)


def test_a_value_does_not_depend_on_the_order_of_drawing():
    first, second = bank(), bank()
    a = [first.draw(Purpose.DWELL, 2, 7, 3), first.draw(Purpose.TRANSITION, 0, 1, 0)]
    second.block(Purpose.TRANSITION, 1, 0).tolist()
    second.block(Purpose.DWELL, 0, 5).tolist()
    b = [second.draw(Purpose.DWELL, 2, 7, 3), second.draw(Purpose.TRANSITION, 0, 1, 0)]
    assert a == b


def test_visits_batches_and_replications_get_their_own_numbers():
    base = bank().block(Purpose.TRANSITION, 0, 0).tolist()
    assert base == bank().block(Purpose.TRANSITION, 0, 0).tolist(), "the same key: the same numbers"
    for other in (
        bank().block(Purpose.TRANSITION, 0, 1).tolist(),
        bank().block(Purpose.TRANSITION, 1, 0).tolist(),
        bank(batch=1).block(Purpose.TRANSITION, 0, 0).tolist(),
        bank(replication=1).block(Purpose.TRANSITION, 0, 0).tolist(),
        bank(seed=6).block(Purpose.TRANSITION, 0, 0).tolist(),
    ):
        assert abs(np.corrcoef(base, other)[0, 1]) < Z / np.sqrt(SIZE)


def test_transition_uniforms_stay_when_the_dwell_distribution_changes():
    slow = bank(dwell_mean=9.0)
    assert (
        slow.block(Purpose.TRANSITION, 0, 2).tolist()
        == bank().block(Purpose.TRANSITION, 0, 2).tolist()
    )
    assert slow.block(Purpose.DWELL, 0, 2).tolist() != bank().block(Purpose.DWELL, 0, 2).tolist()


def test_uniforms_and_dwells_have_their_distributions():
    """Means against the exact ones (4 standard errors), and a wrong mean rejected."""
    b = bank(dwell_mean=2.0)
    u = np.array([b.block(Purpose.TRANSITION, 0, k).tolist() for k in range(8)]).ravel()
    assert abs(u.mean() - 0.5) < Z * np.sqrt(1 / 12 / u.size)
    dwell = np.array([b.block(Purpose.DWELL, 1, k).tolist() for k in range(8)]).ravel()
    se = 2.0 / np.sqrt(dwell.size)
    assert abs(dwell.mean() - 2.0) < Z * se
    assert abs(dwell.mean() - 2.3) > Z * se, "the wrong answer: mean 2.3"
