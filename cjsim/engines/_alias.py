"""Walker/Vose alias tables: O(1) vectorized draws from many discrete rows at once."""

from __future__ import annotations

import numpy as np

__all__ = ["AliasTable"]


class AliasTable:
    """Alias tables for the rows of ``probs`` (rows sum to 1; zero columns never drawn).

    ``draw(rows, u1, u2)`` returns one column index per element of ``rows``.
    """

    def __init__(self, probs: np.ndarray) -> None:
        n_rows, k = probs.shape
        self.k = k
        self.cut = np.ones((n_rows, k))
        self.alias = np.tile(np.arange(k), (n_rows, 1))
        for r in range(n_rows):
            self._build(r, probs[r] * k)

    def _build(self, r: int, scaled: np.ndarray) -> None:
        small = [i for i in range(self.k) if scaled[i] < 1.0]
        large = [i for i in range(self.k) if scaled[i] >= 1.0]
        scaled = scaled.copy()
        while small and large:
            s, g = small.pop(), large.pop()
            self.cut[r, s], self.alias[r, s] = scaled[s], g
            scaled[g] -= 1.0 - scaled[s]
            (small if scaled[g] < 1.0 else large).append(g)
        for i in small + large:  # rounding leftovers: keep their own column
            self.cut[r, i] = 1.0

    def draw(self, rows: np.ndarray, u1: np.ndarray, u2: np.ndarray) -> np.ndarray:
        """Column indices drawn for ``rows`` with uniforms ``u1`` (column) and ``u2`` (cut)."""
        col = np.minimum((u1 * self.k).astype(np.intp), self.k - 1)
        flat = rows * self.k + col
        return np.where(u2 < self.cut.ravel()[flat], col, self.alias.ravel()[flat])
