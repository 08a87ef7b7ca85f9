"""Row arithmetic shared by segments, interventions and the engines.

The renormalisation rule of the format: when some edges of a node change,
the node's other edges are rescaled proportionally so the row still sums to 1.
A change that would need a probability above 1 or below 0 is an error, never
a clamp.  The functions work on numpy rows (real or complex, so the analytic
engine can differentiate through them).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ROW_TOLERANCE", "apply_multipliers", "set_edge"]

ROW_TOLERANCE = 1e-9


def apply_multipliers(row: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Multiply edges by ``factors`` (1 = untouched) and rescale the untouched ones.

    Raises
    ------
    ValueError
        If the multiplied edges alone exceed 1, or there is no untouched edge
        left to take up the difference.

    >>> apply_multipliers(np.array([0.2, 0.3, 0.5]), np.array([2.0, 1.0, 1.0])).round(3).tolist()
    [0.4, 0.225, 0.375]
    """
    touched = factors != 1.0
    if not touched.any():
        return row.copy()
    new = np.where(touched, row * factors, row)
    fixed_total = new[touched].sum()
    free_total = row[~touched].sum()
    if fixed_total.real > 1 + ROW_TOLERANCE:
        raise ValueError(f"multiplied edges sum to {fixed_total.real:.6g} > 1")
    if free_total.real <= 0:
        if abs(fixed_total.real - 1) > ROW_TOLERANCE:
            raise ValueError("no other edge of the row is left to rescale")
        return new
    scale = (1 - fixed_total) / free_total
    return np.where(touched, new, row * scale)


def set_edge(row: np.ndarray, index: int, probability: complex | float) -> np.ndarray:
    """Set one edge to ``probability`` and rescale the others proportionally.

    >>> set_edge(np.array([0.2, 0.3, 0.5]), 0, 0.6).round(3).tolist()
    [0.6, 0.15, 0.25]
    """
    others = 1 - row[index]
    if not 0 <= np.real(probability) <= 1 + ROW_TOLERANCE:
        raise ValueError(f"probability {np.real(probability):.6g} is outside [0, 1]")
    if others.real <= 0:
        if abs(np.real(probability) - 1) > ROW_TOLERANCE:
            raise ValueError("the edge has probability 1: no other edge to rescale")
        return row.copy()
    out = row * ((1 - probability) / others)
    out[index] = probability
    return out
