"""Plain-text views for the terminal (at most 100 columns)."""

from __future__ import annotations

import math
import textwrap

import pandas as pd

from cjsim.engines.result import Result
from cjsim.model import CohortArrivals, Scenario

__all__ = ["check_summary", "format_number", "result_tables"]

WIDTH = 100

_MONEY = {
    "revenue_per_customer",
    "average_order_value",
    "cost_per_customer",
    "profit_per_customer",
    "clv",
    "revenue",
    "cost",
    "profit",
}
_SHARES = {
    "conversion_rate",
    "repeat_rate",
    "referrals_per_customer",
    "retained_rate",
    "in_flight_share",
}


def format_number(value: float, kind: str = "") -> str:
    """A readable number: shares as %, money with thousands separators."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if kind == "share":
        return f"{100 * value:.2f} %"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if kind == "money":
        return f"{value:,.2f}"
    return f"{value:.4g}"


def _kind(kpi: str) -> str:
    if kpi in _SHARES or kpi.startswith(
        ("stage_reach[", "absorption[", "utilization[", "reneged[", "wait_probability[")
    ):
        return "share"
    return "money" if kpi in _MONEY else ""


def _wrap(label: str, text: str) -> str:
    return textwrap.fill(text, WIDTH, initial_indent=f"  {label:<17}", subsequent_indent=" " * 19)


def check_summary(sc: Scenario, result: Result, source: str) -> str:
    """What ``cjsim check`` prints for a valid file."""
    arr = sc.population.arrivals
    if isinstance(arr, CohortArrivals):
        arrivals = f"cohort of {arr.size:,}"
    else:
        arrivals = ", ".join(f"{r:g}/day from day {s:g}" for s, r in arr.rates)
    lines = [
        f"{source}: OK — {sc.name}",
        _wrap(
            "horizon",
            f"{sc.horizon_days:g} days"
            if sc.horizon_days
            else "not set (simulation engines need horizon_days)",
        ),
        _wrap("currency", sc.currency),
        _wrap(
            "arrivals", "poisson " + arrivals if not isinstance(arr, CohortArrivals) else arrivals
        ),
        _wrap("stages", " → ".join(sc.stages)),
    ]
    for stage in sc.stages:
        names = [
            n + ("*" if tp.capacity else "") + ("$" if tp.purchase else "")
            for n, tp in sc.touchpoints.items()
            if tp.stage == stage
        ]
        lines.append(_wrap(f"  {stage}", ", ".join(names) or "(none)"))
    lines.append(" " * 19 + "(* capacity: a queue in the DES engine; $ purchase)")
    lines.append(
        _wrap("entry", ", ".join(f"{k} {100 * v:.1f} %" for k, v in sc.population.entry.items()))
    )
    lines.append(_wrap("outcomes", ", ".join(sc.outcomes)))
    if sc.population.segments:
        lines.append(
            _wrap(
                "segments",
                ", ".join(f"{s.name} {100 * s.share:.1f} %" for s in sc.population.segments),
            )
        )
    lines.append(
        _wrap(
            "referrals",
            f"{result['referrals_per_customer']:.4g} per customer "
            f"(population × {result['population_multiplier']:.4g})",
        )
    )
    lines.append(_wrap("conversion", f"{100 * result['conversion_rate']:.2f} % (analytic)"))
    warnings = [w.format() for w in sc.warnings] or ["none"]
    lines.append(_wrap("warnings", "; ".join(warnings)))
    return "\n".join(lines)


def _kpi_block(frame: pd.DataFrame, title: str, intervals: bool) -> list[str]:
    lines = [f"{title:<42} {'mean':>18}   95 % interval" if intervals else title]
    for kpi, mean, low, high in zip(
        frame["kpi"], frame["mean"], frame["ci_low"], frame["ci_high"], strict=True
    ):
        kind = _kind(str(kpi))
        line = f"  {kpi!s:<40} {format_number(float(mean), kind):>18}"
        if intervals:
            line += f"   [{format_number(float(low), kind)}, {format_number(float(high), kind)}]"
        lines.append(line)
    return lines


def result_tables(result: Result, top_edges: int = 10) -> str:
    """What ``cjsim run`` prints: KPIs, removal effects, strongest edges, notes."""
    currency = result.meta.get("currency", "")
    k = result.kpis
    detail = k["kpi"].str.contains(r"\[")
    intervals = result.engine != "analytic"
    head = f"{result.scenario} — engine: {result.engine} (money in {currency})"
    if intervals:
        meta = result.meta
        head += (
            f"\n{meta.get('replications')} replications, seed {meta.get('seed')}, "
            f"horizon {meta.get('horizon_days'):g} days"
        )
    lines = [head, ""]
    lines += _kpi_block(k[~detail], "KPIs", intervals)
    for prefix, title in (
        ("stage_reach[", "Stage reach"),
        ("visits[", "Visits per customer"),
        ("absorption[", "Where customers end"),
        ("wait_mean[", "Queues: mean wait (days)"),
        ("wait_p90[", "Queues: 90th percentile wait (days)"),
        ("utilization[", "Queues: utilisation"),
        ("reneged[", "Queues: share who gave up"),
    ):
        block = k[k["kpi"].str.startswith(prefix)]
        if not block.empty:
            lines += ["", *_kpi_block(block, title, intervals)]
    removal = result.tables.get("removal_effects")
    if removal is not None:
        lines += ["", "Removal effects (share of conversions lost without the touchpoint)"]
        ranked = removal.sort_values("removal_effect", ascending=False)
        for name, effect in zip(ranked["touchpoint"], ranked["removal_effect"], strict=True):
            lines.append(f"  {name!s:<40} {100 * float(effect):>16.2f} %")
    el = result.tables.get("elasticities")
    if el is not None and not el.empty:
        conv = el[el["kpi"] == "conversion_rate"].dropna(subset=["elasticity"])
        conv = conv.reindex(conv["elasticity"].abs().sort_values(ascending=False).index)
        lines += [
            "",
            f"Edges that move conversion most (elasticity: % change per 1 % change "
            f"of the edge; top {top_edges})",
        ]
        for record in conv.head(top_edges).to_dict(orient="records"):
            edge = f"{record['from']} -> {record['to']}"
            lines.append(
                f"  {edge:<40} {record['probability']:>8.3f} {record['elasticity']:>+9.3f}"
            )
    if result.notes:
        lines += ["", "Notes"] + [
            textwrap.fill(n, WIDTH, initial_indent="  - ", subsequent_indent="    ")
            for n in result.notes
        ]
    return "\n".join(lines)
