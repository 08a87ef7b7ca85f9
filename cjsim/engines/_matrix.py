"""Dense or sparse (CSR) matrices behind one small interface.

A chain's transition matrix is a dense array below :data:`~._linalg.SPARSE_FROM`
states, where numpy's indexing and products are fastest, and a ``scipy.sparse`` CSR
matrix from there on, so that a chain of 10,000 states holds its edges, not ``n^2``
numbers.  The analytic engine reaches its matrices only through these functions (and
``@`` with a vector), so that both forms give the same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = [
    "block",
    "dense",
    "dense_row",
    "edges",
    "is_sparse",
    "scale_columns",
    "scale_rows",
    "take_columns",
    "take_rows",
    "vecmat",
]

Matrix = Any  # np.ndarray or a scipy.sparse CSR matrix


def is_sparse(m: Matrix) -> bool:
    """Whether ``m`` is a scipy.sparse matrix."""
    return bool(sp.issparse(m))


def dense(m: Matrix) -> np.ndarray:
    """``m`` as a dense array (itself when it is one)."""
    return m.toarray() if sp.issparse(m) else m


def take_rows(m: Matrix, rows: np.ndarray) -> Matrix:
    """The rows ``rows`` (indices) of ``m``, in the same form."""
    return m[rows] if sp.issparse(m) else m.take(rows, axis=0)


def take_columns(m: Matrix, cols: np.ndarray) -> Matrix:
    """The columns ``cols`` (indices) of ``m``, in the same form."""
    return m[:, cols] if sp.issparse(m) else m.take(cols, axis=1)


def block(m: Matrix, rows: np.ndarray, cols: np.ndarray) -> Matrix:
    """``m[rows][:, cols]`` (indices), in the same form: rows first, then columns, faster
    than ``np.ix_`` for dense arrays."""
    if sp.issparse(m):
        return m[rows][:, cols]
    return m.take(rows, axis=0).take(cols, axis=1)


def scale_rows(d: np.ndarray, m: Matrix) -> Matrix:
    """``diag(d) m``, in ``m``'s form."""
    if sp.issparse(m):
        return sp.csr_matrix(m.multiply(d[:, None]))
    return d[:, None] * m


def scale_columns(m: Matrix, d: np.ndarray) -> Matrix:
    """``m diag(d)``, in ``m``'s form."""
    if sp.issparse(m):
        return sp.csr_matrix(m.multiply(d[None, :]))
    return m * d


def vecmat(v: np.ndarray, m: Matrix) -> np.ndarray:
    """The vector (or stack of row vectors) ``v @ m`` as a dense array."""
    if sp.issparse(m):
        return np.asarray(m.T @ v.T).T
    return v @ m


def dense_row(m: Matrix, i: int) -> np.ndarray:
    """Row ``i`` of ``m`` as a flat dense array."""
    if sp.issparse(m):
        return m[[i]].toarray().ravel()
    return np.asarray(m[i])


def edges(m: Matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and values of ``m``'s nonzero entries in ``np.nonzero``'s order (row
    by row, columns ascending)."""
    if not sp.issparse(m):
        rows, cols = np.nonzero(m)
        return rows, cols, m[rows, cols]
    c = sp.csr_matrix(m, copy=True)
    c.eliminate_zeros()
    c.sort_indices()
    rows = np.repeat(np.arange(c.shape[0]), np.diff(c.indptr))
    return rows, c.indices.astype(np.intp), c.data
