"""The warm-start CSV beside a scenario file: ``population.warm_start = "x.warm_start.csv"``.

The CSV has a header ``customer,touchpoint,elapsed_days[,segment,probability]`` and one
row per alternative (see :class:`~cjsim.model.WarmStart`).  Every way reading it can fail
becomes a :class:`~cjsim.errors.Problem` at key ``population.warm_start`` whose message
names the CSV file and, for a bad value, its line.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from cjsim._io import atomic_write_text
from cjsim.errors import ModelError, Problem, closest, did_you_mean
from cjsim.model import WarmStart
from cjsim.model.warm import REQUIRED_COLUMNS, WARM_START_COLUMNS
from cjsim.scenario.files import MAX_WARM_START_BYTES, FileRefused, read_capped

__all__ = ["PATH", "locate", "read_warm_start_csv", "warm_start_file_name", "write_warm_start_csv"]

PATH = "population.warm_start"
HEADER = "customer,touchpoint,elapsed_days[,segment,probability]"
_NAME = re.compile(r"^[a-z_]{1,30}$")
_ROW = re.compile(r"^population\.warm_start\[(\d+)\]$")


def warm_start_file_name(toml_path: str | Path) -> str:
    """The CSV name :func:`~cjsim.scenario.save_scenario` uses: ``<toml stem>.warm_start.csv``."""
    return f"{Path(toml_path).stem}.warm_start.csv"


def locate(problem: Problem, label: str) -> Problem:
    """``problem`` of a warm start read from the CSV ``label``, with the file and line named.

    Row ``i`` of the table is line ``i + 2`` of the file (line 1 is the header).
    """
    match = _ROW.match(problem.path)
    if match:
        where = f"{label}, line {int(match.group(1)) + 2}"
    elif problem.path == PATH:
        where = label
    else:
        return problem
    return Problem(PATH, f"{where}: {problem.message}", problem.hint, problem.severity)


def _unreadable(label: str, what: str, hint: str) -> tuple[None, list[Problem]]:
    return None, [Problem(PATH, f"{label}: {what}", hint)]


def read_warm_start_csv(path: Path, label: str) -> tuple[WarmStart | None, list[Problem]]:
    """The warm start in the CSV at ``path`` (called ``label`` in messages), or the problems.

    Only a regular file of at most :data:`~cjsim.scenario.files.MAX_WARM_START_BYTES` is
    read; nothing of a header that is not the expected one is repeated in a message.
    """
    try:
        raw = read_capped(path, MAX_WARM_START_BYTES)
    except FileNotFoundError:
        return _unreadable(
            label,
            f"warm-start file not found (looked for {path.absolute()})",
            "the path is relative to the scenario file's directory",
        )
    except IsADirectoryError:
        return _unreadable(label, "is a directory, not a CSV file", f"name a CSV file: {HEADER}")
    except FileRefused as exc:
        return _unreadable(label, exc.what, exc.hint)
    except OSError as exc:
        return _unreadable(label, f"cannot read the file ({exc.strerror})", "check its permissions")
    return _parse_csv(raw, label)


def _parse_csv(raw: bytes, label: str) -> tuple[WarmStart | None, list[Problem]]:
    try:
        frame = pd.read_csv(
            io.BytesIO(raw), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except UnicodeDecodeError:
        return _unreadable(label, "not a text file (not UTF-8)", f"write a CSV file: {HEADER}")
    except pd.errors.EmptyDataError:
        return _unreadable(label, "the file is empty", f"start it with the header {HEADER}")
    except pd.errors.ParserError as exc:
        text = str(exc).strip().replace("\n", " ")[:200]
        return _unreadable(
            label, f"not a valid CSV file ({text})", "check commas and quotes on that line"
        )
    problems = _header_problems([str(c) for c in frame.columns], label)
    if problems:
        return None, problems
    try:
        return WarmStart.from_frame(frame), []
    except ModelError as exc:
        return None, [locate(p, label) for p in exc.problems]


def _typo(column: str) -> bool:
    """A short identifier close to an expected column: safe to show, likely a typo."""
    return bool(_NAME.match(column)) and closest(column, WARM_START_COLUMNS) is not None


def _header_problems(columns: list[str], label: str) -> list[Problem]:
    """Missing and unknown columns; an unknown column is named only if it looks like a
    typo of an expected one, so no other content of the file is ever repeated."""
    out = [
        Problem(PATH, f"{label}: missing column {c}", f"the header is {HEADER}")
        for c in REQUIRED_COLUMNS
        if c not in columns
    ]
    unknown = [c for c in columns if c not in WARM_START_COLUMNS]
    out += [
        Problem(PATH, f"{label}: unknown column {c!r}", did_you_mean(c, WARM_START_COLUMNS))
        for c in unknown
        if _typo(c)
    ]
    hidden = sum(not _typo(c) for c in unknown)
    if hidden:
        out.append(
            Problem(
                PATH,
                f"{label}: {hidden} unknown column{'s' if hidden > 1 else ''} in the header "
                "(not shown)",
                f"the header is {HEADER}",
            )
        )
    return out


def write_warm_start_csv(ws: WarmStart, path: str | Path) -> None:
    """Write ``ws`` as CSV to ``path`` atomically; floats are written exactly (repr)."""
    atomic_write_text(path, ws.to_frame().to_csv(index=False, lineterminator="\n"))
