"""Random absorbing journeys, for property tests and benchmarks.

>>> import numpy as np
>>> sc = random_journey(np.random.default_rng(0), n_touchpoints=6)
>>> len(sc.touchpoints)
6
"""

from __future__ import annotations

import numpy as np

from cjsim.model.builder import JourneyBuilder
from cjsim.model.distributions import Exponential, Gamma

__all__ = ["random_journey"]


def random_journey(
    rng: np.random.Generator,
    n_touchpoints: int = 8,
    n_outcomes: int = 2,
    density: float = 0.4,
    min_exit: float = 0.05,
    refunds: bool = True,
    referrals: bool = False,
    segments: bool = False,
) -> object:
    """A valid random journey whose every touchpoint leaves with at least ``min_exit``.

    Touchpoint ``tp0`` is an entry; about a third of the touchpoints are purchases.
    """
    names = [f"tp{i}" for i in range(n_touchpoints)]
    outcomes = [f"out{i}" for i in range(n_outcomes)]
    b = JourneyBuilder("random", stages=["early", "late"], horizon_days=100)
    buyers = set(rng.choice(n_touchpoints, size=max(1, n_touchpoints // 3), replace=False))
    refunder = int(rng.integers(n_touchpoints)) if refunds else -1
    for i, name in enumerate(names):
        fields: dict[str, object] = {
            "dwell": Exponential(float(rng.uniform(0.5, 5))),
            "cost_per_visit": float(rng.uniform(0, 2)),
        }
        if i in buyers:
            fields |= {"purchase": True, "order_value": Gamma(float(rng.uniform(20, 200)), 0.5)}
        elif i == refunder:
            fields["refund_share"] = float(rng.uniform(0.2, 1))
        if referrals and i == n_touchpoints - 1:
            fields["referrals"] = _referral(rng, names)
        b.touchpoint(name, "early" if i < n_touchpoints / 2 else "late", **fields)
    for name in outcomes:
        b.outcome(name)
    for i, name in enumerate(names):
        # the referral touchpoint leaves with >= 0.5, so it is visited at most twice per
        # customer in expectation and R <= 2 * 0.4 < 1
        exit_share = 0.5 if referrals and i == n_touchpoints - 1 else min_exit
        b.edges(name, **_row(rng, names + outcomes, n_outcomes, density, exit_share))
    entry = rng.dirichlet(np.ones(n_touchpoints)) * 0.5
    entry[0] += 0.5
    b.entry(**{n: float(p) for n, p in zip(names, entry / entry.sum(), strict=True)})
    b.cohort(1000).economics(gross_margin=0.4, discount_rate=0.1)
    if segments:
        _add_segments(b, rng, names)
    return b.build()


def _row(
    rng: np.random.Generator, nodes: list[str], n_outcomes: int, density: float, min_exit: float
) -> dict[str, float | str]:
    weights = rng.uniform(0, 1, len(nodes)) * (rng.uniform(0, 1, len(nodes)) < density)
    outcome_mass = weights[-n_outcomes:].sum()
    if outcome_mass == 0:
        weights[len(nodes) - 1 - rng.integers(n_outcomes)] = 1.0
    probs = weights / weights.sum()
    exit_share = probs[-n_outcomes:].sum()
    if exit_share < min_exit:
        probs[:-n_outcomes] *= (1 - min_exit) / (1 - exit_share)
        probs[-n_outcomes:] *= min_exit / exit_share
    row: dict[str, float | str] = {n: float(p) for n, p in zip(nodes, probs, strict=True) if p > 0}
    last = next(n for n in reversed(nodes) if n in row)
    row.pop(last)
    row["rest"] = last
    return row


def _referral(rng: np.random.Generator, names: list[str]) -> object:
    from cjsim.model.journey import Referrals

    return Referrals(float(rng.uniform(0.1, 0.4)), names[0], Exponential(5.0))


def _add_segments(b: JourneyBuilder, rng: np.random.Generator, names: list[str]) -> None:
    source = names[0]
    row = b._transitions[source]
    edges: dict[str, float] = {}
    if len(row) >= 2:
        target = next(iter(row))
        edges[f"{source}->{target}"] = float(min(1.5, 0.99 / row[target]))
    b.segment("a", 0.4, 1.2, edges)
    b.segment("b", 0.6, 0.9)
