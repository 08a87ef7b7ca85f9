"""Small helpers every layer may use: atomic file writes, JSON-safe values, a frozen mapping.

>>> to_jsonable({"a": float("nan"), "b": (1, 2.5)})
{'a': None, 'b': [1, 2.5]}
>>> m = FrozenMap({"a": 1})
>>> m["a"], len(m), m == {"a": 1}
(1, 1, True)
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")

__all__ = ["FrozenMap", "atomic_write_bytes", "atomic_write_text", "to_jsonable"]


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it into place."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual permissions
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Atomically write UTF-8 ``text`` to ``path``."""
    atomic_write_bytes(path, text.encode("utf-8"))


def to_jsonable(value: Any) -> Any:
    """``value`` made JSON-safe: NaN and infinities become None, numpy scalars become
    Python numbers, tuples become lists and dict keys strings (recursively)."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class FrozenMap(Mapping[K, V]):
    """A read-only, hashable, picklable mapping that keeps insertion order.

    Model objects and intervention costs keep their mappings in one, so they stay
    immutable and hashable.
    """

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[K, V] | None = None, **kwargs: V) -> None:
        self._data: dict[K, V] = dict(data or {}, **kwargs)
        self._hash: int | None = None

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def __getstate__(self) -> dict[K, V]:
        return self._data

    def __setstate__(self, state: dict[K, V]) -> None:
        self._data = state
        self._hash = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._data,))
