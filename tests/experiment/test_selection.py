"""Ranking and selection (procedure KN, ``cjsim.experiment.selection``) on synthetic
systems whose best is known.

The slippage configuration — one system ahead of all others by exactly the indifference
amount — is where KN's guarantee is tightest.  Over 200 seeded repetitions the procedure
must pick the best in at least ``pcs`` of them and spend fewer replications than the
fixed design with the same guarantee; picking the best first-stage mean (no sequential
stage) is the wrong model the same check must reject.
"""

from __future__ import annotations

import numpy as np
import pytest

from cjsim.errors import SimulationError
from cjsim.experiment.selection import fixed_design, kn_constant, select_best

K, BEST, DELTA, SIGMA, RHO = 5, 2, 0.5, 1.0, 0.3
MEANS = np.where(np.arange(K) == BEST, DELTA, 0.0)
NAMES = [f"s{i}" for i in range(K)]
REPEATS, PCS = 200, 0.95


def sampler(seed: int):
    """Normal systems with common random numbers: replication ``r`` draws one shared and
    one own normal per system from the stream ``(seed, r)``, whoever asks."""

    def sample(first, count, systems):
        rows = []
        for r in range(first, first + count):
            z = np.random.default_rng([seed, r]).standard_normal(K + 1)
            noise = np.sqrt(RHO) * z[0] + np.sqrt(1 - RHO) * z[1:]
            rows.append((MEANS + SIGMA * noise)[list(systems)])
        return np.array(rows)

    return sample


def kn(seed):
    return select_best(sampler(seed), NAMES, pcs=PCS, indifference=DELTA, first_stage=10)


def first_stage_only(seed):
    """The wrong model: the best mean of the first stage, with no guarantee."""
    first = sampler(seed)(0, 10, range(K))
    return NAMES[int(first.mean(axis=0).argmax())]


def share_correct(picks):
    return np.mean([p == NAMES[BEST] for p in picks])


@pytest.fixture(scope="module")
def runs():
    return [kn(seed) for seed in range(REPEATS)]


def test_kn_selects_the_known_best_at_least_as_often_as_promised(runs):
    assert all(s.finished for s in runs)
    assert share_correct([s.best for s in runs]) >= PCS


def test_the_same_check_rejects_picking_the_first_stage_best():
    assert share_correct([first_stage_only(seed) for seed in range(REPEATS)]) < PCS


def test_kn_spends_fewer_replications_than_the_fixed_design(runs):
    spent = np.mean([s.spent for s in runs])
    fixed = np.mean([s.fixed for s in runs])
    assert spent < 0.8 * fixed, (spent, fixed)
    assert all(s.replications[s.best] == max(s.replications.values()) for s in runs)


def test_screening_follows_kn_and_the_bookkeeping_adds_up(runs):
    s = runs[0]
    assert s.spent == sum(s.replications.values())
    assert set(s.eliminated_after) == set(NAMES) - {s.best}
    assert all(n >= 10 for n in s.eliminated_after.values())
    # h^2 from its definition for k = 2, alpha = 0.05, n0 = 10
    eta = 0.5 * ((2 * 0.05) ** (-2 / 9) - 1)
    assert kn_constant(2, 0.95, 10) == pytest.approx(2 * eta * 9, rel=1e-12)


def test_the_fixed_design_is_the_bonferroni_t_size():
    from scipy import stats

    first = sampler(7)(0, 10, range(K))
    worst = max(np.var(first[:, i] - first[:, j], ddof=1) for i in range(K) for j in range(i))
    t = stats.t.ppf(1 - 0.05 / (K - 1), 9)
    assert fixed_design(first, pcs=0.95, indifference=DELTA) == int(np.ceil(t**2 * worst / 0.25))


def test_a_cap_stops_the_procedure_unfinished():
    s = select_best(
        sampler(1), NAMES, pcs=PCS, indifference=1e-3, first_stage=10, max_replications=30
    )
    assert not s.finished and s.best is None and len(s.survivors) > 1
    assert max(s.replications.values()) == 30


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"pcs": 1.0}, "pcs must be in"),
        ({"pcs": 0.1}, "pcs must be in"),
        ({"indifference": 0.0}, "indifference must be a positive amount"),
        ({"first_stage": 1}, "first stage needs >= 2"),
        ({"max_replications": 5}, "max_replications (5) must be at least"),
    ],
)
def test_bad_settings_are_refused_with_a_hint(kwargs, message):
    settings = {"pcs": PCS, "indifference": DELTA, "first_stage": 10} | kwargs
    with pytest.raises(SimulationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        select_best(sampler(0), NAMES, **settings)
