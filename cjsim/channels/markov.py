"""Markov attribution of a path table, exactly, with the heuristics beside it.

The paths become a journey of order ``k`` (:func:`journey`, :mod:`cjsim.model.memory`):
one touchpoint per state, the last ``k`` channels (at order 1, one per channel; each
touch lasts one day, since a path table has no times), a purchase touchpoint
``conversion`` after a path's last channel for its conversions, and the outcomes
``converted`` and ``null``.  Each path row counts ``conversions + nulls`` times in the
transitions between its states and from the start.  Consecutive repeats of a channel
(``a > a``) are kept as written: a step from ``a`` to ``a`` (at order 2, into the state
``a`` after ``a``).  At order 1 they change no removal effect; at higher orders they are
part of the history.  The analytic engine solves the journey and removes each channel
with all its states in turn (:func:`cjsim.engines.analytic.removal_effects`: their inflow
and their share of the entry go to a sink), so the removal effects are the exact
absorbing-chain values, not a Monte Carlo estimate.  The conversion step is not a
channel: the channels' removal effects are normalised among themselves
(ChannelAttribution's normalisation) and share out the conversions and their value.

Heuristics, per path row: first touch and last touch give its conversions (and value) to
its first or last channel; linear splits them equally over its touches (repeats count).
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cjsim._io import to_jsonable, write_output_set
from cjsim.channels.paths import PathTable
from cjsim.engines.analytic import solve
from cjsim.errors import CalibrationError
from cjsim.model import Fixed, JourneyBuilder, Scenario
from cjsim.model.memory import histories, state_names

__all__ = ["CONVERSION", "Attribution", "attribute", "journey"]

CONVERSION = "conversion"  # the purchase touchpoint after a converting path
OUTCOMES = ("converted", "null")
HEURISTICS = ("first_touch", "last_touch", "linear")
MAX_ORDER = 6  # past channels a state remembers at most


def _counts(
    table: PathTable, order: int
) -> tuple[dict[tuple, float], dict[tuple, dict[tuple | str, float]]]:
    """Entry counts per first state and transition counts per state (states: the
    histories of order ``order``; a row's last state goes to the conversion step or
    ``null``)."""
    entry: dict[tuple, float] = {}
    rows: dict[tuple, dict[tuple | str, float]] = {}
    for path, conv, null in zip(table.paths, table.conversions, table.nulls, strict=True):
        weight = float(conv + null)
        if weight <= 0:
            continue
        states = histories(path, order)
        entry[states[0]] = entry.get(states[0], 0.0) + weight
        for a, b in itertools.pairwise(states):
            row = rows.setdefault(a, {})
            row[b] = row.get(b, 0.0) + weight
        last = rows.setdefault(states[-1], {})
        last[CONVERSION] = last.get(CONVERSION, 0.0) + float(conv)
        last["null"] = last.get("null", 0.0) + float(null)
    return entry, rows


def journey(table: PathTable, *, order: int = 1, horizon_days: float = 365.0) -> Scenario:
    """The journey of order ``order`` of ``table`` (see the module): a cohort of every
    path's customers, one touchpoint per state (per channel at order 1), ``conversion``
    worth the mean conversion value (1 without a value column).

    Raises
    ------
    CalibrationError
        When a channel is named like the conversion step or an outcome, or the order is
        not a whole number from 1 to :data:`MAX_ORDER`.
    """
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= MAX_ORDER:
        raise CalibrationError(
            f"{table.source}: order={order!r} — give a whole number from 1 to {MAX_ORDER} "
            "(the number of past channels that set the next step)"
        )
    clash = set(table.channels) & {CONVERSION, *OUTCOMES}
    if clash:
        raise CalibrationError(
            f"{table.source}: channel {sorted(clash)[0]!r} has the name of the conversion "
            "step or an outcome — rename it in the path table"
        )
    entry, rows = _counts(table, order)
    rank = {c: i for i, c in enumerate(table.channels)}
    keys = sorted(rows, key=lambda h: (rank[h[-1]], h))
    names = state_names(keys, taken=(CONVERSION, *OUTCOMES))
    total = sum(entry.values())
    value = table.total_value / table.total_conversions if table.value is not None else 1.0
    b = JourneyBuilder("paths", stages=["channels", "conversion"], horizon_days=horizon_days)
    for key, name in names.items():
        of = key[-1] if order > 1 else None
        b.touchpoint(name, "channels", dwell=Fixed(1.0), memory_of=of)
    b.touchpoint(
        CONVERSION, "conversion", purchase=True, order_value=Fixed(value if value > 0 else 1.0)
    )
    for outcome in OUTCOMES:
        b.outcome(outcome)
    for key, row in rows.items():
        out = sum(row.values())
        targets = {names[t] if isinstance(t, tuple) else t: n / out for t, n in row.items()}
        b.edges(names[key], **{t: p for t, p in targets.items() if p > 0})
    b.edges(CONVERSION, converted=1.0)
    b.entry(**{names[k]: n / total for k, n in entry.items()})
    b.cohort(max(round(total), 1))
    return b.build()


def heuristics(table: PathTable) -> pd.DataFrame:
    """Per channel: conversions (and value) by first touch, last touch and linear."""
    channels = table.channels
    index = {c: i for i, c in enumerate(channels)}
    out = {f"{h}_conversions": np.zeros(len(channels)) for h in HEURISTICS}
    for path, conv in zip(table.paths, table.conversions, strict=True):
        out["first_touch_conversions"][index[path[0]]] += conv
        out["last_touch_conversions"][index[path[-1]]] += conv
        for c in path:
            out["linear_conversions"][index[c]] += conv / len(path)
    frame = pd.DataFrame({"channel": channels, **out})
    if table.value is not None:
        vals = {f"{h}_value": np.zeros(len(channels)) for h in HEURISTICS}
        for path, _conv, value in zip(table.paths, table.conversions, table.value, strict=True):
            vals["first_touch_value"][index[path[0]]] += value
            vals["last_touch_value"][index[path[-1]]] += value
            for c in path:
                vals["linear_value"][index[c]] += value / len(path)
        frame = frame.assign(**vals)
    return frame


@dataclass(frozen=True)
class Attribution:
    """Per channel (``table``): the Markov removal effect, its normalised share, the
    conversions and value it attributes, and the heuristics; the journey it was solved
    on (``scenario``: run what-ifs on it) and the totals."""

    table: pd.DataFrame
    scenario: Scenario
    total_conversions: float
    total_value: float
    conversion_rate: float  # conversions per path, exact from the journey
    notes: tuple[str, ...] = field(default=())
    order: int = 1  # past channels a state remembers

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
                "order": self.order,
                "total_conversions": self.total_conversions,
                "total_value": self.total_value,
                "conversion_rate": self.conversion_rate,
                "channels": json.loads(self.table.to_json(orient="records")),
                "notes": list(self.notes),
            }
        )

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def save(self, directory: str | Path) -> list[Path]:
        """Write ``attribution.csv`` and ``attribution.json`` as one set
        (:func:`cjsim._io.write_output_set`: all or nothing)."""
        files = {
            "attribution.csv": self.table.to_csv(index=False),
            "attribution.json": self.to_json(),
        }
        return write_output_set(directory, files)

    def summary(self) -> str:
        """The channels by Markov share, with the heuristics beside it."""
        t = self.table.sort_values("markov_share", ascending=False)
        lines = [
            f"{len(t)} channels (Markov order {self.order}), "
            f"{self.total_conversions:,.0f} conversions"
            + (f" worth {self.total_value:,.2f}" if math.isfinite(self.total_value) else "")
            + f", {self.conversion_rate:.2%} of paths convert",
            f"{'channel':<16}{'removal':>9}{'share':>8}{'markov':>10}{'first':>10}"
            f"{'last':>10}{'linear':>10}",
        ]
        for r in t.itertuples():
            lines.append(
                f"{str(r.channel)[:15]:<16}{r.removal_effect:>9.3f}{r.markov_share:>8.1%}"
                f"{r.markov_conversions:>10,.1f}{r.first_touch_conversions:>10,.1f}"
                f"{r.last_touch_conversions:>10,.1f}{r.linear_conversions:>10,.1f}"
            )
        return "\n".join([*lines, *(f"note: {n}" for n in self.notes)])

    def plot(self, ax: Any = None) -> Any:
        """Conversions by channel, Markov beside the heuristics
        (:func:`cjsim.plotting.attribution`)."""
        from cjsim.plotting import attribution

        return attribution(self, ax=ax)


def attribute(table: PathTable, *, order: int = 1) -> Attribution:
    """Markov attribution of ``table`` of order ``order`` with the heuristics (see the
    module): a channel's removal effect removes all its states.

    Raises
    ------
    CalibrationError
        For an order that is not a whole number from 1 to :data:`MAX_ORDER`, or a
        channel named like the conversion step or an outcome.
    """
    sc = journey(table, order=order)
    solved = solve(sc, removal=True, elasticity=False)
    removal = solved.tables["removal_effects"].set_index("touchpoint")["removal_effect"]
    channels = list(table.channels)
    effect = removal.reindex(channels).fillna(0.0).to_numpy(dtype=float)  # 0: never on a path
    share = effect / effect.sum() if effect.sum() > 0 else np.full(len(effect), math.nan)
    frame = pd.DataFrame(
        {
            "channel": channels,
            "removal_effect": effect,
            "markov_share": share,
            "markov_conversions": share * table.total_conversions,
        }
    )
    if table.value is not None:
        frame["markov_value"] = share * table.total_value
    frame = frame.merge(heuristics(table), on="channel")
    notes = (
        "a path table has no times: each touch lasts one day in the scenario",
        "the value is shared out like the conversions (the channels' normalised removal effects)",
    )
    return Attribution(
        frame,
        sc,
        table.total_conversions,
        table.total_value,
        float(solved["conversion_rate"]),
        notes if table.value is not None else notes[:1],
        order,
    )
