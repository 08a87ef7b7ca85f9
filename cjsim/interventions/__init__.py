"""What-if interventions: pure transforms of a scenario, each with its costs."""

from cjsim.interventions.io import (
    interventions_from_dict,
    interventions_to_toml,
    load_interventions,
    save_interventions,
)
from cjsim.interventions.model import OPERATIONS, Change, Costs, Intervention, apply, combine

__all__ = [
    "OPERATIONS",
    "Change",
    "Costs",
    "Intervention",
    "apply",
    "combine",
    "interventions_from_dict",
    "interventions_to_toml",
    "load_interventions",
    "save_interventions",
]
