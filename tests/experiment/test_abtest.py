"""The statistics of A/B test design (:mod:`cjsim.experiment.abtest`).

References: the two-proportion sample size written out here from Fleiss (normal
approximation, pooled null variance, no continuity correction) and, when installed,
statsmodels' ``samplesize_proportions_2indep_onetail`` and ``NormalIndPower`` on Cohen's
h; SciPy's Welch t-test for the test applied to simulated samples; and simulated field
tests, whose power must match the target within 4 Monte Carlo standard errors — a check
that a size 30 % too small fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from cjsim.errors import OptionError
from cjsim.experiment import abtest

CASES = [  # baseline rate, variant rate, power, alpha
    (0.05, 0.06, 0.8, 0.05),
    (0.2, 0.25, 0.9, 0.05),
    (0.5, 0.45, 0.8, 0.01),
    (0.056, 0.0577, 0.8, 0.05),
]
TESTS = 2000


def fleiss(p0: float, p1: float, power: float, alpha: float) -> float:
    """Fleiss, Statistical Methods for Rates and Proportions (sample sizes for two
    proportions, normal approximation, no continuity correction)."""
    z_a, z_b = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    pbar = (p0 + p1) / 2
    a = z_a * math.sqrt(2 * pbar * (1 - pbar))
    b = z_b * math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))
    return (a + b) ** 2 / (p1 - p0) ** 2


def tolerance(p: float, tests: int = TESTS) -> float:
    return 4 * math.sqrt(p * (1 - p) / tests)


@pytest.mark.parametrize(("p0", "p1", "power", "alpha"), CASES)
def test_two_proportion_size_equals_the_closed_form(
    p0: float, p1: float, power: float, alpha: float
) -> None:
    n = abtest.sample_size_two_proportions(
        baseline_rate=p0, variant_rate=p1, power=power, alpha=alpha
    )
    assert n == pytest.approx(fleiss(p0, p1, power, alpha), rel=0.01)
    assert n == math.ceil(fleiss(p0, p1, power, alpha))


@pytest.mark.parametrize(("p0", "p1", "power", "alpha"), CASES)
def test_two_proportion_size_agrees_with_statsmodels(
    p0: float, p1: float, power: float, alpha: float
) -> None:
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    from statsmodels.stats.power import NormalIndPower

    n = abtest.sample_size_two_proportions(
        baseline_rate=p0, variant_rate=p1, power=power, alpha=alpha
    )
    pooled = proportion.samplesize_proportions_2indep_onetail(
        p1 - p0, p0, power, alpha=alpha, alternative="two-sided"
    )
    h = proportion.proportion_effectsize(p1, p0)
    cohen = NormalIndPower().solve_power(abs(h), power=power, alpha=alpha)
    assert n == pytest.approx(pooled, rel=0.01)
    assert n == pytest.approx(cohen, rel=0.01)


def test_power_inverts_the_size() -> None:
    for p0, p1, power, alpha in CASES:
        n = abtest.sample_size_two_proportions(
            baseline_rate=p0, variant_rate=p1, power=power, alpha=alpha
        )
        got = abtest.power_two_proportions(
            baseline_rate=p0, variant_rate=p1, n_per_arm=n, alpha=alpha
        )
        assert power <= got < power + 0.002


@pytest.mark.parametrize(("p0", "p1", "power", "alpha"), CASES[:3])
def test_a_simulated_ab_test_at_that_size_reaches_the_power(
    p0: float, p1: float, power: float, alpha: float
) -> None:
    n = abtest.sample_size_two_proportions(
        baseline_rate=p0, variant_rate=p1, power=power, alpha=alpha
    )
    sim = abtest.simulate_two_proportion_tests(
        baseline_rate=p0, variant_rate=p1, n_per_arm=n, alpha=alpha, tests=TESTS, seed=7
    )
    assert abs(sim.power - power) <= tolerance(power)


@pytest.mark.parametrize(("p0", "p1", "power", "alpha"), CASES[:3])
def test_the_same_check_rejects_a_size_30_percent_too_small(
    p0: float, p1: float, power: float, alpha: float
) -> None:
    n = abtest.sample_size_two_proportions(
        baseline_rate=p0, variant_rate=p1, power=power, alpha=alpha
    )
    sim = abtest.simulate_two_proportion_tests(
        baseline_rate=p0, variant_rate=p1, n_per_arm=int(0.7 * n), alpha=alpha, seed=7
    )
    assert abs(sim.power - power) > tolerance(power)


def skewed_revenue(rate: float, seed: int, customers: int = 40_000) -> np.ndarray:
    """Revenue per customer: mostly zeros, a lognormal order value for buyers."""
    rng = np.random.default_rng(seed)
    buys = rng.random(customers) < rate
    return np.where(buys, rng.lognormal(4.0, 1.0, customers).round(2), 0.0)


@pytest.fixture(scope="module")
def revenue_arms() -> tuple[abtest.EmpiricalOutcomes, abtest.EmpiricalOutcomes]:
    return (
        abtest.EmpiricalOutcomes.of(skewed_revenue(0.05, 1)),
        abtest.EmpiricalOutcomes.of(skewed_revenue(0.06, 2)),
    )


def test_revenue_size_reaches_the_power_by_simulation(
    revenue_arms: tuple[abtest.EmpiricalOutcomes, abtest.EmpiricalOutcomes],
) -> None:
    base, variant = revenue_arms
    found = abtest.sample_size_simulated(
        baseline=base, variant=variant, power=0.8, tests=TESTS, seed=3
    )
    fresh = abtest.simulate_welch_tests(
        baseline=base, variant=variant, n_per_arm=found.n_per_arm, tests=TESTS, seed=11
    )
    assert abs(fresh.power - 0.8) <= tolerance(0.8)
    assert abs(found.check.power - 0.8) <= tolerance(0.8)
    small = abtest.simulate_welch_tests(
        baseline=base, variant=variant, n_per_arm=int(0.7 * found.n_per_arm), tests=TESTS, seed=11
    )
    assert abs(small.power - 0.8) > tolerance(0.8)  # the wrong size fails the same check


def test_simulated_welch_tests_decide_as_scipy_does() -> None:
    """The test applied from sums and sums of squares rejects exactly where SciPy's Welch
    t-test on the same samples does."""
    rng = np.random.default_rng(5)
    n, tests = 400, 300
    a = np.where(rng.random((tests, n)) < 0.1, rng.lognormal(3, 1, (tests, n)), 0.0)
    b = np.where(rng.random((tests, n)) < 0.13, rng.lognormal(3, 1, (tests, n)), 0.0)
    ours = abtest._welch_rejects(a.sum(1), (a * a).sum(1), b.sum(1), (b * b).sum(1), n, 0.05)
    theirs = stats.ttest_ind(b, a, axis=1, equal_var=False).pvalue < 0.05
    assert ours.tolist() == theirs.tolist()
    assert 0 < ours.sum() < tests


def test_empirical_draws_have_the_outcomes_moments(
    revenue_arms: tuple[abtest.EmpiricalOutcomes, abtest.EmpiricalOutcomes],
) -> None:
    """Sums of ``n`` draws have mean ``n mu`` and variance ``n sigma^2``; the variance is
    checked with the standard error of a sample variance, whose relative size is
    ``sqrt((2 + kurtosis / n) / tests)`` (the sum's excess kurtosis is the outcome's / n)."""
    base, _ = revenue_arms
    x = skewed_revenue(0.05, 1)
    kurtosis = float(stats.kurtosis(x))
    for n in (50, 200_000):  # direct draws, then multinomial counts of the pool
        tests = 4000
        s, q = base.sums(n, np.random.default_rng(n), tests)
        se = math.sqrt(base.variance / (n * tests))
        assert abs(s.mean() / n - base.mean) <= 4 * se
        relative = math.sqrt((2 + kurtosis / n) / tests)
        assert s.var() / n == pytest.approx(base.variance, rel=4 * relative)
        se_squares = float(np.std(x * x)) / math.sqrt(n * tests)
        assert abs(q.mean() / n - float(np.mean(x * x))) <= 4 * se_squares


def test_atoms_alone_are_counted_exactly() -> None:
    """Outcomes with two values only: the sums follow from the multinomial counts."""
    x = np.r_[np.zeros(60), np.full(40, 3.0)]
    pool = abtest.EmpiricalOutcomes.of(x)
    assert pool.pool.size == 0 and pool.atoms.tolist() == [0.0, 3.0]
    s, q = pool.sums(10, np.random.default_rng(1), 50)
    assert np.allclose(q, 3 * s)


def test_a_shift_moves_the_variant_by_the_effect(
    revenue_arms: tuple[abtest.EmpiricalOutcomes, abtest.EmpiricalOutcomes],
) -> None:
    base, _ = revenue_arms
    same = abtest.simulate_welch_tests(baseline=base, variant=base, n_per_arm=2000, seed=2)
    assert abs(same.power - 0.05) <= tolerance(0.05)  # no effect: the level
    moved = abtest.simulate_welch_tests(
        baseline=base, variant=base, n_per_arm=2000, seed=2, shift=2.0
    )
    assert moved.power > 0.5


def test_assurance_is_the_power_without_uncertainty() -> None:
    n = abtest.sample_size_two_proportions(baseline_rate=0.05, variant_rate=0.06)
    sure = abtest.assurance_two_proportions(
        baseline_rate=0.05, effect_draws=np.full(10, 0.01), n_per_arm=n
    )
    unsure = abtest.assurance_two_proportions(
        baseline_rate=0.05,
        effect_draws=np.random.default_rng(1).normal(0.01, 0.005, 5000),
        n_per_arm=n,
    )
    assert sure == pytest.approx(0.8, abs=0.002)
    assert unsure < sure - 0.02  # doubt about the effect costs power at the same size


@pytest.mark.parametrize(("power", "alpha"), [(1.0, 0.05), (0.8, 0.0), (-0.1, 0.05), (0.8, 1.2)])
def test_levels_outside_the_unit_interval_are_refused(power: float, alpha: float) -> None:
    with pytest.raises(OptionError, match="strictly between 0 and 1"):
        abtest.sample_size_two_proportions(
            baseline_rate=0.05, variant_rate=0.06, power=power, alpha=alpha
        )


def test_a_zero_effect_has_no_sample_size() -> None:
    with pytest.raises(OptionError, match="no sample size confirms a zero effect — pick"):
        abtest.sample_size_two_proportions(baseline_rate=0.05, variant_rate=0.05)
    same = abtest.EmpiricalOutcomes.of(skewed_revenue(0.05, 1, 1000))
    with pytest.raises(OptionError, match="no sample size confirms a zero effect"):
        abtest.sample_size_simulated(baseline=same, variant=same)


def test_an_effect_too_small_for_any_field_test_is_refused() -> None:
    base = abtest.EmpiricalOutcomes.of(skewed_revenue(0.05, 1, 1000))
    with pytest.raises(OptionError, match="too small to confirm"):
        abtest.sample_size_simulated(baseline=base, variant=base, shift=1e-6)


def test_a_rate_effect_too_small_for_any_field_test_is_refused() -> None:
    with pytest.raises(OptionError, match="too small to confirm"):
        abtest.sample_size_two_proportions(baseline_rate=0.05, variant_rate=0.05 + 1e-7)


def test_an_effect_that_is_not_a_number_says_why() -> None:
    base = abtest.EmpiricalOutcomes.of(skewed_revenue(0.05, 1, 1000))
    with pytest.raises(OptionError, match="no customers were observed in an arm"):
        abtest.sample_size_simulated(baseline=base, variant=base, shift=math.nan)
