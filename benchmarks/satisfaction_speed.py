"""What satisfaction costs: each simulation engine on a journey with a satisfaction model
against the same journey without one (the reference), measured in the same run.

The journey is ``tests/data/moods.toml`` (six touchpoints, four with effects, three linked
targets), Poisson arrivals over 200 days.  Targets (issue 16, item 2): satisfaction costs
at most 1.3x in ``des`` (its numpy lockstep carries satisfaction) and in ``vectorized``.
Each figure is the best of a few runs.

    python benchmarks/satisfaction_speed.py [--small]
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import cjsim
from cjsim.model import PoissonArrivals, Scenario

MOODS = Path(__file__).resolve().parents[1] / "tests" / "data" / "moods.toml"
TARGET = 1.3


def journeys(rate: float) -> tuple[Scenario, Scenario]:
    """The journey with satisfaction, and the same without it."""
    sc = cjsim.load_scenario(MOODS)
    arrivals = PoissonArrivals(((0.0, rate),))
    sc = sc.replace(
        population=dataclasses.replace(sc.population, arrivals=arrivals), horizon_days=200.0
    )
    plain = sc.replace(
        touchpoints={k: dataclasses.replace(t, feeling=None) for k, t in sc.touchpoints.items()},
        satisfaction=None,
    )
    return sc, plain


def best(sc: Scenario, engine: str, runs: int) -> float:
    """The fastest of ``runs`` one-replication runs, in seconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        cjsim.simulate(sc, engine=engine, replications=1, seed=1)
        times.append(time.perf_counter() - start)
    return min(times)


def main(small: bool) -> None:
    rate, runs = (200.0, 1) if small else (2000.0, 3)
    felt, plain = journeys(rate)
    print(f"journey: {MOODS.name}, {rate:g} arrivals/day over 200 days")
    for engine in ("des", "vectorized"):
        reference, with_sat = best(plain, engine, runs), best(felt, engine, runs)
        ratio = with_sat / reference
        print(
            f"{engine}: without satisfaction {reference:.3f} s, with {with_sat:.3f} s; "
            f"ratio {ratio:.2f}x (target <= {TARGET}x)"
        )


if __name__ == "__main__":
    main(small="--small" in sys.argv[1:])
