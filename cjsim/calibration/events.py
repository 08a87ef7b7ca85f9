"""Event logs and event-to-touchpoint mappings: reading and checking, before any fit.

An event log has one row per event: a customer id, a timestamp, an event name and,
optionally, a value and a segment (column names configurable).  A mapping says which
events are which touchpoints (many-to-one), which touchpoints are purchases, their
stages, the outcomes and the calibration cut-off.  Every way a log can be wrong gives a
clear :class:`~cjsim.errors.CalibrationError` or a counted warning in the
:class:`MappedLog` report — never a silently wrong fit.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from cjsim.calibration.checks import drop_duplicates, refuse_ambiguous_dates, refuse_far_dates
from cjsim.calibration.economics import FitEconomics
from cjsim.errors import CalibrationError, close_name, did_you_mean
from cjsim.scenario.errors import problems_from_validation
from cjsim.scenario.load import read_toml

__all__ = [
    "EventColumns",
    "FitEconomics",
    "MappedLog",
    "Mapping",
    "load_mapping",
    "map_events",
    "read_events",
    "timestamp",
    "until_outcome",
]


@dataclass(frozen=True)
class EventColumns:
    """Names of the log's columns; ``value`` and ``segment`` are optional."""

    customer: str = "customer_id"
    time: str = "timestamp"
    event: str = "event"
    value: str | None = "value"
    segment: str | None = "segment"


# read as missing in the time, value and segment columns; never in ids or event names
_NA_TEXT = ("", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "#N/A")


def _read_table(source: str | Path, cols: EventColumns) -> pd.DataFrame:
    path = Path(source)
    if path.is_dir():
        raise CalibrationError(f"{path}: is a directory, not an event log")
    if not path.exists():
        raise CalibrationError(f"{path}: file not found — check the path")
    if not path.is_file():
        raise CalibrationError(
            f"{path}: not a regular file (a device or a pipe) — give a CSV or Parquet file"
        )
    if path.stat().st_size == 0:
        raise CalibrationError(
            f"{path}: the file is empty — an event log needs a header and one row per event"
        )
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        na = {c: list(_NA_TEXT) for c in (cols.time, cols.value, cols.segment) if c}
        return pd.read_csv(
            path, sep=None, engine="python", dtype=str, keep_default_na=False, na_values=na
        )
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise CalibrationError(
            f"{path}: cannot read the event log ({exc}) — give a CSV "
            "with a header row, or a Parquet file"
        ) from None


def read_events(
    events: pd.DataFrame | str | Path, columns: EventColumns | None = None
) -> pd.DataFrame:
    """The log as a DataFrame ``customer_id, time, event[, value][, segment]``, sorted.

    Rows repeated exactly are dropped and counted (``attrs["duplicates"]``), as are
    events out of time order within a customer (``attrs["out_of_order"]``, sorted);
    ``attrs["source"]`` names the log in messages.

    Raises
    ------
    CalibrationError
        Missing columns (also an optional column named but absent), an empty log, rows
        without a customer id, unparsable, ambiguous (``02/01/2024``) or far-off
        timestamps, values that are not numbers.
    """
    cols = columns or EventColumns()
    where = "events" if isinstance(events, pd.DataFrame) else str(events)
    frame = events.copy() if isinstance(events, pd.DataFrame) else _read_table(events, cols)
    if frame.empty:
        raise CalibrationError(f"{where}: the event log has no rows")
    _require_columns(frame, cols, where)
    ids = frame[cols.customer]
    no_id = ids.isna() | (ids.astype(str).str.strip() == "")
    if no_id.any():
        raise CalibrationError(
            f"{where}: column {cols.customer!r}: {int(no_id.sum())} row(s) have no customer "
            "id — drop them or fill the ids"
        )
    out = pd.DataFrame(
        {
            "customer_id": frame[cols.customer].astype(str),
            "time": _times(frame[cols.time], where, cols.time),
            "event": frame[cols.event].astype(str),
        }
    )
    if cols.value and cols.value in frame.columns:
        out["value"] = _numbers(frame[cols.value], where, cols.value)
    if cols.segment and cols.segment in frame.columns:
        out["segment"] = frame[cols.segment].astype(str)
    refuse_far_dates(out["time"], where, cols.time)
    out, duplicates = drop_duplicates(out)
    out["order"] = range(len(out))
    out = out.sort_values(["customer_id", "time", "order"], kind="stable", ignore_index=True)
    same = out["customer_id"].eq(out["customer_id"].shift())
    out.attrs["out_of_order"] = int((same & (out["order"].diff() < 0)).sum())
    out.attrs["duplicates"] = duplicates
    out.attrs["source"] = where
    return out.drop(columns="order")


def _require_columns(frame: pd.DataFrame, cols: EventColumns, where: str) -> None:
    """The three columns every log needs, and an optional one named other than its
    default (a typo must not silently mean "no values")."""
    default = EventColumns()
    required = [cols.customer, cols.time, cols.event]
    required += [
        c for c, d in ((cols.value, default.value), (cols.segment, default.segment)) if c and c != d
    ]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        hints = "; ".join(f"{m!r}: {close_name(m, map(str, frame.columns))}" for m in missing)
        raise CalibrationError(
            f"{where}: missing column(s) {', '.join(map(repr, missing))} — "
            f"{hints}; name them with EventColumns(...) or --<kind>-column"
        )


def _times(column: pd.Series, where: str, name: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column):
        times = _as_nanoseconds(column, where, name)
    else:
        refuse_ambiguous_dates(column, where, name)
        times = pd.to_datetime(column, errors="coerce", utc=True, format="mixed")
    bad = times.isna() & column.notna()
    if bad.any() or column.isna().any():
        examples = ", ".join(repr(v) for v in column[bad | column.isna()].head(3))
        raise CalibrationError(
            f"{where}: column {name!r}: {int((bad | column.isna()).sum())} "
            f"timestamp(s) cannot be read, e.g. {examples} — use ISO 8601 "
            "like 2012-01-31T14:05:00 (between the years 1678 and 2261)"
        )
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times


def _as_nanoseconds(column: pd.Series, where: str, name: str) -> pd.Series:
    """Datetimes in nanoseconds, the unit the fit computes in (years 1678-2261)."""
    try:
        return column.dt.as_unit("ns")
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        raise CalibrationError(
            f"{where}: column {name!r}: dates from {column.min()} to {column.max()} — "
            "some lie outside the years 1678-2261; correct or drop them"
        ) from None


def _numbers(column: pd.Series, where: str, name: str) -> pd.Series:
    values = pd.to_numeric(column, errors="coerce")
    bad = values.isna() & column.notna() & (column.astype(str).str.strip() != "")
    bad |= values.notna() & ~np.isfinite(values.astype(float))
    if bad.any():
        examples = ", ".join(repr(v) for v in column[bad].head(3))
        raise CalibrationError(
            f"{where}: column {name!r}: {int(bad.sum())} value(s) are not numbers, e.g. {examples}"
        )
    return values


class Mapping(BaseModel):
    """How events become touchpoints (the ``mapping`` of :func:`cjsim.calibrate`)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    touchpoints: dict[str, list[str]] = Field(
        description="touchpoint -> the event names that are visits to it"
    )
    purchases: list[str] = Field(default_factory=list, description="purchase touchpoints")
    stages: dict[str, str] = Field(default_factory=dict, description="touchpoint -> stage")
    outcomes: dict[str, list[str]] = Field(
        default_factory=dict, description="outcome -> event names that end a journey there"
    )
    cutoff: str | None = Field(
        None,
        description="end of the calibration period: an ISO 8601 date or time (a TOML "
        "date or datetime is fine too)",
    )
    never_silent: list[str] = Field(
        default_factory=list,
        description="touchpoints nobody leaves silently: every customer there moves on "
        "eventually (e.g. BG/NBD's assumption that a first buyer is alive)",
    )
    closed_cohort: bool = Field(
        False,
        description="no new customers after the cut-off (a closed cohort, e.g. one "
        "quarter's first buyers): the fitted scenario has no arrivals",
    )

    economics: FitEconomics | None = Field(
        None, description="gross margin, discount rate and costs of the fitted scenario"
    )
    order: int = Field(
        1,
        ge=1,
        description="written by calibrate(order=k): the number of past touchpoints a "
        "state remembers (1: none)",
    )
    memory: dict[str, list[str]] = Field(
        default_factory=dict,
        description="written by calibrate(order=k): each state (a touchpoint above) -> its "
        "history, oldest first, ending with the original touchpoint ('^': the start)",
    )

    @field_validator("cutoff", mode="before")
    @classmethod
    def _dates_are_iso_text(cls, value: object) -> object:
        """A TOML date or datetime as ISO 8601 text."""
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        return value

    def originals(self) -> dict[str, str]:
        """Each touchpoint (a state, in a journey with memory) -> the original touchpoint
        it stands for, in order."""
        return {tp: self.memory[tp][-1] if tp in self.memory else tp for tp in self.touchpoints}

    def event_names(self) -> dict[str, str]:
        """event name -> touchpoint or outcome (the original touchpoint, with memory)."""
        out: dict[str, str] = {}
        for node, names in {**self.touchpoints, **self.outcomes}.items():
            for name in names:
                out[name] = self.memory[node][-1] if node in self.memory else node
        return out


def load_mapping(mapping: Mapping | dict[str, Any] | str | Path) -> Mapping:
    """A mapping from a TOML file, a dict or a :class:`Mapping`."""
    if isinstance(mapping, Mapping):
        return mapping
    source = None
    if not isinstance(mapping, dict):
        source, mapping = str(mapping), read_toml(mapping)
    try:
        parsed = Mapping.model_validate(mapping)
    except ValidationError as exc:
        problems = problems_from_validation(exc, Mapping, mapping)
        raise CalibrationError("\n".join(p.format(source) for p in problems)) from None
    unknown = [p for p in parsed.purchases if p not in parsed.touchpoints]
    unknown += [t for t in parsed.stages if t not in parsed.touchpoints]
    unknown += [t for t in parsed.never_silent if t not in parsed.touchpoints]
    if unknown:
        raise CalibrationError(
            f"{source or 'mapping'}: {unknown[0]!r} is not one of the "
            f"mapped touchpoints — {did_you_mean(unknown[0], parsed.touchpoints)}"
        )
    _refuse_shared_events(parsed, source or "mapping")
    if parsed.cutoff is not None:
        timestamp(parsed.cutoff, where=f"{source or 'mapping'}: cutoff")
    return parsed


def _refuse_shared_events(mapping: Mapping, where: str) -> None:
    """An event name may be one touchpoint's or one outcome's, not several."""
    owners: dict[str, list[str]] = {}
    for kind, table in (("touchpoints", mapping.touchpoints), ("outcomes", mapping.outcomes)):
        for node, names in table.items():
            for name in names:
                owners.setdefault(name, []).append(f"{kind}.{node}")
    shared = {name: nodes for name, nodes in owners.items() if len(nodes) > 1}
    if shared:
        name, nodes = next(iter(shared.items()))
        raise CalibrationError(
            f"{where}: event {name!r} is mapped to {' and '.join(nodes)}"
            + (f" (and {len(shared) - 1} more event(s) likewise)" if len(shared) > 1 else "")
            + " — an event name belongs to one touchpoint or outcome; rename the events "
            "in the log if they differ, or keep one of the entries"
        )


@dataclass(frozen=True)
class MappedLog:
    """Events mapped to nodes, with counts of everything dropped or odd."""

    events: pd.DataFrame  # customer_id, time, event, node[, value][, segment]
    dropped_events: dict[str, int] = field(default_factory=dict)
    unused_mapping: tuple[str, ...] = ()
    customers_without_events: int = 0
    out_of_order: int = 0
    duplicates: int = 0

    @property
    def warnings(self) -> list[str]:
        """One line per thing worth knowing before a fit."""
        out = []
        if self.dropped_events:
            total = sum(self.dropped_events.values())
            top = ", ".join(
                f"{k} ({v})"
                for k, v in sorted(self.dropped_events.items(), key=lambda kv: -kv[1])[:5]
            )
            out.append(f"{total} events with no touchpoint in the mapping were dropped: {top}")
        if self.unused_mapping:
            out.append(
                "mapped event names that never occur in the log: "
                + ", ".join(self.unused_mapping[:10])
            )
        if self.customers_without_events:
            out.append(
                f"{self.customers_without_events} customers have no mapped events and are left out"
            )
        if self.out_of_order:
            out.append(f"{self.out_of_order} events were out of time order and were sorted")
        if self.duplicates:
            out.append(
                f"{self.duplicates} duplicate events (the same customer, time, event, value "
                "and segment as another row) were dropped"
            )
        return out


def map_events(log: pd.DataFrame, mapping: Mapping) -> MappedLog:
    """Attach each event's touchpoint or outcome (its state, in a journey with memory:
    :func:`.memory.assign`); count what is dropped."""
    names = mapping.event_names()
    node = log["event"].map(names)
    dropped = log.loc[node.isna(), "event"].value_counts()
    mapped = log.assign(node=node)[node.notna()].reset_index(drop=True)
    if mapped.empty:
        raise CalibrationError(
            "no event of the log is in the mapping — "
            f"log events include {', '.join(log['event'].unique()[:5])}"
        )
    if mapping.memory:  # a journey with memory: each visit in its state
        from cjsim.calibration.memory import assign

        mapped["node"] = assign(mapped, mapping.memory, mapping.order)
    unused = tuple(sorted(set(names) - set(log["event"])))
    without = log["customer_id"].nunique() - mapped["customer_id"].nunique()
    return MappedLog(
        mapped,
        {str(k): int(v) for k, v in dropped.items()},
        unused,
        int(without),
        int(log.attrs.get("out_of_order", 0)),
        int(log.attrs.get("duplicates", 0)),
    )


_ISO_8601 = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def timestamp(value: str | dt.date | pd.Timestamp, *, where: str = "") -> pd.Timestamp:
    """A date or time as the logs hold them: naive UTC (a naive input is taken as UTC,
    one with an offset is converted).  Text must be ISO 8601 (``2012-01-31``,
    ``2012-01-31T14:05:00+01:00``): ``02/01/2024`` reads either way round.

    Raises
    ------
    CalibrationError
        For text that is not ISO 8601 or not a date.
    """
    prefix = f"{where}: " if where else ""
    hint = "use ISO 8601 like 2012-01-31 or 2012-01-31T14:05:00+01:00"
    if isinstance(value, str) and not _ISO_8601.match(value.strip()):
        raise CalibrationError(
            f"{prefix}{value!r} is not a date in ISO 8601 form — {hint} (a date like "
            "02/01/2024 reads either as 2 January or as 1 February)"
        )
    try:
        t = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise CalibrationError(f"{prefix}{value!r} is not a date or time — {hint}") from None
    return t.tz_convert("UTC").tz_localize(None) if t.tzinfo is not None else t


def until_outcome(
    events: pd.DataFrame, outcomes: set[str], customer: str = "customer_id"
) -> tuple[pd.DataFrame, int]:
    """Each customer's events (sorted by time) up to and including their first outcome,
    and how many later events were dropped."""
    is_outcome = events["node"].isin(outcomes).astype(int)
    after = is_outcome.groupby(events[customer]).cumsum() - is_outcome
    keep = after.to_numpy() == 0
    return events[keep].reset_index(drop=True), int((~keep).sum())
