"""Build a journey in Python, without a file.

>>> from cjsim.model import JourneyBuilder, Exponential, Gamma
>>> sc = (JourneyBuilder("Tiny shop", stages=["awareness", "purchase"], horizon_days=90)
...       .touchpoint("ad", "awareness", dwell=Exponential(1.0), cost_per_visit=0.5)
...       .touchpoint("checkout", "purchase", purchase=True, order_value=Gamma(50.0, 0.5))
...       .outcome("lost")
...       .edges("ad", checkout=0.1, rest="lost")
...       .edges("checkout", rest="lost")
...       .poisson(100.0)
...       .entry(ad=1.0)
...       .build())
>>> sc.transitions["ad"]["lost"]
0.9
"""

from __future__ import annotations

import math
from typing import Any

from cjsim.model.distributions import Distribution
from cjsim.model.journey import (
    CohortArrivals,
    Economics,
    Outcome,
    PoissonArrivals,
    Population,
    Scenario,
    Segment,
    Touchpoint,
)
from cjsim.model.warm import WarmStart

__all__ = ["JourneyBuilder", "resolve_rest"]


def resolve_rest(row: dict[str, Any]) -> dict[str, float]:
    """Replace ``rest = "node"`` by that node's remaining probability.

    The remainder is ``1 - sum(others)`` computed with ``math.fsum``; if the node
    also has an explicit probability, the remainder is added to it.  A row with a
    non-finite probability keeps no remainder: that value alone is the error to report.
    """
    out = {k: v for k, v in row.items() if k != "rest"}
    finite = all(not isinstance(v, float) or math.isfinite(v) for v in out.values())
    if "rest" in row and finite:
        target = row["rest"]
        remainder = 1.0 - math.fsum(out.values())
        out[target] = out.get(target, 0.0) + remainder
    return out


class JourneyBuilder:
    """A mutable helper that collects parts and makes an immutable :class:`Scenario`."""

    def __init__(
        self, name: str, stages: list[str], horizon_days: float | None = None, currency: str = "EUR"
    ) -> None:
        self._header: dict[str, Any] = {
            "name": name,
            "stages": tuple(stages),
            "horizon_days": horizon_days,
            "currency": currency,
        }
        self._touchpoints: dict[str, Touchpoint] = {}
        self._outcomes: dict[str, Outcome] = {}
        self._transitions: dict[str, dict[str, float]] = {}
        self._arrivals: CohortArrivals | PoissonArrivals = CohortArrivals(1000)
        self._entry: dict[str, float] = {}
        self._segments: list[Segment] = []
        self._economics = Economics()
        self._initial: dict[str, int] = {}
        self._warm_start: WarmStart | None = None

    def touchpoint(self, name: str, stage: str, **fields: Any) -> JourneyBuilder:
        """Add a touchpoint; ``fields`` are those of :class:`Touchpoint`."""
        self._touchpoints[name] = Touchpoint(name, stage, **fields)
        return self

    def outcome(self, name: str, description: str = "") -> JourneyBuilder:
        """Add an absorbing outcome."""
        self._outcomes[name] = Outcome(name, description)
        return self

    def edges(self, source: str, **targets: Any) -> JourneyBuilder:
        """Set the out-edges of ``source``; ``rest="node"`` takes the remainder."""
        self._transitions[source] = resolve_rest(targets)
        return self

    def cohort(self, size: int) -> JourneyBuilder:
        """``size`` customers arrive at day 0."""
        self._arrivals = CohortArrivals(size)
        return self

    def poisson(self, rate_per_day: float | list[tuple[float, float]]) -> JourneyBuilder:
        """Poisson arrivals, constant or piecewise ``[(start_day, rate), ...]``."""
        rates = [(0.0, rate_per_day)] if isinstance(rate_per_day, int | float) else rate_per_day
        self._arrivals = PoissonArrivals(tuple(rates))
        return self

    def entry(self, **shares: float) -> JourneyBuilder:
        """Where arriving customers enter (shares sum to 1)."""
        self._entry = dict(shares)
        return self

    def segment(
        self,
        name: str,
        share: float,
        order_value_multiplier: float = 1.0,
        edge_multipliers: dict[str, float] | None = None,
        dwell_multipliers: dict[str, float] | None = None,
        *,
        dwell: dict[str, Distribution] | None = None,
        order_value: dict[str, Distribution] | None = None,
    ) -> JourneyBuilder:
        """Add a segment; edge multipliers are keyed ``"from->to"``, dwell ones by touchpoint.

        ``dwell`` (days) and ``order_value`` (money) replace a touchpoint's distribution for
        this segment's customers (see :class:`~cjsim.model.Segment`).
        """
        edges = {tuple(k.split("->", 1)): v for k, v in (edge_multipliers or {}).items()}
        segment = Segment(
            name,
            share,
            order_value_multiplier,
            edges,  # type: ignore[arg-type]
            dwell_multipliers or {},
            dwell or {},
            order_value or {},
        )
        self._segments.append(segment)
        return self

    def initial(self, **counts: int) -> JourneyBuilder:
        """Customers starting a fresh visit at these touchpoints at day 0."""
        self._initial = dict(counts)
        return self

    def warm_start(self, warm: WarmStart | Any) -> JourneyBuilder:
        """Customers already in the journey at day 0: a :class:`WarmStart` or a DataFrame
        with its columns (see :meth:`WarmStart.from_frame`)."""
        self._warm_start = warm if isinstance(warm, WarmStart) else WarmStart.from_frame(warm)
        return self

    def economics(self, **fields: float) -> JourneyBuilder:
        """Set :class:`Economics` fields."""
        self._economics = Economics(**fields)
        return self

    def build(self) -> Scenario:
        """The validated scenario (raises :class:`~cjsim.errors.ModelError`)."""
        population = Population(
            self._arrivals,
            self._entry,
            tuple(self._segments),
            self._initial,
            self._warm_start,
        )
        return Scenario(
            touchpoints=self._touchpoints,
            outcomes=self._outcomes,
            transitions=self._transitions,
            population=population,
            economics=self._economics,
            **self._header,
        )
