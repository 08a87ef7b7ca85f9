"""Channel attribution from a table of paths (ChannelAttribution's layout): exact Markov
removal effects on the first-order chain of the paths, the first-touch, last-touch and
linear heuristics side by side, and a scenario built from the same table for what-ifs.

>>> import pandas as pd
>>> from cjsim.channels import PathColumns, PathTable, attribute
>>> table = PathTable.from_frame(pd.DataFrame(
...     {"path": ["a > b", "b", "a"], "total_conversions": [2, 0, 1], "total_null": [0, 2, 1]}
... ), columns=PathColumns(value=None))
>>> result = attribute(table)
>>> round(float(result.table["markov_conversions"].sum()), 9)
3.0
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from cjsim._lazy import attach

if TYPE_CHECKING:
    import pandas as pd

    from cjsim.channels.markov import Attribution, attribute, journey
    from cjsim.channels.paths import PathColumns, PathTable, read_paths

__getattr__, __dir__ = attach(
    __name__,
    {
        "cjsim.channels.markov": ("Attribution", "attribute", "journey"),
        "cjsim.channels.paths": ("PathColumns", "PathTable", "read_paths"),
    },
)

__all__ = [
    "Attribution",
    "PathColumns",
    "PathTable",
    "attribute",
    "attribution",
    "journey",
    "read_paths",
]


def attribution(
    source: str | Path | pd.DataFrame, columns: PathColumns | None = None, *, order: int = 1
) -> Attribution:
    """:func:`attribute` the path table at ``source`` (CSV, Parquet or a DataFrame in the
    layout ``columns``; :func:`read_paths`)."""
    from cjsim.channels.markov import attribute
    from cjsim.channels.paths import read_paths

    return attribute(read_paths(source, columns), order=order)
