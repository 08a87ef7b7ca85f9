"""The immutable journey model: touchpoints, outcomes, transitions, population.

A :class:`Scenario` is validated when it is made: every structural problem is
collected and raised together as one :class:`~cjsim.errors.ModelError`;
warnings (e.g. an unreachable touchpoint) are kept in ``Scenario.warnings``.
Plain dicts and lists given to the constructors are frozen on the way in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cjsim.errors import ModelError, Problem
from cjsim.model.distributions import Distribution, Fixed
from cjsim.model.frozen import FrozenMap
from cjsim.model.goals import JourneyGoal
from cjsim.model.satisfaction import Feeling, Satisfaction
from cjsim.model.warm import WarmStart

__all__ = [
    "MAX_CUSTOMERS",
    "CohortArrivals",
    "DwellRate",
    "Economics",
    "ExperienceEffect",
    "Outcome",
    "PoissonArrivals",
    "Population",
    "Referrals",
    "Scenario",
    "Segment",
    "Touchpoint",
]

NO_DWELL = Fixed(0.0)
MAX_CUSTOMERS = 1e12
"""The most customers a scenario may expect over its horizon (arrivals, initial and
warm-start customers together), so that every total stays finite and exact in floats."""


def _freeze(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class Referrals:
    """Each visit spawns Poisson(``mean``) new customers entering at ``entry`` after ``delay``."""

    mean: float
    entry: str
    delay: Distribution = NO_DWELL


@dataclass(frozen=True)
class DwellRate:
    """A calendar for the pace of moving on from a touchpoint: piecewise-constant
    factors ``((start_day, factor), ...)`` (the first piece starts at day 0; the last
    lasts for ever, or to the end of the period).  A dwell of ``d`` days drawn from the
    touchpoint's distribution ends at the real time ``t_end`` with
    ``integral_t^t_end factor(u) du = d`` — a time change, so a factor of 1.3 makes
    customers there move on 30 % faster (their hazard of moving on is 1.3 times the
    base), and the silent leavers' dwell is changed alike.

    ``period_days`` (e.g. 7 for office hours): the pieces cover ``[0, period_days)``
    and repeat for ever — a weekly calendar in a few pieces, whatever the horizon.

    Calibration writes a month-of-year calendar from a pattern in customers' behaviour
    (:mod:`cjsim.calibration.behaviour`) and a weekly one from an hour-of-week pattern
    of their moves (:mod:`cjsim.calibration.office`), each when its test is significant.

    >>> office = DwellRate(((0, 0.5), (0.5, 1.5)), period_days=1.0)
    >>> office.end(0.0, 1.0)  # half a day at 0.5 and half a day at 1.5
    1.0
    >>> office.end(0.25, 2.0)
    2.25
    """

    factors: tuple[tuple[float, float], ...]
    period_days: float | None = None

    def __post_init__(self) -> None:
        pairs = tuple((float(s), float(f)) for s, f in self.factors)
        _freeze(self, "factors", pairs)
        if self.period_days is not None:
            _freeze(self, "period_days", float(self.period_days))
        starts = np.array([s for s, _ in pairs])
        rates = np.array([f for _, f in pairs])
        # the operational clock at each piece's start (and at the period's end)
        bounds = starts if self.period_days is None else np.r_[starts, self.period_days]
        clock = np.concatenate([[0.0], np.cumsum(np.diff(bounds) * rates[: len(bounds) - 1])])
        _freeze(self, "_starts", starts)
        _freeze(self, "_rates", rates)
        _freeze(self, "_clock", clock[: len(starts)])
        _freeze(self, "_per_period", float(clock[-1]) if self.period_days is not None else 0.0)

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        """Piece starts, factors, the clock at each start, and the clock per period."""
        return self._starts, self._rates, self._clock, self._per_period  # type: ignore[attr-defined]

    @property
    def mean_factor(self) -> float:
        """The time-average factor over a period (the last factor without one)."""
        _, rates, _, per_period = self._arrays()
        return float(rates[-1]) if self.period_days is None else per_period / self.period_days

    def end(self, t: float, d: float) -> float:
        """The real time a dwell of ``d`` base days started at ``t`` ends."""
        return float(self.ends(np.array([t]), np.array([d]))[0])

    def clock(self, t: np.ndarray) -> np.ndarray:
        """The operational clock at real times ``t`` (0 at day 0)."""
        starts, rates, clock, per_period = self._arrays()
        t = np.asarray(t, dtype=float)
        whole = np.zeros_like(t)
        if self.period_days is not None:
            whole = np.floor(t / self.period_days)
            t = t - whole * self.period_days
        at = np.clip(np.searchsorted(starts, t, side="right") - 1, 0, len(starts) - 1)
        out: np.ndarray = whole * per_period + clock[at] + rates[at] * (t - starts[at])
        return out

    def real(self, target: np.ndarray) -> np.ndarray:
        """The real time at which the operational clock reaches ``target``."""
        starts, rates, clock, per_period = self._arrays()
        target = np.asarray(target, dtype=float)
        whole = np.zeros_like(target)
        if self.period_days is not None:
            whole = np.floor(target / per_period)
            target = target - whole * per_period
        piece = np.clip(np.searchsorted(clock, target, side="right") - 1, 0, len(starts) - 1)
        real: np.ndarray = starts[piece] + (target - clock[piece]) / rates[piece]
        return real if self.period_days is None else whole * self.period_days + real

    def ends(self, t: np.ndarray, d: np.ndarray) -> np.ndarray:
        """:meth:`end` for arrays of starts and dwells."""
        return self.real(self.clock(t) + d)


@dataclass(frozen=True)
class ExperienceEffect:
    """After a wait over ``waited_over_days``, multiply the named out-edges by ``scale``."""

    waited_over_days: float
    scale: Mapping[str, float]

    def __post_init__(self) -> None:
        _freeze(self, "scale", FrozenMap(self.scale))


@dataclass(frozen=True)
class Touchpoint:
    """A node customers visit.

    Parameters
    ----------
    name, stage : str
        Identifier and the stage (one of ``Scenario.stages``) it belongs to.
    dwell : Distribution
        Days spent before moving on (before joining the queue when ``capacity`` is set).
    purchase : bool
        A visit is a purchase with value drawn from ``order_value``.
    cost_per_visit : float
        Money spent per visit, >= 0.
    refund_share : float
        In [0, 1]: a visit refunds this share of the customer's last order.
    capacity, service, patience, renege_to :
        Servers, service time (days), patience (days) and where impatient customers go.
    experience : tuple of ExperienceEffect
        Waiting-time effects on the out-edges (DES engine only).
    referrals : Referrals or None
        New customers spawned per visit.
    dwell_rate : DwellRate or None
        A calendar of the pace of moving on (des and vectorized engines; the analytic
        engine notes that it uses the base pace).
    feeling : Feeling or None
        How a visit changes the customer's satisfaction (the scenario needs a
        ``satisfaction`` model; des and vectorized engines).
    memory_of : str or None
        In a journey with memory (:mod:`cjsim.model.memory`), the original touchpoint
        this one is a state of: the touchpoint reached after a particular history.
        Visits and removal effects add up over the states of one original.
    """

    name: str
    stage: str
    dwell: Distribution = NO_DWELL
    purchase: bool = False
    order_value: Distribution | None = None
    cost_per_visit: float = 0.0
    refund_share: float = 0.0
    capacity: int | None = None
    service: Distribution | None = None
    patience: Distribution | None = None
    renege_to: str | None = None
    experience: tuple[ExperienceEffect, ...] = ()
    referrals: Referrals | None = None
    description: str = ""
    dwell_rate: DwellRate | None = None
    memory_of: str | None = None
    feeling: Feeling | None = None

    def __post_init__(self) -> None:
        _freeze(self, "experience", tuple(self.experience))

    @property
    def original(self) -> str:
        """The touchpoint this one stands for: ``memory_of``, or its own name."""
        return self.memory_of or self.name

    @property
    def time_mean_days(self) -> float:
        """Mean days spent here ignoring queues: dwell plus service."""
        service = self.service.mean if self.service is not None else 0.0
        return self.dwell.mean + service


@dataclass(frozen=True)
class Outcome:
    """An absorbing end of the journey (``lost``, ``churned`` …)."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class CohortArrivals:
    """``size`` customers arriving at day 0."""

    size: int

    def expected_count(self, horizon_days: float | None) -> float:
        return float(self.size)


@dataclass(frozen=True)
class PoissonArrivals:
    """Poisson arrivals with piecewise-constant rates: ``((start_day, rate_per_day), ...)``."""

    rates: tuple[tuple[float, float], ...]

    def __post_init__(self) -> None:
        _freeze(self, "rates", tuple((float(s), float(r)) for s, r in self.rates))

    def expected_count(self, horizon_days: float | None) -> float:
        """Expected arrivals in ``[0, horizon_days)``; NaN without a horizon."""
        if horizon_days is None:
            return float("nan")
        total = 0.0
        ends = [s for s, _ in self.rates[1:]] + [horizon_days]
        for (start, rate), end in zip(self.rates, ends, strict=True):
            total += rate * max(0.0, min(end, horizon_days) - start)
        return total


@dataclass(frozen=True)
class Segment:
    """A persona: ``share`` of customers, with its own multipliers and distributions.

    Parameters
    ----------
    name : str
    share : float
        In [0, 1]; the shares of all segments sum to 1.
    order_value_multiplier : float
        > 0; order values of this segment's customers are multiplied by it (replacement
        order-value distributions included).
    edge_multipliers : mapping of (from, to) to float
        >= 0; the edge is multiplied and the rest of its row rescaled.
    dwell_multipliers : mapping of touchpoint name to float
        > 0; this segment's dwell time at that touchpoint is the base dwell times the
        factor (``L_{cX}(s) = L_X(c s)``); service time is unaffected.
    dwell : mapping of touchpoint name to Distribution
        Replacement dwell distributions (days): this segment's dwell at that touchpoint is
        drawn from its own distribution instead of the touchpoint's; service time is
        unaffected.  A touchpoint takes a multiplier or a replacement, never both.
    order_value : mapping of purchase-touchpoint name to Distribution
        Replacement order-value distributions (money, in the scenario's currency): this
        segment's orders at that touchpoint are drawn from it, then multiplied by
        ``order_value_multiplier``.
    """

    name: str
    share: float
    order_value_multiplier: float = 1.0
    edge_multipliers: Mapping[tuple[str, str], float] = field(default_factory=FrozenMap)
    dwell_multipliers: Mapping[str, float] = field(default_factory=FrozenMap)
    dwell: Mapping[str, Distribution] = field(default_factory=FrozenMap)
    order_value: Mapping[str, Distribution] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        _freeze(self, "edge_multipliers", FrozenMap(self.edge_multipliers))
        _freeze(self, "dwell_multipliers", FrozenMap(self.dwell_multipliers))
        _freeze(self, "dwell", FrozenMap(self.dwell))
        _freeze(self, "order_value", FrozenMap(self.order_value))

    def dwell_at(self, tp: Touchpoint) -> Distribution:
        """This segment's dwell distribution at ``tp`` before any multiplier (days)."""
        return self.dwell.get(tp.name, tp.dwell)

    def order_value_at(self, tp: Touchpoint) -> Distribution | None:
        """This segment's order-value distribution at ``tp`` before its multiplier."""
        return self.order_value.get(tp.name, tp.order_value)


@dataclass(frozen=True)
class Population:
    """Who arrives, when, where they enter, and which segments they belong to."""

    arrivals: CohortArrivals | PoissonArrivals
    entry: Mapping[str, float]
    segments: tuple[Segment, ...] = ()
    initial: Mapping[str, int] = field(default_factory=FrozenMap)
    """Warm start: customers starting a fresh visit at these touchpoints at day 0."""
    warm_start: WarmStart | None = None
    """Warm start: each customer already in the journey at day 0, mid-visit (see WarmStart)."""

    def __post_init__(self) -> None:
        _freeze(self, "entry", FrozenMap(self.entry))
        _freeze(self, "segments", tuple(self.segments))
        _freeze(self, "initial", FrozenMap(self.initial))

    @property
    def effective_segments(self) -> tuple[Segment, ...]:
        """The segments, or one implicit segment of everybody."""
        return self.segments or (Segment("all", 1.0),)

    def expected_customers(self, horizon_days: float | None) -> float:
        """Customers expected in ``[0, horizon_days)`` before referrals: arrivals,
        initial and warm-start customers (NaN for Poisson arrivals without a horizon)."""
        warm = 0.0 if self.warm_start is None else self.warm_start.expected_customers
        initial = float(sum(n for n in self.initial.values() if isinstance(n, int)))
        return self.arrivals.expected_count(horizon_days) + initial + warm


@dataclass(frozen=True)
class Economics:
    """Margin, costs and the annual discount rate."""

    gross_margin: float = 1.0
    discount_rate: float = 0.0
    fixed_cost_per_day: float = 0.0
    cost_per_customer: float = 0.0


@dataclass(frozen=True)
class Scenario:
    """A complete, validated journey design.

    Raises
    ------
    ModelError
        Listing every structural problem found.
    """

    name: str
    stages: tuple[str, ...]
    touchpoints: Mapping[str, Touchpoint]
    outcomes: Mapping[str, Outcome]
    transitions: Mapping[str, Mapping[str, float]]
    population: Population
    economics: Economics = field(default_factory=Economics)
    horizon_days: float | None = None
    currency: str = "EUR"
    description: str = ""
    journeys: tuple[JourneyGoal, ...] = ()
    satisfaction: Satisfaction | None = None
    warnings: tuple[Problem, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        from cjsim.model.validation import find_problems

        _freeze(self, "stages", tuple(self.stages))
        _freeze(self, "journeys", tuple(self.journeys))
        _freeze(self, "touchpoints", FrozenMap(self.touchpoints))
        _freeze(self, "outcomes", FrozenMap(self.outcomes))
        _freeze(
            self, "transitions", FrozenMap({k: FrozenMap(v) for k, v in self.transitions.items()})
        )
        problems = find_problems(self)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise ModelError(errors)
        _freeze(self, "warnings", tuple(p for p in problems if p.severity == "warning"))

    @property
    def nodes(self) -> tuple[str, ...]:
        """Touchpoints then outcomes, in definition order."""
        return (*self.touchpoints, *self.outcomes)

    def originals(self) -> dict[str, tuple[str, ...]]:
        """Each original touchpoint with the touchpoints that stand for it, in definition
        order: itself alone, or the states of a journey with memory."""
        groups: dict[str, tuple[str, ...]] = {}
        for name, tp in self.touchpoints.items():
            groups[tp.original] = (*groups.get(tp.original, ()), name)
        return groups

    def per_original(self, values: Any) -> tuple[tuple[str, ...], np.ndarray]:
        """``values`` given per touchpoint (in definition order, last axis) added up per
        original touchpoint (:meth:`originals`): the names and the sums."""
        values = np.asarray(values)
        groups = self.originals()
        if len(groups) == len(self.touchpoints):
            return tuple(groups), values
        index = {name: i for i, name in enumerate(self.touchpoints)}
        sums = [values[..., [index[n] for n in names]].sum(axis=-1) for names in groups.values()]
        return tuple(groups), np.stack(sums, axis=-1)

    def without_satisfaction(self) -> Scenario:
        """The same journey without its satisfaction model and effects: every choice at
        its untilted probability (what the analytic engine can answer exactly). Journey
        targets on satisfaction KPIs are dropped, and journeys left without targets."""
        from cjsim.kpis import lookup

        if self.satisfaction is None and all(
            tp.feeling is None for tp in self.touchpoints.values()
        ):
            return self  # nothing to remove: no copy, no second validation
        touchpoints = {
            name: tp if tp.feeling is None else dataclasses.replace(tp, feeling=None)
            for name, tp in self.touchpoints.items()
        }
        journeys = []  # targets on satisfaction KPIs go; a journey left without any, too
        for goal in self.journeys:
            kept = {
                k: v
                for k, v in goal.targets.items()
                if getattr(lookup(k), "kind", None) != "satisfaction"
            }
            if kept:
                journeys.append(dataclasses.replace(goal, targets=kept))
        return self.replace(satisfaction=None, touchpoints=touchpoints, journeys=tuple(journeys))

    def replace(self, **changes: Any) -> Scenario:
        """A new, re-validated scenario with some fields changed."""
        import dataclasses

        return dataclasses.replace(self, **changes)
