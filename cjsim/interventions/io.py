"""Intervention files (TOML) <-> :class:`Intervention` objects."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from cjsim._io import atomic_write_text
from cjsim.errors import InterventionError, ModelError, Problem, ScenarioFileError, did_you_mean
from cjsim.interventions.intervention import (
    Change,
    Costs,
    Intervention,
    combine,
    intervention_problems,
)
from cjsim.interventions.operations import OPERATIONS
from cjsim.model import Distribution, Touchpoint
from cjsim.scenario import schema as S
from cjsim.scenario.errors import problems_from_validation
from cjsim.scenario.load import SpecBuilder, distribution_from_spec, read_toml
from cjsim.scenario.save import touchpoint_to_dict
from cjsim.scenario.toml_writer import format_value, table

__all__ = ["interventions_to_toml", "load_interventions", "save_interventions"]


# problems_from_validation walks a union of models as it walks a model
_DIST_ROOT = cast("type[BaseModel]", S.DistSpec)


class _CostsSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    fixed: float = 0.0
    per_day: float = 0.0
    per_customer: float = 0.0
    per_purchase: float = 0.0
    per_visit: dict[str, float] = Field(default_factory=dict)


class _InterventionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    name: str
    description: str | None = None
    changes: list[dict[str, Any]] = Field(default_factory=list)
    costs: _CostsSpec = Field(default_factory=_CostsSpec)
    combine: list[str] | None = None


class _InterventionFile(BaseModel):
    """The file's outline; each entry is validated on its own (:func:`_entries`)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    interventions: list[dict[str, Any]]


def _change(raw: dict[str, Any], path: str, problems: list[Problem]) -> Change | None:
    op = raw.get("op")
    if not isinstance(op, str) or op not in OPERATIONS:
        problems.append(
            Problem(f"{path}.op", f"unknown operation {op!r}", did_you_mean(str(op), OPERATIONS))
        )
        return None
    operation = OPERATIONS[op]
    params = {k: v for k, v in raw.items() if k != "op"}
    before = len(problems)
    for key, kind, hint in operation.key_problems(params):
        what = f"unknown key for {op}" if kind == "unknown" else "required key is missing"
        problems.append(Problem(f"{path}.{key}", what, hint))
    for key, form in operation.file_forms.items():
        if key in raw:
            read = _read_distribution if form == "distribution" else _read_touchpoint
            value = read(raw, key, f"{path}.{key}", problems)
            if value is None:
                return None
            params[key] = value
    return None if len(problems) > before else Change(op, params)


def _read_distribution(
    raw: dict[str, Any], key: str, path: str, problems: list[Problem]
) -> Distribution | None:
    try:
        spec = TypeAdapter(S.DistSpec).validate_python(raw[key], strict=True)
        return distribution_from_spec(spec)
    except ValidationError as exc:
        problems += [p.under(path) for p in problems_from_validation(exc, _DIST_ROOT, raw[key])]
    except ModelError as exc:
        problems += [p.under(path) for p in exc.problems]
    return None


def _read_touchpoint(
    raw: dict[str, Any], key: str, path: str, problems: list[Problem]
) -> Touchpoint | None:
    """The touchpoint of an ``add_touchpoint`` change, named by its ``name`` key."""
    try:
        name = raw.get("name", "")
        builder = SpecBuilder()
        touchpoint = builder.touchpoint(name, S.TouchpointSpec.model_validate(raw[key]))
        problems += [p for p in builder.problems]
        return touchpoint
    except ValidationError as exc:
        problems += [
            p.under(path) for p in problems_from_validation(exc, S.TouchpointSpec, raw[key])
        ]
    except ModelError as exc:
        problems += [p.under(path) for p in exc.problems]
    return None


def interventions_from_dict(
    data: dict[str, Any], source: str | None = None
) -> tuple[Intervention, ...]:
    """Interventions (combined ones resolved) from the parsed TOML structure.

    Every problem of every entry is reported at once, each with its key path
    (``interventions[2].costs.fixed``) and ``source`` (the file) at the start of its line.

    Raises
    ------
    ScenarioFileError
        For an unknown key or a value of the wrong type; a reserved, empty or repeated
        name; a negative, NaN or infinite cost; a ``combine`` that names an unknown
        intervention, one intervention twice, itself, or another combination (a circle
        among them included); and two combined parts that change one parameter
        incompatibly (:func:`~cjsim.interventions.combine`).
    """
    entries, found = _entries(data)
    specs = {item.name: item for item in entries.values()}
    plain: dict[str, Intervention] = {}
    first: dict[str, int] = {}
    for i, item in entries.items():
        path = f"interventions[{i}]"
        own = found.setdefault(i, [])
        own += [p.under(path) for p in intervention_problems(item.name, (), _costs(item))]
        if first.setdefault(item.name, i) != i:
            own.append(_twice(path, item.name, first[item.name]))
        if item.combine is not None:
            own += _combine_problems(path, item, specs)
        else:
            changes = [_change(c, f"{path}.changes[{j}]", own) for j, c in enumerate(item.changes)]
            if not own:
                plain[item.name] = _plain(item, [c for c in changes if c])
    problems = [p for i in sorted(found) for p in found[i]]
    if problems:
        raise ScenarioFileError(problems, source=source)
    out = [
        plain[item.name] if item.combine is None else _combined(i, item, plain, problems)
        for i, item in entries.items()
    ]
    if problems:
        raise ScenarioFileError(problems, source=source)
    return tuple(iv for iv in out if iv is not None)


def _entries(data: dict[str, Any]) -> tuple[dict[int, _InterventionSpec], dict[int, list[Problem]]]:
    """Each well-formed ``[[interventions]]`` entry by its index, and the problems of the
    others (index -1: the file's outline)."""
    try:
        raw = _InterventionFile.model_validate(data).interventions
    except ValidationError as exc:
        return {}, {-1: problems_from_validation(exc, _InterventionFile, data)}
    entries, problems = {}, {}
    for i, item in enumerate(raw):
        try:
            entries[i] = _InterventionSpec.model_validate(item)
        except ValidationError as exc:
            found = problems_from_validation(exc, _InterventionSpec, item)
            problems[i] = [p.under(f"interventions[{i}]") for p in found]
    return entries, problems


def _twice(path: str, name: str, first: int) -> Problem:
    return Problem(
        f"{path}.name",
        f"{name!r} is also the name of interventions[{first}]",
        "give every intervention its own name (two variants of one name would be mixed up)",
    )


def _costs(item: _InterventionSpec) -> Costs:
    return Costs(**item.costs.model_dump())


def _plain(item: _InterventionSpec, changes: list[Change]) -> Intervention:
    return Intervention(item.name, tuple(changes), _costs(item), item.description or "")


def _combine_problems(
    path: str, item: _InterventionSpec, specs: dict[str, _InterventionSpec]
) -> list[Problem]:
    """What is wrong with the names in ``item.combine``: each must be another, plain entry."""
    assert item.combine is not None
    problems = []
    if item.changes:
        problems.append(
            Problem(
                f"{path}.changes",
                "a combined intervention has no changes of its own",
                "write them as an intervention of their own and add its name to combine",
            )
        )
    if not item.combine:
        problems.append(Problem(f"{path}.combine", "names no intervention", 'e.g. ["a", "b"]'))
    for k, name in enumerate(item.combine):
        problem = _part_problem(item, name, item.combine[:k], specs)
        if problem:
            problems.append(Problem(f"{path}.combine[{k}]", *problem))
    return problems


def _part_problem(
    item: _InterventionSpec, name: str, before: list[str], specs: dict[str, _InterventionSpec]
) -> tuple[str, str] | None:
    """(message, hint) for one name of ``item.combine``, or None if it is fine."""
    if name == item.name:
        return f"{name!r} combines itself", "list the interventions it is made of"
    if name in before:
        return (
            f"{name!r} is listed twice",
            "list each intervention once; its changes and costs would count twice",
        )
    if name not in specs:
        return f"unknown intervention {name!r}", did_you_mean(name, specs)
    if specs[name].combine is None:
        return None  # a plain intervention: fine
    circle = _circle(item.name, name, specs)
    if circle:
        return (
            f"{name!r} combines this intervention back ({' -> '.join(circle)})",
            "a combination lists plain interventions only",
        )
    flat = [
        n for part in item.combine or () if part in specs for n in specs[part].combine or [part]
    ]
    listed = ", ".join(f'"{n}"' for n in dict.fromkeys(flat))
    return (
        f"{name!r} is itself a combination",
        f"list plain interventions only: combine = [{listed}]",
    )


def _circle(start: str, first: str, specs: dict[str, _InterventionSpec]) -> list[str] | None:
    """The chain ``start -> first -> … -> start`` of ``combine`` links, if there is one."""
    stack, visited = [[start, first]], {start}
    while stack:
        chain = stack.pop()
        if chain[-1] == start:
            return chain
        if chain[-1] in visited or chain[-1] not in specs:
            continue
        visited.add(chain[-1])
        stack += [[*chain, n] for n in specs[chain[-1]].combine or ()]
    return None


def _combined(
    i: int, item: _InterventionSpec, plain: dict[str, Intervention], problems: list[Problem]
) -> Intervention | None:
    """The combined variant of entry ``i``, its own costs added; None after a conflict."""
    try:
        merged = combine(item.name, [plain[n] for n in item.combine or ()], item.description or "")
    except InterventionError as exc:
        problems += [
            Problem(f"interventions[{i}].combine", p.message, p.hint) for p in exc.problems
        ]
        return None
    # the costs of combining itself, if any
    return dataclasses.replace(merged, costs=merged.costs + _costs(item))


def load_interventions(path: str | Path) -> tuple[Intervention, ...]:
    """Load an intervention file; combined variants come resolved (``parts`` set)."""
    return interventions_from_dict(read_toml(path), source=str(path))


def _change_dict(change: Change) -> dict[str, Any]:
    out: dict[str, Any] = {"op": change.op}
    for key, value in change.params.items():
        if isinstance(value, Distribution):
            value = value.to_dict()
        elif isinstance(value, Touchpoint):
            out["name"] = value.name
            value = touchpoint_to_dict(value)
        elif hasattr(value, "items"):
            value = dict(value)
        out[key] = value
    return out


def interventions_to_toml(interventions: tuple[Intervention, ...]) -> str:
    """TOML text; a combined variant is written as ``combine = [...]`` with the costs of
    combining itself (its costs less its parts').

    Raises
    ------
    InterventionError
        If a combined variant's parts are not among ``interventions`` (the file could not
        be read back).
    """
    by_name = {iv.name: iv for iv in interventions if not iv.parts}
    parts = ["# cjsim interventions\n"]
    for iv in interventions:
        body: dict[str, Any] = {"name": iv.name}
        if iv.description:
            body["description"] = iv.description
        if iv.parts:
            body["combine"] = list(iv.parts)
            own = _costs_dict(_own_costs(iv, by_name))
            if any(own.values()):
                body["costs"] = {k: v for k, v in own.items() if v}
        else:
            body["changes"] = [_change_dict(c) for c in iv.changes]
            body["costs"] = _costs_dict(iv.costs)
        text = table("interventions", {k: v for k, v in body.items() if k != "changes"}, array=True)
        if "changes" in body:
            lines = ",\n".join(f"  {format_value(ch)}" for ch in body["changes"])
            text += f"changes = [\n{lines},\n]\n" if lines else "changes = []\n"
        parts.append(text)
    return "\n".join(parts)


def _costs_dict(c: Costs) -> dict[str, Any]:
    return {
        "fixed": c.fixed,
        "per_day": c.per_day,
        "per_customer": c.per_customer,
        "per_purchase": c.per_purchase,
        "per_visit": dict(c.per_visit),
    }


def _own_costs(iv: Intervention, by_name: dict[str, Intervention]) -> Costs:
    """What a combined variant costs beyond its parts."""
    missing = [n for n in iv.parts if n not in by_name]
    if missing:
        raise InterventionError(
            [
                Problem(
                    f"interventions[{iv.name}].parts",
                    f"{', '.join(map(repr, missing))} not among the interventions written",
                    "write its parts too: combine names interventions of the same file",
                )
            ]
        )
    total = _costs_dict(iv.costs)
    of_parts = _costs_dict(sum((by_name[n].costs for n in iv.parts), Costs()))
    visits = {
        node: _less(cost, of_parts["per_visit"].get(node, 0.0))
        for node, cost in total.pop("per_visit").items()
    }
    return Costs(
        **{k: _less(v, of_parts[k]) for k, v in total.items()},
        per_visit={node: v for node, v in visits.items() if v},
    )


def _less(total: float, part: float) -> float:
    """``total - part``, 0 where they differ by rounding only."""
    return 0.0 if math.isclose(total, part, rel_tol=1e-12, abs_tol=1e-9) else total - part


def save_interventions(interventions: tuple[Intervention, ...], path: str | Path) -> None:
    """Write interventions atomically."""
    atomic_write_text(path, interventions_to_toml(interventions))
