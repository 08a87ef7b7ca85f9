"""The scenario file format as pydantic models: types, required and unknown keys.

These models check the *shape* of a file (strict types, no unknown keys); the
journey model then checks the meaning.  :func:`json_schema` is what
``cjsim schema`` prints.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["DistSpec", "ScenarioFile", "TouchpointSpec", "json_schema"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ExponentialSpec(_Spec):
    dist: Literal["exponential"]
    mean: float = Field(description="mean (days or money)")


class GammaSpec(_Spec):
    dist: Literal["gamma"]
    mean: float | None = None
    cv: float | None = Field(None, description="coefficient of variation, std/mean")
    shape: float | None = None
    scale: float | None = None


class LogNormalSpec(_Spec):
    dist: Literal["lognormal"]
    mean: float | None = None
    cv: float | None = None
    median: float | None = None
    sigma: float | None = Field(None, description="standard deviation of log(X)")


class WeibullSpec(_Spec):
    dist: Literal["weibull"]
    shape: float
    scale: float


class UniformSpec(_Spec):
    dist: Literal["uniform"]
    low: float
    high: float


class FixedSpec(_Spec):
    dist: Literal["fixed"]
    value: float


class EmpiricalSpec(_Spec):
    dist: Literal["empirical"]
    values: list[float]
    weights: list[float] | None = None


DistSpec = Annotated[
    ExponentialSpec
    | GammaSpec
    | LogNormalSpec
    | WeibullSpec
    | UniformSpec
    | FixedSpec
    | EmpiricalSpec,
    Field(discriminator="dist"),
]


class HeaderSpec(_Spec):
    name: str
    horizon_days: float | None = Field(None, description="required by simulation engines")
    currency: str = "EUR"
    stages: list[str] | None = Field(None, description="ordered; default: order of first use")
    description: str | None = None


class CohortSpec(_Spec):
    kind: Literal["cohort"]
    size: int


class PoissonSpec(_Spec):
    kind: Literal["poisson"]
    rate_per_day: float | list[list[float]] = Field(
        description="a rate, or [[start_day, rate], ...] pieces starting at day 0"
    )


class SegmentSpec(_Spec):
    name: str
    share: float
    order_value_multiplier: float = 1.0
    edge_multipliers: dict[str, float] = Field(
        default_factory=dict, description='keyed "from->to"; the row is renormalised'
    )
    dwell_multipliers: dict[str, float] = Field(
        default_factory=dict,
        description="keyed by touchpoint: this segment's dwell there is the base dwell times "
        "the factor (> 0); service time is unaffected",
    )
    dwell: dict[str, DistSpec] = Field(
        default_factory=dict,
        description="keyed by touchpoint: this segment's own dwell distribution there (days), "
        "replacing the touchpoint's; not together with a dwell multiplier for the same one",
    )
    order_value: dict[str, DistSpec] = Field(
        default_factory=dict,
        description="keyed by purchase touchpoint: this segment's own order-value "
        "distribution there (money), replacing the touchpoint's; order_value_multiplier "
        "still applies",
    )


class PopulationSpec(_Spec):
    arrivals: Annotated[CohortSpec | PoissonSpec, Field(discriminator="kind")]
    entry: dict[str, float]
    segments: list[SegmentSpec] = Field(default_factory=list)
    initial: dict[str, int] = Field(
        default_factory=dict,
        description="warm start: customers at these touchpoints at day 0 (simulation engines)",
    )
    warm_start: str | None = Field(
        None,
        description="warm start: a CSV file (relative to the scenario file) of customers "
        "already in the journey at day 0, one row per alternative: "
        "customer,touchpoint,elapsed_days[,segment,probability]",
    )


class EconomicsSpec(_Spec):
    gross_margin: float = 1.0
    discount_rate: float = Field(0.0, description="annual, for NPV and CLV")
    fixed_cost_per_day: float = 0.0
    cost_per_customer: float = 0.0


class ReferralsSpec(_Spec):
    mean: float = Field(description="expected new customers per visit (Poisson)")
    entry: str
    delay: DistSpec | None = None


class ExperienceSpec(_Spec):
    waited_over_days: float
    scale: dict[str, float]


class FeelingSpec(_Spec):
    visit: float = Field(0.0, description="satisfaction change per visit (at a desk: served)")
    wait_over_days: float | None = Field(None, description="at a desk: the wait threshold")
    wait: float = Field(0.0, description="change when the wait exceeds wait_over_days")
    renege: float = Field(0.0, description="change when the customer gives up waiting")
    refund: float = Field(0.0, description="change when an order is refunded here")


class SatisfactionSpec(_Spec):
    start: float = Field(0.0, description="every customer's satisfaction on arrival")
    promoter_at: float = Field(1.0, description="final satisfaction >= this: a promoter")
    detractor_at: float = Field(-1.0, description="final satisfaction <= this: a detractor")
    link: dict[str, float] = Field(
        default_factory=dict,
        description="target node -> beta: every row is tilted p'_ij ∝ p_ij exp(beta_j s)",
    )


class TouchpointSpec(_Spec):
    stage: str
    description: str | None = None
    dwell: DistSpec | None = None
    purchase: bool = False
    order_value: DistSpec | None = None
    cost_per_visit: float = 0.0
    refund_share: float = 0.0
    capacity: int | None = None
    service: DistSpec | None = None
    patience: DistSpec | None = None
    renege_to: str | None = None
    experience: list[ExperienceSpec] = Field(default_factory=list)
    satisfaction: FeelingSpec | None = None
    referrals: ReferralsSpec | None = None
    dwell_rate: list[list[float]] | None = Field(
        None,
        description="[[start_day, factor], ...]: a calendar of the pace of moving on (a "
        "factor of 1.3 from that day: dwell ends 30 % sooner); first piece at day 0",
    )
    memory_of: str | None = Field(
        None,
        description="in a journey with memory: the original touchpoint this one is a state "
        "of (visits and removal effects add up over its states)",
    )
    dwell_rate_period_days: float | None = Field(
        None,
        description="the dwell_rate calendar repeats with this period (e.g. 7: a weekly "
        "calendar of office hours); every piece starts within [0, period)",
    )


class OutcomeSpec(_Spec):
    description: str | None = None


class JourneySpec(_Spec):
    name: str
    entry: str | None = Field(None, description="the touchpoint its customers enter at")
    segment: str | None = Field(None, description="or the segment its customers belong to")
    start: str | None = Field(
        None,
        alias="from",
        description="or a sub-path: every customer from its first visit to this touchpoint on",
    )
    targets: dict[str, float] = Field(
        description="KPI -> the value the journey's customers should reach"
    )


class ScenarioFile(_Spec):
    """A whole scenario file."""

    scenario: HeaderSpec
    population: PopulationSpec
    economics: EconomicsSpec = Field(default_factory=EconomicsSpec)
    touchpoints: dict[str, TouchpointSpec]
    outcomes: dict[str, OutcomeSpec]
    transitions: dict[str, dict[str, float | str]] = Field(
        description='next-node probabilities; rest = "node" takes the remainder'
    )
    journeys: list[JourneySpec] = Field(
        default_factory=list, description="journeys with targets, for the success scores"
    )
    satisfaction: SatisfactionSpec | None = None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the scenario file format."""
    schema = ScenarioFile.model_json_schema()
    schema["title"] = "cjsim scenario file"
    return schema
