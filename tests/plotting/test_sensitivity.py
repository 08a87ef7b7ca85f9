"""The tornado chart draws each parameter's KPI change down and up as bars from 0, names
its KPI and the move, and colours a change by whether it is good for that KPI (the KPI
registry's ``higher_is_better``), not by its direction."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from cjsim.analysis import sensitivity
from cjsim.kpis import KPIS
from cjsim.plotting import tornado
from cjsim.plotting._common import BAD, GOOD, NEUTRAL
from cjsim.plotting.sensitivity import colours, parameter_label


@pytest.fixture(scope="module")
def table(tiny):
    return sensitivity(tiny, kpi="conversion_rate", change=0.2, queues=False)


def _colour(patch):
    return to_hex(patch.get_facecolor())


def test_bars_span_zero_to_the_kpi_changes(table, drawn, bars):
    ax = drawn(tornado(table))
    down, up = bars(ax)
    assert (down.get_label(), up.get_label()) == ("parameter down", "parameter up")
    for container, column in ((down, "kpi_low"), (up, "kpi_high")):
        starts = [p.get_x() for p in container.patches]
        ends = [p.get_x() + p.get_width() for p in container.patches]
        assert starts == [0.0] * len(table)
        np.testing.assert_allclose(ends, np.nan_to_num(table[column]), rtol=1e-12)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    rows = zip(table["kind"], table["parameter"], strict=True)
    assert labels == [parameter_label(k, p) for k, p in rows]
    assert "ad → checkout (share)" in labels
    assert "conversion rate" in ax.get_xlabel()


def test_the_title_names_the_kpi_and_the_move(table):
    assert table.attrs["kpi"] == "conversion_rate" and table.attrs["change"] == 0.2
    ax = tornado(table)
    assert "conversion rate" in ax.get_title() and "±20 %" in ax.get_title()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "parameter −20 %",
        "parameter +20 %",
        "conversion rate better",
        "conversion rate worse",
    ]


def test_arguments_name_a_table_without_its_record(table):
    bare = pd.DataFrame(table)
    bare.attrs = {}
    ax = tornado(bare, kpi="profit_per_customer", change=0.1)
    assert "profit per customer" in ax.get_title() and "±10 %" in ax.get_title()


def test_a_rise_is_good_when_higher_is_better(table, bars):
    ax = tornado(table)
    for container, column in zip(bars(ax), ("kpi_low", "kpi_high"), strict=True):
        for patch, change in zip(container.patches, table[column], strict=True):
            expected = GOOD if change > 0 else BAD if change < 0 else NEUTRAL
            assert _colour(patch) == to_hex(expected), (column, change)


def test_a_fall_is_good_when_lower_is_better(tiny, bars):
    assert KPIS["cost_per_customer"].higher_is_better is False
    cost = sensitivity(tiny, kpi="cost_per_customer", change=0.2, queues=False)
    ax = tornado(cost)
    falls = [
        patch
        for container, column in zip(bars(ax), ("kpi_low", "kpi_high"), strict=True)
        for patch, change in zip(container.patches, cost[column], strict=True)
        if change < 0
    ]
    assert falls and all(_colour(p) == to_hex(GOOD) for p in falls)


def test_direction_alone_does_not_colour():
    # the wrong rule, colour by direction, would paint both KPIs' rises alike
    rises = np.array([1.0, -1.0, 0.0, np.nan])
    assert colours(rises, "profit") == [GOOD, BAD, NEUTRAL, NEUTRAL]
    assert colours(rises, "cost") == [BAD, GOOD, NEUTRAL, NEUTRAL]
    assert colours(rises, "visits[website]") == [NEUTRAL] * 4  # no better direction
    assert colours(rises, None) == [NEUTRAL] * 4


def test_parameters_read_as_words():
    assert parameter_label("edge", "social_ad->website") == "social ad → website (share)"
    assert parameter_label("dwell", "size_guide") == "time at size guide"
    assert parameter_label("capacity", "support_chat") == "servers at support chat"
    assert parameter_label("service", "returns") == "service time at returns"


def test_top_keeps_the_largest_spans(table, bars):
    ax = tornado(table, top=2)
    down, _ = bars(ax)
    assert len(down.patches) == 2
    assert ax.get_yticklabels()[0].get_text() == parameter_label(
        table["kind"].iloc[0], table["parameter"].iloc[0]
    )
