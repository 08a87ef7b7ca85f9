"""Exact expectations of an absorbing journey chain (the analytic engine's core).

:func:`evaluate` maps a base transition matrix to every analytic KPI.  It uses
only linear solves, products and ratios, so it accepts a complex matrix (the tests'
reference differentiates it by complex step).  It keeps each segment's factorised chains
(:class:`Parts`) so that removal effects and elasticities reuse them
(:mod:`cjsim.engines._sensitivity`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from cjsim.engines._arrays import ScenarioArrays, SegmentArrays
from cjsim.engines._linalg import SPARSE_FROM, Solver, solve_once
from cjsim.engines._matrix import (
    Matrix,
    block,
    dense,
    is_sparse,
    scale_rows,
    take_columns,
    take_rows,
    vecmat,
)
from cjsim.errors import ModelError, Problem

__all__ = ["Parts", "Population", "edge_flow_matrix", "evaluate"]

Array = np.ndarray


@dataclass
class Parts:
    """What one segment's solve leaves behind for sensitivities (:mod:`._sensitivity`):
    its rows, its factorised chains and the vectors they gave.

    ``sub`` is the chain restricted to ``rest`` (the states that are not purchases);
    ``refund_chain`` its discounted form, with ``plain`` and ``discounted`` the refund
    shares visited before the next purchase (None without refunds).
    """

    rows: Matrix  # (n, n + m) the segment's transition probabilities, dense or CSR
    chain: Solver  # I - Q
    discounted_chain: Solver  # I - diag(laplace) Q
    sub: Solver  # I - Q[rest, rest]
    rest: Array
    visits: Array
    disc_visits: Array
    hit: Array
    order_value: Array  # mean order value per purchase, with the segment's multiplier
    time_mean: Array
    laplace: Array
    refund_chain: Solver | None = None
    plain: Array | None = None
    discounted: Array | None = None


@dataclass
class Population:
    """The entry mix of all customers: ``alpha = counts / total`` on the ``starts``, with
    ``counts = (I - m)^-T entry`` and ``m[s, t]`` the referrals that a customer starting at
    ``starts[s]`` makes to ``targets``' column ``t`` (an empty ``m`` without referrals)."""

    alpha: Array
    multiplier: Any
    starts: Array
    targets: Array
    m: Array
    counts: Array


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
    parts: Parts | None = None


_MIXED = tuple(f for f in _SegmentSums.__dataclass_fields__ if f != "parts")


def _hitting(
    q: Matrix, target: Array, sparse: bool = True, solver: Solver | None = None
) -> tuple[Array, Solver, Array]:
    """Probability of ever reaching the states in ``target`` (a bool mask).

    Returns the hitting probabilities from every state, the solver of the chain
    restricted to the other states (``solver`` if given), and those states' indices.
    """
    rest = np.flatnonzero(~target)
    hit = np.ones(q.shape[0], dtype=q.dtype)
    out = take_rows(q, rest)  # rows first, then columns: faster than np.ix_
    if solver is None:  # a checked chain's part: its condition is at most the chain's
        solver = Solver(take_columns(out, rest), sparse=sparse, check=False)
    if len(rest):
        hit[rest] = solver.right(out @ target.astype(float))
    return hit, solver, rest


def _refunds(a: ScenarioArrays, laplace: Array, q: Array, parts: Parts) -> tuple[Any, Any]:
    """Expected and discounted refunds of the last order.

    A refund visit refunds a share of the *last* order.  By linearity, each
    purchase at ``p`` contributes its mean value times the expected refund
    shares visited before the next purchase: a solve on the non-purchase part
    of the chain (``parts.sub``), which :func:`_hitting` already factorised.
    Fills ``parts``' refund fields.
    """
    rest = parts.rest
    if not a.refund.any() or not len(rest):
        return 0.0, 0.0
    buy = a.buying
    after = block(q, buy, rest)
    share = a.refund[rest].astype(q.dtype)
    parts.plain = plain = parts.sub.right(share)
    sparse = not parts.chain.dense_pays
    parts.refund_chain = parts.discounted_chain.leading() or Solver(
        scale_rows(laplace[rest], block(q, rest, rest)), sparse=sparse, check=False
    )
    parts.discounted = discounted = parts.refund_chain.right(share)
    value = parts.order_value[buy]
    refunds = parts.visits[buy] @ (value * (after @ plain))
    disc = parts.disc_visits[buy] @ (value * laplace[buy] * (after @ discounted))
    return refunds, disc


def _segment(
    a: ScenarioArrays, seg: SegmentArrays, chain: tuple[Array, Solver], alpha: Array, **kw: Any
) -> _SegmentSums:
    """One segment's expectations, from its rows and factorised chain ``chain``."""
    p, solver = chain
    n = a.n
    time_mean = a.time_mean if seg.time_mean is None else seg.time_mean
    laplace = a.laplace if seg.laplace is None else seg.laplace
    q, r = p[:, :n], p[:, n:]
    visits = solver.left(alpha)
    own_values = a.order_value if seg.order_value_mean is None else seg.order_value_mean
    ov = own_values * seg.order_value_multiplier
    sparse = not solver.dense_pays  # the same pattern fills the same way
    key = (id(solver), id(laplace))  # segments with the same chain and pace share it
    disc_chain = kw["discounted"].get(key) or (  # absorbs as the checked chain does
        Solver(scale_rows(laplace, q), sparse=sparse, first=kw["order"], check=False)
        if (laplace != 1).any()
        else solver
    )
    kw["discounted"][key] = disc_chain
    disc_visits = disc_chain.left(alpha) if disc_chain is not solver else visits
    hit, sub, rest = _hitting(q, a.purchase, sparse, solver.leading())
    parts = Parts(
        p, solver, disc_chain, sub, rest, visits, disc_visits, hit, ov, time_mean, laplace
    )
    again = q @ hit
    two = again.copy()
    first_time = np.zeros(n, dtype=hit.dtype)
    if len(rest):
        buy = a.buying
        two[rest] = sub.right(block(q, rest, buy) @ again[buy])
        first_time[rest] = sub.right(time_mean[rest] * hit[rest])
    refunds, disc_refunds = _refunds(a, laplace, q, parts)
    cash = kw["margin"] * ov - a.cost
    return _SegmentSums(
        visits=visits,
        absorption=vecmat(visits, r),
        conversion=alpha @ hit,
        two_plus=alpha @ two,
        first_purchase_time=alpha @ first_time,
        purchases=visits @ a.purchase,
        order_value=visits @ ov,
        refunds=refunds,
        cost=visits @ a.cost,
        time=visits @ time_mean,
        discounted_value=disc_visits @ cash - kw["margin"] * disc_refunds,
        stage_reach=_stage_reach(a, q, alpha, sparse) if kw["stages"] else np.zeros(len(a.stages)),
        parts=parts,
    )


def _stage_reach(a: ScenarioArrays, q: Matrix, alpha: Array, sparse: bool) -> Array:
    """Probability of ever reaching each stage."""
    reach = np.zeros(len(a.stages), dtype=q.dtype)
    for s, in_stage, rest in a.stage_parts:
        reach[s] = alpha @ _reach(q, in_stage, rest, sparse)
    return reach


def _reach(q: Matrix, target: Array, rest: Array, sparse: bool) -> Array:
    """:func:`_hitting`'s probabilities of the states ``target`` (a 0/1 mask; ``rest``
    the others) alone: where the chain of the other states factorises dense, by one
    LAPACK call that keeps no factors."""
    if sparse and len(rest) >= SPARSE_FROM:
        return _hitting(q, target.astype(bool), sparse)[0]
    hit = np.ones(q.shape[0], dtype=q.dtype)
    out = take_rows(q, rest)
    hit[rest] = solve_once(dense(take_columns(out, rest)), out @ target)
    return hit


def _chains(
    a: ScenarioArrays, base: Array, order: tuple[Array, int] | None = None, doubt: bool = False
) -> list[tuple[Array, Solver]]:
    """Each segment's rows and factorised chain ``I - Q``; the segments whose rows are
    the base's share one factorisation.  ``doubt``: warn of an ill-conditioned chain (the
    KPIs' solve of a chain's visits says it once)."""
    out = []
    shared: Solver | None = None
    for seg in a.segments:
        p = a.segment_rows(base, seg)
        solver = (
            shared
            if p is base and shared
            else Solver(p[:, : a.n], a.touchpoints, doubt=doubt, first=order)
        )
        shared = solver if p is base else shared
        out.append((p, solver))
    return out


def _population_entry(a: ScenarioArrays, base: Array, entry: Array) -> tuple[Array, complex]:
    """Entry mix of all customers (arrivals and their referrals) and the multiplier."""
    if not a.referral_mean.any():
        return entry, 1.0
    pop = _population(a, _chains(a, base), entry)
    return pop.alpha, pop.multiplier


def referral_targets(a: ScenarioArrays) -> Array:
    """The touchpoints that referred customers enter at."""
    return np.unique(a.referral_entry[a.referral_entry >= 0])


def _population(a: ScenarioArrays, chains: list[tuple[Array, Solver]], entry: Array) -> Population:
    """:class:`Population` of arrivals ``entry`` and their referrals."""
    if not a.referral_mean.any():
        none = np.zeros(0, dtype=int)
        return Population(entry, 1.0, none, none, np.zeros((0, 0)), np.zeros(0))
    targets = referral_targets(a)
    starts = np.union1d(np.flatnonzero(entry), targets)
    m = np.zeros((len(starts), len(starts)), dtype=chains[0][0].dtype)
    for seg, (_, solver) in zip(a.segments, chains, strict=True):
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
    alpha = mix if total.real <= 0 else mix / total
    return Population(alpha, total, starts, targets, m, counts)


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
    and their share of the entry mix, to a sink outside the journey.  ``parts`` (each
    segment's :class:`Parts`) and ``population`` keep what sensitivities reuse.
    """
    entry = a.entry.astype(base.dtype)
    if removed is not None and removed.any():
        entry = np.where(removed, 0.0, entry)
        a = _without_referrals_to(a, removed)
    order = a.purchases_last  # the chain's factors hold those of the non-purchase part
    chains = _chains(a, base, order, doubt=True)
    options = {"margin": margin, "stages": stages, "order": order, "discounted": {}}
    pop = _population(a, chains, entry)
    sums = [
        (seg.share, _segment(a, seg, chain, pop.alpha, **options))
        for seg, chain in zip(a.segments, chains, strict=True)
    ]

    def mix(field: str) -> object:
        if len(sums) == 1 and sums[0][0] == 1.0:  # one segment: 1.0 * x is x, skip it
            return getattr(sums[0][1], field)
        return sum(w * getattr(s, field) for w, s in sums)

    return {name: mix(name) for name in _MIXED} | {
        "multiplier": pop.multiplier,
        "alpha": pop.alpha,
        "margin": margin,
        "cost_per_customer": cost_per_customer,
        "parts": [s.parts for _, s in sums],
        "population": pop,
    }


def edge_flow_matrix(a: ScenarioArrays) -> Matrix:
    """Expected transitions per customer along every edge ``i -> j`` (touchpoints × nodes).

    The expected visits to ``i`` times the probability of ``i -> j``, per segment with its
    own visits and rows, weighted by the segments' shares; customers are arriving and
    referred ones alike, so a touchpoint's row sums to its expected visits per customer.
    In ``a.base``'s form: dense, or CSR by the sparse factors.
    """
    alpha, _ = _population_entry(a, a.base, a.entry)
    if is_sparse(a.base):
        return sum(
            seg.share * scale_rows(solver.left(alpha), rows)
            for seg, (rows, solver) in zip(a.segments, _chains(a, a.base), strict=True)
        )
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
