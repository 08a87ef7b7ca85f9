"""``cjsim report``: one self-contained HTML page a planner can e-mail.

The page opens with a computed recommendation (the best investment, or with a budget the
best portfolio within it, its incremental profit with its interval and the chance it is
really the best), then holds the investment ranking (with break-even and P(best)), the
budget portfolio, the KPI changes (profit net of each investment's cost, as in the
ranking) as tables, the figures as embedded PNG images (no file or network access needed
to view it), what the engine cannot see, and the assumptions: scenario, horizon, engine,
runs, seed, budget, economics and the comparison's notes.  Numbers are written by
:mod:`cjsim.formatting`.  A
tiny inline script marks the page once every image has loaded, which the browser test
reads.
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

import cjsim.formatting as fmt
from cjsim._io import atomic_write_text
from cjsim.engines.analytic import solve
from cjsim.engines.result import Result
from cjsim.experiment import RunOptions
from cjsim.interventions import Intervention
from cjsim.interventions.compare import Comparison, compare
from cjsim.interventions.portfolio import with_budget
from cjsim.kpis import unit_of
from cjsim.model import Scenario

if TYPE_CHECKING:
    from cjsim.analysis.success import SuccessScores

__all__ = ["build_report", "render_report", "write_report"]

KEY_KPIS = (
    "conversion_rate",
    "repeat_rate",
    "revenue_per_customer",
    "profit_per_customer",
    "profit",
    "gross_profit",
)
LABELS = {
    "conversion_rate": "conversion",
    "repeat_rate": "repeat rate",
    "revenue_per_customer": "revenue per customer",
    "profit_per_customer": "profit per customer (net of cost)",
    "profit": "profit (net of cost)",
    "gross_profit": "gross profit (before cost)",
}

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto;
       max-width: 980px; color: #1d2733; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } .sub { color: #5b6878; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8rem 0 1.6rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #d9dee5; padding: 0.3rem 0.6rem; text-align: right; }
td { white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1rem 0 2rem; } figure img { max-width: 100%; border: 1px solid #e4e8ee; }
figcaption { color: #5b6878; font-size: 0.9rem; }
.notes li { margin-bottom: 0.3rem; color: #3b4756; }
#recommendation { background: #eef5ee; border-left: 4px solid #2e7d32; padding: 0.4rem 1rem; }
"""

SCRIPT = """
window.addEventListener("load", function () {
  var imgs = Array.prototype.slice.call(document.images);
  var ok = imgs.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute("data-images", ok + "/" + imgs.length);
});
"""


def _png(ax: Any) -> str:
    import matplotlib.pyplot as plt

    fig = ax.figure
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _figure(title: str, ax: Any, caption: str) -> str:
    return (
        f'<figure><img alt="{html.escape(title)}" src="data:image/png;base64,{_png(ax)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def _table(rows: list[dict[str, str]]) -> str:
    """An HTML table of already formatted cells (the first column left-aligned)."""
    return pd.DataFrame(rows).to_html(index=False, escape=True, border=0)


def _gain(v: Any, column: str = "incremental_profit") -> str:
    return fmt.with_interval(
        fmt.money, v[column], v[f"{column}_ci_low"], v[f"{column}_ci_high"], signed=True
    )


def _ranking_table(cmp: Comparison, currency: str) -> str:
    rows = []
    for _, v in cmp.ranking.iterrows():
        rows.append(
            {
                "investment": v["variant"],
                f"incremental profit, net of cost ({currency}) [95 % interval]": _gain(v),
                f"cost ({currency})": fmt.money(v["intervention_cost"]),
                "ROI": fmt.percent(v["roi"]),
                f"NPV ({currency})": fmt.money(v["npv"]),
                "payback": fmt.payback(v["payback_day"]),
                "break-even": fmt.break_even(v["break_even_uplift"]),
                "P(beats baseline)": fmt.probability(v["p_beats_baseline"]),
                "P(best)": fmt.probability(v["p_best"]),
            }
        )
    return _table(rows)


def _portfolio_section(cmp: Comparison, currency: str) -> str:
    """The budget portfolio: every combination simulated, those within the budget first."""
    if cmp.portfolio is None or cmp.budget is None:
        return ""
    rows = [
        {
            "portfolio": str(v["portfolio"]).replace("+", " + "),
            f"cost ({currency})": fmt.money(v["intervention_cost"]),
            f"incremental profit, net of cost ({currency}) [95 % interval]": _gain(v),
            "P(best within budget)": fmt.probability(v["p_best"]),
            "within budget": "yes" if v["within_budget"] else "no",
        }
        for _, v in cmp.portfolio.iterrows()
    ]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in cmp.portfolio.attrs.get("notes", []))
    return (
        f"<h2>Portfolio within a budget of {html.escape(fmt.money(cmp.budget, currency))}</h2>"
        f"{_table(rows) if rows else '<p>No combination fits the budget.</p>'}"
        f'<ul class="notes">{notes}</ul>'
    )


def _delta_table(cmp: Comparison, currency: str) -> str:
    """The main KPIs' changes, one row per investment in the ranking's order."""
    t = cmp.table.set_index(["variant", "kpi"])
    kpis = [k for k in KEY_KPIS if k in set(cmp.table["kpi"])]
    rows = []
    for name in cmp.ranking["variant"]:
        row = {"investment": str(name)}
        for kpi in kpis:
            d = t.loc[(name, kpi)]
            money = f" ({currency})" if unit_of(kpi).startswith("money") else ""
            row[LABELS[kpi] + money] = fmt.with_interval(
                lambda x, k=kpi: fmt.change(k, x),
                d["delta"],
                d["delta_ci_low"],
                d["delta_ci_high"],
            )
        rows.append(row)
    return _table(rows)


def _recommendation(cmp: Comparison, currency: str) -> str:
    advice = cmp.recommendation().sentences(currency, cmp.meta.get("horizon_days"))
    body = "".join(f"<p>{html.escape(a)}</p>" for a in advice)
    return f'<section id="recommendation"><h2>Recommendation</h2>{body}</section>'


def _blind_spots(cmp: Comparison) -> str:
    """What the engine cannot see, per investment, and where the analytic engine is used."""
    spots = list(cmp.meta.get("blind_spots", []))
    if not spots:
        spots.append(
            f"The {cmp.engine} engine sees every effect of these investments."
            if not cmp.exact
            else "The analytic engine sees every effect of these investments."
        )
    spots.append(
        "The analytic engine (used for the journey figure's removal effects, and for the "
        "whole comparison when it is the engine) has no queues, capacity, reneging or "
        "experience effects, and counts each customer's whole journey past the horizon. "
        "It refuses satisfaction: a scenario with it has the journey figure drawn with "
        "every choice untilted."
    )
    items = "".join(f"<li>{html.escape(s)}</li>" for s in spots)
    return f'<ul class="notes">{items}</ul>'


def _assumptions(sc: Scenario, cmp: Comparison, engine: str, source: str) -> str:
    e = sc.economics
    horizon = cmp.meta.get("horizon_days", sc.horizon_days)
    items = {
        "scenario file": source,
        "scenario": sc.name,
        "horizon": f"{horizon:,g} days" if horizon else "none (infinite)",
        "engine": engine,
        "runs": fmt.runs(cmp.meta),
        "seed": str(cmp.meta.get("seed")),
        "budget": "none" if cmp.budget is None else fmt.money(cmp.budget, sc.currency),
        "currency": sc.currency,
        "gross margin": fmt.percent(e.gross_margin),
        "discount rate": f"{fmt.percent(e.discount_rate)} a year",
        "touchpoints": f"{len(sc.touchpoints)} ({', '.join(sc.touchpoints)})",
    }
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in items.items()
    )
    return f"<table>{rows}</table>"


def build_report(
    scenario: Scenario,
    interventions: Sequence[Intervention],
    *,
    options: RunOptions | None = None,
    source: str = "",
    budget: float | None = None,
) -> str:
    """The report as one HTML string (figures embedded): :func:`compare` run with
    ``options`` (default :class:`RunOptions`), with ``budget`` its portfolio
    (:func:`~cjsim.interventions.portfolio.with_budget`), then :func:`render_report`; the
    baseline's figures come from the comparison's own baseline run."""
    cmp = compare(scenario, list(interventions), options=options or RunOptions())
    if budget is not None:
        cmp = with_budget(cmp, budget)
    scores = None
    if scenario.journeys:
        from cjsim.analysis.success import success_scores
        from cjsim.engines.registry import answering_engine

        # analytic (exact and instant) unless it refuses the scenario (satisfaction): then
        # the comparison's own engine, replications and seed
        refused = answering_engine(scenario)[1] is not None
        same = dataclasses.replace(options or RunOptions(), seed=cmp.meta.get("seed"))
        scores = success_scores(scenario, options=same if refused else None)
    return render_report(scenario, cmp, source=source, scores=scores)


def render_report(
    scenario: Scenario,
    cmp: Comparison,
    *,
    source: str = "",
    scores: SuccessScores | None = None,
) -> str:
    """The report page of a finished comparison of ``scenario``'s investments.

    Parameters
    ----------
    scenario : Scenario
        The baseline the comparison ran (its economics are listed as assumptions).
    cmp : Comparison
        From :func:`cjsim.compare`; its ``baseline`` gives the baseline's time series.
    source : str
        The scenario file's name, for the assumptions.
    scores : SuccessScores, optional
        The journeys' success scores (:func:`cjsim.analysis.success.success_scores`),
        shown ranked by the value at stake.
    """
    blind = set(cmp.meta.get("blind_spots", []))
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in cmp.notes if n not in blind)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")  # noqa: UP017
    title = f"{scenario.name}: investments compared"
    runs = f"{fmt.runs(cmp.meta)}, seed {cmp.meta.get('seed')}"
    currency = scenario.currency
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="sub">cjsim report, {stamp} — {cmp.engine} engine, {runs}</p>
{_recommendation(cmp, currency)}
<h2>Ranking</h2>
<p>Incremental profit is net of each investment's cost over the horizon; the KPI changes
below use the same net profit.</p>
{_ranking_table(cmp, currency)}
{_portfolio_section(cmp, currency)}
{_scores_section(scores, currency)}
<h2>Figures</h2>
{"".join(_figures(scenario, cmp))}
<h2>KPI changes against the baseline (95 % intervals)</h2>
{_delta_table(cmp, currency)}
<h2>What the engine cannot see</h2>
{_blind_spots(cmp)}
<h2>Assumptions</h2>
{_assumptions(scenario, cmp, cmp.engine, source)}
<h2>Notes</h2>
<ul class="notes">{notes}</ul>
<script>{SCRIPT}</script>
</body></html>
"""


def _scores_section(scores: SuccessScores | None, currency: str) -> str:
    """The journeys of the scenario's ``[[journeys]]`` against their targets, ranked by
    the value at stake, with their figure."""
    if scores is None:
        return ""
    from cjsim import plotting

    rows = [
        {
            "journey": r["journey"],
            "customers": r["selector"],
            "share of arrivals": fmt.percent(r["share"]),
            "score (0-100)": f"{r['score']:.0f}",
            "targets met": "yes" if r["met"] else "no",
            f"value at stake ({currency})": fmt.money(r["value_at_stake"], signed=True),
        }
        for r in scores.scores.to_dict(orient="records")
    ]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in scores.meta.get("notes", []))
    engine = scores.meta.get("engine", "analytic")
    how = (
        "analytic engine: exact, blind to queues"
        if engine == "analytic"
        else f"{engine} engine, {scores.meta.get('replications')} replications per journey, "
        f"seed {scores.meta.get('seed')}"
    )
    figure = _figure(
        "journey success scores",
        plotting.success(scores),
        "Profit over the horizon each journey would add if it met its targets (computed by "
        "the engine), with its score; green: targets met.",
    )
    return (
        '<section id="journeys"><h2>Journey success scores</h2>'
        f"<p>Each journey of the scenario file against its targets ({html.escape(how)}), "
        "ranked by the value at stake: the profit it would add over the horizon if it met "
        "its targets.</p>"
        f'{_table(rows)}{figure}<ul class="notes">{notes}</ul></section>'
    )


def _figures(scenario: Scenario, cmp: Comparison) -> list[str]:
    """The embedded figures: ranking, KPI changes, funnel, journey and, from a simulation,
    the baseline's customers per stage and cumulative profit."""
    from cjsim import plotting

    # the analytic engine refuses satisfaction: its figure is of the untilted chain
    exact = solve(scenario.without_satisfaction(), removal=True, elasticity=False)
    untilted = ", every choice untilted by satisfaction" if scenario.satisfaction else ""
    figures = [
        _figure(
            "investment ranking",
            plotting.ranking(cmp),
            "Incremental profit net of each investment's cost, with 95 % intervals.",
        ),
        _figure(
            "KPI changes",
            plotting.deltas(cmp, kpis=list(KEY_KPIS[:4])),
            "Change of the main KPIs against the baseline (paired replications), 95 % "
            "intervals; profit per customer is net of each investment's cost.",
        ),
        _figure(
            "stage funnel",
            plotting.funnel(cmp),
            "Share of customers reaching each stage, baseline and variants.",
        ),
        _figure(
            "journey",
            plotting.journey_graph(scenario, exact),
            "The journey by stage; edge width = expected flow per customer, colour = "
            f"conversion lost if the touchpoint were removed (analytic engine{untilted}).",
        ),
    ]
    if scenario.satisfaction is not None and "satisfaction_mean" in set(cmp.baseline.kpis["kpi"]):
        figures.append(
            _figure(
                "emotional curve",
                plotting.emotional_curve(scenario, {"baseline": cmp.baseline}, by="touchpoint"),
                "Baseline: mean satisfaction of customers leaving each touchpoint, 95 % "
                "intervals; dashed: the promoter (green) and detractor (red) thresholds.",
            )
        )
    if cmp.baseline.timeseries is not None:
        figures += _baseline_figures(cmp.baseline)
    return figures


def _baseline_figures(base: Result) -> list[str]:
    from cjsim import plotting

    return [
        _figure(
            "customers per stage",
            plotting.timeseries(base, kind="stages"),
            "Baseline: customers in each stage over the horizon.",
        ),
        _figure(
            "cumulative profit",
            plotting.timeseries(base, kind="profit"),
            "Baseline: cumulative profit with its 95 % band over replications.",
        ),
    ]


def write_report(path: str | Path, page: str) -> Path:
    """Write the page atomically."""
    target = Path(path)
    atomic_write_text(target, page)
    return target
