"""Turn pydantic validation errors into cjsim problems with key paths and hints."""

from __future__ import annotations

import types
import typing
from typing import Any, Union

from pydantic import BaseModel, ValidationError

from cjsim.errors import Problem, did_you_mean

__all__ = ["problems_from_validation"]

_TYPE_NAMES = {  # pydantic error type -> (what was expected, hint)
    "float_type": ("a number", "write a number without quotes, e.g. 0.25"),
    "int_type": ("a whole number", "write a whole number without quotes, e.g. 5"),
    "bool_type": ("true or false", "write true or false, without quotes"),
    "string_type": ("text in quotes", 'put the text in quotes, e.g. "awareness"'),
    "dict_type": ("a table", "write a table, e.g. { key = value }"),
    "model_type": ("a table", "write a table, e.g. { key = value }"),
    "list_type": ("a list", "write a list, e.g. [1, 2]"),
    "tuple_type": ("a list", "write a list, e.g. [1, 2]"),
}


MAX_DETAILED_PROBLEMS = 50
"""Key paths described one by one when a file breaks the schema; the rest are counted."""


def _describe(value: Any) -> str:
    names = {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a table",
    }
    return f"{value!r} ({names.get(type(value), type(value).__name__)})"


def _walk(loc: tuple[Any, ...], data: Any) -> tuple[str, Any]:
    """Dotted path of ``loc`` inside ``data``, skipping union labels and tags."""
    path = ""
    for item in loc:
        if isinstance(item, int) and isinstance(data, list) and item < len(data):
            path += f"[{item}]"
            data = data[item]
        elif isinstance(data, dict) and item in data:
            path = f"{path}.{item}" if path else str(item)
            data = data[item]
    return path, data


def _strip_optional(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _strip_optional(typing.get_args(tp)[0])
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else tp
    return tp


def _tag_of(member: Any) -> Any:
    """The literal discriminator value of a union member (``dist`` or ``kind``)."""
    fields = getattr(member, "model_fields", {})
    for key in ("dist", "kind"):
        if key in fields:
            return typing.get_args(fields[key].annotation)[0]
    return None


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the key at ``loc`` (for "did you mean")."""
    current: Any = root
    for item in loc[:-1]:
        current = _strip_optional(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(item))
            if field is None:
                return None
            current = field.annotation
            continue
        origin = typing.get_origin(current)
        args = typing.get_args(current)
        if origin is dict:
            current = args[1]
        elif origin is list:
            current = args[0]
        elif origin in (Union, types.UnionType):
            current = next((a for a in args if _tag_of(a) == item), None)
            if current is None:
                return None
    current = _strip_optional(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _one(error: Any, root: type[BaseModel], data: Any) -> Problem:
    loc = tuple(error["loc"])
    path, value = _walk(loc, data)
    kind = error["type"]
    if kind == "extra_forbidden":
        owner = _model_at(root, loc)
        keys = [f.alias or name for name, f in owner.model_fields.items()] if owner else []
        hint = did_you_mean(str(loc[-1]), keys)
        return Problem(path, "unknown key", hint)
    if kind == "missing":
        key = str(loc[-1])
        full = f"{path}.{key}" if path else key
        return Problem(full, "required key is missing", f"add {key} = …")
    if kind == "union_tag_invalid":
        ctx = error.get("ctx", {})
        tag, field = ctx.get("tag"), ctx.get("discriminator", "").strip("'")
        choices = [t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",")]
        what = "distribution" if field == "dist" else field
        return Problem(
            f"{path}.{field}", f"unknown {what} {tag!r}", did_you_mean(str(tag), choices)
        )
    if kind == "union_tag_not_found":
        field = str(error.get("ctx", {}).get("discriminator", "")).strip("'")
        return Problem(
            f"{path}.{field}" if path else field,
            f"{field} is missing",
            f'say which kind, e.g. {field} = "exponential"'
            if field == "dist"
            else f'e.g. {field} = "poisson"',
        )
    if kind in _TYPE_NAMES:
        expected, hint = _TYPE_NAMES[kind]
        return Problem(path, f"expected {expected}, got {_describe(value)}", hint)
    return Problem(path, error["msg"], "see `cjsim schema` for the format")


def problems_from_validation(
    exc: ValidationError, root: type[BaseModel], data: Any
) -> list[Problem]:
    """One :class:`Problem` per key path (union alternatives merged).

    Only the first :data:`MAX_DETAILED_PROBLEMS` key paths are described (each costs a
    "did you mean" search); the rest are counted in one last problem, so a file with
    millions of unknown keys is reported in linear time.
    """
    seen: dict[str, Problem] = {}
    errors = exc.errors()
    for i, error in enumerate(errors):
        if len(seen) >= MAX_DETAILED_PROBLEMS:
            rest = len({tuple(e["loc"]) for e in errors[i:]})
            seen["…"] = Problem(
                "", f"{rest} more problems not listed", "fix the problems above first"
            )
            break
        problem = _one(error, root, data)
        if problem.path not in seen:
            seen[problem.path] = problem
    return list(seen.values())
