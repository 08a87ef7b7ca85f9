"""Words for people on every figure: KPI names, ranking metrics and the names of
touchpoints, stages and variants, written without underscores.

The KPI registry (:mod:`cjsim.kpis`) declares every KPI; this module is the one place
that turns its names into the words a figure shows.

>>> kpi_label("conversion_rate"), kpi_label("npv"), kpi_label("stage_reach[purchase]")
('conversion rate', 'NPV', 'share reaching purchase')
>>> kpi_label("wait_mean[support_chat]")
'mean wait at support chat (days)'
>>> name_label("loyalty_program+faster_returns")
'loyalty program + faster returns'
"""

from __future__ import annotations

import re
from typing import Any

from cjsim.kpis import lookup, split_name

__all__ = ["engine_label", "kpi_label", "name_label", "plain", "unit_suffix"]

ACRONYMS = {"npv": "NPV", "clv": "CLV", "roi": "ROI", "des": "DES"}
WORDS = {  # KPIs and ranking metrics whose name does not read well with spaces
    "wait_mean": "mean wait",
    "wait_p90": "90th-percentile wait",
    "wait_probability": "share who waited",
    "reneged": "share who gave up waiting",
    "utilization": "utilisation",
    "in_flight_share": "share still in the journey",
    "time_to_first_purchase": "time to the first purchase",
    "time_to_absorption": "time to an outcome",
    "population_multiplier": "customers per arrival",
    "delta_conversion": "change in conversion rate",
    "p_beats_baseline": "P(beats the baseline)",
    "p_best": "P(best)",
}
PER_NODE = {  # how a per-node KPI names its node
    "stage_reach": "share reaching {node}",
    "visits": "visits to {node} per customer",
    "absorption": "share ending {node}",
}
UNIT_SUFFIX = {"days": " (days)"}


def plain(text: object) -> str:
    """``text`` drawn as written: a ``$`` is escaped so matplotlib never parses a user's
    name as mathtext (``$x^{$`` would raise)."""
    return re.sub(r"(?<!\\)\$", r"\\$", str(text))


def name_label(name: object) -> str:
    """A touchpoint, stage, outcome or variant name as words: underscores become spaces
    and a portfolio's ``a+b`` reads ``a + b``."""
    return plain(name).replace("_", " ").replace("+", " + ")


def engine_label(engine: str) -> str:
    """``DES engine``, ``analytic engine``: an engine's name in a title."""
    return f"{ACRONYMS.get(engine, name_label(engine))} engine"


def unit_suffix(name: str, meta: dict[str, Any] | None = None) -> str:
    """`` (EUR)`` for a KPI in money when the currency is known, `` (days)`` for one in
    days, else nothing."""
    kpi = lookup(name)
    if kpi is None:
        return ""
    if kpi.unit.startswith("money"):
        currency = (meta or {}).get("currency")
        return f" ({currency})" if currency else ""
    return UNIT_SUFFIX.get(kpi.unit, "")


def _words(name: str) -> str:
    if name in WORDS:
        return WORDS[name]
    return " ".join(ACRONYMS.get(w, w) for w in name.split("_"))


def kpi_label(name: str, meta: dict[str, Any] | None = None) -> str:
    """The words for a KPI by its full name (``profit_per_customer``,
    ``visits[website]``) or a ranking metric (``incremental_profit``); per-node KPIs name
    their node, and KPIs in days (or in money, with ``meta["currency"]``) their unit."""
    base, node = split_name(name)
    if node is None:
        return _words(base) + unit_suffix(name, meta)
    template = PER_NODE.get(base, _words(base) + " at {node}")
    return template.format(node=name_label(node)) + unit_suffix(name, meta)
