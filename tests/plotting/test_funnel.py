"""The stage funnel: of one result, the share reaching each stage; against a baseline,
each variant's change in percentage points with its 95 % interval.  The reference for
the comparison is the analytic engine run on the baseline and on each variant apart."""

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.engines.result import KPI_COLUMNS
from cjsim.plotting import funnel, stage_changes, stage_reach
from cjsim.plotting.funnel import Z95
from cjsim.plotting.labels import name_label

BLIND = {"faster_returns", "more_support_staff"}  # queue-only: the analytic engine is blind


def _reach(result, stages):
    return np.array([result[f"stage_reach[{s}]"] for s in stages])


def test_a_comparison_is_drawn_as_changes_in_points_with_intervals(
    sc, exact, exact_variants, comparison, drawn, errorbars
):
    ax = drawn(funnel(comparison))
    drawn_bars = {label: rest for label, *rest in errorbars(ax)}
    assert set(drawn_bars) == {name_label(v) for v in set(exact_variants) - BLIND}
    table = comparison.table.set_index(["variant", "kpi"])
    for name, reference in exact_variants.items():
        if name in BLIND:
            continue
        centre, low, high = drawn_bars[name_label(name)]
        change = 100 * (_reach(reference, sc.stages) - _reach(exact, sc.stages))
        np.testing.assert_allclose(centre, change, rtol=1e-6, atol=1e-9)
        rows = table.loc[[(name, f"stage_reach[{s}]") for s in sc.stages]]
        np.testing.assert_allclose(low, 100 * rows["delta_ci_low"], rtol=1e-12)
        np.testing.assert_allclose(high, 100 * rows["delta_ci_high"], rtol=1e-12)
    assert "percentage points" in ax.get_xlabel() and "95 %" in ax.get_xlabel()
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    base = 100 * _reach(exact, sc.stages)
    assert ticks == [f"{s}\n(baseline {b:.3g} %)" for s, b in zip(sc.stages, base, strict=True)]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert all(name_label(name) in legend[-1] for name in BLIND)


def test_the_changes_are_visible_where_the_shares_are_not(sc, comparison):
    # the reason for drawing changes: better_size_guide lifts purchase by about 0.18
    # points of a 5.6 % share; bars of the shares differ by 3 % of their height, the
    # changes by the whole axis
    changes = stage_changes(comparison).set_index(["variant", "stage"])
    lift = changes.loc[("better_size_guide", "purchase")]
    assert lift["change_pp"] / lift["baseline_pct"] < 0.05
    assert lift["change_pp"] == changes["change_pp"].abs().max()


def test_a_result_alone_is_drawn_as_shares_in_percent(sc, exact, drawn, bars):
    ax = drawn(funnel({"FashionFusion": exact}))
    (container,) = bars(ax)
    assert container.get_label() == "FashionFusion"
    widths = [p.get_width() for p in container.patches]
    np.testing.assert_allclose(widths, 100 * _reach(exact, sc.stages), rtol=1e-12)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(sc.stages)


def test_several_results_are_changes_against_the_first_with_both_errors(sc, des, errorbars):
    other = cjsim.simulate(sc, engine="des", replications=2, seed=2, horizon_days=60)
    ax = funnel({"first run": des, "second run": other})
    ((label, centre, low, high),) = errorbars(ax)
    assert label == "second run"
    a, b = (
        r.kpis.set_index("kpi").loc[[f"stage_reach[{s}]" for s in sc.stages]] for r in (des, other)
    )
    np.testing.assert_allclose(centre, 100 * (b["mean"] - a["mean"]), rtol=1e-12)
    half = 100 * Z95 * np.hypot(a["std_err"], b["std_err"])
    np.testing.assert_allclose(high - centre, half, rtol=1e-9)
    np.testing.assert_allclose(centre - low, half, rtol=1e-9)


def test_stage_reach_keeps_the_shares(sc, exact, exact_variants, comparison):
    table = stage_reach(comparison)
    # the baseline, then the variants in the comparison's (ranking) order
    ranked = [v for v in dict.fromkeys(comparison.table["variant"]) if v not in BLIND]
    assert list(table.columns) == ["baseline", *ranked]
    assert set(ranked) == {v for v in exact_variants if v not in BLIND}
    np.testing.assert_allclose(table["baseline"], _reach(exact, sc.stages), rtol=1e-9)


def test_funnel_needs_stage_reach():
    kpis = pd.DataFrame([("conversion_rate", 0.1, 0.1, 0.1, 0.0)], columns=KPI_COLUMNS)
    empty = cjsim.Result("x", "analytic", kpis)
    with pytest.raises(ValueError, match="no stage_reach"):
        funnel({"x": empty})
    with pytest.raises(ValueError, match="no stage_reach"):
        funnel({"x": empty, "y": empty})
