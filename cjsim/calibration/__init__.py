"""Calibration from event logs (in progress: reading and mapping logs)."""

from cjsim.calibration.dwell import DwellFit, fit_dwell, kaplan_meier
from cjsim.calibration.events import (
    EventColumns,
    MappedLog,
    Mapping,
    load_mapping,
    map_events,
    read_events,
)

__all__ = [
    "DwellFit",
    "EventColumns",
    "MappedLog",
    "Mapping",
    "fit_dwell",
    "kaplan_meier",
    "load_mapping",
    "map_events",
    "read_events",
]
