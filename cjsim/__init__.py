"""cjsim — simulate customer journeys and answer what-if questions about them."""

from cjsim._version import package_version
from cjsim.calibration import EventColumns, calibrate, load_fit, validate
from cjsim.channels import attribution
from cjsim.engines import Result, solve_analytic
from cjsim.engines.registry import engine_names, get_engine, register_engine
from cjsim.errors import (
    CalibrationError,
    CJSimError,
    InterventionError,
    ModelError,
    OptionError,
    ScenarioFileError,
    SimulationError,
)
from cjsim.experiment import RunOptions, simulate
from cjsim.interventions import Intervention, apply, load_interventions
from cjsim.interventions.compare import Comparison, compare
from cjsim.model import JourneyBuilder, Scenario, WarmStart
from cjsim.scenario import json_schema, load_scenario, save_scenario

__version__ = package_version()

__all__ = [
    "CJSimError",
    "CalibrationError",
    "Comparison",
    "EventColumns",
    "Intervention",
    "InterventionError",
    "JourneyBuilder",
    "ModelError",
    "OptionError",
    "Result",
    "RunOptions",
    "Scenario",
    "ScenarioFileError",
    "SimulationError",
    "WarmStart",
    "apply",
    "attribution",
    "calibrate",
    "compare",
    "engine_names",
    "get_engine",
    "json_schema",
    "load_fit",
    "load_interventions",
    "load_scenario",
    "register_engine",
    "save_scenario",
    "simulate",
    "solve_analytic",
    "validate",
]
