"""Placing per-customer warm-start customers (``population.warm_start``) at day 0.

Both simulation engines place the same customers for the same seed and replication.
Four per-customer uniforms come from the stream ``(replication, WARM_START, k)``, one
array over the distinct customer ids each, so a customer keeps its numbers in every
variant that keeps the warm start (common random numbers):

- ``k = 0`` picks one of the customer's rows with the row probabilities, or none (the
  customer has already left and is not simulated);
- ``k = 1`` draws the segment from the shares where the row leaves it empty;
- ``k = 2`` draws the remaining dwell: with ``D = c X`` (``X`` the segment's dwell
  distribution there, its replacement if it has one, ``c`` its dwell multiplier) and
  ``e`` the elapsed days, ``D - e`` given ``D > e``
  (:meth:`~cjsim.model.Distribution.remaining`: ``c * isf_X(u * sf_X(e / c)) - e``);
- ``k = 3`` draws the last order value (by the quantile function of the segment's
  order-value distribution, times its multiplier) at a purchase touchpoint, which later
  refunds use; no revenue is booked for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from cjsim.engines._draws import Purpose, stream
from cjsim.model import Scenario

if TYPE_CHECKING:
    from cjsim.engines._compiled import Compiled

__all__ = ["Placement", "WarmRows", "compile_warm", "place"]


@dataclass(frozen=True)
class WarmRows:
    """A warm start in engine indices: one entry per row."""

    ids: np.ndarray  # (C,) distinct customer ids, in order of first appearance
    customer: np.ndarray  # (R,) index into ids
    node: np.ndarray  # (R,) touchpoint index
    elapsed: np.ndarray  # (R,) days already spent there
    segment: np.ndarray  # (R,) segment index, -1 = draw from the shares
    probability: np.ndarray  # (R,)


def compile_warm(sc: Scenario, index: dict[str, int]) -> WarmRows | None:
    """The scenario's warm start in engine indices, or None."""
    ws = sc.population.warm_start
    if ws is None:
        return None
    ids, first, inverse = np.unique(ws.customer, return_index=True, return_inverse=True)
    rank = np.empty(len(ids), dtype=np.intp)
    rank[np.argsort(first, kind="stable")] = np.arange(len(ids))  # first-appearance order
    seg_index = {s.name: k for k, s in enumerate(sc.population.effective_segments)}
    return WarmRows(
        ids=ids[np.argsort(first, kind="stable")],
        customer=rank[inverse],
        node=np.array([index[t] for t in ws.touchpoint.tolist()], dtype=np.intp),
        elapsed=np.asarray(ws.elapsed_days, dtype=float),
        segment=np.array([seg_index.get(s, -1) for s in ws.segment.tolist()], dtype=np.intp),
        probability=np.asarray(ws.probability, dtype=float),
    )


@dataclass(frozen=True)
class Placement:
    """The warm-start customers placed in one replication, in order of their ids."""

    warm_id: np.ndarray  # (P,) the WarmStart customer id
    node: np.ndarray  # (P,) touchpoint index
    segment: np.ndarray  # (P,) segment index
    remaining: np.ndarray  # (P,) days of dwell left from day 0
    last_order: np.ndarray  # (P,) last order value (0 away from purchase touchpoints)


def _chosen(rows: WarmRows, u: np.ndarray) -> np.ndarray:
    """Indices of the chosen rows: row j of customer c if u_c falls in its probability slot."""
    if not len(rows.customer):
        return np.zeros(0, dtype=np.intp)
    order = np.argsort(rows.customer, kind="stable")
    p, cust = rows.probability[order], rows.customer[order]
    upper = np.cumsum(p)
    starts = np.r_[0, np.flatnonzero(np.diff(cust)) + 1]
    before = (upper - p)[starts]
    upper = upper - np.repeat(before, np.diff(np.r_[starts, len(cust)]))
    uc = u[cust]
    hit = (upper - p <= uc) & (uc < upper)
    return np.sort(order[hit])


def place(sc: Scenario, comp: Compiled, seed: int | None, replication: int) -> Placement:
    """Choose, for each warm-start customer, one row or none, its segment, its remaining
    dwell and its last order value (see the module docstring)."""
    rows = comp.warm
    assert rows is not None
    n_ids = len(rows.ids)
    u = [stream(seed, replication, Purpose.WARM_START, k).random(n_ids) for k in range(4)]
    chosen = _chosen(rows, u[0])
    cust, node = rows.customer[chosen], rows.node[chosen]
    segment = rows.segment[chosen].copy()
    drawn = segment < 0
    seg_cum = np.asarray(comp.segment_cum)
    pick = np.searchsorted(seg_cum, u[1][cust[drawn]], side="right")
    segment[drawn] = np.minimum(pick, len(seg_cum) - 1)
    elapsed = rows.elapsed[chosen]
    remaining = np.zeros(len(chosen))
    last = np.zeros(len(chosen))
    tps = list(sc.touchpoints.values())
    for n, s in {(int(a), int(b)) for a, b in zip(node, segment, strict=True)}:
        m = (node == n) & (segment == s)
        factor = float(comp.dwell_factor[s, n])
        dwell = comp.segment_dwell[s][n]
        remaining[m] = dwell.remaining(elapsed[m], 1.0 - u[2][cust[m]], factor=factor)
        rate = comp.dwell_rate[n]
        if rate is not None:  # the rest of the dwell runs on the calendar from day 0
            remaining[m] = rate.ends(np.zeros(int(m.sum())), remaining[m])
        ov = comp.segment_order_value[s][n]
        if tps[n].purchase and ov is not None:
            last[m] = ov.quantile(u[3][cust[m]]) * comp.order_value_multiplier[s]
    return Placement(rows.ids[cust], node, segment, remaining, last)
