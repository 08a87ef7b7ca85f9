"""Linear solves for absorbing chains: LU once, many right-hand sides.

Dense LU (LAPACK, called directly) for small chains and for chains whose sparse factors
fill in, sparse LU (SuperLU) for large ones.  An explicit inverse only where the removal
effects need all of its diagonal (:meth:`Solver.inverse`).  Works for real and complex
matrices (the tests' reference differentiates by complex step).
"""

from __future__ import annotations

import functools
import math
import warnings
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from cjsim.errors import ModelError, Problem

__all__ = [
    "DENSE_FILL",
    "DOUBTFUL_CONDITION",
    "SPARSE_FROM",
    "ConditioningWarning",
    "Solver",
    "one_blas_thread",
    "solve_once",
]

SPARSE_FROM = 400  # states; below this dense LU is faster
EPS = float(np.finfo(float).eps)
DENSE_FILL = 0.2  # fill share past which a dense factorisation is faster
DOUBTFUL_CONDITION = 1e-6 / EPS
"""Above this condition number (about 4.5e9) answers may be off by more than 1e-6."""


@functools.cache
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def one_blas_thread() -> Any:
    """A context that holds BLAS to one thread: the chains' solves are small, so threads
    only cost.  The libraries are looked up once (``threadpool_limits`` looks them up on
    every call, about 0.3 ms)."""
    return _blas().limit(limits=1)


@functools.cache
def _lapack(dtype: str) -> tuple[Any, Any]:
    """LAPACK's ``getrf`` and ``getrs`` for arrays of type ``dtype`` (called directly:
    scipy's wrappers cost more than a small chain's factorisation)."""
    return tuple(sla.get_lapack_funcs(("getrf", "getrs"), dtype=np.dtype(dtype)))


@functools.cache
def _gesv(dtype: str) -> Any:
    """LAPACK's ``gesv`` (factorise and solve in one call) for arrays of type ``dtype``."""
    return sla.get_lapack_funcs(("gesv",), dtype=np.dtype(dtype))[0]


def solve_once(q: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x`` with ``(I - Q) x = b`` for a small dense ``Q`` of a checked chain whose factors
    are not kept: one LAPACK call, where a :class:`Solver` costs more in overhead than
    in arithmetic."""
    n = q.shape[0]
    dtype = np.result_type(q, b)
    if not n:
        return np.zeros(0, dtype=dtype)
    a = np.negative(q, order="F", dtype=dtype)  # LAPACK's layout: no copy on the way in
    a.T.ravel()[:: n + 1] += 1.0  # a.T is C-contiguous: ravel is a view
    return np.asarray(_gesv(dtype.char)(a, b.astype(dtype, copy=False), overwrite_a=True)[2])


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

    ``check=False`` skips this for a chain restricted to some states of one already
    checked: its visits and norm are at most the full chain's, so is its condition; and
    for the discounted form ``I - diag(l) Q`` (``0 < l <= 1``) of a checked chain: its
    visits are at most the chain's, so it absorbs where the chain does.
    ``first`` orders a block of states first (:meth:`leading`).  ``q`` is a dense array or
    a scipy.sparse matrix (made dense where the factorisation is).
    """

    def __init__(
        self,
        q: Any,
        labels: tuple[str, ...] | None = None,
        *,
        doubt: bool = False,
        sparse: bool = True,
        first: tuple[np.ndarray, int] | None = None,
        check: bool = True,
    ) -> None:
        n = q.shape[0]
        self._sparse = sparse and n >= SPARSE_FROM
        self._labels = labels
        self._order: np.ndarray | None = None
        factor = self._factor_sparse if self._sparse else self._factor_dense
        norm = factor(q, first, norm=check)
        if check:
            visits = self.left(np.ones(n, dtype=q.dtype)).real if n else np.zeros(0)
            self._check(q, visits, norm, doubt)

    def _factor_dense(
        self, q: Any, first: tuple[np.ndarray, int] | None, *, norm: bool = True
    ) -> float:
        """LAPACK LU of ``B = (I - Q)^T`` in the order ``first[0]`` (a permutation of the
        states) whose first ``first[1]`` states form a block; its 1-norm (0 without
        ``norm``: a chain that is not checked needs none).

        ``B``'s columns are ``I - Q``'s rows, diagonally dominant as ``Q`` is
        sub-stochastic, so partial pivoting keeps the diagonal and the leading block of
        the factors is the LU of the chain restricted to ``first`` (:meth:`leading`).
        """
        n = q.shape[0]
        self._order = None if first is None else first[0]
        if sp.issparse(q):  # reordered while sparse, then made dense: C-contiguous
            order = self._order
            c = (q if order is None else q[order][:, order]).toarray()
            np.negative(c, out=c)
        elif first is None:
            c = np.negative(q, order="C")
        else:
            c = q.take(self._order, axis=0).take(self._order, axis=1)  # C-contiguous
            np.negative(c, out=c)
        c.ravel()[:: n + 1] += 1.0  # c = I - Q (reordered), C-contiguous: ravel is a view
        one_norm = float(np.abs(c.real).sum(axis=0).max()) if n and norm else 0.0
        b = c.T  # (I - Q)^T, F-contiguous: LAPACK's own layout, no copy on the way in
        getrf, self._getrs = _lapack(b.dtype.char)
        self._lu_dense = getrf(b, overwrite_a=True)[:2] if n else (b, np.zeros(0, int))
        self._first = 0 if first is None else first[1]
        return one_norm

    def leading(self) -> Solver | None:
        """The solver of the chain restricted to the block of states ``first`` from the factors
        already made, or None (a sparse solver, or a pivot left the diagonal)."""
        if self._sparse or self._order is None:
            return None
        r = self._first
        lu, piv = self._lu_dense
        if not (piv[:r] == np.arange(r)).all():
            return None
        out = object.__new__(Solver)
        out._sparse, out._labels, out._order, out._first = False, None, None, 0
        out._getrs = self._getrs
        out._lu_dense = (np.asfortranarray(lu[:r, :r]), piv[:r])
        return out

    def _factor_sparse(
        self, q: Any, first: tuple[np.ndarray, int] | None = None, *, norm: bool = True
    ) -> float:
        """SuperLU of ``I - Q``; its 1-norm (SuperLU orders the states itself: no ``first``)."""
        n = q.shape[0]
        a = (sp.identity(n, dtype=q.dtype, format="csc") - sp.csc_matrix(q)).tocsc()
        self._a = a
        with warnings.catch_warnings():  # singularity is reported by the caller, clearly
            warnings.simplefilter("ignore", sla.LinAlgWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                self._lu = spla.splu(a)
            except RuntimeError:
                self._fail(q, None)
        return float(abs(a.real).sum(axis=0).max())

    @functools.cached_property
    def dense_pays(self) -> bool:
        """Whether the sparse factors filled in past :data:`DENSE_FILL` of a dense
        matrix, so that chains of the same pattern factorise faster dense (looked at once:
        each look copies the factors)."""
        if not self._sparse:
            return False
        n = self._lu.shape[0]
        return bool(self._lu.L.nnz + self._lu.U.nnz > DENSE_FILL * n * n)

    def _check(self, q: np.ndarray, visits: np.ndarray, norm: float, doubt: bool) -> None:
        """Refuse or warn by the condition number ``norm * max(visits)``."""
        if not len(visits):
            return
        most = float(visits.max())  # NaN or inf where the solve broke down: refused below
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
        return self._solve(b, 0)

    def left(self, b: np.ndarray) -> np.ndarray:
        """``x`` with ``(I - Q)^T x = b`` (expected visits from an entry vector)."""
        return self._solve(b, 1)

    def inverse(self) -> np.ndarray:
        """The dense inverse ``(I - Q)^-1``: by the sparse factors where they stay sparse,
        else by dense LAPACK (many columns at once are faster there)."""
        if self._sparse and not self.dense_pays:
            eye = np.eye(self._lu.shape[0], dtype=self._lu.U.dtype)
            return np.asarray(self._lu.solve(eye))
        if self._sparse:
            return np.asarray(sla.inv(self._a.toarray(), check_finite=False))
        lu = self._lu_dense[0]
        return self._solve(np.eye(lu.shape[0], dtype=lu.dtype), 0)

    def _solve(self, b: np.ndarray, trans: int) -> np.ndarray:
        if self._sparse:
            kind = "T" if trans else "N"
            return np.asarray(self._lu.solve(np.asarray(b, dtype=self._lu.U.dtype), trans=kind))
        lu, piv = self._lu_dense
        b = np.asarray(b)
        if b.dtype.kind == "c" and lu.dtype.kind != "c":
            return self._solve(b.real, trans) + 1j * self._solve(b.imag, trans)
        if not lu.shape[0]:
            return b.astype(np.result_type(b, lu))
        order = self._order  # the factors are of the transpose: trans swaps
        if order is None:
            return np.asarray(self._getrs(lu, piv, b, trans=1 - trans)[0])
        y = self._getrs(lu, piv, b[order], trans=1 - trans)[0]
        x = np.empty_like(y)
        x[order] = y
        return x
