"""Scenario files (TOML) <-> the journey model, and the format's JSON Schema."""

from typing import TYPE_CHECKING

from cjsim._lazy import attach

if TYPE_CHECKING:
    from cjsim.scenario.load import load_scenario, read_toml, scenario_from_dict
    from cjsim.scenario.save import save_scenario, scenario_to_dict, scenario_to_toml
    from cjsim.scenario.schema import json_schema

__getattr__, __dir__ = attach(
    __name__,
    {
        "cjsim.scenario.load": ("load_scenario", "read_toml", "scenario_from_dict"),
        "cjsim.scenario.save": ("save_scenario", "scenario_to_dict", "scenario_to_toml"),
        "cjsim.scenario.schema": ("json_schema",),
    },
)

__all__ = [
    "json_schema",
    "load_scenario",
    "read_toml",
    "save_scenario",
    "scenario_from_dict",
    "scenario_to_dict",
    "scenario_to_toml",
]
