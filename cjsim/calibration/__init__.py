"""Calibration from event logs: reading and mapping logs, transition rows with Dirichlet
posteriors, censored dwell fits, silent exits by a mixture cure model, segments from a
column or latent segments by EM, seasonal arrivals, the warm start at the cut-off
(:func:`calibrate`), and the holdout check (:func:`validate`).

:func:`calibrate` runs five stages (:mod:`.stages`: prepare the log, pooled exits,
classes, destinations; :func:`.fit.assemble` with :mod:`.outputs` and :mod:`.assembler`);
:mod:`.saved` writes a :class:`Fit` and reads it back whole (:func:`load_fit`)."""

from typing import TYPE_CHECKING

from cjsim._lazy import attach

if TYPE_CHECKING:
    from cjsim.calibration.arrivals import ArrivalFit, fit_arrivals
    from cjsim.calibration.assembler import Assembler, Parameters, draw_parameters
    from cjsim.calibration.baselines import BGNBD, fit_bgnbd
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
    from cjsim.calibration.stages import CalibrationOptions
    from cjsim.calibration.transitions import RowPosterior, count_transitions
    from cjsim.calibration.validate import Validation, validate

__getattr__, __dir__ = attach(
    __name__,
    {
        "cjsim.calibration.arrivals": ("ArrivalFit", "fit_arrivals"),
        "cjsim.calibration.assembler": ("Assembler", "Parameters", "draw_parameters"),
        "cjsim.calibration.baselines": ("BGNBD", "fit_bgnbd"),
        "cjsim.calibration.dwell": ("DwellFit", "fit_dwell", "kaplan_meier"),
        "cjsim.calibration.events": (
            "EventColumns",
            "MappedLog",
            "Mapping",
            "load_mapping",
            "map_events",
            "read_events",
        ),
        "cjsim.calibration.exits": ("ExitFit", "fit_exit"),
        "cjsim.calibration.fit": ("SILENT_EXIT", "Fit", "calibrate", "load_fit"),
        "cjsim.calibration.mixture": ("Mixture",),
        "cjsim.calibration.stages": ("CalibrationOptions",),
        "cjsim.calibration.transitions": ("RowPosterior", "count_transitions"),
        "cjsim.calibration.validate": ("Validation", "validate"),
    },
)

__all__ = [
    "BGNBD",
    "SILENT_EXIT",
    "ArrivalFit",
    "Assembler",
    "CalibrationOptions",
    "DwellFit",
    "EventColumns",
    "ExitFit",
    "Fit",
    "MappedLog",
    "Mapping",
    "Mixture",
    "Parameters",
    "RowPosterior",
    "Validation",
    "calibrate",
    "count_transitions",
    "draw_parameters",
    "fit_arrivals",
    "fit_bgnbd",
    "fit_dwell",
    "fit_exit",
    "kaplan_meier",
    "load_fit",
    "load_mapping",
    "map_events",
    "read_events",
    "validate",
]
