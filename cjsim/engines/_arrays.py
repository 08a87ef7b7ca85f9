"""The numeric form of a scenario that the engines compute with.

Touchpoints are the transient states ``0..n-1`` and outcomes the absorbing
states ``n..n+m-1`` in definition order.  Segment rows follow the format's
renormalisation rule (:func:`cjsim.model.rows.apply_multipliers`).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from cjsim.engines._linalg import SPARSE_FROM
from cjsim.engines._matrix import Matrix, dense_row, is_sparse, scale_columns
from cjsim.model import Distribution, Scenario, Touchpoint
from cjsim.model.rows import apply_multipliers

__all__ = ["ScenarioArrays", "segment_arrays", "to_arrays", "transition_matrix"]


@dataclass(frozen=True)
class SegmentArrays:
    """A segment's share, order-value multiplier, per-edge and per-dwell factors (1 = untouched)
    and its own distributions per touchpoint (the touchpoint's where it replaces none).

    ``time_mean`` and ``laplace`` are the segment's own per-visit mean time and discount
    factor (its dwell scaled by ``dwell_factor``, service as is), and ``order_value_mean``
    its mean order value per touchpoint before its multiplier (None: the touchpoints');
    :func:`to_arrays` fills them.
    """

    name: str
    share: float
    order_value_multiplier: float
    factors: dict[int, np.ndarray]  # row -> its (n + m,) factors, for the touched rows only
    touched_rows: np.ndarray  # indices of rows with a factor != 1, ascending
    dwell_factor: np.ndarray  # (n,) dwell multiplier per touchpoint
    dwell: tuple[Distribution, ...]  # (n,) dwell distribution per touchpoint (days)
    order_values: tuple[Distribution | None, ...]  # (n,) order-value distributions (money)
    dwell_replaced: np.ndarray  # (n,) bool: the segment's own dwell here
    order_value_replaced: np.ndarray  # (n,) bool: its own order value here
    time_mean: np.ndarray | None = None  # (n,) mean days per visit for this segment
    laplace: np.ndarray | None = None  # (n,) E[exp(-delta * time per visit)] for this segment
    order_value_mean: np.ndarray | None = None  # (n,) mean order value before the multiplier

    def rows(self, base: Matrix) -> Matrix:
        """``base`` (dense or CSR) with this segment's multipliers applied row by row."""
        if not len(self.touched_rows):
            return base
        if is_sparse(base):
            return self._sparse_rows(base)
        out = base.copy()
        for i in self.touched_rows:
            out[i] = apply_multipliers(base[i], self.factors[i])
        return out

    def _sparse_rows(self, base: Matrix) -> Matrix:
        """:meth:`rows` of a CSR ``base``: its untouched rows plus the touched ones made dense."""
        touched = self.touched_rows
        new = np.stack([apply_multipliers(dense_row(base, i), self.factors[i]) for i in touched])
        keep = np.ones(base.shape[0])
        keep[touched] = 0.0
        moved = sp.csr_matrix(new)
        placed = sp.csr_matrix(
            (moved.data, moved.indices, _spread(moved.indptr, touched, base.shape[0])),
            shape=base.shape,
        )
        out = sp.csr_matrix(base.multiply(keep[:, None])) + placed
        out.eliminate_zeros()
        return out


def _spread(indptr: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """The CSR row pointer of ``n`` rows whose rows ``rows`` hold, in order, the rows of a
    matrix with pointer ``indptr`` and the others nothing."""
    counts = np.zeros(n, dtype=indptr.dtype)
    counts[rows] = np.diff(indptr)
    return np.concatenate([[0], np.cumsum(counts)])


@dataclass(frozen=True)
class ScenarioArrays:
    """Numbers of a scenario, indexed by state."""

    touchpoints: tuple[str, ...]
    outcomes: tuple[str, ...]
    stages: tuple[str, ...]
    base: Matrix  # (n, n + m) transition probabilities, dense or CSR (:func:`to_arrays`)
    entry: np.ndarray  # (n,) entry mix of arriving customers
    time_mean: np.ndarray  # (n,) mean days per visit: dwell + service (queues ignored)
    laplace: np.ndarray  # (n,) E[exp(-delta * time per visit)]; segments have their own
    cost: np.ndarray  # (n,) cost per visit
    purchase: np.ndarray  # (n,) bool
    order_value: np.ndarray  # (n,) mean order value (0 where no purchase)
    refund: np.ndarray  # (n,) refund share of the last order
    referral_mean: np.ndarray  # (n,) expected referrals per visit
    referral_entry: np.ndarray  # (n,) index of the referral entry touchpoint, -1 if none
    stage_index: np.ndarray  # (n,) stage number of each touchpoint
    segments: tuple[SegmentArrays, ...]
    daily_discount: float  # continuous daily rate: ln(1 + annual) / 365
    removed: np.ndarray | None = None  # touchpoints whose inflow leaves the journey

    @property
    def n(self) -> int:
        return len(self.touchpoints)

    @functools.cached_property
    def buying(self) -> np.ndarray:
        """Indices of the purchase states."""
        return np.flatnonzero(self.purchase)

    @functools.cached_property
    def browsing(self) -> np.ndarray:
        """Indices of the other states."""
        return np.flatnonzero(~self.purchase)

    @functools.cached_property
    def purchases_last(self) -> tuple[np.ndarray, int]:
        """The states with those that are not purchases first, and how many they are."""
        return np.concatenate([self.browsing, self.buying]), len(self.browsing)

    @functools.cached_property
    def stage_parts(self) -> tuple[tuple[int, np.ndarray, np.ndarray], ...]:
        """For each stage that has states: its number, its states (a 0/1 float mask) and
        the indices of the other states."""
        out = []
        for s in range(len(self.stages)):
            in_stage = self.stage_index == s
            if in_stage.any():
                out.append((s, in_stage.astype(float), np.flatnonzero(~in_stage)))
        return tuple(out)

    def segment_rows(self, base: Matrix, seg: SegmentArrays) -> Matrix:
        """``base`` with the segment's multipliers applied row by row.

        Removed touchpoints lose their inflow after the multipliers apply, so
        that inflow leaves the journey instead of being renormalised away.
        """
        out = seg.rows(base)
        if self.removed is None:
            return out
        if is_sparse(out):
            keep = np.ones(out.shape[1])
            keep[: self.n] = np.where(self.removed, 0.0, 1.0)
            out = scale_columns(out, keep)
            out.eliminate_zeros()
            return out
        out = out.copy()
        out[:, np.flatnonzero(self.removed)] = 0.0
        return out


def transition_matrix(sc: Scenario, *, sparse: bool = False) -> tuple[Matrix, dict[str, int]]:
    """The (touchpoints x nodes) transition matrix and each node's index: a dense array, or
    with ``sparse`` a CSR matrix of the same numbers."""
    index = {name: i for i, name in enumerate(sc.nodes)}
    shape = (len(sc.touchpoints), len(index))
    if sparse:
        rows: list[int] = []
        cols: list[int] = []
        values: list[float] = []
        for source, row in sc.transitions.items():
            rows += [index[source]] * len(row)
            cols += [index[target] for target in row]
            values += row.values()
        out = sp.csr_matrix((values, (rows, cols)), shape=shape, dtype=float)
        out.eliminate_zeros()
        return out, index
    base = np.zeros(shape)
    for source, row in sc.transitions.items():
        for target, p in row.items():
            base[index[source], index[target]] += p
    return base, index


def segment_arrays(
    sc: Scenario, index: dict[str, int], shape: tuple[int, int]
) -> tuple[SegmentArrays, ...]:
    """Each segment's edge factors, dwell factors and distributions (the implicit single
    segment when there are none)."""
    out = []
    tps = list(sc.touchpoints.values())
    for seg in sc.population.effective_segments:
        factors: dict[int, np.ndarray] = {}
        for (a, b), f in seg.edge_multipliers.items():
            factors.setdefault(index[a], np.ones(shape[1]))[index[b]] = f
        factors = {i: row for i, row in sorted(factors.items()) if (row != 1.0).any()}
        touched = np.fromiter(factors, dtype=np.intp, count=len(factors))
        dwell_factor = np.ones(shape[0])
        for name, f in seg.dwell_multipliers.items():
            dwell_factor[index[name]] = f
        out.append(
            SegmentArrays(
                seg.name,
                seg.share,
                seg.order_value_multiplier,
                factors,
                touched,
                dwell_factor,
                dwell=tuple(seg.dwell_at(tp) for tp in tps),
                order_values=tuple(seg.order_value_at(tp) for tp in tps),
                dwell_replaced=np.array([tp.name in seg.dwell for tp in tps], dtype=bool),
                order_value_replaced=np.array(
                    [tp.name in seg.order_value for tp in tps], dtype=bool
                ),
            )
        )
    return tuple(out)


def _visit_laplace(
    tp: Touchpoint, delta: float, dwell_factor: float = 1.0, dwell: Distribution | None = None
) -> float:
    """``E[exp(-delta (c D + S))]`` of one visit: ``L_D(c delta) * L_S(delta)``, with ``D``
    the touchpoint's dwell or ``dwell`` (a segment's replacement)."""
    value = (tp.dwell if dwell is None else dwell).laplace(delta * dwell_factor)
    if tp.service is not None:
        value *= tp.service.laplace(delta)
    return float(value)


def _with_times(
    seg: SegmentArrays,
    tps: list[Touchpoint],
    time_mean: np.ndarray,
    laplace: np.ndarray,
    delta: float,
) -> SegmentArrays:
    """``seg`` with its own mean time and discount factor per visit (dwell scaled or
    replaced) and its own mean order values (where replaced)."""
    replaced = seg.dwell_replaced
    changed = np.flatnonzero((seg.dwell_factor != 1.0) | replaced)
    seg = _with_order_values(seg, tps)
    if not len(changed):
        return dataclasses.replace(seg, time_mean=time_mean, laplace=laplace)
    mean, lap = time_mean.copy(), laplace.copy()
    for i in changed:
        c = float(seg.dwell_factor[i])
        if replaced[i]:
            own = seg.dwell[i]
            service = tps[i].service
            mean[i] = c * own.mean + (service.mean if service is not None else 0.0)
        else:
            own = tps[i].dwell
            mean[i] += (c - 1.0) * own.mean
        if delta > 0:
            lap[i] = _visit_laplace(tps[i], delta, c, own)
    return dataclasses.replace(seg, time_mean=mean, laplace=lap)


def _with_order_values(seg: SegmentArrays, tps: list[Touchpoint]) -> SegmentArrays:
    """``seg`` with its mean order value per touchpoint where it replaces the distribution."""
    if not seg.order_value_replaced.any():
        return seg
    means = [
        d.mean if d is not None and tp.purchase else 0.0
        for d, tp in zip(seg.order_values, tps, strict=True)
    ]
    return dataclasses.replace(seg, order_value_mean=np.array(means, dtype=float))


def to_arrays(sc: Scenario, *, sparse: bool | None = None) -> ScenarioArrays:
    """Convert ``sc`` to arrays (one pass; the scenario is already validated).

    ``sparse``: hold the transition matrix as CSR (True) or dense (False); by default
    sparse from :data:`~._linalg.SPARSE_FROM` touchpoints on.
    """
    tps, outs = tuple(sc.touchpoints), tuple(sc.outcomes)
    n = len(tps)
    base, index = transition_matrix(sc, sparse=n >= SPARSE_FROM if sparse is None else sparse)
    delta = math.log1p(sc.economics.discount_rate) / 365.0
    tp_list = list(sc.touchpoints.values())

    def per_tp(fn: object) -> np.ndarray:
        return np.array([fn(tp) for tp in tp_list], dtype=float)  # type: ignore[operator]

    time_mean = per_tp(lambda tp: tp.time_mean_days)
    laplace = per_tp(lambda tp: _visit_laplace(tp, delta)) if delta > 0 else np.ones(n)
    segments = tuple(
        _with_times(seg, tp_list, time_mean, laplace, delta)
        for seg in segment_arrays(sc, index, base.shape)
    )
    return ScenarioArrays(
        touchpoints=tps,
        outcomes=outs,
        stages=sc.stages,
        base=base,
        entry=np.array([sc.population.entry.get(t, 0.0) for t in tps]),
        time_mean=time_mean,
        laplace=laplace,
        cost=per_tp(lambda tp: tp.cost_per_visit),
        purchase=np.array([tp.purchase for tp in tp_list], dtype=bool),
        order_value=per_tp(lambda tp: tp.order_value.mean if tp.purchase else 0.0),
        refund=per_tp(lambda tp: tp.refund_share),
        referral_mean=per_tp(lambda tp: tp.referrals.mean if tp.referrals else 0.0),
        referral_entry=np.array(
            [index[tp.referrals.entry] if tp.referrals else -1 for tp in tp_list], dtype=int
        ),
        stage_index=np.array([sc.stages.index(tp.stage) for tp in tp_list], dtype=int),
        segments=segments,
        daily_discount=delta,
    )
