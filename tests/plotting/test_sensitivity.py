"""The tornado chart draws each parameter's KPI change down and up as bars from 0."""

import numpy as np
import pytest

from cjsim.analysis import sensitivity
from cjsim.plotting import tornado


@pytest.fixture(scope="module")
def table(tiny):
    return sensitivity(tiny, kpi="conversion_rate", change=0.2, queues=False)


def test_bars_span_zero_to_the_kpi_changes(table, drawn, bars):
    ax = drawn(tornado(table, kpi="conversion_rate"))
    down, up = bars(ax)
    assert (down.get_label(), up.get_label()) == ("parameter down", "parameter up")
    for container, column in ((down, "kpi_low"), (up, "kpi_high")):
        starts = [p.get_x() for p in container.patches]
        ends = [p.get_x() + p.get_width() for p in container.patches]
        assert starts == [0.0] * len(table)
        np.testing.assert_allclose(ends, np.nan_to_num(table[column]), rtol=1e-12)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [f"{p} ({k})" for p, k in zip(table["parameter"], table["kind"], strict=True)]
    assert "conversion_rate" in ax.get_xlabel()


def test_top_keeps_the_largest_spans(table, bars):
    ax = tornado(table, top=2)
    down, _ = bars(ax)
    assert len(down.patches) == 2
    assert ax.get_yticklabels()[0].get_text().startswith(table["parameter"].iloc[0])
