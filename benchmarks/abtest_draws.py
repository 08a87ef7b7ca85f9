"""How fast simulated field tests of a mean per customer draw their customers.

A/B test design sizes revenue and profit tests by simulating thousands of field tests of
``n`` customers per arm (:mod:`cjsim.experiment.abtest`).  Drawn one by one, a test costs
``n``; cjsim draws the values many customers share (zero revenue) as multinomial counts
and only the rest one by one, so a test costs about its buyers.  The time is printed
beside a reference measured in the same run — the plain way, ``rng.choice`` of ``n``
customers per test, summed — so the ratio is comparable across machines; both give the
same distribution of the sums (their means and spreads are printed too).

    python benchmarks/abtest_draws.py [--small]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from cjsim.experiment.abtest import EmpiricalOutcomes


def revenue(customers: int, rate: float, seed: int) -> np.ndarray:
    """Per-customer revenue: zero for most, a lognormal order value for buyers."""
    rng = np.random.default_rng(seed)
    buys = rng.random(customers) < rate
    return np.where(buys, rng.lognormal(4.0, 1.0, customers), 0.0)


def plain(x: np.ndarray, n: int, tests: int, rng: np.random.Generator) -> np.ndarray:
    """The reference: ``n`` customers drawn one by one per test, in chunks."""
    out = np.empty(tests)
    step = max(1, 4_000_000 // n)
    for start in range(0, tests, step):
        rows = min(step, tests - start)
        out[start : start + rows] = x[rng.integers(0, x.size, size=(rows, n))].sum(axis=1)
    return out


def main(small: bool) -> None:
    x = revenue(100_000 if small else 300_000, 0.056, 1)
    pool = EmpiricalOutcomes.of(x)
    tests = 200 if small else 2000
    sizes = (20_000,) if small else (20_000, 100_000, 500_000)
    print(f"{x.size:,} simulated customers, {np.mean(x > 0):.1%} buy; {tests} tests per size")
    for n in sizes:
        t0 = time.perf_counter()
        reference = plain(x, n, tests, np.random.default_rng(2))
        t1 = time.perf_counter()
        ours, _ = pool.sums(n, np.random.default_rng(3), tests)
        t2 = time.perf_counter()
        print(
            f"n = {n:>7,} per arm: plain draws {t1 - t0:7.3f} s, cjsim counts {t2 - t1:7.3f} s, "
            f"ratio {(t2 - t1) / (t1 - t0):.3f}; mean per customer {reference.mean() / n:.4f} "
            f"vs {ours.mean() / n:.4f}, sd of the sum {reference.std():.0f} vs {ours.std():.0f}"
        )


if __name__ == "__main__":
    main(small="--small" in sys.argv[1:])
