"""Calibration from event logs — the building blocks so far: reading and mapping logs,
transition rows with Dirichlet posteriors, censored dwell fits, silent exits, and a first
``calibrate`` that assembles them into a scenario with posterior draws.  Seasonal arrivals,
(latent) segments, the warm start from the cut-off and ``validate`` are still to come
(issue 5)."""

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
from cjsim.calibration.fit import SILENT_EXIT, Fit, calibrate
from cjsim.calibration.transitions import RowPosterior, count_transitions

__all__ = [
    "SILENT_EXIT",
    "DwellFit",
    "EventColumns",
    "ExitFit",
    "Fit",
    "MappedLog",
    "Mapping",
    "RowPosterior",
    "calibrate",
    "count_transitions",
    "fit_dwell",
    "fit_exit",
    "kaplan_meier",
    "load_mapping",
    "map_events",
    "read_events",
]
