"""Ranking and selection: which of k systems is best, with a guaranteed probability.

:func:`select_best` is the fully sequential procedure KN of Kim and Nelson (2001, "A fully
sequential procedure for indifference-zone selection in simulation", ACM TOMACS 11(3)):
after a first stage of ``n0`` replications of every system it adds replications one
stage at a time and screens out, after each stage, every system whose mean falls
clearly below another's.  It stops when one system is left.  When the best mean exceeds
every other by at least the indifference amount ``delta``, the one left is the best with
probability at least ``pcs``.

Replication ``r`` of every system sees the same random numbers (common random numbers):
the procedure works on the variances of the pairwise differences, so the positive
correlation that common random numbers induce makes it stop sooner.

What it spent is set against a fixed design that reaches the same guarantee in one go:
the replications per system for which every pairwise difference, at level
``(1 - pcs) / (k - 1)`` (Bonferroni) with the first stage's variances and Student's t on
``n0 - 1`` degrees of freedom, resolves a difference of ``delta``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cjsim.errors import SimulationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Selection", "fixed_design", "kn_constant", "select_best"]

Sampler = Callable[[int, int, Sequence[int]], np.ndarray]


@dataclass(frozen=True)
class Selection:
    """What :func:`select_best` found and spent.

    Attributes
    ----------
    names : tuple of str
        The systems, in the order given.
    best : str or None
        The one left; None when ``max_replications`` stopped the procedure first.
    survivors : tuple of str
        The systems still in contention at the end (``(best,)`` when it finished).
    means : dict
        Each system's mean over the replications it received.
    replications : dict
        Replications each system received.
    eliminated_after : dict
        For each screened-out system, the replications after which it was screened out.
    spent : int
        Replications in all.
    fixed : int
        Replications in all of the fixed design with the same guarantee (see the module
        docstring).
    pcs, indifference : float
        The guarantee asked for.
    first_stage : int
        Replications of every system before the first screening.
    """

    names: tuple[str, ...]
    best: str | None
    survivors: tuple[str, ...]
    means: dict[str, float]
    replications: dict[str, int]
    eliminated_after: dict[str, int]
    spent: int
    fixed: int
    pcs: float
    indifference: float
    first_stage: int

    @property
    def finished(self) -> bool:
        """True when one system was left (the guarantee holds)."""
        return self.best is not None

    def table(self) -> pd.DataFrame:
        """One row per system: ``system, replications, mean, eliminated_after`` (NaN
        for those left) and ``selected``."""
        import pandas as pd  # loaded when first needed

        return pd.DataFrame(
            {
                "system": list(self.names),
                "replications": [self.replications[n] for n in self.names],
                "mean": [self.means[n] for n in self.names],
                "eliminated_after": [self.eliminated_after.get(n, math.nan) for n in self.names],
                "selected": [n == self.best for n in self.names],
            }
        )


def kn_constant(k: int, pcs: float, first_stage: int) -> float:
    """KN's ``h^2 = 2 eta (n0 - 1)`` with ``eta = ((2 alpha / (k - 1))^(-2 / (n0 - 1)) - 1) / 2``
    for ``k`` systems and ``alpha = 1 - pcs``.

    >>> round(kn_constant(2, 0.95, 10), 4)
    6.0129
    """
    alpha, n0 = 1.0 - pcs, first_stage
    eta = 0.5 * ((2.0 * alpha / (k - 1)) ** (-2.0 / (n0 - 1)) - 1.0)
    return 2.0 * eta * (n0 - 1)


def fixed_design(first: np.ndarray, *, pcs: float, indifference: float) -> int:
    """Replications per system of the fixed design for ``first`` (``n0 x k`` first-stage
    values; see the module docstring), at least ``n0``."""
    from scipy import special  # loaded when first needed

    n0, k = first.shape
    level = (1.0 - pcs) / (k - 1)
    t = float(special.stdtrit(n0 - 1, 1.0 - level))
    worst = max(
        float(np.var(first[:, i] - first[:, j], ddof=1)) for i in range(k) for j in range(i)
    )
    return max(n0, math.ceil(t * t * worst / indifference**2))


def _check(k: int, pcs: float, indifference: float, first_stage: int, cap: int) -> None:
    if k < 2:
        raise SimulationError("selection needs at least two systems to choose between")
    if not 1.0 / k < pcs < 1.0:
        raise SimulationError(
            f"pcs must be in (1/k, 1) = ({1.0 / k:.3g}, 1), got {pcs} — e.g. 0.95"
        )
    if not 0.0 < indifference < math.inf:
        raise SimulationError(
            f"indifference must be a positive amount, got {indifference} — the smallest "
            "difference of the objective worth telling apart"
        )
    if first_stage < 2:
        raise SimulationError(f"the first stage needs >= 2 replications, got {first_stage}")
    if cap < first_stage:
        raise SimulationError(
            f"max_replications ({cap}) must be at least the first stage ({first_stage})"
        )


def select_best(
    sample: Sampler,
    names: Sequence[str],
    *,
    pcs: float = 0.95,
    indifference: float,
    first_stage: int = 10,
    max_replications: int = 1000,
    step: int = 1,
    first: np.ndarray | None = None,
) -> Selection:
    """Select the system with the largest mean by procedure KN (see the module docstring).

    Parameters
    ----------
    sample : callable
        ``sample(first, count, systems)`` returns a ``count x len(systems)`` array: the
        objective of each of ``systems`` (indices into ``names``) in replications
        ``first .. first + count - 1``, with common random numbers across systems.
    names : sequence of str
        The systems.
    pcs : float
        Probability of correct selection asked for, in ``(1/k, 1)``.
    indifference : float
        The indifference amount ``delta``: differences of the mean smaller than this are
        not worth telling apart.
    first_stage : int
        ``n0``, replications of every system before the first screening (KN suggests
        at least 10).
    max_replications : int
        Most replications of any one system; the procedure stops there unfinished.
    step : int
        Replications added to each surviving system per stage (screening after each
        stage keeps the guarantee; more than 1 lets a pool run them side by side).
    first : array, optional
        The first stage's values when already simulated (``first_stage x k``).
    """
    k = len(names)
    _check(k, pcs, indifference, first_stage, max_replications)
    values = first if first is not None else sample(0, first_stage, list(range(k)))
    values = np.asarray(values, dtype=float)
    if values.shape != (first_stage, k) or not np.isfinite(values).all():
        raise SimulationError(
            "the first stage must give a finite value per system and replication "
            f"({first_stage} x {k}), got shape {values.shape}"
        )
    h2 = kn_constant(k, pcs, first_stage)
    diffs = values[:, :, None] - values[:, None, :]
    s2 = diffs.var(axis=0, ddof=1)  # variance of each pairwise difference
    sums, r = values.sum(axis=0), first_stage
    alive, out = list(range(k)), dict[int, int]()
    while True:
        alive = _screen(alive, sums / r, s2, h2, indifference, r, out)
        if len(alive) == 1 or r >= max_replications:
            break
        count = min(step, max_replications - r)
        more = np.asarray(sample(r, count, alive), dtype=float)
        sums[alive] += more.sum(axis=0)
        r += count
    return _selection(names, alive, sums, r, out, values, pcs, indifference)


def _screen(
    alive: list[int],
    means: np.ndarray,
    s2: np.ndarray,
    h2: float,
    delta: float,
    r: int,
    out: dict[int, int],
) -> list[int]:
    """KN's screening after ``r`` replications: keep ``i`` unless some ``l`` is ahead by
    more than ``W_il(r) = max(0, delta / (2r) (h2 S2_il / delta^2 - r))``."""
    kept = []
    for i in alive:
        others = [j for j in alive if j != i]
        width = np.maximum(0.0, delta / (2 * r) * (h2 * s2[i, others] / delta**2 - r))
        if (means[i] >= means[others] - width).all():
            kept.append(i)
        else:
            out[i] = r
    return kept


def _selection(
    names: Sequence[str],
    alive: list[int],
    sums: np.ndarray,
    r: int,
    out: dict[int, int],
    first: np.ndarray,
    pcs: float,
    delta: float,
) -> Selection:
    reps = {i: out.get(i, r) for i in range(len(names))}
    n0, k = first.shape
    return Selection(
        names=tuple(names),
        best=names[alive[0]] if len(alive) == 1 else None,
        survivors=tuple(names[i] for i in alive),
        means={names[i]: float(sums[i] / reps[i]) for i in range(k)},
        replications={names[i]: reps[i] for i in range(k)},
        eliminated_after={names[i]: n for i, n in out.items()},
        spent=sum(reps.values()),
        fixed=k * fixed_design(first, pcs=pcs, indifference=delta),
        pcs=pcs,
        indifference=delta,
        first_stage=n0,
    )
