"""Markov attribution of a path table, exactly, with the heuristics beside it.

The paths become a first-order journey (:func:`journey`): one touchpoint per channel
(each touch lasts one day, since a path table has no times), a purchase touchpoint
``conversion`` after a path's last channel for its conversions, and the outcomes
``converted`` and ``null``.  Each path row counts ``conversions + nulls`` times in the
transitions between its channels and from the start.  The analytic engine solves the
journey and removes each touchpoint in turn (:func:`cjsim.engines.analytic.removal_effects`:
its inflow and its share of the entry go to a sink), so the removal effects are the exact
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

from cjsim._io import atomic_write_text, to_jsonable
from cjsim.channels.paths import PathTable
from cjsim.engines.analytic import solve
from cjsim.errors import CalibrationError
from cjsim.model import Fixed, JourneyBuilder, Scenario

__all__ = ["CONVERSION", "Attribution", "attribute", "journey"]

CONVERSION = "conversion"  # the purchase touchpoint after a converting path
OUTCOMES = ("converted", "null")
HEURISTICS = ("first_touch", "last_touch", "linear")


def _counts(table: PathTable) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Entry counts per first channel and transition counts per channel."""
    entry: dict[str, float] = {}
    rows: dict[str, dict[str, float]] = {c: {} for c in table.channels}
    for path, conv, null in zip(table.paths, table.conversions, table.nulls, strict=True):
        weight = float(conv + null)
        if weight <= 0:
            continue
        entry[path[0]] = entry.get(path[0], 0.0) + weight
        for a, b in itertools.pairwise(path):
            rows[a][b] = rows[a].get(b, 0.0) + weight
        last = rows[path[-1]]
        last[CONVERSION] = last.get(CONVERSION, 0.0) + float(conv)
        last["null"] = last.get("null", 0.0) + float(null)
    return entry, rows


def journey(table: PathTable, *, horizon_days: float = 365.0) -> Scenario:
    """The first-order journey of ``table`` (see the module): a cohort of every path's
    customers, one touchpoint per channel, ``conversion`` worth the mean conversion
    value (1 without a value column).

    Raises
    ------
    CalibrationError
        When a channel is named like the conversion step or an outcome.
    """
    clash = set(table.channels) & {CONVERSION, *OUTCOMES}
    if clash:
        raise CalibrationError(
            f"{table.source}: channel {sorted(clash)[0]!r} has the name of the conversion "
            "step or an outcome — rename it in the path table"
        )
    entry, rows = _counts(table)
    total = sum(entry.values())
    value = table.total_value / table.total_conversions if table.value is not None else 1.0
    b = JourneyBuilder("paths", stages=["channels", "conversion"], horizon_days=horizon_days)
    for channel in table.channels:
        b.touchpoint(channel, "channels", dwell=Fixed(1.0))
    b.touchpoint(
        CONVERSION, "conversion", purchase=True, order_value=Fixed(value if value > 0 else 1.0)
    )
    for outcome in OUTCOMES:
        b.outcome(outcome)
    for channel, row in rows.items():
        out = sum(row.values())
        b.edges(channel, **{t: n / out for t, n in row.items() if n > 0} if out else {"null": 1.0})
    b.edges(CONVERSION, converted=1.0)
    b.entry(**{c: n / total for c, n in entry.items()})
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

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(
            {
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
        """Write ``attribution.csv`` and ``attribution.json`` (each atomically)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        written = [out / "attribution.csv", out / "attribution.json"]
        atomic_write_text(written[0], self.table.to_csv(index=False))
        atomic_write_text(written[1], self.to_json())
        return written

    def summary(self) -> str:
        """The channels by Markov share, with the heuristics beside it."""
        t = self.table.sort_values("markov_share", ascending=False)
        lines = [
            f"{len(t)} channels, {self.total_conversions:,.0f} conversions"
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
    """Markov attribution of ``table`` with the heuristics (see the module).

    Raises
    ------
    CalibrationError
        For an order other than 1 (journeys with memory are not yet available), or a
        channel named like the conversion step or an outcome.
    """
    if order != 1:
        raise CalibrationError(
            f"order={order}: only first-order attribution is available (order=1); "
            "journeys with memory of order k are not built yet"
        )
    sc = journey(table)
    solved = solve(sc, removal=True, elasticity=False)
    removal = solved.tables["removal_effects"].set_index("touchpoint")["removal_effect"]
    channels = list(table.channels)
    effect = removal.reindex(channels).to_numpy(dtype=float)
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
    )
