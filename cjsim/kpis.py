"""Every KPI, declared once: name, unit, kind, node family and meaning.

Engines name their KPIs from here, the terminal tables format them by unit, the plots
label them and look up per-node figures with :func:`split_name` instead of parsing
strings themselves.  A per-node KPI is written ``name[node]``: ``visits[website]`` is
the expected number of visits to the touchpoint ``website`` per customer.

>>> KPIS["conversion_rate"].unit
'share'
>>> node_name("visits", "website")
'visits[website]'
>>> split_name("visits[website]"), split_name("profit")
(('visits', 'website'), ('profit', None))
>>> lookup("wait_mean[returns]").family
'capacity'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "FAMILIES",
    "KINDS",
    "KPIS",
    "UNITS",
    "Kpi",
    "lookup",
    "node_name",
    "of_family",
    "split_name",
    "unit_of",
]

UNITS = (
    "share",  # a fraction in [0, 1]
    "customers",
    "money",  # the scenario's currency
    "money per customer",
    "days",
    "per customer",  # a count per customer
    "factor",  # a multiplier
    "points",  # satisfaction (the scenario's own scale, see cjsim.model.Satisfaction)
)
KINDS = ("count", "rate", "money", "time", "queue", "satisfaction")
FAMILIES = ("touchpoint", "outcome", "stage", "capacity")  # capacity: a touchpoint with servers


@dataclass(frozen=True)
class Kpi:
    """One KPI.

    Attributes
    ----------
    name : str
        Its name; a per-node KPI's full name is ``name[node]`` (:func:`node_name`).
    unit : str
        One of :data:`UNITS`.
    kind : str
        One of :data:`KINDS`.
    description : str
        What it measures, in a sentence.
    family : str or None
        For a per-node KPI, the kind of node it is given for (:data:`FAMILIES`).
    higher_is_better : bool or None
        Which direction is good; None where it depends.
    heading : str
        The heading of its block in the terminal tables (per-node KPIs); empty: not shown.
    """

    name: str
    unit: str
    kind: str
    description: str
    family: str | None = None
    higher_is_better: bool | None = None
    heading: str = ""

    def __post_init__(self) -> None:
        if self.unit not in UNITS or self.kind not in KINDS:
            raise ValueError(f"KPI {self.name}: unit {self.unit!r} or kind {self.kind!r} unknown")
        if self.family is not None and self.family not in FAMILIES:
            raise ValueError(f"KPI {self.name}: node family {self.family!r} unknown")


def _declare(*kpis: Kpi) -> Mapping[str, Kpi]:
    return MappingProxyType({k.name: k for k in kpis})


KPIS: Mapping[str, Kpi] = _declare(
    Kpi("customers", "customers", "count", "customers who arrived within the horizon"),
    Kpi("initial_customers", "customers", "count", "customers placed by the warm start at day 0"),
    Kpi(
        "conversion_rate",
        "share",
        "rate",
        "share of customers with a purchase",
        higher_is_better=True,
    ),
    Kpi(
        "repeat_rate",
        "share",
        "rate",
        "share of converters with two or more purchases",
        higher_is_better=True,
    ),
    Kpi(
        "retained_rate",
        "share",
        "rate",
        "share of converters not churned at the horizon",
        higher_is_better=True,
    ),
    Kpi(
        "purchases_per_customer",
        "per customer",
        "count",
        "purchases per customer",
        higher_is_better=True,
    ),
    Kpi("revenue", "money", "money", "order value less refunds", higher_is_better=True),
    Kpi(
        "revenue_per_customer",
        "money per customer",
        "money",
        "revenue per customer",
        higher_is_better=True,
    ),
    Kpi("average_order_value", "money", "money", "order value per purchase", higher_is_better=True),
    Kpi(
        "cost", "money", "money", "touchpoint, per-customer and fixed costs", higher_is_better=False
    ),
    Kpi(
        "cost_per_customer",
        "money per customer",
        "money",
        "touchpoint and per-customer costs per customer",
        higher_is_better=False,
    ),
    Kpi(
        "profit",
        "money",
        "money",
        "gross margin on revenue less every cost (in a comparison, the intervention's too)",
        higher_is_better=True,
    ),
    Kpi(
        "profit_per_customer",
        "money per customer",
        "money",
        "profit per customer, the journey's fixed costs left out (in a comparison, less the "
        "intervention's whole cost per customer)",
        higher_is_better=True,
    ),
    Kpi(
        "gross_profit",
        "money",
        "money",
        "in a comparison: profit before the intervention's cost",
        higher_is_better=True,
    ),
    Kpi(
        "gross_profit_per_customer",
        "money per customer",
        "money",
        "in a comparison: profit per customer before the intervention's cost",
        higher_is_better=True,
    ),
    Kpi(
        "clv",
        "money per customer",
        "money",
        "discounted lifetime profit per customer",
        higher_is_better=True,
    ),
    Kpi(
        "time_to_first_purchase",
        "days",
        "time",
        "days from arrival to the first purchase, of converters",
    ),
    Kpi("time_to_absorption", "days", "time", "days from arrival to an outcome, of those absorbed"),
    Kpi(
        "in_flight_share", "share", "rate", "share of customers still in the journey at the horizon"
    ),
    Kpi(
        "referrals_per_customer",
        "share",
        "rate",
        "share of all customers who came by referral",
        higher_is_better=True,
    ),
    Kpi(
        "population_multiplier", "factor", "count", "customers per arrival, referred ones included"
    ),
    Kpi(
        "intervention_cost",
        "money",
        "money",
        "what the intervention costs over the horizon",
        higher_is_better=False,
    ),
    Kpi(
        "gross_clv",
        "money per customer",
        "money",
        "in a comparison: CLV before the intervention's cost",
        higher_is_better=True,
    ),
    Kpi(
        "npv",
        "money",
        "money",
        "net present value at day 0 of the net cash per day",
        higher_is_better=True,
    ),
    Kpi(
        "stage_reach",
        "share",
        "rate",
        "share of customers reaching the stage",
        family="stage",
        higher_is_better=True,
        heading="Stage reach",
    ),
    Kpi(
        "visits",
        "per customer",
        "count",
        "visits to the touchpoint per customer",
        family="touchpoint",
        heading="Visits per customer",
    ),
    Kpi(
        "absorption",
        "share",
        "rate",
        "share of customers ending in the outcome",
        family="outcome",
        heading="Where customers end",
    ),
    Kpi(
        "wait_mean",
        "days",
        "queue",
        "mean wait before service",
        family="capacity",
        higher_is_better=False,
        heading="Queues: mean wait (days)",
    ),
    Kpi(
        "wait_p90",
        "days",
        "queue",
        "90th percentile of the wait",
        family="capacity",
        higher_is_better=False,
        heading="Queues: 90th percentile wait (days)",
    ),
    Kpi(
        "wait_probability",
        "share",
        "queue",
        "share of served customers who waited",
        family="capacity",
        higher_is_better=False,
    ),
    Kpi(
        "utilization",
        "share",
        "queue",
        "share of server time busy within the horizon",
        family="capacity",
        heading="Queues: utilisation",
    ),
    Kpi(
        "queue_length",
        "customers",
        "queue",
        "mean number waiting over the horizon",
        family="capacity",
        higher_is_better=False,
    ),
    Kpi(
        "reneged",
        "share",
        "queue",
        "share of customers who gave up waiting",
        family="capacity",
        higher_is_better=False,
        heading="Queues: share who gave up",
    ),
    Kpi(
        "satisfaction_mean",
        "points",
        "satisfaction",
        "mean satisfaction of customers when they leave the journey or at the horizon",
        higher_is_better=True,
    ),
    Kpi(
        "promoter_share",
        "share",
        "satisfaction",
        "share of customers ending with satisfaction >= promoter_at",
        higher_is_better=True,
    ),
    Kpi(
        "detractor_share",
        "share",
        "satisfaction",
        "share of customers ending with satisfaction <= detractor_at",
        higher_is_better=False,
    ),
    Kpi(
        "net_promoter",
        "share",
        "satisfaction",
        "NPS-like: promoter share minus detractor share (in [-1, 1])",
        higher_is_better=True,
    ),
    Kpi(
        "satisfaction",
        "points",
        "satisfaction",
        "mean satisfaction of customers leaving a visit of the stage (the emotional curve)",
        family="stage",
        higher_is_better=True,
        heading="Satisfaction leaving the stage",
    ),
    Kpi(
        "satisfaction_at",
        "points",
        "satisfaction",
        "mean satisfaction of customers leaving a visit of the touchpoint",
        family="touchpoint",
        higher_is_better=True,
    ),
)


def node_name(kpi: str, node: str) -> str:
    """The full name of per-node KPI ``kpi`` at ``node``: ``visits[website]``.

    Raises
    ------
    ValueError
        If ``kpi`` is not a per-node KPI.
    """
    if kpi not in KPIS or KPIS[kpi].family is None:
        per_node = ", ".join(k.name for k in KPIS.values() if k.family)
        raise ValueError(f"{kpi!r} is not a per-node KPI — use one of {per_node}")
    return f"{kpi}[{node}]"


def split_name(name: str) -> tuple[str, str | None]:
    """``("visits", "website")`` for ``visits[website]``; ``(name, None)`` for a KPI of the
    whole journey (no brackets)."""
    head, bracket, rest = name.partition("[")
    if not bracket or not rest.endswith("]"):
        return name, None
    return head, rest[:-1]


def lookup(name: str) -> Kpi | None:
    """The declaration of a KPI by full name (``visits[website]`` or ``profit``), or None."""
    return KPIS.get(split_name(name)[0])


def unit_of(name: str) -> str:
    """The unit of a KPI by full name; ``""`` when it is not declared."""
    kpi = lookup(name)
    return kpi.unit if kpi is not None else ""


def of_family(family: str) -> tuple[Kpi, ...]:
    """The per-node KPIs given for each node of ``family`` (:data:`FAMILIES`), in order."""
    if family not in FAMILIES:
        raise ValueError(f"unknown node family {family!r} — use one of {', '.join(FAMILIES)}")
    return tuple(k for k in KPIS.values() if k.family == family)
