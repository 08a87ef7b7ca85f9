"""Journeys with targets: the success scores' input (``[[journeys]]`` in a scenario file).

A journey is the customers who enter at one touchpoint, the customers of one segment,
or a named sub-path: every customer from its first visit to one touchpoint onwards (the
"returns journey"); its targets name KPIs of those customers and the value each should
reach.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cjsim.model.frozen import FrozenMap

__all__ = ["JourneyGoal"]


@dataclass(frozen=True)
class JourneyGoal:
    """One journey to score.

    Parameters
    ----------
    name : str
    targets : mapping of KPI name to float
        What the journey's customers should reach, e.g. ``{"conversion_rate": 0.05}``;
        per customer KPIs whose better direction is known (``cjsim.kpis``).
    entry : str, optional
        The touchpoint its customers enter at ...
    segment : str, optional
        ... or the segment they belong to ...
    start : str, optional
        ... or the touchpoint whose first visit starts the sub-path (``from`` in the
        file): every customer who reaches it, from there on (exactly one of the three).
    """

    name: str
    targets: Mapping[str, float]
    entry: str | None = None
    segment: str | None = None
    start: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "targets", FrozenMap(self.targets))

    @property
    def selector(self) -> tuple[str, str]:
        """``("entry", touchpoint)``, ``("segment", name)`` or ``("from", touchpoint)``."""
        if self.entry is not None:
            return ("entry", self.entry)
        if self.start is not None:
            return ("from", self.start)
        return ("segment", str(self.segment))
