"""The engine protocol: what every engine declares, checks and returns.

An engine is a small object with a name.  It declares the features of a journey it
*models* (:data:`FEATURES`), checks a scenario against them before any work starts, and
answers replications of a scenario with the same :class:`ReplicationOutput`, whatever it
computes inside.  Simulation engines fill a few hooks of :class:`SimulationEngine`
(``prepare``, ``replicate``, ``event_frame``); the base does the rest: KPIs and the day
series from the engine's totals, the event log, the loop over replications.

Engines are found by name in :mod:`cjsim.engines.registry`; an :class:`Engine` instance
may be passed wherever a name is accepted (a pluggable collaborator, as in Ciw).

>>> from cjsim.engines.registry import get_engine
>>> des = get_engine("des")
>>> sorted(des.models - get_engine("vectorized").models)
['capacity', 'experience']
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from cjsim.errors import SimulationError
from cjsim.model import Scenario

if TYPE_CHECKING:
    from cjsim.engines._tally import Totals
    from cjsim.engines.result import Result

__all__ = [
    "FEATURES",
    "MAX_SIMULATED_CUSTOMERS",
    "Engine",
    "ReplicationOutput",
    "SimulationEngine",
    "features_of",
]

#: The most customers one replication may expect to simulate (about 1e8 customers
#: take minutes in the vectorized engine and hours in des); more is refused before starting.
MAX_SIMULATED_CUSTOMERS = 1e8

#: What a journey may use and an engine may model, with the words notes use for each.
#: ``capacity`` covers queues, service, patience and reneging; ``experience`` the waits
#: that shift later transitions; ``horizon`` a finite time span; ``warm_start`` customers
#: in the journey at day 0; ``dwell_rate`` a calendar of the pace of moving on;
#: ``satisfaction`` a per-customer feeling that tilts later choices.
#: Intervention operations name the feature they change.
FEATURES: Mapping[str, str] = MappingProxyType(
    {
        "transitions": "transition probabilities",
        "dwell": "dwell times",
        "order_value": "order values",
        "arrivals": "arrivals",
        "entry": "the entry mix",
        "touchpoints": "new touchpoints",
        "segments": "segments",
        "referrals": "referrals",
        "capacity": "queues",
        "experience": "experience effects",
        "horizon": "the horizon",
        "warm_start": "the warm start",
        "dwell_rate": "calendar dwell rates",
        "satisfaction": "satisfaction",
    }
)


def features_of(sc: Scenario) -> frozenset[str]:
    """The features ``sc`` uses beyond a plain chain (a subset of :data:`FEATURES`)."""
    tps = sc.touchpoints.values()
    used = {"transitions", "dwell", "arrivals", "entry", "touchpoints"}
    checks = {
        "order_value": any(tp.order_value is not None for tp in tps),
        "capacity": any(tp.capacity is not None for tp in tps),
        "experience": any(tp.experience for tp in tps),
        "referrals": any(tp.referrals is not None for tp in tps),
        "segments": len(sc.population.segments) > 1,
        "horizon": sc.horizon_days is not None,
        "warm_start": bool(sc.population.initial) or sc.population.warm_start is not None,
        "dwell_rate": any(tp.dwell_rate is not None for tp in tps),
        "satisfaction": sc.satisfaction is not None,
    }
    return frozenset(used | {name for name, on in checks.items() if on})


@dataclass(frozen=True)
class ReplicationOutput:
    """What one replication returns, from any engine.

    Attributes
    ----------
    replication : int
        Its number in the seed tree (the same number means the same draws).
    kpis : dict of str to float
        Every KPI of the replication.
    timeseries : DataFrame
        Per time bin: ``day``, ``days`` (bin width), stage counts, ``arrivals``,
        ``purchases``, ``revenue``, ``cost`` and cumulative money.
    events : DataFrame or None
        The per-customer event log, when asked for.
    visits_by_day : ndarray
        ``(touchpoints, bins)``: visits started per bin.
    booked_value : ndarray or None
        Exact engines only: per bin, the discounted lifetime profit of the customers
        arriving then, less fixed costs (what their NPV books on arrival); None when
        the cash flows are simulated day by day.
    """

    replication: int
    kpis: dict[str, float]
    timeseries: pd.DataFrame
    events: pd.DataFrame | None
    visits_by_day: np.ndarray
    booked_value: np.ndarray | None = None


class Engine(ABC):
    """Base of every engine.

    Subclasses set :attr:`name` and :attr:`models`, and implement :meth:`run`.  The
    hooks :meth:`check` and :meth:`notes` default to refusing nothing and noting nothing.
    """

    name: ClassVar[str] = ""
    #: The features of :data:`FEATURES` this engine models.
    models: ClassVar[frozenset[str]] = frozenset(FEATURES)
    #: True when one solve gives exact expectations (no replications, zero-width intervals).
    exact: ClassVar[bool] = False

    def blind_to(
        self, features: frozenset[str] | set[str], *, ignore_capacity: bool = False
    ) -> frozenset[str]:
        """Which of ``features`` this engine does not model (``ignore_capacity``: the user
        accepted that this engine approximates queues, so it is not blind to them)."""
        return frozenset(features) - self.models

    def comparison_notes(self) -> list[str]:
        """How to read this engine's paired comparisons."""
        return []

    def check(
        self, scenario: Scenario, *, ignore_capacity: bool = False, horizon: float | None = None
    ) -> None:
        """Raise :class:`~cjsim.errors.SimulationError` if this engine refuses ``scenario``
        (over ``horizon`` days, when given)."""
        return None

    def notes(self, scenario: Scenario, *, ignore_capacity: bool = False) -> list[str]:
        """What this engine ignored or assumed for ``scenario``."""
        return []

    @abstractmethod
    def run(
        self,
        scenario: Scenario,
        *,
        seed: int,
        replications: Sequence[int],
        horizon: float,
        events: bool = False,
        ignore_capacity: bool = False,
    ) -> list[ReplicationOutput]:
        """The outputs of ``replications`` (numbers in the seed tree), in order."""

    def solve(self, scenario: Scenario, *, tables: bool = True) -> Result:
        """Exact engines: the whole answer of one solve (see :attr:`exact`); ``tables``
        adds the engine's extra tables (removal effects, elasticities …)."""
        raise NotImplementedError(f"the {self.name} engine simulates; it has no exact solve")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))


class SimulationEngine(Engine):
    """An engine that simulates replications; subclasses fill three small hooks.

    ``prepare`` turns a scenario into what every replication reuses, ``replicate``
    runs one replication and returns its totals with the raw event rows and warm-start
    ids, and ``event_frame`` turns raw event rows into the event log's columns.
    """

    def comparison_notes(self) -> list[str]:
        return [
            "variants share the baseline's random numbers (common random numbers): "
            "intervals are for paired differences"
        ]

    def check(
        self, scenario: Scenario, *, ignore_capacity: bool = False, horizon: float | None = None
    ) -> None:
        """Refuse what would never finish, before starting: referrals that grow without
        end (R >= 1, the same rule as ``cjsim check``), and more than
        :data:`MAX_SIMULATED_CUSTOMERS` customers expected in one replication of
        ``horizon`` days (arrivals, initial and warm-start customers, and referrals)."""
        multiplier = 1.0
        if any(tp.referrals for tp in scenario.touchpoints.values()):
            from cjsim.engines._absorbing import _population_entry
            from cjsim.engines._arrays import to_arrays

            a = to_arrays(scenario)
            multiplier = float(abs(_population_entry(a, a.base, a.entry)[1]))
        if horizon is None:
            return
        expected = scenario.population.expected_customers(horizon) * multiplier
        if not expected <= MAX_SIMULATED_CUSTOMERS:
            raise SimulationError(
                f"scenario {scenario.name!r}: about {expected:.3g} customers expected in one "
                f"replication of {horizon:g} days, more than the {MAX_SIMULATED_CUSTOMERS:.0e} "
                f"the {self.name} engine simulates — use engine='analytic' for exact "
                "per-customer figures, or a shorter horizon or fewer customers with the totals "
                "scaled up"
            )

    def prepare(self, scenario: Scenario, *, ignore_capacity: bool) -> Any:
        """What every replication of ``scenario`` reuses (compiled arrays …)."""
        return None

    @abstractmethod
    def replicate(
        self,
        scenario: Scenario,
        prepared: Any,
        *,
        seed: int,
        replication: int,
        horizon: float,
        events: bool,
        ignore_capacity: bool,
    ) -> tuple[Totals, list[Any] | None, dict[int, str]]:
        """One replication: its totals, raw event rows (None unless asked) and the
        simulated ids of warm-start customers."""

    @abstractmethod
    def event_frame(self, rows: list[Any], scenario: Scenario) -> pd.DataFrame:
        """Raw event rows as a frame with columns ``customer, time, touchpoint, stage,
        value`` (one row per visit and one per absorption into an outcome)."""

    def run(
        self,
        scenario: Scenario,
        *,
        seed: int,
        replications: Sequence[int],
        horizon: float,
        events: bool = False,
        ignore_capacity: bool = False,
    ) -> list[ReplicationOutput]:
        from cjsim.engines._tally import kpi_values, timeseries

        prepared = self.prepare(scenario, ignore_capacity=ignore_capacity)
        out = []
        for rep in replications:
            totals, rows, warm_ids = self.replicate(
                scenario,
                prepared,
                seed=seed,
                replication=rep,
                horizon=horizon,
                events=events,
                ignore_capacity=ignore_capacity,
            )
            log = self._log(rows, scenario, rep, warm_ids) if rows is not None else None
            visits = np.asarray(totals.starts_by_day, dtype=float).reshape(totals.n_nodes, -1)
            out.append(
                ReplicationOutput(
                    rep,
                    kpi_values(totals, scenario, horizon),
                    timeseries(totals, scenario, horizon),
                    log,
                    visits[:, : totals.days],
                )
            )
        return out

    def _log(
        self, rows: list[Any], sc: Scenario, replication: int, warm_ids: dict[int, str]
    ) -> pd.DataFrame:
        """The event log of one replication: one row per visit, and one row per absorption
        into an outcome (``touchpoint`` is the outcome's name, ``stage`` is empty).  With a
        per-customer warm start, column ``warm_id`` holds the warm-start customer id of
        warm-start customers (None for everybody else)."""
        frame = self.event_frame(rows, sc)
        frame.insert(0, "replication", replication)
        if sc.population.warm_start is not None:
            frame["warm_id"] = pd.Series(
                [warm_ids.get(c) for c in frame["customer"].tolist()], dtype=object
            )
        return frame
