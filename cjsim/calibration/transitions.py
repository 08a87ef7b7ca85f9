"""Transition probabilities from counts, each row with a Dirichlet posterior.

The prior is a symmetric Dirichlet with concentration ``prior`` per observed target
(default 0.5, Jeffreys).  Row means, equal-tailed credible intervals (the marginals are
Beta) and posterior draws come from the same object.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cjsim.calibration.events import MappedLog

__all__ = ["RowPosterior", "count_transitions"]

JEFFREYS = 0.5


@dataclass(frozen=True)
class RowPosterior:
    """Dirichlet(counts + prior) over the observed targets of one node."""

    source: str
    targets: tuple[str, ...]
    counts: tuple[int, ...]
    prior: float = JEFFREYS

    @property
    def alpha(self) -> np.ndarray:
        return np.asarray(self.counts, dtype=float) + self.prior

    @property
    def mean(self) -> dict[str, float]:
        """Posterior mean of each edge."""
        a = self.alpha
        return dict(zip(self.targets, (a / a.sum()).tolist(), strict=True))

    def interval(self, level: float = 0.95) -> pd.DataFrame:
        """Equal-tailed credible interval of each edge (Beta marginals)."""
        a = self.alpha
        lo, hi = (1 - level) / 2, (1 + level) / 2
        rest = a.sum() - a
        single = rest <= 0  # one observed target: the edge is certain given the support
        low = np.where(single, 1.0, stats.beta.ppf(lo, a, np.where(single, 1.0, rest)))
        high = np.where(single, 1.0, stats.beta.ppf(hi, a, np.where(single, 1.0, rest)))
        return pd.DataFrame(
            {
                "from": self.source,
                "to": self.targets,
                "count": self.counts,
                "mean": a / a.sum(),
                "low": low,
                "high": high,
            }
        )

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws of the row, shape (n, targets)."""
        return rng.dirichlet(self.alpha, n)


def count_transitions(log: MappedLog, prior: float = JEFFREYS) -> dict[str, RowPosterior]:
    """Count consecutive mapped events per customer into rows.

    A customer's last event ends no row: whether that spell ended in a silent exit is
    the exit model's question (:mod:`cjsim.calibration.exits`), not a count.
    """
    events = log.events
    nxt = events.groupby("customer_id")["node"].shift(-1)
    pairs = pd.DataFrame({"from": events["node"], "to": nxt}).dropna()
    rows: dict[str, Counter[str]] = {}
    for source, target in zip(pairs["from"], pairs["to"], strict=True):
        rows.setdefault(str(source), Counter())[str(target)] += 1
    return {
        s: RowPosterior(s, tuple(sorted(c)), tuple(c[t] for t in sorted(c)), prior)
        for s, c in rows.items()
    }
