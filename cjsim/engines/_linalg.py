"""Linear solves for absorbing chains: LU once, many right-hand sides.

Dense LU for small chains, sparse LU (SuperLU) for large ones; never an
explicit inverse.  Works for real and complex matrices (the analytic engine
differentiates by complex step).
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from cjsim.errors import ModelError, Problem

__all__ = ["SPARSE_FROM", "Solver"]

SPARSE_FROM = 400  # states; below this dense LU is faster


class Solver:
    """Factorises ``A = I - Q`` for a sub-stochastic ``Q``; solves ``A x = b`` and ``A^T x = b``."""

    def __init__(self, q: np.ndarray, labels: tuple[str, ...] | None = None) -> None:
        n = q.shape[0]
        self._sparse = n >= SPARSE_FROM
        self._labels = labels
        if self._sparse:
            a = (sp.identity(n, dtype=q.dtype, format="csc") - sp.csc_matrix(q)).tocsc()
            try:
                self._lu = spla.splu(a)
            except RuntimeError:
                self._fail(q)
        else:
            a = np.eye(n, dtype=q.dtype) - q
            with warnings.catch_warnings():  # singularity is reported below, clearly
                warnings.simplefilter("ignore", sla.LinAlgWarning)
                lu, piv = sla.lu_factor(a, check_finite=False)
            diag = np.abs(np.diag(lu))
            if n and diag.min() <= 1e-12 * max(1.0, diag.max()):
                self._fail(q)
            self._lu_dense = (lu, piv)

    def _fail(self, q: np.ndarray) -> None:
        stuck = np.flatnonzero(np.abs(q.sum(axis=1)) >= 1 - 1e-12)
        names = [self._labels[i] for i in stuck] if self._labels else [str(i) for i in stuck]
        raise ModelError(
            [
                Problem(
                    "transitions",
                    "the chain cannot absorb: customers can walk "
                    "forever among " + ", ".join(names[:10]),
                    "give every loop an edge to an outcome",
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
