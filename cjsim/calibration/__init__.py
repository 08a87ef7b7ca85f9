"""Calibration from event logs — the building blocks so far: reading and mapping logs,
transition rows with Dirichlet posteriors, censored dwell fits, silent exits.  The
``calibrate``/``validate`` pipeline on top of them is still to come (issue 5)."""

from cjsim.calibration.dwell import DwellFit, fit_dwell, kaplan_meier
from cjsim.calibration.events import (
    EventColumns,
    MappedLog,
    Mapping,
    load_mapping,
    map_events,
    read_events,
)
from cjsim.calibration.exits import ExitFit, fit_exit
from cjsim.calibration.transitions import RowPosterior, count_transitions

__all__ = [
    "DwellFit",
    "EventColumns",
    "ExitFit",
    "MappedLog",
    "Mapping",
    "RowPosterior",
    "count_transitions",
    "fit_dwell",
    "fit_exit",
    "kaplan_meier",
    "load_mapping",
    "map_events",
    "read_events",
]
