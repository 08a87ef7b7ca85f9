"""The intervention operations: one :class:`Operation` record each, in :data:`OPERATIONS`.

A record holds the keys a change takes, how it transforms a scenario, the parameters it
touches (``combine``'s conflicts), the model feature it changes (an engine that does not
model it is blind to it) and which keys a file writes as a distribution or a touchpoint.
The file loader, ``apply``, ``combine``, ``compare``'s notes and ``sensitivity`` read it.

>>> OPERATIONS["scale_dwell"].required, OPERATIONS["scale_dwell"].feature
(('node', 'factor'), 'dwell')
>>> from cjsim.engines.registry import get_engine
>>> [op.name for op in unseen_by(get_engine("analytic"))]
['scale_service', 'set_service', 'set_capacity', 'scale_satisfaction', 'set_satisfaction']
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cjsim.engines.base import FEATURES, Engine
from cjsim.errors import closest, did_you_mean
from cjsim.model import CohortArrivals, Feeling, PoissonArrivals, Scenario, Touchpoint
from cjsim.model.builder import resolve_rest
from cjsim.model.frozen import FrozenMap
from cjsim.model.rows import set_edge

__all__ = ["FEATURES", "FILE_FORMS", "OPERATIONS", "Operation", "Touch", "unseen_by"]

#: The model features an operation can change, with the words notes use for each.
#: ``capacity`` covers queues: servers and service times.
#: How a key that is not a plain TOML value is written in an intervention file.
FILE_FORMS = ("distribution", "touchpoint")

Params = Mapping[str, Any]


@dataclass(frozen=True)
class Touch:
    """One model parameter a change touches, for ``combine``'s conflict check.

    Parameters
    ----------
    key : tuple of str
        The parameter, e.g. ``("row", "website")`` or ``("dwell", "returns")``.
    how : {"set", "scale", "edge"}
        ``edge``: one edge of the row scaled (scales of one row compose in any order).
    value : object
        What a ``set`` sets; two parts may set a parameter only to the same value.
    """

    key: tuple[str, ...]
    how: str
    value: Any = None


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One intervention operation.

    Parameters
    ----------
    name : str
        The ``op`` of a change, e.g. ``"scale_dwell"``.
    required, optional : tuple of str
        The keys a change must have, and those it may have; any other key is an error.
    apply : callable
        ``apply(scenario, params) -> scenario``; raises ``ValueError`` (or
        ``ModelError``) saying what is wrong.
    touches : callable
        ``touches(params) -> tuple[Touch, ...]``: the parameters it changes.
    feature : str
        The model feature it changes, one of :data:`FEATURES`.
    file_forms : mapping of str to str
        Keys whose file value is a distribution or a touchpoint (:data:`FILE_FORMS`).
    """

    name: str
    required: tuple[str, ...]
    apply: Callable[[Scenario, Params], Scenario]
    touches: Callable[[Params], tuple[Touch, ...]]
    feature: str
    optional: tuple[str, ...] = ()
    file_forms: Mapping[str, str] = field(default_factory=FrozenMap)

    def __post_init__(self) -> None:
        object.__setattr__(self, "file_forms", FrozenMap(self.file_forms))
        if self.feature not in FEATURES:
            raise ValueError(
                f"operation {self.name}: unknown feature {self.feature!r} — "
                f"{did_you_mean(self.feature, FEATURES)}"
            )
        for key, form in self.file_forms.items():
            if key not in self.keys or form not in FILE_FORMS:
                raise ValueError(
                    f"operation {self.name}: file form {key}={form!r} — the key must be one of "
                    f"its keys and the form one of {', '.join(FILE_FORMS)}"
                )

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key a change may have: required, then optional."""
        return self.required + self.optional

    def missing(self, params: Collection[str]) -> list[str]:
        """The required keys absent from ``params``."""
        return [k for k in self.required if k not in params]

    def unknown(self, params: Collection[str]) -> list[str]:
        """The keys of ``params`` this operation does not take."""
        return [k for k in params if k not in self.keys]

    def key_problems(self, params: Collection[str]) -> list[tuple[str, str, str]]:
        """``(key, "unknown" or "missing", hint)`` for each key of ``params`` this
        operation does not take and each required key absent; a required key that an
        unknown key is a typo of is reported once, as the typo."""
        out, meant = [], set()
        for key in self.unknown(params):
            out.append((key, "unknown", did_you_mean(key, self.keys)))
            meant.add(closest(key, self.keys))
        hint = f"{self.name} takes {', '.join(self.required)}"
        return out + [(k, "missing", hint) for k in self.missing(params) if k not in meant]


def unseen_by(engine: Engine, *, ignore_capacity: bool = False) -> tuple[Operation, ...]:
    """The operations whose feature ``engine`` does not model (it is blind to them)."""
    return tuple(
        op
        for op in OPERATIONS.values()
        if engine.blind_to({op.feature}, ignore_capacity=ignore_capacity)
    )


# ----------------------------------------------------------------------------- apply
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


def _edge(sc: Scenario, p: Params, new: Callable[[float], float]) -> Scenario:
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


def _constant(value: float) -> Callable[[float], float]:
    def new(old: float) -> float:
        return value

    return new


def _scale_transition(sc: Scenario, p: Params) -> Scenario:
    factor = _factor(p["factor"])
    return _edge(sc, p, lambda old: old * factor)


def _set_transition(sc: Scenario, p: Params) -> Scenario:
    if "factor" in p:
        return _scale_transition(sc, p)
    if "probability" not in p:
        raise ValueError("set_transition needs probability (or factor) — add one")
    return _edge(sc, p, _constant(_factor(p["probability"], "probability")))


def _set_transitions(sc: Scenario, p: Params) -> Scenario:
    _touchpoint(sc, p["from"])
    return sc.replace(transitions={**sc.transitions, p["from"]: resolve_rest(_table(p, "row"))})


def _scale_dwell(sc: Scenario, p: Params) -> Scenario:
    tp = _touchpoint(sc, p["node"])
    return _with_touchpoint(sc, dataclasses.replace(tp, dwell=tp.dwell.scaled(p["factor"])))


def _set_dwell(sc: Scenario, p: Params) -> Scenario:
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


def _scale_service(sc: Scenario, p: Params) -> Scenario:
    tp = _queue(sc, p["node"], "service")
    assert tp.service is not None
    return _with_touchpoint(sc, dataclasses.replace(tp, service=tp.service.scaled(p["factor"])))


def _set_service(sc: Scenario, p: Params) -> Scenario:
    tp = _queue(sc, p["node"], "service")
    return _with_touchpoint(sc, dataclasses.replace(tp, service=p["service"]))


def _set_capacity(sc: Scenario, p: Params) -> Scenario:
    tp = _queue(sc, p["node"], "capacity")
    servers = p["servers"]
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < 1:
        raise ValueError(f"servers must be a whole number >= 1, got {servers!r}")
    return _with_touchpoint(sc, dataclasses.replace(tp, capacity=servers))


def _scale_order_value(sc: Scenario, p: Params) -> Scenario:
    tp = _touchpoint(sc, p["node"])
    if tp.order_value is None:
        raise ValueError(f"touchpoint {p['node']!r} is not a purchase — it has no order value")
    value = tp.order_value.scaled(p["factor"])
    return _with_touchpoint(sc, dataclasses.replace(tp, order_value=value))


EFFECTS = ("visit", "wait", "renege", "refund")  # a touchpoint's satisfaction effects


def _effect(p: Params) -> str:
    effect = p.get("effect", "visit")
    if effect not in EFFECTS:
        raise ValueError(
            f"effect must be one of {', '.join(EFFECTS)}, got {effect!r} — "
            f"{did_you_mean(str(effect), EFFECTS)}"
        )
    return str(effect)


def _scale_satisfaction(sc: Scenario, p: Params) -> Scenario:
    """Multiply one satisfaction effect of a touchpoint (default ``visit``) by ``factor``:
    e.g. 0.5 halves a frustrating size guide's effect; a factor of 1 changes nothing."""
    tp, effect, factor = _touchpoint(sc, p["node"]), _effect(p), _factor(p["factor"])
    if tp.feeling is None or not getattr(tp.feeling, effect):
        raise ValueError(
            f"touchpoint {tp.name!r} has no {effect} satisfaction effect to scale — "
            "use set_satisfaction to give it one"
        )
    new = dataclasses.replace(tp.feeling, **{effect: getattr(tp.feeling, effect) * factor})
    return _with_touchpoint(sc, dataclasses.replace(tp, feeling=new))


def _set_satisfaction(sc: Scenario, p: Params) -> Scenario:
    """Set one satisfaction effect of a touchpoint (default ``visit``) to ``value``
    (points of satisfaction; a touchpoint without effects gets them)."""
    tp, effect, value = _touchpoint(sc, p["node"]), _effect(p), p["value"]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"value must be a finite number, got {value!r}")
    if sc.satisfaction is None:
        raise ValueError(
            "the scenario has no satisfaction model — add a [satisfaction] table first"
        )
    new = dataclasses.replace(tp.feeling or Feeling(), **{effect: float(value)})
    return _with_touchpoint(sc, dataclasses.replace(tp, feeling=new))


def _satisfaction_touches(how: str, value: str) -> Callable[[Params], tuple[Touch, ...]]:
    def touches(p: Params) -> tuple[Touch, ...]:
        return (Touch(("satisfaction", p["node"], p.get("effect", "visit")), how, p[value]),)

    return touches


def _scale_arrivals(sc: Scenario, p: Params) -> Scenario:
    factor, arr = _factor(p["factor"]), sc.population.arrivals
    new: CohortArrivals | PoissonArrivals
    if isinstance(arr, CohortArrivals):
        new = CohortArrivals(max(1, round(arr.size * factor)))
    else:
        new = PoissonArrivals(tuple((s, r * factor) for s, r in arr.rates))
    return sc.replace(population=dataclasses.replace(sc.population, arrivals=new))


def _table(p: Params, key: str) -> dict[str, Any]:
    """``p[key]`` as a dict, refused with a hint when it is not a table."""
    value = p[key]
    if not isinstance(value, Mapping):
        raise ValueError(
            f"{key} must be a table of name = share, got {value!r} — "
            f'e.g. {key} = {{ website = 0.6, rest = "lost" }}'
        )
    return dict(value)


def _set_entry(sc: Scenario, p: Params) -> Scenario:
    return sc.replace(population=dataclasses.replace(sc.population, entry=_table(p, "entry")))


def _add_touchpoint(sc: Scenario, p: Params) -> Scenario:
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


# ----------------------------------------------------------------------------- touches
def _edge_touches(p: Params) -> tuple[Touch, ...]:
    if "factor" in p:  # scales of one row compose in order
        return (Touch(("row", p["from"]), "edge"),)
    # a set edge rescales the rest of its row: any other change there breaks it
    return (Touch(("row", p["from"]), "set", (p["to"], p.get("probability"))),)


def _row_touches(p: Params) -> tuple[Touch, ...]:
    return (Touch(("row", p["from"]), "set", dict(p["row"])),)


def _new_node_touches(p: Params) -> tuple[Touch, ...]:
    name = p["touchpoint"].name
    inbound = [
        Touch(("row", src), "set", (name, q)) for src, q in dict(p.get("inbound", {})).items()
    ]
    return (Touch(("node", name), "set", p["touchpoint"]), *inbound)


def _touch(what: str, how: str, value: str) -> Callable[[Params], tuple[Touch, ...]]:
    """``what`` of the change's node (or of the whole scenario, without one) is ``how``-ed
    to the change's ``value`` key."""

    def touches(p: Params) -> tuple[Touch, ...]:
        return (Touch((what, p.get("node", "")), how, p[value]),)

    return touches


def _registry(*operations: Operation) -> Mapping[str, Operation]:
    return FrozenMap({op.name: op for op in operations})


OPERATIONS: Mapping[str, Operation] = _registry(
    Operation(
        name="scale_transition",
        required=("from", "to", "factor"),
        apply=_scale_transition,
        touches=_edge_touches,
        feature="transitions",
    ),
    Operation(
        name="set_transition",
        required=("from", "to"),
        optional=("probability", "factor"),
        apply=_set_transition,
        touches=_edge_touches,
        feature="transitions",
    ),
    Operation(
        name="set_transitions",
        required=("from", "row"),
        apply=_set_transitions,
        touches=_row_touches,
        feature="transitions",
    ),
    Operation(
        name="scale_dwell",
        required=("node", "factor"),
        apply=_scale_dwell,
        touches=_touch("dwell", "scale", "factor"),
        feature="dwell",
    ),
    Operation(
        name="set_dwell",
        required=("node", "dwell"),
        apply=_set_dwell,
        touches=_touch("dwell", "set", "dwell"),
        feature="dwell",
        file_forms={"dwell": "distribution"},
    ),
    Operation(
        name="scale_service",
        required=("node", "factor"),
        apply=_scale_service,
        touches=_touch("service", "scale", "factor"),
        feature="capacity",
    ),
    Operation(
        name="set_service",
        required=("node", "service"),
        apply=_set_service,
        touches=_touch("service", "set", "service"),
        feature="capacity",
        file_forms={"service": "distribution"},
    ),
    Operation(
        name="set_capacity",
        required=("node", "servers"),
        apply=_set_capacity,
        touches=_touch("capacity", "set", "servers"),
        feature="capacity",
    ),
    Operation(
        name="scale_order_value",
        required=("node", "factor"),
        apply=_scale_order_value,
        touches=_touch("order_value", "scale", "factor"),
        feature="order_value",
    ),
    Operation(
        name="scale_arrivals",
        required=("factor",),
        apply=_scale_arrivals,
        touches=_touch("arrivals", "scale", "factor"),
        feature="arrivals",
    ),
    Operation(
        name="set_entry",
        required=("entry",),
        apply=_set_entry,
        touches=_touch("entry", "set", "entry"),
        feature="entry",
    ),
    Operation(
        name="scale_satisfaction",
        required=("node", "factor"),
        optional=("effect",),
        apply=_scale_satisfaction,
        touches=_satisfaction_touches("scale", "factor"),
        feature="satisfaction",
    ),
    Operation(
        name="set_satisfaction",
        required=("node", "value"),
        optional=("effect",),
        apply=_set_satisfaction,
        touches=_satisfaction_touches("set", "value"),
        feature="satisfaction",
    ),
    Operation(
        name="add_touchpoint",
        required=("touchpoint", "transitions"),
        optional=("name", "inbound"),
        apply=_add_touchpoint,
        touches=_new_node_touches,
        feature="touchpoints",
        file_forms={"touchpoint": "touchpoint"},
    ),
)
