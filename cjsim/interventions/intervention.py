"""Interventions: named what-if changes to a scenario, each with its costs.

An intervention is a pure function scenario -> scenario (:func:`apply`); the
result is a new, re-validated scenario.  Each change names one operation of
:data:`~cjsim.interventions.operations.OPERATIONS`, whose record says which keys it
takes, how it applies and what it touches (:func:`combine`).  A change that cannot
apply (an unknown touchpoint or key, a factor that pushes a probability past 1, a
capacity on a touchpoint without one) raises :class:`~cjsim.errors.InterventionError`
naming the intervention and the change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cjsim.economics.costs import Costs
from cjsim.errors import InterventionError, ModelError, Problem, did_you_mean
from cjsim.interventions.operations import OPERATIONS, Operation, Touch
from cjsim.model import Scenario
from cjsim.model.frozen import FrozenMap

__all__ = ["Change", "Costs", "Intervention", "apply", "combine"]


@dataclass(frozen=True)
class Change:
    """One operation, e.g. ``Change("scale_transition", {"from": "a", "to": "b", "factor": 2})``."""

    op: str
    params: Mapping[str, Any]

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", FrozenMap(self.params))


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


def _where(intervention: Intervention, index: int, change: Change) -> str:
    return f"interventions[{intervention.name}].changes[{index}] ({change.op})"


def _operation(where: str, change: Change) -> Operation:
    """The record of ``change``'s operation, once its keys are checked."""
    if change.op not in OPERATIONS:
        hint = did_you_mean(change.op, OPERATIONS)
        raise InterventionError([Problem(where, f"unknown operation {change.op!r}", hint)])
    op = OPERATIONS[change.op]
    problems = [
        Problem(where, f"unknown key {key!r}", did_you_mean(key, op.keys))
        for key in op.unknown(change.params)
    ]
    missing = op.missing(change.params)
    if missing:
        hint = f"{op.name} takes {', '.join(op.required)}"
        problems.append(Problem(where, f"missing {', '.join(missing)}", hint))
    if problems:
        raise InterventionError(problems)
    return op


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
        op = _operation(where, change)
        try:
            sc = op.apply(sc, change.params)
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


def combine(name: str, parts: Iterable[Intervention], description: str = "") -> Intervention:
    """One variant doing all of ``parts`` in order, costs summed.

    Raises
    ------
    InterventionError
        If a change is malformed, if two parts set the same parameter to different
        values, or if one sets what another scales (the order would decide the answer).
    """
    parts = list(parts)
    seen: dict[tuple[str, ...], list[tuple[str, Touch]]] = {}
    for part in parts:
        for i, change in enumerate(part.changes):
            op = _operation(_where(part, i, change), change)
            for touch in op.touches(change.params):
                _conflict(name, (part.name, touch), seen)
    costs = sum((p.costs for p in parts), Costs())
    return Intervention(
        name,
        tuple(c for p in parts for c in p.changes),
        costs,
        description,
        tuple(p.name for p in parts),
    )


def _compatible(old: Touch, new: Touch) -> bool:
    """Two parts may both touch a parameter if both scale it, or both set it alike."""
    kinds = {old.how, new.how}
    return kinds <= {"scale", "edge"} or (kinds == {"set"} and old.value == new.value)


def _conflict(
    name: str, new: tuple[str, Touch], seen: dict[tuple[str, ...], list[tuple[str, Touch]]]
) -> None:
    part, touch = new
    earlier = seen.setdefault(touch.key, [])
    clash = next((o for o in earlier if o[0] != part and not _compatible(o[1], touch)), None)
    earlier.append(new)
    if clash is None:
        return
    what = ".".join(str(k) for k in touch.key if k)
    raise InterventionError(
        [
            Problem(
                f"interventions[{name}]",
                f"{clash[0]!r} and {part!r} both change {what} ({clash[1].how} vs {touch.how})",
                "combine interventions that change different things, "
                "or write one intervention that makes the change you mean",
            )
        ]
    )
