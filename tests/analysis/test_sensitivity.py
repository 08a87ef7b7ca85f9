"""Sensitivity (tornado data): analytic rows agree with the exact elasticities; queue rows come from
the DES."""

import pytest

import cjsim
from cjsim.analysis import sensitivity


@pytest.fixture(scope="module")
def sc():
    return cjsim.load_scenario("scenarios/fashionfusion.toml").replace(horizon_days=30.0)


def test_edge_rows_match_the_exact_derivative(sc):
    change = 0.01
    table = sensitivity(sc, kpi="conversion_rate", change=change, queues=False)
    el = cjsim.solve_analytic(sc, removal=False).tables["elasticities"]
    el = el[el["kpi"] == "conversion_rate"].set_index(["from", "to"])
    for row in table[table["kind"] == "edge"].itertuples():
        source, target = row.parameter.split("->")
        derivative = el.loc[(source, target), "derivative"]
        slope = (row.kpi_high - row.kpi_low) / (2 * change * row.value)
        # central difference: error O((change * p)^2), far below this bound
        assert slope == pytest.approx(derivative, rel=1e-3, abs=1e-9), row.parameter


def test_rows_are_sorted_by_span_and_queues_come_from_the_des(sc):
    table = sensitivity(sc, kpi="profit_per_customer", change=0.2, replications=2)
    spans = table["span"].dropna()  # NaN: an edge that cannot grow by 20 % (it would pass 1)
    assert list(spans) == sorted(spans, reverse=True)
    queues = table[table["engine"] == "des"]
    assert set(queues["kind"]) == {"capacity", "service"}
    assert set(queues["parameter"]) == {"support_chat", "returns"}


def test_change_must_be_a_share(sc):
    with pytest.raises(ValueError, match="change must be in"):
        sensitivity(sc, change=1.5)
