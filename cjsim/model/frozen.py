"""An immutable, hashable, picklable mapping for model objects."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")

__all__ = ["FrozenMap"]


class FrozenMap(Mapping[K, V]):
    """A read-only mapping that keeps insertion order.

    >>> m = FrozenMap({"a": 1})
    >>> m["a"], len(m), m == {"a": 1}
    (1, 1, True)
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
