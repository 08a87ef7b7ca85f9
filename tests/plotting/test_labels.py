"""Every KPI of the registry, and every ranking metric, has words for people."""

import pytest

from cjsim.kpis import KPIS, node_name
from cjsim.plotting.labels import engine_label, kpi_label, name_label

RANKED = ("incremental_profit", "roi", "npv", "delta_conversion", "p_beats_baseline", "p_best")


@pytest.mark.parametrize("name", [*KPIS, *RANKED])
def test_every_kpi_and_metric_reads_without_underscores(name):
    kpi = KPIS.get(name)
    full = node_name(name, "size_guide") if kpi is not None and kpi.family else name
    label = kpi_label(full)
    assert "_" not in label and label.strip()


def test_units_and_nodes_are_named():
    assert kpi_label("profit", {"currency": "EUR"}) == "profit (EUR)"
    assert kpi_label("profit") == "profit"
    assert kpi_label("time_to_first_purchase") == "time to the first purchase (days)"
    assert kpi_label("visits[support_chat]") == "visits to support chat per customer"
    assert kpi_label("absorption[lost]") == "share ending lost"
    assert kpi_label("reneged[returns]") == "share who gave up waiting at returns"


def test_names_and_engines():
    assert name_label("loyalty_plus_returns") == "loyalty plus returns"
    assert name_label("a+b") == "a + b"
    assert engine_label("des") == "DES engine"
    assert engine_label("analytic") == "analytic engine"
