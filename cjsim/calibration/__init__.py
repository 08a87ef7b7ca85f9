"""Calibration from event logs (in progress: reading and mapping logs)."""

from cjsim.calibration.events import (
    EventColumns,
    MappedLog,
    Mapping,
    load_mapping,
    map_events,
    read_events,
)

__all__ = ["EventColumns", "MappedLog", "Mapping", "load_mapping", "map_events", "read_events"]
