"""Interventions: named what-if changes to a scenario, each with its costs.

An intervention is a pure function scenario -> scenario (:func:`apply`); the
result is a new, re-validated scenario.  Every operation of the format is one
entry of :data:`OPERATIONS`.  A change that cannot apply (an unknown touchpoint,
a factor that pushes a probability past 1, a capacity on a touchpoint without
one) raises :class:`~cjsim.errors.InterventionError` naming the intervention and
the change.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cjsim.errors import InterventionError, ModelError, Problem, did_you_mean
from cjsim.model import CohortArrivals, PoissonArrivals, Scenario, Touchpoint
from cjsim.model.builder import resolve_rest
from cjsim.model.frozen import FrozenMap
from cjsim.model.rows import set_edge

__all__ = ["OPERATIONS", "Change", "Costs", "Intervention", "apply", "combine"]


@dataclass(frozen=True)
class Change:
    """One operation, e.g. ``Change("scale_transition", {"from": "a", "to": "b", "factor": 2})``."""

    op: str
    params: Mapping[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", FrozenMap(self.params))


@dataclass(frozen=True)
class Costs:
    """What an intervention costs: once, per day, per customer, purchase or visit."""

    fixed: float = 0.0
    per_day: float = 0.0
    per_customer: float = 0.0
    per_purchase: float = 0.0
    per_visit: Mapping[str, float] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        object.__setattr__(self, "per_visit", FrozenMap(self.per_visit))

    def __add__(self, other: Costs) -> Costs:
        visits = dict(self.per_visit)
        for node, cost in other.per_visit.items():
            visits[node] = visits.get(node, 0.0) + cost
        return Costs(
            self.fixed + other.fixed,
            self.per_day + other.per_day,
            self.per_customer + other.per_customer,
            self.per_purchase + other.per_purchase,
            visits,
        )


@dataclass(frozen=True)
class Intervention:
    """A named variant: changes applied in order, with costs; ``parts`` if combined."""

    name: str
    changes: tuple[Change, ...] = ()
    costs: Costs = field(default_factory=Costs)
    description: str = ""
    parts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", tuple(self.changes))
        object.__setattr__(self, "parts", tuple(self.parts))


# ----------------------------------------------------------------------------- operations
def _touchpoint(sc: Scenario, name: Any) -> Touchpoint:
    if name not in sc.touchpoints:
        raise ValueError(f"unknown touchpoint {name!r} — {did_you_mean(str(name), sc.touchpoints)}")
    return sc.touchpoints[name]


def _factor(value: Any, what: str = "factor") -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        raise ValueError(f"{what} must be a number >= 0, got {value!r}")
    return float(value)


def _with_touchpoint(sc: Scenario, tp: Touchpoint) -> Scenario:
    return sc.replace(touchpoints={**sc.touchpoints, tp.name: tp})


def _edge(sc: Scenario, p: Mapping[str, Any], new: Callable[[float], float]) -> Scenario:
    source, target = p["from"], p["to"]
    _touchpoint(sc, source)
    row = dict(sc.transitions[source])
    if target not in sc.nodes:
        raise ValueError(f"unknown node {target!r} — {did_you_mean(str(target), sc.nodes)}")
    names = list(row) + ([target] if target not in row else [])
    probs = np.array([row.get(t, 0.0) for t in names])
    value = new(float(probs[names.index(target)]))
    if value > 1 + 1e-12:
        raise ValueError(f"{source}->{target} would become {value:.6g} > 1 — lower the factor")
    try:
        moved = set_edge(probs, names.index(target), min(value, 1.0))
    except ValueError as exc:
        raise ValueError(f"{source}->{target}: {exc}") from None
    return sc.replace(
        transitions={**sc.transitions, source: dict(zip(names, moved.tolist(), strict=True))}
    )


def _scale_transition(sc: Scenario, p: Mapping[str, Any]) -> Scenario:
    factor = _factor(p["factor"])
    return _edge(sc, p, lambda old: old * factor)


def _set_transition(sc: Scenario, p: Mapping[str, Any]) -> Scenario:
    if "factor" in p:
        return _scale_transition(sc, p)
    prob = _factor(p["probability"], "probability")
    return _edge(sc, p, lambda old: prob)


def _set_transitions(sc: Scenario, p: Mapping[str, Any]) -> Scenario:
    _touchpoint(sc, p["from"])
    return sc.replace(transitions={**sc.transitions, p["from"]: resolve_rest(dict(p["row"]))})


def _scale_dwell(sc: Scenario, p: Mapping[str, Any]) -> Scenario:
    tp = _touchpoint(sc, p["node"])
    return _with_touchpoint(sc, dataclasses.replace(tp, dwell=tp.dwell.scaled(p["factor"])))


def _set_dwell(sc: Scenario, p: Mapping[str, Any]) -> Scenario:
    tp = _touchpoint(sc, p["node"])
    return _with_touchpoint(sc, dataclasses.replace(tp, dwell=p["dwell"]))


def _queue(sc: Scenario, name: Any, what: str) -> Touchpoint:
    tp = _touchpoint(sc, name)
    if tp.capacity is None:
        raise ValueError(
            f"touchpoint {name!r} has no capacity, so no {what} to change — "
            "give it capacity and service in the scenario first"
        )
    return tp


def _scale_service(sc: Scenario, p: Mapping[str, Any]) -> Scenario:
    tp = _queue(sc, p["node"], "service")
    assert tp.service is not None
    return _with_touchpoint(sc, dataclasses.replace(tp, service=tp.service.scaled(p["factor"])))


def _set_service(sc: Scenario, p: Mapping[str, Any]) -> Scenario:
    tp = _queue(sc, p["node"], "service")
    return _with_touchpoint(sc, dataclasses.replace(tp, service=p["service"]))


def _set_capacity(sc: Scenario, p: Mapping[str, Any]) -> Scenario:
    tp = _queue(sc, p["node"], "capacity")
    servers = p["servers"]
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < 1:
        raise ValueError(f"servers must be a whole number >= 1, got {servers!r}")
    return _with_touchpoint(sc, dataclasses.replace(tp, capacity=servers))


def _scale_order_value(sc: Scenario, p: Mapping[str, Any]) -> Scenario:
    tp = _touchpoint(sc, p["node"])
    if tp.order_value is None:
        raise ValueError(f"touchpoint {p['node']!r} is not a purchase — it has no order value")
    value = tp.order_value.scaled(p["factor"])
    return _with_touchpoint(sc, dataclasses.replace(tp, order_value=value))


def _scale_arrivals(sc: Scenario, p: Mapping[str, Any]) -> Scenario:
    factor, arr = _factor(p["factor"]), sc.population.arrivals
    new: CohortArrivals | PoissonArrivals
    if isinstance(arr, CohortArrivals):
        new = CohortArrivals(max(1, round(arr.size * factor)))
    else:
        new = PoissonArrivals(tuple((s, r * factor) for s, r in arr.rates))
    return sc.replace(population=dataclasses.replace(sc.population, arrivals=new))


def _set_entry(sc: Scenario, p: Mapping[str, Any]) -> Scenario:
    return sc.replace(population=dataclasses.replace(sc.population, entry=dict(p["entry"])))


def _add_touchpoint(sc: Scenario, p: Mapping[str, Any]) -> Scenario:
    tp: Touchpoint = p["touchpoint"]
    if tp.name in sc.nodes:
        raise ValueError(f"{tp.name!r} exists already — choose a new name")
    new = sc.replace(
        touchpoints={**sc.touchpoints, tp.name: tp},
        transitions={**sc.transitions, tp.name: resolve_rest(dict(p["transitions"]))},
    )
    for source, prob in dict(p.get("inbound", {})).items():
        new = _edge(new, {"from": source, "to": tp.name}, _constant(float(prob)))
    return new


def _constant(value: float) -> Callable[[float], float]:
    def new(old: float) -> float:
        return value

    return new


OPERATIONS: dict[str, tuple[tuple[str, ...], Callable[[Scenario, Mapping[str, Any]], Scenario]]] = {
    "scale_transition": (("from", "to", "factor"), _scale_transition),
    "set_transition": (("from", "to"), _set_transition),
    "set_transitions": (("from", "row"), _set_transitions),
    "scale_dwell": (("node", "factor"), _scale_dwell),
    "set_dwell": (("node", "dwell"), _set_dwell),
    "scale_service": (("node", "factor"), _scale_service),
    "set_service": (("node", "service"), _set_service),
    "set_capacity": (("node", "servers"), _set_capacity),
    "scale_order_value": (("node", "factor"), _scale_order_value),
    "scale_arrivals": (("factor",), _scale_arrivals),
    "set_entry": (("entry",), _set_entry),
    "add_touchpoint": (("touchpoint", "transitions"), _add_touchpoint),
}


def _where(intervention: Intervention, index: int, change: Change) -> str:
    return f"interventions[{intervention.name}].changes[{index}] ({change.op})"


def apply(scenario: Scenario, intervention: Intervention) -> Scenario:
    """The scenario with every change of ``intervention`` applied in order.

    Raises
    ------
    InterventionError
        Naming the intervention, the change and what is wrong.
    """
    sc = scenario
    for i, change in enumerate(intervention.changes):
        where = _where(intervention, i, change)
        if change.op not in OPERATIONS:
            raise InterventionError(
                [
                    Problem(
                        where,
                        f"unknown operation {change.op!r}",
                        did_you_mean(change.op, OPERATIONS),
                    )
                ]
            )
        required, fn = OPERATIONS[change.op]
        missing = [k for k in required if k not in change.params]
        if missing:
            raise InterventionError(
                [
                    Problem(
                        where,
                        f"missing {', '.join(missing)}",
                        f"{change.op} takes {', '.join(required)}",
                    )
                ]
            )
        try:
            sc = fn(sc, change.params)
        except ModelError as exc:
            raise InterventionError(
                [Problem(where, p.format(), "") for p in exc.problems]
            ) from None
        except ValueError as exc:
            raise InterventionError([Problem(where, str(exc))]) from None
    _check_costs(sc, intervention)
    return sc


def _check_costs(sc: Scenario, intervention: Intervention) -> None:
    for node in intervention.costs.per_visit:
        if node not in sc.touchpoints:
            raise InterventionError(
                [
                    Problem(
                        f"interventions[{intervention.name}].costs.per_visit.{node}",
                        f"unknown touchpoint {node!r}",
                        did_you_mean(str(node), sc.touchpoints),
                    )
                ]
            )


def _keys(change: Change) -> list[tuple[tuple[str, ...], str, Any]]:
    """(parameter, how, value) that a change touches: how is "set" or "scale"."""
    p = change.params
    op = change.op
    if op in ("scale_transition", "set_transition"):
        if op == "scale_transition" or "factor" in p:  # scales of one row compose in order
            return [(("row", p["from"]), "edge", None)]
        # a set edge rescales the rest of its row: any other change there breaks it
        return [(("row", p["from"]), "set", (p["to"], p["probability"]))]
    if op == "set_transitions":
        return [(("row", p["from"]), "set", dict(p["row"]))]
    if op == "add_touchpoint":
        name = p["touchpoint"].name
        inbound = [
            (("row", src), "set", (name, q)) for src, q in dict(p.get("inbound", {})).items()
        ]
        return [(("node", name), "set", p["touchpoint"]), *inbound]
    kind = op.split("_", 1)[1]
    target = p.get("node", "")
    how = "scale" if op.startswith("scale") else "set"
    value = next((v for k, v in p.items() if k != "node"), None)
    return [((kind, target), how, value)]


def combine(name: str, parts: Iterable[Intervention], description: str = "") -> Intervention:
    """One variant doing all of ``parts`` in order, costs summed.

    Raises
    ------
    InterventionError
        If two parts set the same parameter to different values, or one sets what
        another scales (the order would decide the answer).
    """
    parts = list(parts)
    seen: dict[tuple[str, ...], list[tuple[str, str, Any]]] = {}
    for part in parts:
        for change in part.changes:
            for key, how, value in _keys(change):
                _conflict(name, key, (part.name, how, value), seen)
    costs = sum((p.costs for p in parts), Costs())
    return Intervention(
        name,
        tuple(c for p in parts for c in p.changes),
        costs,
        description,
        tuple(p.name for p in parts),
    )


def _compatible(old: tuple[str, str, Any], new: tuple[str, str, Any]) -> bool:
    """Two parts may both touch a parameter if both scale it, or both set it alike."""
    kinds = {old[1], new[1]}
    return kinds <= {"scale", "edge"} or (kinds == {"set"} and old[2] == new[2])


def _conflict(
    name: str,
    key: tuple[str, ...],
    new: tuple[str, str, Any],
    seen: dict[tuple[str, ...], list[tuple[str, str, Any]]],
) -> None:
    earlier = seen.setdefault(key, [])
    clash = next((old for old in earlier if old[0] != new[0] and not _compatible(old, new)), None)
    earlier.append(new)
    if clash is None:
        return
    old = clash
    what = ".".join(str(k) for k in key if k)
    raise InterventionError(
        [
            Problem(
                f"interventions[{name}]",
                f"{old[0]!r} and {new[0]!r} both change {what} ({old[1]} vs {new[1]})",
                "combine interventions that change different things, "
                "or write one intervention that makes the change you mean",
            )
        ]
    )
