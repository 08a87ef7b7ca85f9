"""The journey model: immutable, validated, free of files and engines."""

from cjsim.model.builder import JourneyBuilder
from cjsim.model.distributions import (
    DISTRIBUTIONS,
    Distribution,
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Uniform,
    Weibull,
)
from cjsim.model.goals import JourneyGoal
from cjsim.model.journey import (
    CohortArrivals,
    DwellRate,
    Economics,
    ExperienceEffect,
    Outcome,
    PoissonArrivals,
    Population,
    Referrals,
    Scenario,
    Segment,
    Touchpoint,
)
from cjsim.model.satisfaction import Feeling, Satisfaction
from cjsim.model.validation import find_problems, to_networkx
from cjsim.model.warm import WarmStart

__all__ = [
    "DISTRIBUTIONS",
    "CohortArrivals",
    "Distribution",
    "DwellRate",
    "Economics",
    "Empirical",
    "ExperienceEffect",
    "Exponential",
    "Feeling",
    "Fixed",
    "Gamma",
    "JourneyBuilder",
    "JourneyGoal",
    "LogNormal",
    "Outcome",
    "PoissonArrivals",
    "Population",
    "Referrals",
    "Satisfaction",
    "Scenario",
    "Segment",
    "Touchpoint",
    "Uniform",
    "WarmStart",
    "Weibull",
    "find_problems",
    "to_networkx",
]
