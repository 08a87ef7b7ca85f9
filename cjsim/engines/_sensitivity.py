"""Sensitivities of the absorbing chain from the factorisations already made.

Elasticities (:func:`edge_derivatives`) are adjoint sensitivities: every per-customer sum
that the KPIs are built from is ``c . x`` for a solve ``x`` of the chain (or of its
discounted or non-purchase part), so its gradient in ``Q[i, k]`` is the outer product
``x_i y_k`` with ``y`` one transposed solve, ``O(edges)`` for all edges at once.

Removal effects (:func:`conversions_without`) are low-rank updates: removing touchpoints
``K`` deletes the columns ``K`` of ``Q``, so the chain without them is a principal
submatrix of ``I - Q``, whose inverse is a Schur complement of the full inverse:
``(A[R, R])^-1 = Z[R, R] - Z[R, K] Z[K, K]^-1 Z[K, R]`` for ``Z = A^-1``.  Each removal
then costs a few vector products instead of a new factorisation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cjsim.engines._absorbing import Parts, Population
from cjsim.engines._arrays import ScenarioArrays
from cjsim.engines._matrix import block, dense, dense_row, edges
from cjsim.model.rows import apply_multipliers

__all__ = ["SUMS", "conversions_without", "edge_derivatives", "sum_coefficients"]

Array = np.ndarray
SUMS = ("conversion", "purchases", "order_value", "refunds", "cost", "time", "discounted_value")
"""The per-customer sums whose sensitivities :func:`edge_derivatives` knows."""
_STEP = 1e-20


def sum_coefficients(
    kpis_of: Callable[[dict[str, Any]], dict[str, Any]], ev: dict[str, Any], names: Sequence[str]
) -> dict[str, Array]:
    """``d kpi / d sum`` for each sum that ``kpis_of`` reads from ``ev`` (complex step,
    so the KPI formulas live in one place).

    Raises
    ------
    NotImplementedError
        If a KPI in ``names`` depends on a sum outside :data:`SUMS`.
    """
    out = {}
    for field in (*SUMS, "two_plus", "first_purchase_time", "multiplier"):
        moved = ev | {field: ev[field] + 1j * _STEP}
        kpis = kpis_of(moved)
        out[field] = np.array([np.imag(kpis[k]) / _STEP for k in names])
        if field not in SUMS and np.any(out[field]):
            raise NotImplementedError(f"no sensitivity of {field!r} for {names}")
    return out


@dataclass
class _Terms:
    """A gradient in ``Q[i, k]`` as ``sum_t left[t][i] * right[t][k, :]`` (one column per KPI)."""

    left: list[Array]
    right: list[Array]

    def at(self, rows: Array, cols: Array, n: int) -> Array:
        """The gradient at edges ``(rows, cols)``; zero on outcome columns (``cols >= n``)."""
        inside = cols < n
        c = np.where(inside, cols, 0)
        g = sum(
            left[rows, None] * right[c] for left, right in zip(self.left, self.right, strict=True)
        )
        return np.where(inside[:, None], g, 0.0)

    def row(self, i: int, width: int, n: int) -> Array:
        """The gradient along all of row ``i`` (``width`` columns)."""
        g = np.zeros((width, self.right[0].shape[1]))
        g[:n] = sum(left[i] * right for left, right in zip(self.left, self.right, strict=True))
        return g


def _on(index: Array, values: Array, n: int) -> Array:
    out = np.zeros(n)
    out[index] = values
    return out


def _segment_terms(
    a: ScenarioArrays, part: Parts, alpha: Array, k: dict[str, Array], margin: float
) -> tuple[_Terms, Array]:
    """Gradient terms of one segment's sums in its ``Q``, and the gradient in ``alpha``."""
    n, rest, buy = a.n, part.rest, a.purchase
    visit_w = (
        np.outer(buy, k["purchases"])
        + np.outer(part.order_value, k["order_value"])
        + np.outer(a.cost, k["cost"])
        + np.outer(part.time_mean, k["time"])
    )
    disc_w = np.outer(margin * part.order_value - a.cost, k["discounted_value"])
    hit_right = np.outer(part.hit, k["conversion"])
    u = _on(rest, part.sub.left(alpha[rest]), n) if len(rest) else np.zeros(n)
    left = [np.zeros(n), np.zeros(n), u]
    right = [np.zeros((n, len(k["conversion"])))] * 2 + [hit_right]
    if part.plain is not None:
        visit_w, disc_w = _refund_terms(a, part, k, margin, (visit_w, disc_w), (left, right))
    y = part.chain.right(visit_w)
    z = part.discounted_chain.right(disc_w)
    left[0], right[0] = part.visits, y
    left[1], right[1] = part.laplace * part.disc_visits, z
    return _Terms(left, right), y + z + hit_right


def _refund_terms(
    a: ScenarioArrays,
    part: Parts,
    k: dict[str, Array],
    margin: float,
    weights: tuple[Array, Array],
    terms: tuple[list[Array], list[Array]],
) -> tuple[Array, Array]:
    """Add the refunds' own terms (the edges out of purchases, and the refund shares
    visited before the next purchase) and their weights on visits and discounted visits."""
    assert part.plain is not None and part.discounted is not None and part.refund_chain is not None
    n, rest = a.n, part.rest
    buy = np.flatnonzero(a.purchase)
    after = block(part.rows, buy, rest)
    value = part.order_value[buy]
    lap = part.laplace
    c1 = _on(buy, value * (after @ part.plain), n)
    c2 = _on(buy, value * lap[buy] * (after @ part.discounted), n)
    k_ref, k_disc = k["refunds"], -margin * k["discounted_value"]
    visit_w = weights[0] + np.outer(c1, k_ref)
    disc_w = weights[1] + np.outer(c2, k_disc)
    g = part.sub.left(after.T @ (part.visits[buy] * value))
    left = _on(buy, part.visits[buy] * value, n) + _on(rest, g, n)
    terms[0].append(left)
    terms[1].append(np.outer(_on(rest, part.plain, n), k_ref))
    g2 = part.refund_chain.left(after.T @ (part.disc_visits[buy] * value * lap[buy]))
    left2 = _on(buy, part.disc_visits[buy] * value * lap[buy], n) + _on(rest, lap[rest] * g2, n)
    terms[0].append(left2)
    terms[1].append(np.outer(_on(rest, part.discounted, n), k_disc))
    return visit_w, disc_w


def _referral_terms(
    a: ScenarioArrays, parts: list[Parts], pop: Population, g_alpha: Array
) -> list[tuple[Array, Array]]:
    """Per segment, the term that the entry mix adds through referrals: ``alpha`` is
    ``counts / total`` with ``counts = (I - m)^-T entry`` and ``m`` made of right solves."""
    if not len(pop.targets) or pop.multiplier.real <= 0:
        return []
    total = pop.multiplier
    g = g_alpha[pop.starts]
    g_counts = (g - pop.alpha[pop.starts] @ g) / total
    lam = np.linalg.solve(np.eye(len(pop.starts)) - pop.m, g_counts)
    weights = np.zeros((a.n, g.shape[1]))
    for t in pop.targets:
        source = np.where(a.referral_entry == t, a.referral_mean, 0.0)
        weights += np.outer(source, lam[np.searchsorted(pop.starts, t)])
    return [(total * part.visits, part.chain.right(weights)) for part in parts]


def edge_derivatives(
    a: ScenarioArrays, ev: dict[str, Any], k: dict[str, Array], margin: float
) -> Array:
    """``d kpi / d p`` for every edge (rows of ``np.nonzero(a.base)``, one column per KPI)
    when the edge's probability ``p`` moves and the rest of its row is rescaled
    proportionally; ``k`` holds :func:`sum_coefficients`.  NaN where ``p = 1``."""
    rows, cols, p = edges(a.base)
    pop: Population = ev["population"]
    parts: list[Parts] = ev["parts"]
    per_segment = [_segment_terms(a, part, pop.alpha, k, margin) for part in parts]
    g_alpha = np.zeros((a.n, len(k["conversion"])))
    for seg, (_, g) in zip(a.segments, per_segment, strict=True):
        g_alpha += seg.share * g
    for (terms, _), extra in zip(
        per_segment, _referral_terms(a, parts, pop, g_alpha), strict=False
    ):
        terms.left.append(extra[0])  # no extra terms without referrals
        terms.right.append(extra[1])
    out = np.zeros((len(rows), len(k["conversion"])))
    with np.errstate(divide="ignore", invalid="ignore"):
        for seg, (terms, _) in zip(a.segments, per_segment, strict=True):
            g = terms.at(rows, cols, a.n)
            weighted = np.zeros((a.n, g.shape[1]))
            np.add.at(weighted, rows, g * p[:, None])
            d = (g - weighted[rows]) / (1 - p)[:, None]
            for i in seg.touched_rows:
                _touched_row(a, seg, terms, i, (rows, cols), d)
            out += seg.share * d
    out[p >= 1] = np.nan
    return out


def _touched_row(
    a: ScenarioArrays, seg: Any, terms: _Terms, i: int, edges: tuple[Array, Array], d: Array
) -> None:
    """Fill ``d`` on the edges of row ``i``, which the segment's multipliers reshape: the
    row map's own derivative by complex step (exact), then the chain's gradient."""
    rows, cols = edges
    base = dense_row(a.base, i)
    grad = terms.row(i, base.shape[0], a.n)
    for e in np.flatnonzero(rows == i):
        j, p = cols[e], base[cols[e]]
        if p >= 1:
            continue
        direction = -base / (1 - p)
        direction[j] = 1.0
        moved = apply_multipliers(base + 1j * _STEP * direction, seg.factors[i])
        d[e] = (np.imag(moved) / _STEP) @ grad


@dataclass
class _Removal:
    """One segment's pieces for removals: the inverse ``z`` of its non-purchase chain,
    each state's position in it (-1 for purchases), the one-step purchase probabilities
    ``b`` and hitting probabilities ``hit`` there, ``z^T entry``, and for referrals the
    full chain's inverse and the referrals ``made`` towards each target (columns)."""

    share: float
    q: Array
    rest: Array
    pos: Array
    z: Array
    b: Array
    hit: Array
    z_entry: Array
    inverse: Array | None
    made: Array | None


def _removal_parts(a: ScenarioArrays, share: float, part: Parts, pop: Population) -> _Removal:
    rest, q = part.rest, dense(part.rows[:, : a.n])  # the inverses below are dense anyway
    pos = np.full(a.n, -1)
    pos[rest] = np.arange(len(rest))
    z = part.sub.inverse() if len(rest) else np.zeros((0, 0))
    b = q[np.ix_(rest, np.flatnonzero(a.purchase))].sum(axis=1)
    inverse, made = None, None
    if len(pop.targets):
        inverse = part.chain.inverse()
        sources = [np.where(a.referral_entry == t, a.referral_mean, 0.0) for t in pop.targets]
        made = inverse @ np.stack(sources, axis=1)
    return _Removal(share, q, rest, pos, z, b, part.hit[rest], z.T @ a.entry[rest], inverse, made)


def _target_counts(segs: list[_Removal], targets: Array, mask: Array, entry: Array) -> Array:
    """Customers entering at each referral target, arrivals and referred, once the states
    ``mask`` are gone: ``x = entry + m^T x`` solved for the targets alone (the other
    starts receive no referrals).  Referrals into a removed target are lost."""
    gone = np.flatnonzero(mask)
    kept = ~mask
    m = np.zeros((len(entry), len(targets)))
    for seg in segs:
        assert seg.made is not None and seg.inverse is not None
        made = seg.made.copy()
        if len(gone):
            block = seg.inverse[np.ix_(gone, gone)]
            made[kept] -= seg.inverse[np.ix_(kept, gone)] @ np.linalg.solve(block, made[gone])
            made[gone] = 0.0
        made[:, mask[targets]] = 0.0
        m += seg.share * made
    others = entry.copy()
    others[targets] = 0.0
    rhs = entry[targets] + m.T @ others
    return np.linalg.solve(np.eye(len(targets)) - m[targets].T, rhs)


def _segment_without(a: ScenarioArrays, seg: _Removal, mask: Array, mix: Array) -> Any:
    """Converting customers of one segment for entry counts ``mix`` (zero on ``mask``)
    when the states ``mask`` lose their inflow: the Schur complement of ``seg.z``."""
    gone_rest = seg.pos[mask & ~a.purchase]
    gone_buy = np.flatnonzero(mask & a.purchase)
    changed = np.flatnonzero((mix != a.entry) & (seg.pos >= 0))
    z_mix = seg.z_entry + seg.z[seg.pos[changed]].T @ (mix - a.entry)[changed]
    lost = seg.q[np.ix_(seg.rest, gone_buy)].sum(axis=1)
    value = mix[a.purchase].sum() + z_mix @ (seg.b - lost)
    if len(gone_rest):
        after = seg.hit[gone_rest] - seg.z[gone_rest] @ lost
        block = seg.z[np.ix_(gone_rest, gone_rest)]
        value -= z_mix[gone_rest] @ np.linalg.solve(block, after)
    return value


def _single_shifts(segs: list[_Removal], targets: Array, entry: Array) -> Array:
    """:func:`_target_counts` less the targets' own entry shares, for each state removed
    alone, all at once (rows: states; columns: targets): one rank-one update of each
    segment's inverse per state."""
    n, width = len(entry), len(targets)
    others = np.where(np.isin(np.arange(n), targets), 0.0, entry)
    rhs = np.zeros((n, width))
    block = np.zeros((n, width, width))
    for seg in segs:
        assert seg.made is not None and seg.inverse is not None
        scale = seg.made / np.diagonal(seg.inverse)[:, None]  # made[k, j] / N[k, k]
        rhs += seg.share * ((others @ seg.made)[None, :] - (others @ seg.inverse)[:, None] * scale)
        at = seg.made[targets][None, :, :] - seg.inverse[targets].T[:, :, None] * scale[:, None, :]
        block += seg.share * at
    states = np.arange(n)
    is_target = states[:, None] == targets[None, :]  # removing a target: no referrals into it
    block[np.broadcast_to(is_target[:, :, None], block.shape)] = 0.0
    block[np.broadcast_to(is_target[:, None, :], block.shape)] = 0.0
    rhs[is_target] = 0.0
    kept = np.where(is_target, 0.0, entry[targets][None, :])
    lhs = np.eye(width)[None] - block.transpose(0, 2, 1)
    return np.linalg.solve(lhs, (kept + rhs)[..., None])[..., 0] - kept


def _single_states(a: ScenarioArrays, seg: _Removal, targets: Array, shift: Array) -> Array:
    """:func:`_segment_without` for every state removed alone, all at once, with ``shift``
    the change in each referral target's entry count (rows: states).  Without referrals,
    removing ``k`` loses ``z_entry[k] hit[k] / z[k, k]`` (the customers who reach ``k``
    before a purchase, times their chance to buy from there), or, for a purchase ``k``,
    its entry share and the customers who step into it."""
    rest, pos = seg.rest, seg.pos
    inside = pos >= 0
    tin = pos[targets] >= 0
    z_rows = seg.z[pos[targets][tin]]  # rows of z at the targets outside purchases
    moved = shift[:, tin]
    mix_buy = a.entry[a.purchase].sum() - np.where(a.purchase, a.entry, 0.0)
    mix_buy = mix_buy + shift[:, ~tin].sum(axis=1)
    zb = seg.z_entry @ seg.b + moved @ seg.hit[pos[targets][tin]]
    out = mix_buy + zb
    p = pos[inside]
    zb_inside = -a.entry[inside] * seg.hit[p]
    z_at = (
        seg.z_entry[p]
        - a.entry[inside] * np.diagonal(seg.z)[p]
        + np.sum(moved[inside] * z_rows[:, p].T, axis=1)
    )
    out[inside] += zb_inside - z_at * seg.hit[p] / np.diagonal(seg.z)[p]
    steps = seg.q[rest][:, ~inside]  # one step into each purchase state
    out[~inside] -= seg.z_entry @ steps + np.sum(moved[~inside] * (z_rows @ steps).T, axis=1)
    return out


def conversions_without(a: ScenarioArrays, ev: dict[str, Any], masks: Sequence[Array]) -> Array:
    """Converting customers per arrival (referred ones included) when each mask's states
    lose their inflow and their entry share, as :func:`~._absorbing.evaluate` with
    ``removed=mask`` computes them, by low-rank updates of the factorisations in ``ev``."""
    pop: Population = ev["population"]
    segs = [
        _removal_parts(a, seg.share, part, pop)
        for seg, part in zip(a.segments, ev["parts"], strict=True)
    ]
    if len(masks) == a.n and all(m.sum() == 1 and m[k] for k, m in enumerate(masks)):
        if len(pop.targets):
            shift = _single_shifts(segs, pop.targets, a.entry)
        else:
            shift = np.zeros((a.n, 0))
        return np.asarray(
            sum(seg.share * _single_states(a, seg, pop.targets, shift) for seg in segs)
        )
    out = np.zeros(len(masks))
    for e, mask in enumerate(masks):
        mix = np.where(mask, 0.0, a.entry)
        if len(pop.targets):
            mix[pop.targets] = _target_counts(segs, pop.targets, mask, mix)
        out[e] = sum(seg.share * _segment_without(a, seg, mask, mix) for seg in segs)
    return out
