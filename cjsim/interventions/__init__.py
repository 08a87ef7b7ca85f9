"""What-if interventions: pure transforms of a scenario, each with its costs."""

from cjsim.interventions.intervention import (
    RESERVED_NAMES,
    Change,
    Costs,
    Intervention,
    apply,
    check_interventions,
    combine,
)
from cjsim.interventions.io import (
    interventions_from_dict,
    interventions_to_toml,
    load_interventions,
    save_interventions,
)
from cjsim.interventions.operations import FEATURES, OPERATIONS, Operation, Touch

__all__ = [
    "FEATURES",
    "OPERATIONS",
    "RESERVED_NAMES",
    "Change",
    "Costs",
    "Intervention",
    "Operation",
    "Touch",
    "apply",
    "check_interventions",
    "combine",
    "interventions_from_dict",
    "interventions_to_toml",
    "load_interventions",
    "save_interventions",
]
