"""Small helpers every layer may use: atomic file writes, JSON-safe values, a frozen mapping.

>>> to_jsonable({"a": float("nan"), "b": (1, 2.5)})
{'a': None, 'b': [1, 2.5]}
>>> m = FrozenMap({"a": 1})
>>> m["a"], len(m), m == {"a": 1}
(1, 1, True)
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import ItemsView, Iterator, KeysView, Mapping, ValuesView
from pathlib import Path
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")

__all__ = [
    "SET_MANIFEST",
    "FrozenMap",
    "atomic_write_bytes",
    "atomic_write_text",
    "to_jsonable",
    "unwritable",
    "write_output_set",
]

SET_MANIFEST = ".cjsim-set.json"  # the names of the files of the set last written to a folder


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


def _fill_set(tmp: Path, files: Mapping[str, bytes | str]) -> None:
    for name, data in files.items():
        if Path(name).name != name or name in ("", ".", "..", SET_MANIFEST):
            raise ValueError(f"{name!r} is not a plain file name for an output set")
        raw = data.encode("utf-8") if isinstance(data, str) else data
        with open(tmp / name, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
    (tmp / SET_MANIFEST).write_text(json.dumps({"files": sorted(files)}), encoding="utf-8")


def _previous_set(target: Path) -> set[str]:
    """The files the set last written to ``target`` listed in its manifest (none when it
    has none or it cannot be read: then every file there is kept)."""
    try:
        doc = json.loads((target / SET_MANIFEST).read_text(encoding="utf-8"))
        return {str(name) for name in doc["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def _swap_in(tmp: Path, target: Path, files: Mapping[str, bytes | str]) -> None:
    """Move ``target``'s other files (not of the previous set) into ``tmp``, then swap."""
    if not target.exists():
        os.rename(tmp, target)
        return
    stale = _previous_set(target) | set(files) | {SET_MANIFEST}
    for entry in target.iterdir():
        if entry.name not in stale and not (entry.name.startswith(".") and ".tmp" in entry.name):
            os.rename(entry, tmp / entry.name)
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.rename(target, old / target.name)
    os.rename(tmp, target)
    shutil.rmtree(old, ignore_errors=True)


def unwritable(path: str | Path) -> str | None:
    """Why ``path``, a file or folder still to be written, cannot be, or None when it can.

    The nearest folder that exists must be a folder in which a file can be made (tried
    with an empty temporary folder, removed at once), so ``--out`` under a file, under
    ``/proc`` or in a read-only place is refused before any work rather than after it."""
    place = Path(os.path.abspath(path)).parent
    while not place.exists():
        place = place.parent
    if not place.is_dir():
        return f"{place} is a file, not a folder"
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".cjsim-probe.", dir=place))
    except OSError as exc:
        return f"cannot write in {place} ({exc.strerror or exc})"
    return None


def write_output_set(directory: str | Path, files: Mapping[str, bytes | str]) -> list[Path]:
    """Write a whole set of files as the folder ``directory``, all or nothing.

    The files (name → bytes, or text written as UTF-8) go into a temporary folder beside
    ``directory``, with a manifest (:data:`SET_MANIFEST`) naming them, which is then
    renamed into place.  Files of the set written there before that the new set lacks
    are dropped (so no stale ``events.parquet`` sits beside new KPIs); other files in the
    folder are kept.  On any failure, ``KeyboardInterrupt`` included, the temporary
    folder is removed and the previous set is left untouched.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> [p.name for p in write_output_set(out, {"a.csv": "x,1", "b.json": "{}"})]
    ['a.csv', 'b.json']
    >>> [p.name for p in write_output_set(out, {"a.csv": "x,2"})]
    ['a.csv']
    >>> sorted(p.name for p in out.iterdir())
    ['.cjsim-set.json', 'a.csv']
    """
    target = Path(os.path.abspath(directory))
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{directory} exists and is not a directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes 0700; give the usual permissions
        _fill_set(tmp, files)
        _swap_in(tmp, target, files)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return [Path(directory) / name for name in files]


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

    # The dict's own lookups: Mapping's mixins go through __getitem__ and KeyError, which
    # costs the engines' array building more than their linear algebra on small chains.
    def __contains__(self, key: object) -> bool:
        return key in self._data

    def get(self, key: K, default: Any = None) -> Any:
        return self._data.get(key, default)

    def keys(self) -> KeysView[K]:
        return self._data.keys()

    def items(self) -> ItemsView[K, V]:
        return self._data.items()

    def values(self) -> ValuesView[V]:
        return self._data.values()

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
