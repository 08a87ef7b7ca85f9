"""A scenario compiled to plain Python lists for the simulation engines' inner loops.

Nodes are integers: touchpoints ``0..n-1``, outcomes ``n..n+m-1``.  Each row is
kept as its targets and cumulative probabilities (last one exactly 1.0) so a
next node is ``targets[bisect_right(cum, u)]`` with no numpy scalar in sight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cjsim.engines._arrays import SegmentArrays, segment_arrays, transition_matrix
from cjsim.engines._draws import (
    Purpose,
    Sampler,
    distribution_sampler,
    poisson_sampler,
    uniform_sampler,
)
from cjsim.engines._feelings import Feelings, compile_feelings
from cjsim.engines._linalg import SPARSE_FROM
from cjsim.engines._matrix import Matrix, dense_row, is_sparse
from cjsim.engines._warm import WarmRows, compile_warm
from cjsim.model import Distribution, DwellRate, Scenario
from cjsim.model.rows import apply_multipliers

__all__ = ["Compiled", "compile_scenario"]


def _cumulative(row: np.ndarray) -> tuple[list[int], list[float]]:
    targets = np.flatnonzero(row > 0)
    return _pair(targets, row[targets])


def _pair(targets: np.ndarray, probabilities: np.ndarray) -> tuple[list[int], list[float]]:
    """A row's targets (ascending) and cumulative probabilities, the last one 1.0."""
    cum = np.cumsum(probabilities).tolist()
    cum[-1] = 1.0
    return [int(j) for j in targets], cum


def _row_pairs(rows: Matrix) -> list[tuple[list[int], list[float]]]:
    """:func:`_pair` of every row of a dense or CSR matrix (a CSR row is read from its
    stored entries: the same numbers in the same order as the dense row's)."""
    if not is_sparse(rows):
        return [_cumulative(rows[i]) for i in range(rows.shape[0])]
    c = rows.tocsr(copy=True)
    c.sort_indices()
    out = []
    for lo, hi in zip(c.indptr[:-1], c.indptr[1:], strict=True):
        values, targets = c.data[lo:hi], c.indices[lo:hi]
        keep = values > 0
        out.append(_pair(targets[keep], values[keep]))
    return out


@dataclass(frozen=True)
class Compiled:
    """Static, picklable description of a scenario for the simulation engines."""

    n: int
    names: tuple[str, ...]
    stage_of: list[int]
    n_stages: int
    targets: list[list[list[int]]]  # [segment][node] -> target nodes
    cum: list[list[list[float]]]  # [segment][node] -> cumulative probabilities
    experience: dict[tuple[int, int], list[tuple[float, list[int], list[float]]]]
    cost: list[float]
    purchase: list[bool]
    refund: list[float]
    capacity: list[int]
    patience: list[bool]
    renege_to: list[int]
    referral_mean: list[float]
    referral_entry: list[int]
    dwell_zero: list[bool]  # every segment's dwell at the node is exactly 0
    segment_cum: list[float]
    order_value_multiplier: list[float]
    entry_nodes: list[int]
    entry_cum: list[float]
    initial: list[tuple[int, int]]  # (node, count)
    daily_discount: float
    samplers: dict[tuple[int, int], Sampler]
    dwell_factor: np.ndarray  # (segments, n): dwell multiplier of each segment at each node
    warm: WarmRows | None  # per-customer warm start (population.warm_start)
    segment_dwell: list[list[Distribution]]  # [segment][node]: dwell before the multiplier
    segment_order_value: list[list[Distribution | None]]  # [segment][node]: before multiplier
    segment_samplers: dict[tuple[int, int, int], Sampler]  # (purpose, node, segment): own
    dwell_rate: list[DwellRate | None]  # [node]: calendar of the pace of moving on
    feelings: Feelings | None = None  # the satisfaction model, if any

    @property
    def scales_dwell(self) -> bool:
        """Whether any segment has a dwell multiplier other than 1."""
        return bool((self.dwell_factor != 1.0).any())

    @property
    def replaces(self) -> bool:
        """Whether any segment has its own dwell or order-value distribution somewhere."""
        return bool(self.segment_samplers)


def _experience_rows(
    sc: Scenario,
    rows: Matrix,
    index: dict[str, int],
    node: int,
) -> list[tuple[float, list[int], list[float]]]:
    tp = list(sc.touchpoints.values())[node]
    out = []
    row = dense_row(rows, node)
    for effect in sorted(tp.experience, key=lambda e: -e.waited_over_days):
        factors = np.ones(rows.shape[1])
        for target, scale in effect.scale.items():
            factors[index[target]] = scale
        targets, cum = _cumulative(apply_multipliers(row, factors))
        out.append((float(effect.waited_over_days), targets, cum))
    return out


def _samplers(sc: Scenario) -> dict[tuple[int, int], Sampler]:
    out: dict[tuple[int, int], Sampler] = {}
    for i, tp in enumerate(sc.touchpoints.values()):
        out[Purpose.DWELL, i] = distribution_sampler(tp.dwell)
        out[Purpose.TRANSITION, i] = uniform_sampler
        if tp.order_value is not None:
            out[Purpose.ORDER_VALUE, i] = distribution_sampler(tp.order_value)
        if tp.service is not None:
            out[Purpose.SERVICE, i] = distribution_sampler(tp.service)
        if tp.patience is not None:
            out[Purpose.PATIENCE, i] = distribution_sampler(tp.patience)
        if tp.referrals is not None:
            mean, delay = tp.referrals.mean, tp.referrals.delay
            out[Purpose.REFERRAL_COUNT, i] = poisson_sampler(mean)
            out[Purpose.REFERRAL_DELAY, i] = distribution_sampler(delay)
    return out


def _segment_samplers(
    seg_arrays: tuple[SegmentArrays, ...],
) -> dict[tuple[int, int, int], Sampler]:
    """``(purpose, node, segment) -> sampler`` where a segment replaces a distribution."""
    out: dict[tuple[int, int, int], Sampler] = {}
    for s, seg in enumerate(seg_arrays):
        for i in np.flatnonzero(seg.dwell_replaced).tolist():
            out[Purpose.DWELL, i, s] = distribution_sampler(seg.dwell[i])
        for i in np.flatnonzero(seg.order_value_replaced).tolist():
            value = seg.order_values[i]
            if value is not None:
                out[Purpose.ORDER_VALUE, i, s] = distribution_sampler(value)
    return out


def compile_scenario(sc: Scenario) -> Compiled:
    """Compile ``sc`` (validated) for simulation."""
    tps, nodes = list(sc.touchpoints.values()), list(sc.nodes)
    n = len(tps)
    base, index = transition_matrix(sc, sparse=n >= SPARSE_FROM)  # large chains: CSR
    targets, cums, experience = [], [], {}
    seg_arrays = segment_arrays(sc, index, base.shape)
    for s, seg in enumerate(seg_arrays):
        rows = seg.rows(base)
        pairs = _row_pairs(rows)
        targets.append([p[0] for p in pairs])
        cums.append([p[1] for p in pairs])
        for i, tp in enumerate(tps):
            if tp.experience:
                experience[s, i] = _experience_rows(sc, rows, index, i)
    segs = sc.population.effective_segments
    entry = [(index[k], v) for k, v in sc.population.entry.items() if v > 0]
    return Compiled(
        n=n,
        names=tuple(nodes),
        stage_of=[sc.stages.index(tp.stage) for tp in tps],
        n_stages=len(sc.stages),
        targets=targets,
        cum=cums,
        experience=experience,
        cost=[float(tp.cost_per_visit) for tp in tps],
        purchase=[bool(tp.purchase) for tp in tps],
        refund=[float(tp.refund_share) for tp in tps],
        capacity=[int(tp.capacity or 0) for tp in tps],
        patience=[tp.patience is not None for tp in tps],
        renege_to=[index[tp.renege_to] if tp.renege_to else -1 for tp in tps],
        referral_mean=[float(tp.referrals.mean) if tp.referrals else 0.0 for tp in tps],
        referral_entry=[index[tp.referrals.entry] if tp.referrals else -1 for tp in tps],
        dwell_zero=[all(seg.dwell[i].is_zero for seg in seg_arrays) for i in range(n)],
        segment_cum=_cum_list([s.share for s in segs]),
        order_value_multiplier=[float(s.order_value_multiplier) for s in segs],
        entry_nodes=[i for i, _ in entry],
        entry_cum=_cum_list([p for _, p in entry]),
        initial=[(index[k], int(v)) for k, v in sc.population.initial.items() if v > 0],
        daily_discount=math.log1p(sc.economics.discount_rate) / 365.0,
        samplers=_samplers(sc),
        dwell_factor=np.array([seg.dwell_factor for seg in seg_arrays]),
        warm=compile_warm(sc, index),
        segment_dwell=[list(seg.dwell) for seg in seg_arrays],
        segment_order_value=[list(seg.order_values) for seg in seg_arrays],
        segment_samplers=_segment_samplers(seg_arrays),
        dwell_rate=[tp.dwell_rate for tp in sc.touchpoints.values()],
        feelings=compile_feelings(sc, targets),
    )


def _cum_list(weights: list[float]) -> list[float]:
    cum = np.cumsum(weights) / np.sum(weights)
    out = cum.tolist()
    out[-1] = 1.0
    return out
