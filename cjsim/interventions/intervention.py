"""Interventions: named what-if changes to a scenario, each with its costs.

An intervention is a pure function scenario -> scenario (:func:`apply`); the
result is a new, re-validated scenario.  Each change names one operation of
:data:`~cjsim.interventions.operations.OPERATIONS`, whose record says which keys it
takes, how it applies and what it touches (:func:`combine`).  A change that cannot
apply (an unknown touchpoint or key, a factor that pushes a probability past 1, a
capacity on a touchpoint without one) raises :class:`~cjsim.errors.InterventionError`
naming the intervention and the change.

What needs no scenario is checked when an :class:`Intervention` is built, by the same
rules an intervention file is read with (:func:`intervention_problems`): a name that is
not ``baseline``, costs that are finite and >= 0, changes that are :class:`Change`
objects, each part once.  :func:`check_interventions` checks a list against a scenario.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cjsim.economics.costs import Costs
from cjsim.errors import InterventionError, ModelError, Problem, did_you_mean
from cjsim.interventions.operations import OPERATIONS, Operation, Touch
from cjsim.model import Scenario
from cjsim.model.frozen import FrozenMap

__all__ = [
    "RESERVED_NAMES",
    "Change",
    "Costs",
    "Intervention",
    "apply",
    "check_interventions",
    "combine",
    "intervention_problems",
]


#: Names no variant may take: the comparison calls the scenario without changes
#: ``baseline`` (compared case-insensitively).
RESERVED_NAMES = frozenset({"baseline"})

_COST_FIELDS = ("fixed", "per_day", "per_customer", "per_purchase")


@dataclass(frozen=True)
class Change:
    """One operation, e.g. ``Change("scale_transition", {"from": "a", "to": "b", "factor": 2})``.

    ``op`` names one of :data:`~cjsim.interventions.operations.OPERATIONS`; ``params``
    maps its keys to values.  The operation and its keys are checked here; the values
    are checked against a scenario by :func:`apply` (an unknown touchpoint can only be
    seen there).
    """

    op: str
    params: Mapping[str, Any]

    def __post_init__(self) -> None:
        if not isinstance(self.op, str) or not isinstance(self.params, Mapping):
            raise InterventionError(
                [
                    Problem(
                        "Change",
                        f"expected an operation name and a mapping of its keys, got "
                        f"{self.op!r} and {self.params!r}",
                        'e.g. Change("scale_dwell", {"node": "website", "factor": 0.8})',
                    )
                ]
            )
        object.__setattr__(self, "params", FrozenMap(self.params))
        _operation(f"Change({self.op!r})", self)  # the name and keys, before any run


@dataclass(frozen=True)
class Intervention:
    """A named variant: changes applied in order, with costs; ``parts`` if combined.

    Parameters
    ----------
    name : str
        Its name in tables and reports; unique among the variants compared, and not
        ``"baseline"`` (:data:`RESERVED_NAMES`).
    changes : sequence of Change
        Applied in order by :func:`apply`.
    costs : Costs
        What it spends, in the scenario's currency: every amount finite and >= 0.
    description : str
        One line for reports.
    parts : sequence of str
        The names of the interventions it combines (set by :func:`combine`), each once;
        its own name only if it is the one part (a portfolio of one).

    Raises
    ------
    InterventionError
        Naming every problem at once: a reserved or empty name, a change that is not a
        :class:`Change` (a dict, say), costs that are not :class:`Costs` or that are
        negative, NaN or infinite, a part listed twice or the variant among its own parts.

    Examples
    --------
    >>> loyalty = Intervention(
    ...     "loyalty_program",
    ...     (Change("scale_transition", {"from": "dormant", "to": "checkout", "factor": 1.6}),),
    ...     Costs(fixed=4000.0, per_visit={"dormant": 0.10}),
    ... )
    >>> loyalty.costs.fixed
    4000.0
    >>> Intervention("cheap", costs=Costs(fixed=-1000.0))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cjsim.errors.InterventionError: interventions[cheap].costs.fixed: is negative (-1,000) — ...
    """

    name: str
    changes: tuple[Change, ...] = ()
    costs: Costs = field(default_factory=Costs)
    description: str = ""
    parts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "changes", _as_tuple(self.changes))
        object.__setattr__(self, "parts", _as_tuple(self.parts))
        problems = intervention_problems(self.name, self.changes, self.costs, self.parts)
        if problems:
            raise InterventionError([p.under(f"interventions[{self.name}]") for p in problems])


def _as_tuple(items: Any) -> tuple[Any, ...]:
    """``items`` as a tuple; one item (a Change, a dict, a string) becomes a 1-tuple."""
    if isinstance(items, (Change, Mapping, str)):
        return (items,)
    return tuple(items)


def intervention_problems(
    name: object, changes: Iterable[object], costs: object, parts: Iterable[object] = ()
) -> list[Problem]:
    """Every problem of an intervention's fields, with key paths relative to it.

    The one place the rules live: :class:`Intervention` raises them, the file loader
    reports them under the entry's key path and the file's name.

    >>> for p in intervention_problems("Baseline", (), Costs(per_day=float("nan"))):
    ...     print(p.format())
    name: 'Baseline' is reserved for the scenario without interventions — rename the variant: \
the baseline is in every comparison already
    costs.per_day: is NaN — give a finite amount in the scenario's currency, 0 if there is none
    """
    return [
        *_name_problems(name),
        *_change_type_problems(changes),
        *_cost_problems(costs),
        *_part_problems(name, parts),
    ]


def _name_problems(name: object) -> list[Problem]:
    if not isinstance(name, str) or not name.strip():
        return [
            Problem("name", f"expected a non-empty name, got {name!r}", "e.g. 'loyalty_program'")
        ]
    if name.strip().lower() in RESERVED_NAMES:
        return [
            Problem(
                "name",
                f"{name!r} is reserved for the scenario without interventions",
                "rename the variant: the baseline is in every comparison already",
            )
        ]
    return []


def _change_type_problems(changes: Iterable[object]) -> list[Problem]:
    problems = []
    for i, change in enumerate(changes):
        if isinstance(change, Change):
            continue
        if isinstance(change, Mapping) and "op" in change:
            params = {k: v for k, v in change.items() if k != "op"}
            hint = f"write Change({change['op']!r}, {params!r})"
        else:
            hint = (
                'write Change(op, params), e.g. Change("scale_dwell", {"node": "a", "factor": 0.8})'
            )
        hint += ", or load the file form with interventions_from_dict"
        got = f"{type(change).__name__} {change!r}"
        problems.append(Problem(f"changes[{i}]", f"expected a Change, got {got}", hint))
    return problems


def _cost_problems(costs: object) -> list[Problem]:
    """Every amount of ``costs`` that is not a finite number >= 0 (paths ``costs.*``)."""
    if not isinstance(costs, Costs):
        hint = "e.g. Costs(fixed=4000.0, per_day=10.0)"
        if isinstance(costs, Mapping):
            hint = f"write Costs(**{dict(costs)!r})"
        return [Problem("costs", f"expected Costs, got {type(costs).__name__} {costs!r}", hint)]
    amounts = [(f"costs.{f}", getattr(costs, f)) for f in _COST_FIELDS]
    amounts += [(f"costs.per_visit.{node}", v) for node, v in costs.per_visit.items()]
    return [p for path, value in amounts for p in _amount_problems(path, value)]


def _amount_problems(path: str, value: object) -> list[Problem]:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return [Problem(path, f"expected a number, got {value!r}", "e.g. 1500.0")]
    if math.isnan(value):
        message = "is NaN"
    elif math.isinf(value):
        message = f"is {'minus ' if value < 0 else ''}infinite"
    elif value < 0:
        return [
            Problem(
                path,
                f"is negative ({value:,.10g})",
                "costs are what the intervention spends, >= 0; model a saving as a change "
                "to the scenario",
            )
        ]
    else:
        return []
    return [
        Problem(
            path, message, "give a finite amount in the scenario's currency, 0 if there is none"
        )
    ]


def _part_problems(name: object, parts: Iterable[object]) -> list[Problem]:
    """A part listed twice, or the variant among its parts (a lone part may lend its name)."""
    parts = tuple(parts)
    problems, seen = [], set()
    for part in parts:
        if part == name and len(parts) > 1:
            problems.append(
                Problem("parts", f"{name!r} combines itself", "list the other interventions only")
            )
        elif part in seen:
            problems.append(
                Problem(
                    "parts",
                    f"{part!r} is listed twice",
                    "combine each intervention once; its changes and costs would count twice",
                )
            )
        seen.add(part)
    return problems


def _where(intervention: Intervention, index: int, change: Change) -> str:
    return f"interventions[{intervention.name}].changes[{index}] ({change.op})"


def _operation(where: str, change: Change) -> Operation:
    """The record of ``change``'s operation, once its keys are checked."""
    if change.op not in OPERATIONS:
        hint = did_you_mean(change.op, OPERATIONS)
        raise InterventionError([Problem(where, f"unknown operation {change.op!r}", hint)])
    op = OPERATIONS[change.op]
    found = op.key_problems(change.params)
    problems = [
        Problem(where, f"unknown key {k!r}", hint) for k, kind, hint in found if kind == "unknown"
    ]
    missing = [k for k, kind, _ in found if kind == "missing"]
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

    A part that is itself combined contributes its own parts: ``parts`` of the result
    names plain interventions only, as a file's ``combine = [...]`` does.

    Raises
    ------
    InterventionError
        If a part is not an :class:`Intervention`, if an intervention would be applied
        twice (listed twice, or also inside a combined part) or the variant is among its
        own parts, if a change is malformed, if two parts set the same parameter to
        different values, or if one sets what another scales (the order would decide
        the answer).

    Examples
    --------
    >>> a = Intervention("a", (Change("scale_dwell", {"node": "website", "factor": 0.8}),))
    >>> b = Intervention("b", costs=Costs(per_day=10.0))
    >>> combine("a_and_b", [a, b]).parts
    ('a', 'b')
    >>> combine("twice", [a, a])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    cjsim.errors.InterventionError: interventions[twice].parts: 'a' is listed twice — ...
    """
    parts = _as_tuple(parts)
    wrong = [p for p in parts if not isinstance(p, Intervention)]
    if wrong:
        got = ", ".join(f"{type(p).__name__} {p!r}" for p in wrong)
        hint = "pass the Intervention objects, e.g. combine('ab', [a, b])"
        raise InterventionError(
            [Problem(f"interventions[{name}]", f"expected Interventions, got {got}", hint)]
        )
    names = tuple(n for p in parts for n in (p.parts or (p.name,)))
    problems = _part_problems(name, names)
    if problems:
        raise InterventionError([p.under(f"interventions[{name}]") for p in problems])
    seen: dict[tuple[str, ...], list[tuple[str, Touch]]] = {}
    for part in parts:
        for i, change in enumerate(part.changes):
            op = _operation(_where(part, i, change), change)
            for touch in op.touches(change.params):
                _conflict(name, (part.name, touch), seen)
    costs = sum((p.costs for p in parts), Costs())
    return Intervention(name, tuple(c for p in parts for c in p.changes), costs, description, names)


def check_interventions(
    scenario: Scenario, interventions: Iterable[Intervention], *, source: str | None = None
) -> None:
    """Check that ``interventions`` can be compared on ``scenario``, all problems at once.

    Each name must be unique, and each intervention must apply to the scenario
    (:func:`apply`); a combined one is applied only if all its parts are.

    Parameters
    ----------
    source : str, optional
        The intervention file, named at the start of each line of the error.

    Raises
    ------
    InterventionError
        Listing every problem found, each with its key path and a hint.
    """
    problems: list[Problem] = []
    failed: set[str] = set()
    seen: set[str] = set()
    for iv in interventions:
        if iv.name in seen:
            problems.append(
                Problem(
                    f"interventions[{iv.name}]",
                    f"two variants are named {iv.name!r}",
                    "give every intervention its own name",
                )
            )
        seen.add(iv.name)
        if failed.intersection(iv.parts):
            continue
        try:
            apply(scenario, iv)
        except InterventionError as exc:
            problems += exc.problems
            failed.add(iv.name)
    if problems:
        raise InterventionError(problems, source=source)


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
