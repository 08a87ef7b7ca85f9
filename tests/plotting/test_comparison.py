"""Funnel, KPI deltas and ranking draw the numbers of the results they come from; the
reference for the comparison's baseline and variants is the analytic engine run on each."""

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.engines.result import KPI_COLUMNS
from cjsim.plotting import deltas, funnel, ranking

BLIND = {"faster_returns", "more_support_staff"}  # queue-only: the analytic engine is blind


def _reach(result, stages):
    return [result[f"stage_reach[{s}]"] for s in stages]


@pytest.fixture(scope="module")
def exact_variants(sc, investments):
    return {
        iv.name: cjsim.solve_analytic(cjsim.apply(sc, iv), removal=False, elasticity=False)
        for iv in investments
    }


def test_funnel_of_results_draws_their_stage_reach(sc, exact, exact_variants, drawn, bars):
    results = {"baseline": exact, "loyalty_program": exact_variants["loyalty_program"]}
    ax = drawn(funnel(results))
    containers = bars(ax)
    assert [c.get_label() for c in containers] == list(results)
    for c, result in zip(containers, results.values(), strict=True):
        heights = [p.get_height() for p in c.patches]
        np.testing.assert_allclose(heights, _reach(result, sc.stages), rtol=1e-12)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(sc.stages)


def test_funnel_of_a_comparison_draws_baseline_and_variants(
    sc, exact, exact_variants, comparison, drawn, bars
):
    ax = drawn(funnel(comparison))
    containers = {c.get_label(): c for c in bars(ax)}
    assert set(containers) == {"baseline"} | (set(exact_variants) - BLIND)
    for name, c in containers.items():
        reference = exact if name == "baseline" else exact_variants[name]
        heights = [p.get_height() for p in c.patches]
        np.testing.assert_allclose(heights, _reach(reference, sc.stages), rtol=1e-9)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert all(name in legend[-1] for name in BLIND)


def test_funnel_needs_stage_reach():
    kpis = pd.DataFrame([("conversion_rate", 0.1, 0.1, 0.1, 0.0)], columns=KPI_COLUMNS)
    empty = cjsim.Result("x", "analytic", kpis)
    with pytest.raises(ValueError, match="no stage_reach"):
        funnel({"x": empty})


def test_deltas_draw_the_table_delta_and_interval(comparison, drawn, errorbars):
    ax = drawn(deltas(comparison, kpis=["profit"]))
    table = comparison.table[comparison.table["kpi"] == "profit"].set_index("variant")
    drawn_bars = errorbars(ax)
    assert {label for label, *_ in drawn_bars} == set(table.index) - BLIND
    for label, centre, low, high in drawn_bars:
        row = table.loc[label]
        assert centre == pytest.approx([row["delta"]], rel=1e-12)
        assert low == pytest.approx([row["delta_ci_low"]], rel=1e-12)
        assert high == pytest.approx([row["delta_ci_high"]], rel=1e-12)
    assert "EUR" in ax.get_xlabel()


def test_several_kpis_are_drawn_relative_to_the_baseline(comparison, exact, errorbars):
    kpis = ["conversion_rate", "profit_per_customer"]
    ax = deltas(comparison, kpis=kpis)
    table = comparison.table.set_index(["variant", "kpi"])
    for label, centre, low, high in errorbars(ax):
        for k, kpi in enumerate(kpis):
            scale = 100 / abs(exact[kpi])  # the baseline, from the analytic engine itself
            row = table.loc[(label, kpi)]
            assert centre[k] == pytest.approx(row["delta"] * scale, rel=1e-9)
            assert low[k] == pytest.approx(row["delta_ci_low"] * scale, rel=1e-9)
            assert high[k] == pytest.approx(row["delta_ci_high"] * scale, rel=1e-9)
    assert "%" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == kpis


def test_ranking_bars_are_the_ranked_metric_with_its_interval(comparison, drawn, bars):
    for metric in ("incremental_profit", "roi", "npv"):
        ax = drawn(ranking(comparison, metric))
        expected = comparison.ranking.sort_values(metric, ascending=False, na_position="last")
        (container,) = bars(ax)
        widths = np.array([p.get_width() for p in container.patches])
        np.testing.assert_allclose(widths, np.nan_to_num(expected[metric]), rtol=1e-12)
        assert [t.get_text() for t in ax.get_yticklabels()] == list(expected["variant"])
        seg = np.array(container.errorbar.lines[2][0].get_segments())
        finite = expected[metric].notna().to_numpy()
        np.testing.assert_allclose(seg[finite, 0, 0], expected[f"{metric}_ci_low"][finite])
        np.testing.assert_allclose(seg[finite, 1, 0], expected[f"{metric}_ci_high"][finite])
        assert sum(t.get_text() == "n/a" for t in ax.texts) == (~finite).sum()


def test_ranking_names_the_metrics_it_can_rank(comparison):
    with pytest.raises(ValueError, match="cannot be ranked; use one of incremental_profit, roi"):
        ranking(comparison, "payback_day")


def test_deltas_name_unknown_kpis(comparison):
    with pytest.raises(KeyError, match="no KPI 'profits' in the comparison"):
        deltas(comparison, kpis=["profits"])
