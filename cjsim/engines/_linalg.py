"""Linear solves for absorbing chains: LU once, many right-hand sides.

Dense LU for small chains, sparse LU (SuperLU) for large ones; never an
explicit inverse.  Works for real and complex matrices (the analytic engine
differentiates by complex step).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from cjsim.errors import ModelError, Problem

__all__ = ["DOUBTFUL_CONDITION", "SPARSE_FROM", "ConditioningWarning", "Solver"]

SPARSE_FROM = 400  # states; below this dense LU is faster
EPS = float(np.finfo(float).eps)
DOUBTFUL_CONDITION = 1e-6 / EPS
"""Above this condition number (about 4.5e9) answers may be off by more than 1e-6."""


class ConditioningWarning(RuntimeWarning):
    """A linear solve whose condition number makes its answer doubtful."""


def _closed(q: np.ndarray) -> np.ndarray:
    """The nodes from which no path leads out of the chain (no row deficit reachable)."""
    real = abs(sp.csr_matrix(q.real))
    leaks = np.asarray(1.0 - real.sum(axis=1)).ravel() > 0
    out = leaks.copy()
    back = real.T.tocsr()
    frontier = np.flatnonzero(leaks)
    while len(frontier):
        reach = np.unique(back[frontier].indices)
        frontier = reach[~out[reach]]
        out[frontier] = True
    return np.flatnonzero(~out)


class Solver:
    """Factorises ``A = I - Q`` for a sub-stochastic ``Q``; solves ``A x = b`` and ``A^T x = b``.

    Whether customers leave the chain is decided by the solve's own conditioning, not by
    a threshold on ``Q``: with ``Q >= 0`` the inverse ``N = A^-1`` is non-negative, so its
    1-norm is the largest expected number of visits to one node, ``max(1^T N)``, and one
    extra solve gives the exact condition number ``||A||_1 ||N||_1``.  Past
    :data:`DOUBTFUL_CONDITION` a :class:`ConditioningWarning` names the node customers
    dwell on (only with ``doubt``: the solve of a chain's visits says it once); past
    ``1 / eps`` the answer has no correct digit and the chain is refused
    as one that cannot absorb, naming the nodes that hold customers.
    """

    def __init__(
        self, q: np.ndarray, labels: tuple[str, ...] | None = None, *, doubt: bool = False
    ) -> None:
        n = q.shape[0]
        self._sparse = n >= SPARSE_FROM
        self._labels = labels
        with warnings.catch_warnings():  # singularity is reported below, clearly
            warnings.simplefilter("ignore", sla.LinAlgWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            if self._sparse:
                a = (sp.identity(n, dtype=q.dtype, format="csc") - sp.csc_matrix(q)).tocsc()
                try:
                    self._lu = spla.splu(a)
                except RuntimeError:
                    self._fail(q, None)
                norm = float(abs(a.real).sum(axis=0).max()) if n else 0.0
            else:
                a = np.eye(n, dtype=q.dtype) - q
                self._lu_dense = sla.lu_factor(a, check_finite=False)
                norm = float(np.abs(a.real).sum(axis=0).max()) if n else 0.0
            visits = self.left(np.ones(n, dtype=q.dtype)).real if n else np.zeros(0)
        self._check(q, visits, norm, doubt)

    def _check(self, q: np.ndarray, visits: np.ndarray, norm: float, doubt: bool) -> None:
        """Refuse or warn by the condition number ``norm * max(visits)``."""
        if not len(visits):
            return
        most = float(visits.max()) if np.isfinite(visits).all() else np.inf
        condition = norm * most
        if not (condition * EPS < 1 and visits.min() >= -1e-9 * most):
            self._fail(q, visits)
        if doubt and condition > DOUBTFUL_CONDITION:
            node = self._name(int(np.argmax(visits)))
            size = 10 ** round(math.log10(condition))  # one message per order of magnitude
            warnings.warn(
                f"the chain is ill-conditioned (condition number about {size:.0e}): customers "
                f"can stay at {node} for a very long time, so the answers may be off by about "
                f"{size * EPS:.0e} relative — check the loop at {node}",
                ConditioningWarning,
                stacklevel=3,
            )

    def _name(self, i: int) -> str:
        return self._labels[i] if self._labels else str(i)

    def _fail(self, q: np.ndarray, visits: np.ndarray | None) -> None:
        if visits is not None and np.isfinite(visits).all() and visits.max() > 0:
            stuck = np.flatnonzero(visits >= 0.01 * visits.max())
            stuck = stuck[np.argsort(-visits[stuck], kind="stable")]
        else:
            stuck = _closed(q)
            if not len(stuck):  # leaks that only rounding made
                stuck = np.argsort(-np.asarray(abs(q.real).sum(axis=1)).ravel())[:1]
        raise ModelError(
            [
                Problem(
                    "transitions",
                    "the chain cannot absorb: customers can walk "
                    "forever among " + ", ".join(self._name(int(i)) for i in stuck[:10]),
                    "give every loop an edge to an outcome with a probability well above 1e-15",
                )
            ]
        )

    def right(self, b: np.ndarray) -> np.ndarray:
        """``x`` with ``(I - Q) x = b`` (expected totals from each start)."""
        if self._sparse:
            return np.asarray(self._lu.solve(np.asarray(b, dtype=self._lu.U.dtype)))
        return np.asarray(sla.lu_solve(self._lu_dense, b, check_finite=False))

    def left(self, b: np.ndarray) -> np.ndarray:
        """``x`` with ``(I - Q)^T x = b`` (expected visits from an entry vector)."""
        if self._sparse:
            return np.asarray(self._lu.solve(np.asarray(b, dtype=self._lu.U.dtype), trans="T"))
        return np.asarray(sla.lu_solve(self._lu_dense, b, trans=1, check_finite=False))
