"""When customers arrive: a cohort at day 0, or a piecewise Poisson process."""

from __future__ import annotations

import numpy as np

from cjsim.model import CohortArrivals, Scenario

__all__ = ["arrival_times"]


def arrival_times(sc: Scenario, rng: np.random.Generator, horizon: float) -> np.ndarray:
    """Sorted arrival days in ``[0, horizon)``: a cohort at 0 or a piecewise Poisson process."""
    arr = sc.population.arrivals
    if isinstance(arr, CohortArrivals):
        return np.zeros(arr.size)
    ends = [s for s, _ in arr.rates[1:]] + [horizon]
    pieces = []
    for (start, rate), end in zip(arr.rates, ends, strict=True):
        end = min(end, horizon)
        if end > start and rate > 0:
            count = rng.poisson(rate * (end - start))
            pieces.append(np.sort(rng.uniform(start, end, count)))
    return np.concatenate(pieces) if pieces else np.zeros(0)
