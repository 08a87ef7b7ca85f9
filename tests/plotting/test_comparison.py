"""KPI deltas and the ranking draw the numbers of the comparison they come from, in words
for people."""

import numpy as np
import pytest

from cjsim.plotting import deltas, ranking
from cjsim.plotting.labels import name_label

BLIND = {"faster_returns", "more_support_staff"}  # queue-only: the analytic engine is blind


def test_deltas_draw_the_table_delta_and_interval(comparison, drawn, errorbars):
    ax = drawn(deltas(comparison, kpis=["profit"]))
    table = comparison.table[comparison.table["kpi"] == "profit"].set_index("variant")
    drawn_bars = errorbars(ax)
    assert {label for label, *_ in drawn_bars} == {name_label(v) for v in set(table.index) - BLIND}
    for label, centre, low, high in drawn_bars:
        row = table.loc[label.replace(" ", "_")]
        assert centre == pytest.approx([row["delta"]], rel=1e-12)
        assert low == pytest.approx([row["delta_ci_low"]], rel=1e-12)
        assert high == pytest.approx([row["delta_ci_high"]], rel=1e-12)
    label = ax.get_xlabel()  # the KPI in words, with its currency
    assert label.startswith("change in ") and label.endswith(" (EUR) against the baseline")
    assert "_" not in label


def test_several_kpis_are_drawn_relative_to_the_baseline(comparison, exact, errorbars):
    kpis = ["conversion_rate", "profit_per_customer"]
    ax = deltas(comparison, kpis=kpis)
    table = comparison.table.set_index(["variant", "kpi"])
    for label, centre, low, high in errorbars(ax):
        for k, kpi in enumerate(kpis):
            scale = 100 / abs(exact[kpi])  # the baseline, from the analytic engine itself
            row = table.loc[(label.replace(" ", "_"), kpi)]
            assert centre[k] == pytest.approx(row["delta"] * scale, rel=1e-9)
            assert low[k] == pytest.approx(row["delta_ci_low"] * scale, rel=1e-9)
            assert high[k] == pytest.approx(row["delta_ci_high"] * scale, rel=1e-9)
    assert "%" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "conversion rate",
        "profit per customer",
    ]


def test_ranking_bars_are_the_ranked_metric_with_its_interval(comparison, drawn, bars):
    for metric in ("incremental_profit", "roi", "npv"):
        ax = drawn(ranking(comparison, metric))
        expected = comparison.ranking.sort_values(metric, ascending=False, na_position="last")
        (container,) = bars(ax)
        widths = np.array([p.get_width() for p in container.patches])
        np.testing.assert_allclose(widths, np.nan_to_num(expected[metric]), rtol=1e-12)
        ticks = [t.get_text() for t in ax.get_yticklabels()]
        assert ticks == [name_label(v) for v in expected["variant"]]
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
