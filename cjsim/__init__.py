"""cjsim — simulate customer journeys and answer what-if questions about them.

The public names below load when first used (:mod:`cjsim._lazy`): ``import cjsim`` does
not import pandas, SciPy, SimPy, Dask or matplotlib.
"""

from typing import TYPE_CHECKING

from cjsim._lazy import attach
from cjsim._version import package_version
from cjsim.errors import (
    CalibrationError,
    CJSimError,
    InterventionError,
    ModelError,
    OptionError,
    ScenarioFileError,
    SimulationError,
)

if TYPE_CHECKING:
    from cjsim.analysis.abtest import ABTestDesign, ab_test_design
    from cjsim.calibration import EventColumns, calibrate, load_fit, validate
    from cjsim.channels import attribution
    from cjsim.engines import Result, solve_analytic
    from cjsim.engines.registry import engine_names, get_engine, register_engine
    from cjsim.experiment import RunOptions, simulate
    from cjsim.interventions import Intervention, apply, load_interventions
    from cjsim.interventions.compare import Comparison, compare
    from cjsim.model import JourneyBuilder, Scenario, WarmStart
    from cjsim.scenario import json_schema, load_scenario, save_scenario

__getattr__, __dir__ = attach(
    __name__,
    {
        "cjsim.analysis.abtest": ("ABTestDesign", "ab_test_design"),
        "cjsim.calibration": ("EventColumns", "calibrate", "load_fit", "validate"),
        "cjsim.channels": ("attribution",),
        "cjsim.engines": ("Result", "solve_analytic"),
        "cjsim.engines.registry": ("engine_names", "get_engine", "register_engine"),
        "cjsim.experiment": ("RunOptions", "simulate"),
        "cjsim.interventions": ("Intervention", "apply", "load_interventions"),
        "cjsim.interventions.compare": ("Comparison", "compare"),
        "cjsim.model": ("JourneyBuilder", "Scenario", "WarmStart"),
        "cjsim.scenario": ("json_schema", "load_scenario", "save_scenario"),
    },
    submodules=(
        "_io",
        "calibration",
        "channels",
        "economics",
        "engines",
        "experiment",
        "formatting",
        "intervals",
        "interventions",
        "kpis",
        "model",
        "scenario",
        "templates",
    ),
)

__version__ = package_version()

__all__ = [
    "ABTestDesign",
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
    "ab_test_design",
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
