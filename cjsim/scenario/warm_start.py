"""The warm-start CSV beside a scenario file: ``population.warm_start = "x.warm_start.csv"``.

The CSV has a header ``customer,touchpoint,elapsed_days[,segment,probability]`` and one
row per alternative (see :class:`~cjsim.model.WarmStart`).  Every way reading it can fail
becomes a :class:`~cjsim.errors.Problem` at key ``population.warm_start`` whose message
names the CSV file and, for a bad value, its line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from cjsim._io import atomic_write_text
from cjsim.errors import ModelError, Problem
from cjsim.model import WarmStart

__all__ = ["PATH", "locate", "read_warm_start_csv", "warm_start_file_name", "write_warm_start_csv"]

PATH = "population.warm_start"
HEADER = "customer,touchpoint,elapsed_days[,segment,probability]"
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
    """The warm start in the CSV at ``path`` (called ``label`` in messages), or the problems."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except FileNotFoundError:
        return _unreadable(
            label,
            f"warm-start file not found (looked for {path.absolute()})",
            "the path is relative to the scenario file's directory",
        )
    except IsADirectoryError:
        return _unreadable(label, "is a directory, not a CSV file", f"name a CSV file: {HEADER}")
    except UnicodeDecodeError:
        return _unreadable(label, "not a text file (not UTF-8)", f"write a CSV file: {HEADER}")
    except pd.errors.EmptyDataError:
        return _unreadable(label, "the file is empty", f"start it with the header {HEADER}")
    except pd.errors.ParserError as exc:
        text = str(exc).strip().replace("\n", " ")
        return _unreadable(
            label, f"not a valid CSV file ({text})", "check commas and quotes on that line"
        )
    except OSError as exc:
        return _unreadable(label, f"cannot read the file ({exc.strerror})", "check its permissions")
    try:
        return WarmStart.from_frame(frame), []
    except ModelError as exc:
        return None, [locate(p, label) for p in exc.problems]


def write_warm_start_csv(ws: WarmStart, path: str | Path) -> None:
    """Write ``ws`` as CSV to ``path`` atomically; floats are written exactly (repr)."""
    atomic_write_text(path, ws.to_frame().to_csv(index=False, lineterminator="\n"))
