"""``cjsim report``: one self-contained HTML page a planner can e-mail.

The page holds the investment ranking and the KPI changes as tables, the figures as
embedded PNG images (no file or network access needed to view it), and the assumptions:
scenario, horizon, engine, replications, seed, economics and the comparison's notes.  A
tiny inline script marks the page once every image has loaded, which the browser test
reads.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from cjsim._io import atomic_write_text
from cjsim.engines.analytic import solve
from cjsim.engines.result import Result
from cjsim.experiment import RunOptions
from cjsim.interventions import Intervention
from cjsim.interventions.compare import Comparison, compare
from cjsim.model import Scenario

__all__ = ["build_report", "render_report", "write_report"]

KEY_KPIS = (
    "conversion_rate",
    "repeat_rate",
    "revenue_per_customer",
    "profit_per_customer",
    "profit",
)

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto;
       max-width: 980px; color: #1d2733; line-height: 1.45; }
h1 { margin-bottom: 0.2rem; } .sub { color: #5b6878; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8rem 0 1.6rem; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #d9dee5; padding: 0.3rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1rem 0 2rem; } figure img { max-width: 100%; border: 1px solid #e4e8ee; }
figcaption { color: #5b6878; font-size: 0.9rem; }
.notes li { margin-bottom: 0.3rem; color: #3b4756; }
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


def _money(x: float, currency: str) -> str:
    return "—" if pd.isna(x) else f"{x:,.0f} {currency}"


def _ranking_table(cmp: Comparison, currency: str) -> str:
    r = cmp.ranking
    rows = []
    for _, v in r.iterrows():
        payback = "never" if pd.isna(v["payback_day"]) else f"day {v['payback_day']:.0f}"
        rows.append(
            {
                "investment": v["variant"],
                "incremental profit": _money(v["incremental_profit"], currency),
                "95 % interval": f"[{_money(v['incremental_profit_ci_low'], currency)}, "
                f"{_money(v['incremental_profit_ci_high'], currency)}]",
                "cost": _money(v["intervention_cost"], currency),
                "ROI": "—" if pd.isna(v["roi"]) else f"{v['roi']:.0%}",
                "NPV": _money(v["npv"], currency),
                "payback": payback,
                "P(beats baseline)": f"{v['p_beats_baseline']:.0%}",
            }
        )
    return pd.DataFrame(rows).to_html(index=False, escape=True, border=0)


def _delta_table(cmp: Comparison) -> str:
    t = cmp.table[cmp.table["kpi"].isin(KEY_KPIS) & (cmp.table["variant"] != "baseline")]
    out = t.assign(
        change=[
            f"{d:+,.4g} [{lo:+,.4g}, {hi:+,.4g}]"
            for d, lo, hi in zip(t["delta"], t["delta_ci_low"], t["delta_ci_high"], strict=True)
        ]
    ).pivot(index="variant", columns="kpi", values="change")
    return out.reset_index().to_html(index=False, escape=True, border=0)


def _assumptions(sc: Scenario, cmp: Comparison, engine: str, source: str) -> str:
    e = sc.economics
    items = {
        "scenario file": source,
        "scenario": sc.name,
        "horizon": f"{cmp.meta.get('horizon_days', sc.horizon_days)} days",
        "engine": engine,
        "replications": str(cmp.meta.get("replications")),
        "seed": str(cmp.meta.get("seed")),
        "currency": sc.currency,
        "gross margin": f"{e.gross_margin:.0%}",
        "discount rate": f"{e.discount_rate:.0%} a year",
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
) -> str:
    """The report as one HTML string (figures embedded): :func:`compare` run with
    ``options`` (default :class:`RunOptions`), then :func:`render_report`; the baseline's
    figures come from the comparison's own baseline run."""
    cmp = compare(scenario, list(interventions), options=options or RunOptions())
    return render_report(scenario, cmp, source=source)


def render_report(scenario: Scenario, cmp: Comparison, *, source: str = "") -> str:
    """The report page of a finished comparison of ``scenario``'s investments.

    Parameters
    ----------
    scenario : Scenario
        The baseline the comparison ran (its economics are listed as assumptions).
    cmp : Comparison
        From :func:`cjsim.compare`; its ``baseline`` gives the baseline's time series.
    source : str
        The scenario file's name, for the assumptions.
    """
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in cmp.notes)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")  # noqa: UP017
    title = f"{scenario.name}: investments compared"
    n = cmp.meta.get("replications")
    runs = f"{n} replication{'' if n == 1 else 's'}, seed {cmp.meta.get('seed')}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{CSS}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="sub">cjsim report, {stamp} — {cmp.engine} engine, {runs}</p>
<h2>Ranking</h2>
{_ranking_table(cmp, scenario.currency)}
<h2>Figures</h2>
{"".join(_figures(scenario, cmp))}
<h2>KPI changes</h2>
{_delta_table(cmp)}
<h2>Assumptions</h2>
{_assumptions(scenario, cmp, cmp.engine, source)}
<h2>Notes</h2>
<ul class="notes">{notes}</ul>
<script>{SCRIPT}</script>
</body></html>
"""


def _figures(scenario: Scenario, cmp: Comparison) -> list[str]:
    """The embedded figures: ranking, KPI changes, funnel, journey and, from a simulation,
    the baseline's customers per stage and cumulative profit."""
    from cjsim import plotting

    exact = solve(scenario, removal=True, elasticity=False)
    figures = [
        _figure(
            "investment ranking",
            plotting.ranking(cmp),
            "Incremental profit net of each investment's cost, with 95 % intervals.",
        ),
        _figure(
            "KPI changes",
            plotting.deltas(cmp, kpis=list(KEY_KPIS[:4])),
            "Change of the main KPIs against the baseline (paired replications), 95 % intervals.",
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
            "conversion lost if the touchpoint were removed (analytic engine).",
        ),
    ]
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
