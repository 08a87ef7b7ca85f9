"""The statistics of an A/B field test: sample sizes, power and assurance.

Two kinds of KPI, two methods:

- a **rate** (a share of customers, e.g. conversion): the two-sided two-proportion
  z-test with the pooled variance, sized by the normal-approximation closed form
  (Fleiss, *Statistical Methods for Rates and Proportions*, its sample-size chapter,
  without the continuity correction), with equal arms::

      n = (z(1 - alpha/2) * sqrt(2 pbar qbar) + z(power) * sqrt(p0 q0 + p1 q1))**2 / (p1 - p0)**2

  where ``pbar = (p0 + p1) / 2`` and ``q = 1 - p``;
- a **mean per customer** (revenue or profit: skewed, mostly zeros): Welch's t-test,
  sized by simulation.  Each simulated field test draws ``n`` customers per arm from the
  per-customer outcomes an engine produced (an empirical distribution), applies the
  test and counts rejections; the size is where a probit curve fitted to the simulated
  power against ``sqrt(n)`` crosses the target (the normal theory's shape), checked by a
  fresh simulation at that size.

Draws of ``n`` customers from an empirical distribution are made as counts (a
multinomial over the values many customers share, such as zero revenue) and direct
draws of the rest (:class:`EmpiricalOutcomes`), so a test of a million customers costs
about as much as its buyers.  Every function takes a ``seed`` (an int or a
``numpy.random.Generator``); none touches global random state.

>>> n = sample_size_two_proportions(baseline_rate=0.05, variant_rate=0.06)
>>> n
8158
>>> round(power_two_proportions(baseline_rate=0.05, variant_rate=0.06, n_per_arm=n), 3)
0.8
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from cjsim.errors import OptionError

__all__ = [
    "MAX_PER_ARM",
    "EmpiricalOutcomes",
    "SimulatedPower",
    "SizeSearch",
    "assurance_two_proportions",
    "check_levels",
    "normal_sample_size",
    "power_two_proportions",
    "rate_powers",
    "sample_size_simulated",
    "sample_size_two_proportions",
    "simulate_two_proportion_tests",
    "simulate_welch_tests",
    "welch_rejections",
]

#: The most customers per arm a design considers; a smaller effect is refused as too small.
MAX_PER_ARM = 1e9

_ZERO_HINT = (
    "no sample size confirms a zero effect — pick a variant whose simulated effect is not "
    "zero, or run more replications if the effect is too small to be seen"
)


def check_levels(*, power: float, alpha: float) -> None:
    """Raise :class:`~cjsim.errors.OptionError` unless ``power`` and ``alpha`` lie in (0, 1)
    and the power exceeds ``alpha`` (a test that rejects at random already has power alpha)."""
    for name, value in (("power", power), ("alpha", alpha)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
            raise OptionError(
                f"{name} must be a probability strictly between 0 and 1, got {value!r} — "
                "e.g. power=0.8, alpha=0.05"
            )
    if power <= alpha:
        raise OptionError(
            f"power {power:g} must exceed alpha {alpha:g}: a test that ignores the data "
            "rejects with probability alpha — ask for power 0.8 or 0.9"
        )


def _check_rate(name: str, value: float) -> None:
    if not 0 < value < 1:
        raise OptionError(f"{name} must be a rate strictly between 0 and 1, got {value!r}")


def _check_effect(effect: float) -> None:
    if not math.isfinite(effect):
        raise OptionError(
            f"the effect is not a number ({effect!r}) — no customers were observed in an "
            "arm: simulate a longer horizon or follow customers for fewer days"
        )
    if effect == 0:
        raise OptionError(f"effect 0: {_ZERO_HINT}")


def _check_size(n: float, effect: float) -> None:
    if not n <= MAX_PER_ARM:
        raise OptionError(
            f"effect {effect:.3g} is too small to confirm: about {n:.2g} customers per arm "
            f"(more than {MAX_PER_ARM:.0e}) — no field test of that size is practical"
        )


def sample_size_two_proportions(
    *, baseline_rate: float, variant_rate: float, power: float = 0.8, alpha: float = 0.05
) -> int:
    """Customers per arm for a two-sided pooled two-proportion z-test (closed form).

    Parameters
    ----------
    baseline_rate, variant_rate : float
        The rates of the two arms, in (0, 1), e.g. conversion of baseline and variant.
    power : float
        The chance of rejecting when the rates differ as given, in (0, 1).
    alpha : float
        The two-sided level of the test, in (0, 1).

    Returns
    -------
    int
        The formula of the module docstring, rounded up.

    Raises
    ------
    OptionError
        For levels or rates outside (0, 1), equal rates (no size confirms a zero effect), or
        more than :data:`MAX_PER_ARM` customers per arm.
    """
    check_levels(power=power, alpha=alpha)
    _check_rate("baseline_rate", baseline_rate)
    _check_rate("variant_rate", variant_rate)
    p0, p1 = baseline_rate, variant_rate
    _check_effect(p1 - p0)
    pbar = (p0 + p1) / 2
    z_a, z_b = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(power)
    root = z_a * math.sqrt(2 * pbar * (1 - pbar)) + z_b * math.sqrt(p0 * (1 - p0) + p1 * (1 - p1))
    n = root**2 / (p1 - p0) ** 2
    _check_size(n, p1 - p0)
    return math.ceil(n - 1e-9)


def power_two_proportions(
    *, baseline_rate: float, variant_rate: float, n_per_arm: float, alpha: float = 0.05
) -> float:
    """The normal-approximation power of the pooled two-proportion z-test with
    ``n_per_arm`` customers per arm (both tails counted), the inverse of
    :func:`sample_size_two_proportions`."""
    return float(rate_powers(baseline_rate, np.asarray(variant_rate), n_per_arm, alpha))


def rate_powers(
    baseline_rate: float,
    variant_rate: np.ndarray | float,
    n_per_arm: np.ndarray | float,
    alpha: float,
) -> np.ndarray:
    """:func:`power_two_proportions` for arrays of variant rates or sizes (broadcast)."""
    p0, p1 = baseline_rate, np.asarray(variant_rate, dtype=float)
    pbar = (p0 + p1) / 2
    null = stats.norm.ppf(1 - alpha / 2) * np.sqrt(2 * pbar * (1 - pbar))
    alt = np.sqrt(p0 * (1 - p0) + p1 * (1 - p1))
    shift = np.abs(p1 - p0) * np.sqrt(n_per_arm)
    return np.asarray(stats.norm.cdf((shift - null) / alt) + stats.norm.cdf((-shift - null) / alt))


def assurance_two_proportions(
    *,
    baseline_rate: float,
    effect_draws: np.ndarray,
    n_per_arm: float,
    alpha: float = 0.05,
) -> float:
    """Expected power (assurance): :func:`power_two_proportions` averaged over draws of
    the effect ``variant_rate - baseline_rate`` (draws outside the unit interval are
    clipped into it)."""
    variant = np.clip(baseline_rate + np.asarray(effect_draws, float), 1e-12, 1 - 1e-12)
    return float(np.mean(rate_powers(baseline_rate, variant, n_per_arm, alpha)))


@dataclass(frozen=True)
class SimulatedPower:
    """The share of simulated field tests that rejected, with its Monte Carlo error.

    Attributes
    ----------
    n_per_arm : int
    power : float
    std_err : float
        ``sqrt(power (1 - power) / tests)``.
    tests : int
    """

    n_per_arm: int
    power: float
    std_err: float
    tests: int

    @classmethod
    def of(cls, n_per_arm: int, rejected: np.ndarray) -> SimulatedPower:
        p = float(np.mean(rejected))
        return cls(int(n_per_arm), p, math.sqrt(p * (1 - p) / len(rejected)), len(rejected))


def _generator(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def simulate_two_proportion_tests(
    *,
    baseline_rate: float,
    variant_rate: float,
    n_per_arm: int,
    alpha: float = 0.05,
    tests: int = 2000,
    seed: int | np.random.Generator | None = 0,
) -> SimulatedPower:
    """Run ``tests`` simulated A/B tests (binomial arms, pooled two-sided z-test)."""
    rng = _generator(seed)
    x0 = rng.binomial(n_per_arm, baseline_rate, size=tests)
    x1 = rng.binomial(n_per_arm, variant_rate, size=tests)
    pooled = (x0 + x1) / (2 * n_per_arm)
    se = np.sqrt(pooled * (1 - pooled) * 2 / n_per_arm)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (x1 - x0) / n_per_arm / se
    rejected = np.abs(np.nan_to_num(z)) > stats.norm.ppf(1 - alpha / 2)
    return SimulatedPower.of(n_per_arm, rejected)


@dataclass(frozen=True)
class EmpiricalOutcomes:
    """Per-customer outcomes as an empirical distribution to draw field tests from.

    Values many customers share (zero revenue; the visit costs of those who never buy)
    are *atoms*, drawn as multinomial counts; the rest (order values, nearly all
    distinct) form a *pool* drawn one by one, or as counts when that is cheaper.  So a
    test of a million customers costs the number of atoms plus the pool's draws.  Build
    one with :meth:`of`.
    """

    atoms: np.ndarray  # values shared by at least two customers (the commonest first)
    shares: np.ndarray  # each atom's share of all customers, then the pool's
    pool: np.ndarray  # every other customer's value
    mean: float
    variance: float
    customers: int

    @classmethod
    def of(cls, outcomes: np.ndarray, *, max_atoms: int = 64) -> EmpiricalOutcomes:
        """From one value per customer (at least two customers, all finite)."""
        x = np.asarray(outcomes, dtype=float)
        if x.size < 2 or not np.all(np.isfinite(x)):
            raise OptionError(
                f"per-customer outcomes need at least two finite values, got {x.size} — "
                "simulate a longer horizon or more replications"
            )
        values, counts = np.unique(x, return_counts=True)
        order = np.argsort(-counts, kind="stable")[:max_atoms]
        order = order[counts[order] >= 2]
        atoms = values[order]
        pool = x[~np.isin(x, atoms)]
        shares = np.append(counts[order], pool.size) / x.size
        return cls(atoms, shares, pool, float(x.mean()), float(x.var()), int(x.size))

    def sums(self, n: int, rng: np.random.Generator, tests: int) -> tuple[np.ndarray, np.ndarray]:
        """Sum and sum of squares of ``n`` customers drawn with replacement, per test."""
        counts = rng.multinomial(n, self.shares, size=tests)
        total = counts[:, :-1] @ self.atoms
        squares = counts[:, :-1] @ self.atoms**2
        drawn = counts[:, -1]
        if self.pool.size == 0:
            return total, squares
        # a direct draw costs a tenth of a multinomial category or less (benchmarks/abtest_draws.py)
        if drawn.sum() <= 10 * tests * self.pool.size:
            sums, sumsq = self._direct(drawn, rng)
        else:
            sums, sumsq = self._counted(drawn, rng)
        return total + sums, squares + sumsq

    def _direct(self, drawn: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """Each test's pool draws one by one, in chunks of a few million."""
        ends = np.cumsum(drawn)
        out = np.zeros((2, drawn.size))
        start = 0
        while start < drawn.size:
            base = ends[start] - drawn[start]
            stop = max(int(np.searchsorted(ends, base + 4_000_000, side="right")), start + 1)
            v = self.pool[rng.integers(0, self.pool.size, size=int(ends[stop - 1] - base))]
            some = drawn[start:stop] > 0  # reduceat sums between consecutive starts
            starts = (ends[start:stop] - drawn[start:stop] - base)[some]
            if starts.size:
                out[0, start:stop][some] = np.add.reduceat(v, starts)
                out[1, start:stop][some] = np.add.reduceat(v * v, starts)
            start = stop
        return out[0], out[1]

    def _counted(self, drawn: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """Multinomial counts of the pooled customers per test (cost: the pool, not n)."""
        out = np.empty((2, drawn.size))
        uniform = np.full(self.pool.size, 1 / self.pool.size)
        step = max(1, 2_000_000 // self.pool.size)
        for start in range(0, drawn.size, step):
            counts = rng.multinomial(drawn[start : start + step], uniform)
            out[0, start : start + step] = counts @ self.pool
            out[1, start : start + step] = counts @ self.pool**2
        return out[0], out[1]


def _welch_rejects(
    s0: np.ndarray, q0: np.ndarray, s1: np.ndarray, q1: np.ndarray, n: int, alpha: float
) -> np.ndarray:
    """Two-sided Welch t-tests from each arm's sums and sums of squares."""
    m0, m1 = s0 / n, s1 / n
    v0 = np.maximum(q0 - n * m0**2, 0) / (n - 1) / n
    v1 = np.maximum(q1 - n * m1**2, 0) / (n - 1) / n
    se2 = v0 + v1
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (m1 - m0) / np.sqrt(se2)
        df = se2**2 / ((v0**2 + v1**2) / (n - 1))
        p = 2 * stats.t.sf(np.abs(t), np.nan_to_num(df, nan=1.0))
    return np.nan_to_num(p, nan=1.0) < alpha


def simulate_welch_tests(
    *,
    baseline: EmpiricalOutcomes,
    variant: EmpiricalOutcomes,
    n_per_arm: int,
    alpha: float = 0.05,
    tests: int = 2000,
    seed: int | np.random.Generator | None = 0,
    shift: float | np.ndarray = 0.0,
) -> SimulatedPower:
    """Run ``tests`` simulated field tests of a mean per customer with Welch's t-test.

    Parameters
    ----------
    baseline, variant : EmpiricalOutcomes
        The per-customer outcomes of each arm.
    n_per_arm : int
        Customers per arm (>= 2).
    alpha : float
        Two-sided level.
    tests : int
        Simulated field tests.
    seed : int or Generator
    shift : float or ndarray
        Added to every variant customer's outcome (one value, or one per test): the
        effect moved from the simulated one to another value (an end of its interval, or
        a draw of it for the assurance).

    Returns
    -------
    SimulatedPower
        The share of tests that rejected, with its Monte Carlo error.
    """
    rejected = welch_rejections(
        baseline=baseline,
        variant=variant,
        n_per_arm=n_per_arm,
        alpha=alpha,
        tests=tests,
        seed=seed,
        shift=shift,
    )
    return SimulatedPower.of(n_per_arm, rejected)


def welch_rejections(
    *,
    baseline: EmpiricalOutcomes,
    variant: EmpiricalOutcomes,
    n_per_arm: int,
    alpha: float,
    tests: int,
    seed: int | np.random.Generator | None,
    shift: float | np.ndarray = 0.0,
) -> np.ndarray:
    """Whether each of :func:`simulate_welch_tests`' field tests rejected."""
    if n_per_arm < 2:
        raise OptionError(f"n_per_arm must be at least 2 customers, got {n_per_arm}")
    rng = _generator(seed)
    s0, q0 = baseline.sums(n_per_arm, rng, tests)
    s1, q1 = variant.sums(n_per_arm, rng, tests)
    c = np.broadcast_to(np.asarray(shift, float), (tests,))
    q1 = q1 + 2 * c * s1 + n_per_arm * c**2
    s1 = s1 + n_per_arm * c
    return _welch_rejects(s0, q0, s1, q1, n_per_arm, alpha)


@dataclass(frozen=True)
class SizeSearch:
    """The simulated sample size of a mean per customer and how it was found.

    Attributes
    ----------
    n_per_arm : int
        The size where the fitted power curve reaches the target.
    check : SimulatedPower
        A fresh simulation at ``n_per_arm`` (its power should be within its error of the
        target).
    grid : tuple of SimulatedPower
        The simulated power at the sizes searched (for the power curve).
    normal_guess : int
        The normal-theory size the search started from.
    """

    n_per_arm: int
    check: SimulatedPower
    grid: tuple[SimulatedPower, ...]
    normal_guess: int


def normal_sample_size(
    *, effect: float, variance_baseline: float, variance_variant: float, power: float, alpha: float
) -> int:
    """The normal-theory size per arm of a two-sided test of two means (the search's start)."""
    _check_effect(effect)
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    n = z**2 * (variance_baseline + variance_variant) / effect**2
    _check_size(n, effect)
    return max(2, math.ceil(n))


_GRID = (0.4, 0.6, 0.8, 1.0, 1.25, 1.6, 2.2)


def _probit_size(grid: list[SimulatedPower], power: float) -> float:
    """Where a line through probit(power) against sqrt(n) reaches ``power``."""
    usable = [g for g in grid if 0.02 < g.power < 0.98]
    if len(usable) < 2:
        return math.nan
    x = np.sqrt([g.n_per_arm for g in usable])
    y = stats.norm.ppf([g.power for g in usable])
    slope, intercept = np.polyfit(x, y, 1)
    if slope <= 0:
        return math.nan
    return float(((stats.norm.ppf(power) - intercept) / slope) ** 2)


def sample_size_simulated(
    *,
    baseline: EmpiricalOutcomes,
    variant: EmpiricalOutcomes,
    power: float = 0.8,
    alpha: float = 0.05,
    tests: int = 1000,
    seed: int = 0,
    shift: float = 0.0,
) -> SizeSearch:
    """Customers per arm for Welch's t-test on a mean per customer, by simulation.

    Starts from the normal-theory size, simulates the power of ``tests // 2`` field tests
    at each of seven sizes around it (the same random numbers at every size), fits
    ``probit(power) = a + b sqrt(n)`` and solves for the target; then checks the answer
    with a fresh simulation of ``tests`` field tests.
    ``shift`` moves the variant's outcomes (see :func:`simulate_welch_tests`).

    Raises
    ------
    OptionError
        For levels outside (0, 1) or a zero effect.
    """
    check_levels(power=power, alpha=alpha)
    effect = variant.mean + shift - baseline.mean
    guess = normal_sample_size(
        effect=effect,
        variance_baseline=baseline.variance,
        variance_variant=variant.variance,
        power=power,
        alpha=alpha,
    )
    sizes = sorted({max(2, round(guess * f)) for f in _GRID})
    grid = [
        simulate_welch_tests(
            baseline=baseline,
            variant=variant,
            n_per_arm=n,
            alpha=alpha,
            tests=max(200, tests // 2),
            seed=np.random.default_rng([seed, 0]),  # the same draws at every size
            shift=shift,
        )
        for n in sizes
    ]
    found = _probit_size(grid, power)
    n = max(2, math.ceil(found)) if math.isfinite(found) else guess
    check = simulate_welch_tests(
        baseline=baseline,
        variant=variant,
        n_per_arm=n,
        alpha=alpha,
        tests=tests,
        seed=np.random.default_rng([seed, 1]),
        shift=shift,
    )
    return SizeSearch(n, check, tuple(grid), guess)
