"""Exact expectations of an absorbing journey chain (the analytic engine's core).

:func:`evaluate` maps a base transition matrix to every analytic KPI.  It uses
only linear solves, products and ratios, so it accepts a complex matrix: the
engine differentiates it by complex step (exact to machine precision).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from cjsim.engines._arrays import ScenarioArrays, SegmentArrays
from cjsim.engines._linalg import Solver
from cjsim.errors import ModelError, Problem

__all__ = ["edge_flow_matrix", "evaluate"]

Array = np.ndarray


@dataclass
class _SegmentSums:
    """Per-customer expectations of one segment, for an entry vector ``alpha``."""

    visits: Array
    absorption: Array
    conversion: Any
    two_plus: Any
    first_purchase_time: Any  # E[T1 ; converted]
    purchases: Any
    order_value: Any  # gross, before refunds
    refunds: Any
    cost: Any
    time: Any
    discounted_value: Any  # margin * (orders - refunds) - costs, discounted to arrival
    stage_reach: Array


def _hitting(q: Array, target: Array) -> tuple[Array, Solver, Array]:
    """Probability of ever reaching the states in ``target`` (a bool mask).

    Returns the hitting probabilities from every state, the solver of the chain
    restricted to the other states, and those states' indices.
    """
    rest = np.flatnonzero(~target)
    hit = np.ones(q.shape[0], dtype=q.dtype)
    solver = Solver(q[np.ix_(rest, rest)])
    if len(rest):
        hit[rest] = solver.right(q[np.ix_(rest, np.flatnonzero(target))].sum(axis=1))
    return hit, solver, rest


def _refunds(
    a: ScenarioArrays,
    laplace: Array,
    q: Array,
    buy_value: Array,
    visits: Array,
    disc_visits: Array,
    rest: Array,
    sub: Solver,
) -> tuple[Any, Any]:
    """Expected and discounted refunds of the last order.

    A refund visit refunds a share of the *last* order.  By linearity, each
    purchase at ``p`` contributes its mean value times the expected refund
    shares visited before the next purchase: a solve on the non-purchase part
    of the chain (``sub``), which :func:`_hitting` already factorised.
    """
    if not a.refund.any() or not len(rest):
        return 0.0, 0.0
    buy = np.flatnonzero(a.purchase)
    after = q[np.ix_(buy, rest)]
    plain = sub.right(a.refund[rest].astype(q.dtype))
    lq = laplace[rest, None] * q[np.ix_(rest, rest)]
    discounted = Solver(lq).right(a.refund[rest].astype(q.dtype))
    refunds = visits[buy] @ (buy_value[buy] * (after @ plain))
    disc = disc_visits[buy] @ (buy_value[buy] * laplace[buy] * (after @ discounted))
    return refunds, disc


def _segment(
    a: ScenarioArrays, base: Array, seg: SegmentArrays, alpha: Array, margin: float, stages: bool
) -> _SegmentSums:
    p = a.segment_rows(base, seg)
    n = a.n
    time_mean = a.time_mean if seg.time_mean is None else seg.time_mean
    laplace = a.laplace if seg.laplace is None else seg.laplace
    q, r = p[:, :n], p[:, n:]
    visits = Solver(q, a.touchpoints, doubt=True).left(alpha)
    own_values = a.order_value if seg.order_value_mean is None else seg.order_value_mean
    ov = own_values * seg.order_value_multiplier
    disc_visits = Solver(laplace[:, None] * q, a.touchpoints).left(alpha)
    hit, sub, rest = _hitting(q, a.purchase)
    again = q @ hit
    two = again.copy()
    if len(rest):
        two[rest] = sub.right(q[np.ix_(rest, np.flatnonzero(a.purchase))] @ again[a.purchase])
    first_time = np.zeros(n, dtype=hit.dtype)
    if len(rest):
        first_time[rest] = sub.right(time_mean[rest] * hit[rest])
    refunds, disc_refunds = _refunds(a, laplace, q, ov, visits, disc_visits, rest, sub)
    cash = margin * ov - a.cost
    reach = np.zeros(len(a.stages), dtype=hit.dtype)
    if stages:
        for s in range(len(a.stages)):
            in_stage = a.stage_index == s
            if in_stage.any():
                reach[s] = alpha @ _hitting(q, in_stage)[0]
    return _SegmentSums(
        visits=visits,
        absorption=visits @ r,
        conversion=alpha @ hit,
        two_plus=alpha @ two,
        first_purchase_time=alpha @ first_time,
        purchases=visits @ a.purchase,
        order_value=visits @ ov,
        refunds=refunds,
        cost=visits @ a.cost,
        time=visits @ time_mean,
        discounted_value=disc_visits @ cash - margin * disc_refunds,
        stage_reach=reach,
    )


def _population_entry(a: ScenarioArrays, base: Array, entry: Array) -> tuple[Array, complex]:
    """Entry mix of all customers (arrivals and their referrals) and the multiplier."""
    if not a.referral_mean.any():
        return entry, 1.0
    targets = np.unique(a.referral_entry[a.referral_entry >= 0])
    starts = np.union1d(np.flatnonzero(entry), targets)
    m = np.zeros((len(starts), len(starts)), dtype=base.dtype)
    for seg in a.segments:
        q = a.segment_rows(base, seg)[:, : a.n]
        solver = Solver(q, a.touchpoints)
        for t in targets:
            made = solver.right(np.where(a.referral_entry == t, a.referral_mean, 0.0))
            m[:, np.searchsorted(starts, t)] += seg.share * made[starts]
    radius = max(abs(np.linalg.eigvals(m.real))) if len(m) else 0.0
    if radius >= 1:
        sources = [a.touchpoints[i] for i in np.flatnonzero(a.referral_mean)]
        raise ModelError(
            [
                Problem(
                    f"touchpoints.{sources[0]}.referrals",
                    f"referrals grow without end: each customer brings "
                    f"{radius:.3g} or more new customers in expectation (R >= 1)",
                    "lower referrals.mean; an infinite-horizon answer needs R < 1",
                )
            ]
        )
    counts = np.linalg.solve((np.eye(len(starts)) - m).T, entry[starts].astype(m.dtype))
    mix = np.zeros(a.n, dtype=counts.dtype)
    mix[starts] = counts
    total = counts.sum()
    if total.real <= 0:
        return mix, total
    return mix / total, total


def evaluate(
    a: ScenarioArrays,
    base: Array,
    margin: float,
    cost_per_customer: float,
    removed: Array | None = None,
    stages: bool = True,
) -> dict[str, object]:
    """Every analytic KPI for the transition matrix ``base`` (real or complex).

    ``removed`` (bool mask of touchpoints) sends all inflow of those touchpoints,
    and their share of the entry mix, to a sink outside the journey.
    """
    entry = a.entry.astype(base.dtype)
    if removed is not None and removed.any():
        entry = np.where(removed, 0.0, entry)
        a = _without_referrals_to(a, removed)
    alpha, multiplier = _population_entry(a, base, entry)
    sums = [(seg.share, _segment(a, base, seg, alpha, margin, stages)) for seg in a.segments]

    def mix(field: str) -> object:
        return sum(w * getattr(s, field) for w, s in sums)

    return {name: mix(name) for name in _SegmentSums.__dataclass_fields__} | {
        "multiplier": multiplier,
        "alpha": alpha,
        "margin": margin,
        "cost_per_customer": cost_per_customer,
    }


def edge_flow_matrix(a: ScenarioArrays) -> Array:
    """Expected transitions per customer along every edge ``i -> j`` (touchpoints × nodes).

    The expected visits to ``i`` times the probability of ``i -> j``, per segment with its
    own visits and rows, weighted by the segments' shares; customers are arriving and
    referred ones alike, so a touchpoint's row sums to its expected visits per customer.
    """
    alpha, _ = _population_entry(a, a.base, a.entry)
    flow = np.zeros_like(a.base)
    for seg in a.segments:
        rows = a.segment_rows(a.base, seg)
        visits = np.linalg.solve((np.eye(a.n) - rows[:, : a.n]).T, alpha)
        flow += seg.share * visits[:, None] * rows
    return flow


def _without_referrals_to(a: ScenarioArrays, removed: Array) -> ScenarioArrays:
    """``a`` with ``removed`` touchpoints cut out: no inflow, no referral entries."""
    lost_entry = np.isin(a.referral_entry, np.flatnonzero(removed))
    return dataclasses.replace(
        a, referral_mean=np.where(lost_entry, 0.0, a.referral_mean), removed=removed
    )
