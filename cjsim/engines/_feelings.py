"""Satisfaction compiled for the simulation engines (:mod:`cjsim.model.satisfaction`).

A customer's satisfaction ``s`` starts at ``start`` and changes by the touchpoints'
effects; at a touchpoint whose row leads to a linked target (a node with a coefficient
``beta != 0``) the next node is drawn from the row tilted by
``p'_j ∝ p_j exp(beta_j s)`` with the same uniform as an untilted draw, so a row with
every ``beta`` 0 (or ``s = 0``) gives exactly the untilted choice (the row is not
recomputed then).

Both simulation engines apply the effects at the same moments:

- ``visit``: when a visit is booked (on arrival; at a desk when service ends), before
  the next node is drawn;
- ``wait``: at a desk, when service starts after a wait over ``wait_over_days``;
- ``renege``: when a customer gives up waiting (before going to ``renege_to``);
- ``refund``: when an order is refunded, as the visit is booked (before ``visit``; both
  come before the curve is recorded and the next node is drawn).

A wait past ``wait_over_days`` that ends in reneging, or is still in line at the horizon,
gets no ``wait`` effect (only ``renege`` in the first case). A warm-start customer served
at a desk gets no ``visit`` effect for that visit (it was booked before day 0).

The emotional curve is the mean satisfaction of customers as they leave a visit (after
its effects; at a desk, customers who renege count, with their ``renege`` effect), per
touchpoint; a customer's final satisfaction (when it leaves the journey or at the
horizon) makes it a promoter or a detractor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import accumulate

from cjsim.model import Scenario

__all__ = ["Feelings", "compile_feelings", "tilt_row"]


@dataclass(frozen=True)
class Feelings:
    """The satisfaction model as plain lists indexed by node (touchpoints first)."""

    start: float
    promoter_at: float
    detractor_at: float
    beta: list[float]  # [node] (touchpoints and outcomes): the link coefficient
    visit: list[float]  # [touchpoint]
    wait_over: list[float]  # [touchpoint]: inf without a wait effect
    wait: list[float]
    renege: list[float]
    refund: list[float]
    linked: list[bool]  # [touchpoint]: some out-edge of some segment has beta != 0

    def touched(self, node: int) -> bool:
        """Whether a visit of ``node`` changes satisfaction or is tilted by it."""
        return bool(
            self.linked[node]
            or self.visit[node]
            or self.wait[node]
            or self.renege[node]
            or self.refund[node]
        )


def compile_feelings(sc: Scenario, targets: list[list[list[int]]]) -> Feelings | None:
    """``sc``'s satisfaction for the engines (``targets``: [segment][node] -> targets)."""
    sat = sc.satisfaction
    if sat is None:
        return None
    tps = list(sc.touchpoints.values())
    beta = [float(sat.link.get(name, 0.0)) for name in sc.nodes]
    feel = [tp.feeling for tp in tps]
    linked = [any(beta[j] != 0.0 for seg in targets for j in seg[i]) for i in range(len(tps))]
    return Feelings(
        start=float(sat.start),
        promoter_at=float(sat.promoter_at),
        detractor_at=float(sat.detractor_at),
        beta=beta,
        visit=[f.visit if f else 0.0 for f in feel],
        wait_over=[
            f.wait_over_days if f and f.wait and f.wait_over_days is not None else math.inf
            for f in feel
        ],
        wait=[f.wait if f else 0.0 for f in feel],
        renege=[f.renege if f else 0.0 for f in feel],
        refund=[f.refund if f else 0.0 for f in feel],
        linked=linked,
    )


def tilt_row(targets: list[int], cum: list[float], beta: list[float], s: float) -> list[float]:
    """The cumulative row of ``targets`` (cumulative ``cum``) tilted for satisfaction ``s``
    (the last entry exactly 1.0, as untilted rows); at ``s = 0`` ``cum`` itself."""
    if s == 0.0:
        return cum
    probs, before = [], 0.0
    for c in cum:
        probs.append(c - before)
        before = c
    # a stable softmax: exponents shifted by the largest among the row's edges, so no
    # exp overflows (or every weight underflows) however large beta * s grows
    top = max(beta[j] * s for j, p in zip(targets, probs, strict=True) if p > 0.0)
    weights = [
        p * math.exp(beta[j] * s - top) if p > 0.0 else 0.0
        for j, p in zip(targets, probs, strict=True)
    ]
    total = math.fsum(weights)
    out = [w / total for w in accumulate(weights)]
    out[-1] = 1.0
    return out
