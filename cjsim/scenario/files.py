"""Reading the files a scenario names, safely: regular files only, of bounded size.

A path is checked with :func:`os.stat` before it is opened, so a FIFO, a directory or a
device (``/dev/zero``) is refused without blocking or reading for ever. Contents of a
refused file are never put into a message.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["MAX_TOML_BYTES", "MAX_WARM_START_BYTES", "FileRefused", "inside", "read_capped"]

MAX_TOML_BYTES = 10 * 1024 * 1024
"""The largest scenario, intervention or mapping TOML file read (10 MB)."""

MAX_WARM_START_BYTES = 100 * 1024 * 1024
"""The largest warm-start CSV read (100 MB)."""


class FileRefused(Exception):
    """A file that is not read: ``what`` is wrong and ``hint`` says how to fix it."""

    def __init__(self, what: str, hint: str) -> None:
        super().__init__(what)
        self.what, self.hint = what, hint


def _megabytes(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def read_capped(path: Path, cap: int) -> bytes:
    """The bytes of the regular file at ``path``, refusing anything else or over ``cap``.

    Raises ``FileNotFoundError`` and other ``OSError`` as :func:`os.stat` and
    :func:`open` do, and :class:`FileRefused` for a file that is not read.
    """
    info = os.stat(path)
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(path)
    if not stat.S_ISREG(info.st_mode):
        raise FileRefused("not a regular file", "name a regular file (not a pipe or device)")
    if info.st_size > cap:
        raise FileRefused(
            f"the file is {_megabytes(info.st_size)}, above the limit of {_megabytes(cap)}",
            "split it or reduce it",
        )
    with open(path, "rb") as f:
        raw = f.read(cap + 1)
    if len(raw) > cap:
        raise FileRefused(f"the file is above the limit of {_megabytes(cap)}", "reduce it")
    return raw


def inside(folder: Path, name: str) -> Path:
    """``name`` resolved against ``folder``, refused unless it stays inside ``folder``.

    Symbolic links are followed before the check, so a link pointing out is refused too.
    """
    base = folder.resolve()
    target = (base / name).resolve()
    if target != base and base not in target.parents:
        raise FileRefused(
            "refers to a file outside the scenario's folder",
            "put the file in the scenario's folder (or below it) and name it relatively",
        )
    return target
