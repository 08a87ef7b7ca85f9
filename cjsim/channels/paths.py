"""A table of paths in ChannelAttribution's layout: one row per distinct path (channels
joined by a separator, ``a > b > c``), its conversions, optionally their value, and the
paths that ended without one (nulls).  Column names and the separator are configurable;
CSV or Parquet.

Consecutive repeats of a channel (``a > a > b``) are kept as they are: in the first-order
chain they are a self-loop at ``a``, which changes no absorption probability, so no
removal effect (heuristics count each touch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cjsim.errors import CalibrationError, close_name

__all__ = ["MAX_COUNT", "PathColumns", "PathTable", "read_paths"]

MAX_COUNT = 1e15  # the largest count or value in a row: sums stay finite and exact


@dataclass(frozen=True)
class PathColumns:
    """The table's column names and the separator between channels (``value`` and
    ``nulls`` may be None: no value, or no null column)."""

    path: str = "path"
    conversions: str = "total_conversions"
    value: str | None = "total_conversion_value"
    nulls: str | None = "total_null"
    separator: str = ">"


@dataclass(frozen=True)
class PathTable:
    """Distinct paths (tuples of channel names) with their conversions, value and nulls."""

    paths: tuple[tuple[str, ...], ...]
    conversions: np.ndarray
    value: np.ndarray | None
    nulls: np.ndarray
    source: str = "paths"

    @property
    def channels(self) -> tuple[str, ...]:
        """Every channel, in order of first appearance."""
        return tuple(dict.fromkeys(c for p in self.paths for c in p))

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum()) if self.value is not None else math.nan

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, columns: PathColumns | None = None, source: str = "paths"
    ) -> PathTable:
        """The table from a DataFrame in the given layout.

        Raises
        ------
        CalibrationError
            Naming the source, the column and the first bad row: a missing column, an
            empty path or channel name, a count that is not a finite number >= 0.
        """
        cols = columns or PathColumns()
        wanted = [cols.path, cols.conversions, *(c for c in (cols.value, cols.nulls) if c)]
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            hint = close_name(missing[0], [str(c) for c in frame.columns])
            raise CalibrationError(
                f"{source}: missing column {missing[0]!r} ({hint}) — name yours with "
                "PathColumns(...) or --path-column / --conversions-column / --value-column / "
                "--null-column"
            )
        paths = tuple(
            _split(str(p), cols.separator, source, i) for i, p in enumerate(frame[cols.path])
        )
        conversions = _counts(frame, cols.conversions, source)
        value = _counts(frame, cols.value, source) if cols.value else None
        nulls = _counts(frame, cols.nulls, source) if cols.nulls else np.zeros(len(frame))
        if not (conversions.sum() + nulls.sum()) > 0:
            raise CalibrationError(f"{source}: no conversions and no nulls — nothing to attribute")
        return cls(paths, conversions, value, nulls, source)


def _split(text: str, separator: str, source: str, row: int) -> tuple[str, ...]:
    channels = tuple(c.strip() for c in text.split(separator))
    if not text.strip() or any(not c for c in channels):
        raise CalibrationError(
            f"{source}: row {row + 1}: path {text!r} has an empty channel — channels are "
            f"joined by {separator!r} (set the separator with --separator)"
        )
    return channels


def _counts(frame: pd.DataFrame, column: str, source: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0) | (values > MAX_COUNT)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise CalibrationError(
            f"{source}: column {column!r}, row {row + 1}: '{frame[column].iloc[row]}' is not "
            f"a number from 0 to {MAX_COUNT:.0e} — counts and values are finite and >= 0"
        )
    return values


def read_paths(source: str | Path | pd.DataFrame, columns: PathColumns | None = None) -> PathTable:
    """A path table from a CSV or Parquet file (or a DataFrame).

    Raises
    ------
    CalibrationError
        For a missing, empty or unreadable file, or a table :meth:`PathTable.from_frame`
        refuses.
    """
    if isinstance(source, pd.DataFrame):
        return PathTable.from_frame(source, columns)
    path = Path(source)
    if not path.exists():
        raise CalibrationError(f"{path}: file not found — check the path")
    if not path.is_file():
        raise CalibrationError(
            f"{path}: not a regular file (a folder, a device or a pipe) — give a CSV or "
            "Parquet file"
        )
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:  # an empty path stays empty (an error), not the channel "nan"
            frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise CalibrationError(
            f"{path}: cannot read the path table ({exc}) — give a CSV with a header row, or "
            "a Parquet file"
        ) from None
    if frame.empty:
        raise CalibrationError(f"{path}: no rows — a path table has one row per path")
    return PathTable.from_frame(frame, columns, str(path))
