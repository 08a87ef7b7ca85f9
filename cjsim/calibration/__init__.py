"""Calibration from event logs: reading and mapping logs, transition rows with Dirichlet
posteriors, censored dwell fits, silent exits by a mixture cure model, segments from a
column or latent segments by EM, seasonal arrivals, the warm start at the cut-off
(:func:`calibrate`), and the holdout check (:func:`validate`)."""

from cjsim.calibration.arrivals import ArrivalFit, fit_arrivals
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
from cjsim.calibration.fit import SILENT_EXIT, Fit, calibrate, load_fit
from cjsim.calibration.mixture import Mixture
from cjsim.calibration.transitions import RowPosterior, count_transitions
from cjsim.calibration.validate import Validation, validate

__all__ = [
    "SILENT_EXIT",
    "ArrivalFit",
    "DwellFit",
    "EventColumns",
    "ExitFit",
    "Fit",
    "MappedLog",
    "Mapping",
    "Mixture",
    "RowPosterior",
    "Validation",
    "calibrate",
    "count_transitions",
    "fit_arrivals",
    "fit_dwell",
    "fit_exit",
    "kaplan_meier",
    "load_fit",
    "load_mapping",
    "map_events",
    "read_events",
    "validate",
]
