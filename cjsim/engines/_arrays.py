"""The numeric form of a scenario that the engines compute with.

Touchpoints are the transient states ``0..n-1`` and outcomes the absorbing
states ``n..n+m-1`` in definition order.  Segment rows follow the format's
renormalisation rule (:func:`cjsim.model.rows.apply_multipliers`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cjsim.model import Scenario
from cjsim.model.rows import apply_multipliers

__all__ = ["ScenarioArrays", "segment_arrays", "to_arrays", "transition_matrix"]


@dataclass(frozen=True)
class SegmentArrays:
    """A segment's share, order-value multiplier and per-edge factors (1 = untouched)."""

    name: str
    share: float
    order_value_multiplier: float
    factors: np.ndarray  # (n, n + m)
    touched_rows: np.ndarray  # indices of rows with a factor != 1

    def rows(self, base: np.ndarray) -> np.ndarray:
        """``base`` with this segment's multipliers applied row by row."""
        if not len(self.touched_rows):
            return base
        out = base.copy()
        for i in self.touched_rows:
            out[i] = apply_multipliers(base[i], self.factors[i])
        return out


@dataclass(frozen=True)
class ScenarioArrays:
    """Numbers of a scenario, indexed by state."""

    touchpoints: tuple[str, ...]
    outcomes: tuple[str, ...]
    stages: tuple[str, ...]
    base: np.ndarray  # (n, n + m) transition probabilities
    entry: np.ndarray  # (n,) entry mix of arriving customers
    time_mean: np.ndarray  # (n,) mean days per visit: dwell + service (queues ignored)
    laplace: np.ndarray  # (n,) E[exp(-delta * time per visit)]
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

    def segment_rows(self, base: np.ndarray, seg: SegmentArrays) -> np.ndarray:
        """``base`` with the segment's multipliers applied row by row.

        Removed touchpoints lose their inflow after the multipliers apply, so
        that inflow leaves the journey instead of being renormalised away.
        """
        out = seg.rows(base)
        if self.removed is not None:
            out = out.copy()
            out[:, np.flatnonzero(self.removed)] = 0.0
        return out


def transition_matrix(sc: Scenario) -> tuple[np.ndarray, dict[str, int]]:
    """The (touchpoints x nodes) transition matrix and each node's index."""
    index = {name: i for i, name in enumerate(sc.nodes)}
    base = np.zeros((len(sc.touchpoints), len(index)))
    for source, row in sc.transitions.items():
        for target, p in row.items():
            base[index[source], index[target]] += p
    return base, index


def segment_arrays(
    sc: Scenario, index: dict[str, int], shape: tuple[int, int]
) -> tuple[SegmentArrays, ...]:
    """Each segment's edge factors (the implicit single segment when there are none)."""
    out = []
    for seg in sc.population.effective_segments:
        factors = np.ones(shape)
        for (a, b), f in seg.edge_multipliers.items():
            factors[index[a], index[b]] = f
        touched = np.flatnonzero((factors != 1.0).any(axis=1))
        out.append(SegmentArrays(seg.name, seg.share, seg.order_value_multiplier, factors, touched))
    return tuple(out)


def to_arrays(sc: Scenario) -> ScenarioArrays:
    """Convert ``sc`` to arrays (one pass; the scenario is already validated)."""
    tps, outs = tuple(sc.touchpoints), tuple(sc.outcomes)
    base, index = transition_matrix(sc)
    n = len(tps)
    delta = math.log1p(sc.economics.discount_rate) / 365.0
    tp_list = list(sc.touchpoints.values())

    def per_tp(fn: object) -> np.ndarray:
        return np.array([fn(tp) for tp in tp_list], dtype=float)  # type: ignore[operator]

    def visit_laplace(tp: object) -> float:
        value = tp.dwell.laplace(delta)  # type: ignore[attr-defined]
        if tp.service is not None:  # type: ignore[attr-defined]
            value *= tp.service.laplace(delta)  # type: ignore[attr-defined]
        return float(value)

    segments = segment_arrays(sc, index, base.shape)
    return ScenarioArrays(
        touchpoints=tps,
        outcomes=outs,
        stages=sc.stages,
        base=base,
        entry=np.array([sc.population.entry.get(t, 0.0) for t in tps]),
        time_mean=per_tp(lambda tp: tp.time_mean_days),
        laplace=per_tp(visit_laplace) if delta > 0 else np.ones(n),
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
