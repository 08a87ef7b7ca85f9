"""A small TOML writer for the scenario format (inline tables for nested values)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["format_key", "format_value", "table"]

_BARE = re.compile(r"^[A-Za-z0-9_-]+$")


def format_key(key: str) -> str:
    """A bare key when allowed, else a quoted one."""
    return key if _BARE.match(key) else json.dumps(key, ensure_ascii=False)


def format_value(value: Any) -> str:
    """One TOML value; mappings become inline tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(float(value))  # numpy floats repr as np.float64(...)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        inner = ", ".join(f"{format_key(str(k))} = {format_value(v)}" for k, v in value.items())
        return "{ " + inner + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(format_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def table(header: str, items: Mapping[str, Any], array: bool = False) -> str:
    """A ``[header]`` (or ``[[header]]``) table with one ``key = value`` line per item."""
    head = f"[[{header}]]" if array else f"[{header}]"
    lines = [head] + [
        f"{format_key(k)} = {format_value(v)}" for k, v in items.items() if v is not None
    ]
    return "\n".join(lines) + "\n"
