"""Plain-text views for the terminal (at most 100 columns)."""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING

import pandas as pd

import cjsim.formatting as fmt
from cjsim.engines.result import Result
from cjsim.interventions.compare import Comparison
from cjsim.kpis import KPIS, split_name, unit_of
from cjsim.model import CohortArrivals, Scenario

if TYPE_CHECKING:  # calibration loads scipy.stats: only the fit commands need it
    from cjsim.analysis.success import SuccessScores
    from cjsim.calibration import Fit, Validation
    from cjsim.experiment import Selection
    from cjsim.interventions.optimize import Optimum

__all__ = ["check_summary", "format_number", "result_tables"]

WIDTH = 100


def format_number(value: float, kind: str = "") -> str:
    """A readable number (:mod:`cjsim.formatting`): ``kind`` "share" in %, "money" with
    thousands separators, anything else fixed-point."""
    if kind == "share":
        return fmt.percent(value, decimals=2)
    if kind == "money":
        return fmt.money(value)
    return fmt.number(value)


def _kind(kpi: str) -> str:
    """How :func:`format_number` shows ``kpi``, from its unit in :mod:`cjsim.kpis`."""
    unit = unit_of(kpi)
    return "share" if unit == "share" else "money" if unit.startswith("money") else ""


def _named(kpis: pd.Series, *names: str) -> list[bool]:
    """Which of ``kpis`` are per-node KPIs (of one of ``names``, when given)."""
    parts = [split_name(str(k)) for k in kpis]
    return [node is not None and (not names or head in names) for head, node in parts]


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
            f"(population × {result['population_multiplier']:.4g})"
            + (", choices untilted by satisfaction" if sc.satisfaction is not None else ""),
        )
    )
    how = "analytic"
    if sc.satisfaction is not None:  # the analytic engine refuses it; the untilted chain
        how = "analytic, choices untilted by satisfaction: `cjsim run` simulates it"
    lines.append(_wrap("conversion", f"{100 * result['conversion_rate']:.2f} % ({how})"))
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
    detail = pd.Series(_named(k["kpi"]), index=k.index)
    intervals = not result.exact
    head = f"{result.scenario} — engine: {result.engine} (money in {currency})"
    if intervals:
        meta = result.meta
        head += (
            f"\n{meta.get('replications')} replications, seed {meta.get('seed')}, "
            f"horizon {meta.get('horizon_days'):g} days"
        )
    lines = [head, ""]
    lines += _kpi_block(k[~detail], "KPIs", intervals)
    for kpi in (kpi for kpi in KPIS.values() if kpi.heading):
        block = k[_named(k["kpi"], kpi.name)]
        if not block.empty:
            lines += ["", *_kpi_block(block, kpi.heading, intervals)]
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


def _gain(r: dict, column: str = "incremental_profit") -> str:
    """A money column of a ranking row with its 95 % interval (none when exact)."""
    low, high = r.get(f"{column}_ci_low", math.nan), r.get(f"{column}_ci_high", math.nan)
    return fmt.with_interval(fmt.money, r[column], low, high, signed=True)


def _ranking_lines(ranking: pd.DataFrame) -> list[str]:
    lines = [
        f"{'#':>2} {'investment':<20} {'incremental profit':>27} {'cost':>8} {'ROI':>6} "
        f"{'NPV':>9} {'payback':>8} {'P>base':>6} {'P best':>6}",
    ]
    for i, r in enumerate(ranking.to_dict(orient="records"), start=1):
        pay = fmt.NA if math.isnan(r["incremental_profit"]) else fmt.payback(r["payback_day"])
        lines.append(
            f"{i:>2} {r['variant'][:20]:<20} {_gain(r):>27} {fmt.money(r['intervention_cost']):>8} "
            f"{fmt.percent(r['roi']):>6} {fmt.money(r['npv']):>9} {pay:>8} "
            f"{fmt.probability(r['p_beats_baseline']):>6} {fmt.probability(r['p_best']):>6}"
        )
    return lines


CHANGE_KPIS = ("conversion_rate", "repeat_rate", "retained_rate", "revenue", "profit")
FEELING_KPIS = ("satisfaction_mean", "net_promoter", "promoter_share", "detractor_share")
"""Shown when the scenario has a satisfaction model (its runs report them)."""


def _change_lines(cmp: Comparison) -> list[str]:
    """Each variant's change of the main KPIs, in the ranking's order."""
    table = cmp.table
    names = pd.Series(table["kpi"].unique())
    kpis = [*CHANGE_KPIS, *sorted(names[_named(names, "wait_mean", "reneged")])]
    kpis += list(names[_named(names, "absorption")])
    kpis += [k for k in FEELING_KPIS if k in set(names)]
    lines = ["Change against the baseline (95 % interval; profit net of the investment's cost)"]
    for name in cmp.ranking["variant"]:
        lines.append(f"  {name}")
        sub = table[table["variant"] == name].set_index("kpi")
        for kpi in (k for k in kpis if k in sub.index):
            row = sub.loc[kpi]
            text = fmt.with_interval(
                lambda v, k=kpi: fmt.change(k, v), *row[["delta", "delta_ci_low", "delta_ci_high"]]
            )
            lines.append(f"    {kpi:<34} {text}")
    return lines


def comparison_tables(cmp: Comparison) -> str:
    """What ``cjsim compare`` prints: the recommendation, the ranked investments, the
    break-evens, the deltas, the notes and (with a budget) the portfolio."""
    meta = cmp.meta
    head = (
        f"{cmp.scenario} — what-if comparison, engine {cmp.engine}, {fmt.runs(meta)}, "
        f"seed {meta['seed']}, horizon {meta['horizon_days']:g} days, money in {meta['currency']}"
    )
    advice = cmp.recommendation().sentences(str(meta["currency"]), meta["horizon_days"])
    lines = [textwrap.fill(head, WIDTH), "", "Recommendation"]
    lines += [textwrap.fill(a, WIDTH, initial_indent="  ", subsequent_indent="  ") for a in advice]
    lines += [
        "",
        "Investments ranked by incremental profit (net of their cost; 95 % intervals)",
        *_ranking_lines(cmp.ranking),
        "",
        "Break-even: share of the estimated effect each investment needs to pay for itself",
    ]
    for r in cmp.ranking.to_dict(orient="records"):
        lines.append(f"   {r['variant'][:40]:<40} {fmt.break_even(r['break_even_uplift']):>30}")
    lines += ["", *_change_lines(cmp), "", "Notes"]
    lines += [
        textwrap.fill(n, WIDTH, initial_indent="  - ", subsequent_indent="    ") for n in cmp.notes
    ]
    if cmp.portfolio is not None and cmp.budget is not None:
        lines += ["", portfolio_table(cmp.portfolio, cmp.budget)]
    if cmp.selection is not None:
        lines += ["", *selection_lines(cmp.selection, str(meta["currency"]))]
    return "\n".join(lines)


def optimum_lines(found: Optimum, scenario: Scenario) -> list[str]:
    """What ``cjsim optimize`` prints: the best setting with its interval, then every
    setting simulated, best first."""
    meta, currency = found.meta, scenario.currency
    head = (
        f"{scenario.name} — optimisation, engine {meta['engine']}, {meta['replications']} "
        f"replications per setting (common random numbers), seed {meta['seed']}, horizon "
        f"{meta['horizon_days']:g} days, money in {currency}"
    )
    setting = ", ".join(f"{k} = {_lever_value(v)}" for k, v in found.best.items())
    value = fmt.with_interval(fmt.money, found.mean, found.ci_low, found.ci_high)
    lines = [textwrap.fill(head, WIDTH), "", "Best setting"]
    lines.append(f"  {setting}: {found.objective} net of the levers' cost {value}")
    if "lead" in meta:
        runner = ", ".join(
            f"{lv.label} = {_lever_value(v)}"
            for lv, v in zip(found.levers, meta["runner_up"], strict=True)
        )
        lead = fmt.with_interval(
            fmt.money, meta["lead"], meta["lead_ci_low"], meta["lead_ci_high"], signed=True
        )
        said = f"ahead of the next best ({runner}) by {lead}, paired over the same customers"
        lines.append(textwrap.fill(said, WIDTH, initial_indent="  ", subsequent_indent="  "))
    lines += ["", f"Settings simulated ({len(found.evaluations)}, {found.method}; best first)"]
    labels = [lv.label for lv in found.levers]
    lines.append("   " + " ".join(f"{x[:18]:>18}" for x in labels) + f" {found.objective:>32}")
    table = found.evaluations.sort_values("mean", ascending=False)
    for r in table.to_dict(orient="records"):
        cells = " ".join(f"{_lever_value(r[x]):>18}" for x in labels)
        shown = fmt.with_interval(fmt.money, r["mean"], r["ci_low"], r["ci_high"])
        lines.append(f"   {cells} {shown:>32}")
    return lines


def scores_lines(found: SuccessScores, scenario: Scenario) -> list[str]:
    """What ``cjsim scores`` prints: the journeys ranked by the value at stake, then
    every target with its attainment, then the notes."""
    currency, meta = scenario.currency, found.meta
    horizon = meta.get("horizon_days")
    lines = [
        textwrap.fill(
            f"{scenario.name} — journey success scores, engine {meta['engine']}, money in "
            f"{currency}",
            WIDTH,
        ),
        "",
        "Journeys ranked by the value at stake (profit over "
        f"{horizon:g} days if the journey met its targets)"
        if horizon
        else "Journeys ranked by the value at stake (profit if the journey met its targets)",
        f" # {'journey':<26} {'customers':<28} {'share':>6} {'score':>6} {'met':>4} "
        f"{'value at stake':>16}",
    ]
    for i, r in enumerate(found.scores.to_dict(orient="records"), 1):
        lines.append(
            f"{i:>2} {r['journey'][:26]:<26} {r['selector'][:28]:<28} "
            f"{fmt.percent(r['share']):>6} {r['score']:>6.0f} {'yes' if r['met'] else 'no':>4} "
            f"{fmt.money(r['value_at_stake'], signed=True):>16}"
        )
    lines += ["", "Targets (attainment: the share of the target reached, capped at 100 %)"]
    for r in found.targets.to_dict(orient="records"):
        kpi = str(r["kpi"])

        def shown(x: float, kpi: str = kpi) -> str:
            return fmt.value(kpi, x, currency)

        actual = fmt.with_interval(shown, r["actual"], r["ci_low"], r["ci_high"])
        lines.append(
            f"  {r['journey'][:20]:<20} {kpi[:20]:<20} target {shown(r['target']):>10}  "
            f"actual {actual:<22} {fmt.percent(r['attainment']):>5}"
        )
    if meta.get("notes"):
        lines += ["", "Notes"]
        lines += [
            textwrap.fill(n, WIDTH, initial_indent="  - ", subsequent_indent="    ")
            for n in meta["notes"]
        ]
    return lines


def _lever_value(value: float) -> str:
    """A lever's value: whole numbers as such (servers), factors with 3 decimals."""
    return f"{value:g}" if float(value).is_integer() else f"{value:.3f}"


def selection_lines(sel: Selection, currency: str) -> list[str]:
    """The ranking-and-selection section: the best with its guarantee, and what it cost."""
    pcs, delta = fmt.percent(sel.pcs), fmt.money(sel.indifference, currency)
    lines = [
        f"Selection (procedure KN: right with probability >= {pcs} if the best leads by {delta})"
    ]
    if sel.best is not None:
        said = (
            f"Best: {sel.best}, mean profit net of cost {fmt.money(sel.means[sel.best], currency)}."
        )
    else:
        said = (
            f"Unfinished: {', '.join(sel.survivors)} still in contention after "
            f"{max(sel.replications.values()):,} replications each (the cap); none is "
            "known to be best with the probability asked — raise the cap or the indifference "
            "amount."
        )
    lines.append(textwrap.fill(said, WIDTH, initial_indent="  ", subsequent_indent="  "))
    saved = 1 - sel.spent / sel.fixed if sel.fixed else math.nan
    lines.append(
        f"  Replications spent: {sel.spent:,} against {sel.fixed:,} for a fixed design with the "
        f"same guarantee ({fmt.percent(saved)} fewer)."
    )
    lines.append(
        f"   {'variant':<40} {'replications':>12} {'mean profit':>14} {'screened out':>13}"
    )
    for r in sel.table().to_dict(orient="records"):
        out = (
            "selected"
            if r["selected"]
            else (
                "in contention"
                if math.isnan(r["eliminated_after"])
                else f"after {int(r['eliminated_after'])}"
            )
        )
        lines.append(
            f"   {r['system'][:40]:<40} {r['replications']:>12,} "
            f"{fmt.money(r['mean']):>14} {out:>13}"
        )
    return lines


def portfolio_table(table: pd.DataFrame, budget: float, top: int = 8) -> str:
    """The best portfolios under ``budget``."""
    lines = [
        f"Portfolios within a budget of {fmt.money(budget)} (combinations simulated together; "
        "best first)",
        f"{'portfolio':<40} {'cost':>8} {'incremental profit':>27} {'P best':>6} {'fits':>5}",
    ]
    for r in table.head(top).to_dict(orient="records"):
        lines.append(
            f"{r['portfolio'][:40]:<40} {fmt.money(r['intervention_cost']):>8} "
            f"{_gain(r):>27} {fmt.probability(r.get('p_best', math.nan)):>6} "
            f"{'yes' if r['within_budget'] else 'no':>5}"
        )
    lines += [
        textwrap.fill(n, WIDTH, initial_indent="  - ", subsequent_indent="    ")
        for n in table.attrs.get("notes", [])
    ]
    return "\n".join(lines)


def _frame(df: pd.DataFrame, digits: int = 3) -> str:
    return textwrap.indent(df.round(digits).to_string(index=False, max_colwidth=24), "  ")


def fit_tables(fit: Fit) -> str:
    """The calibration report: exits and dwell per touchpoint, segments, arrivals, office
    hours when a touchpoint keeps them."""
    exits = fit.report["exits"][
        ["touchpoint", "spells", "open_at_cutoff", "dwell", "exit_probability", "ks_distance"]
    ]
    parts = ["", "touchpoints (silent exit, dwell family, Kaplan-Meier distance)", _frame(exits)]
    choice = fit.report.get("dwell_choice")
    if choice is not None and (choice["reason"] == "lower BIC").any():
        parts += ["", "one dwell or one per destination (lower BIC wins)", _frame(choice)]
    destinations = fit.report.get("destinations")
    if destinations is not None and len(destinations):
        parts += ["", "dwell by destination (what the scenario simulates)", _frame(destinations)]
    seg = fit.report.get("segments")
    if seg is not None and seg["segment"].nunique() > 1:
        parts += ["", "segments", _frame(seg)]
    arrivals = fit.report.get("arrivals")
    if arrivals is not None and len(arrivals):
        parts += ["", "arrival seasonality tests", _frame(arrivals)]
    office = fit.report.get("office_hours")
    if office is not None and office["used"].any():
        tests = office[["touchpoint", "moves", "statistic", "p_value", "used"]]
        parts += ["", "office hours (hour-of-week pattern of moves, X² test)", _frame(tests)]
    return "\n".join(parts)


def validation_tables(v: Validation) -> str:
    """Holdout purchases by purchase history, and the funnel."""
    parts = []
    if v.by_history["actual"].sum() > 0:
        parts += ["", "holdout purchases by purchases before the cut-off", _frame(v.by_history, 1)]
    if len(v.funnel):
        parts += [
            "",
            "funnel shares",
            _frame(v.funnel[["group", "node", "predicted", "actual", "error"]]),
        ]
    return "\n".join(parts)
