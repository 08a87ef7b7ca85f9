"""Intervention files (TOML) <-> :class:`Intervention` objects."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from cjsim._io import atomic_write_text
from cjsim.errors import ModelError, Problem, ScenarioFileError, did_you_mean
from cjsim.interventions.intervention import Change, Costs, Intervention, combine
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
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    interventions: list[_InterventionSpec]


def _change(raw: dict[str, Any], path: str, problems: list[Problem]) -> Change | None:
    op = raw.get("op")
    if not isinstance(op, str) or op not in OPERATIONS:
        problems.append(
            Problem(f"{path}.op", f"unknown operation {op!r}", did_you_mean(str(op), OPERATIONS))
        )
        return None
    operation = OPERATIONS[op]
    params = {k: v for k, v in raw.items() if k != "op"}
    for key in operation.unknown(params):
        problems.append(
            Problem(f"{path}.{key}", f"unknown key for {op}", did_you_mean(key, operation.keys))
        )
    for key in operation.missing(params):
        hint = f"{op} takes {', '.join(operation.required)}"
        problems.append(Problem(f"{path}.{key}", "required key is missing", hint))
    for key, form in operation.file_forms.items():
        if key in raw:
            read = _read_distribution if form == "distribution" else _read_touchpoint
            value = read(raw, key, f"{path}.{key}", problems)
            if value is None:
                return None
            params[key] = value
    return Change(op, params)


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
    """Interventions (combined ones resolved) from the parsed TOML structure."""
    try:
        spec = _InterventionFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioFileError(
            problems_from_validation(exc, _InterventionFile, data), source=source
        ) from None
    problems: list[Problem] = []
    by_name: dict[str, Intervention] = {}
    for i, item in enumerate(spec.interventions):
        path = f"interventions[{i}]"
        if item.name in by_name:
            problems.append(
                Problem(
                    f"{path}.name",
                    f"{item.name!r} is defined twice",
                    "give every intervention its own name",
                )
            )
        if item.combine is not None:
            continue
        changes = [_change(c, f"{path}.changes[{j}]", problems) for j, c in enumerate(item.changes)]
        by_name[item.name] = Intervention(
            item.name,
            tuple(c for c in changes if c),
            Costs(**item.costs.model_dump()),
            item.description or "",
        )
    out = []
    for i, item in enumerate(spec.interventions):
        if item.combine is None:
            out.append(by_name[item.name])
            continue
        unknown = [n for n in item.combine if n not in by_name]
        for name in unknown:
            problems.append(
                Problem(
                    f"interventions[{i}].combine",
                    f"unknown intervention {name!r}",
                    did_you_mean(name, by_name),
                )
            )
        if not unknown and not problems:  # combine only well-formed parts
            merged = combine(item.name, [by_name[n] for n in item.combine], item.description or "")
            own = Costs(**item.costs.model_dump())  # costs of combining itself, if any
            out.append(dataclasses.replace(merged, costs=merged.costs + own))
    if problems:
        raise ScenarioFileError(problems, source=source)
    return tuple(out)


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
    """TOML text; a combined variant is written as ``combine = [...]``."""
    parts = ["# cjsim interventions\n"]
    for iv in interventions:
        body: dict[str, Any] = {"name": iv.name}
        if iv.description:
            body["description"] = iv.description
        if iv.parts:
            body["combine"] = list(iv.parts)
        else:
            body["changes"] = [_change_dict(c) for c in iv.changes]
            c = iv.costs
            body["costs"] = {
                "fixed": c.fixed,
                "per_day": c.per_day,
                "per_customer": c.per_customer,
                "per_purchase": c.per_purchase,
                "per_visit": dict(c.per_visit),
            }
        text = table("interventions", {k: v for k, v in body.items() if k != "changes"}, array=True)
        if "changes" in body:
            lines = ",\n".join(f"  {format_value(ch)}" for ch in body["changes"])
            text += f"changes = [\n{lines},\n]\n" if lines else "changes = []\n"
        parts.append(text)
    return "\n".join(parts)


def save_interventions(interventions: tuple[Intervention, ...], path: str | Path) -> None:
    """Write interventions atomically."""
    atomic_write_text(path, interventions_to_toml(interventions))
