"""The KPI registry: every KPI an engine reports is declared once, with its unit and, for a
per-node KPI, its node family; names are built and split without regular expressions."""

import pytest

import cjsim
from cjsim.kpis import FAMILIES, KPIS, UNITS, Kpi, lookup, node_name, of_family, split_name, unit_of
from tests.shops import calm_fashion


@pytest.fixture(scope="module")
def sc():
    return calm_fashion().replace(horizon_days=30.0)


def test_names_round_trip():
    assert node_name("visits", "website") == "visits[website]"
    assert split_name("visits[website]") == ("visits", "website")
    assert split_name("conversion_rate") == ("conversion_rate", None)
    assert split_name("odd[") == ("odd[", None)


def test_a_whole_journey_kpi_has_no_node_name():
    with pytest.raises(ValueError, match="'profit' is not a per-node KPI — use one of"):
        node_name("profit", "website")


def test_every_declaration_is_well_formed():
    assert all(k.unit in UNITS for k in KPIS.values())
    assert {k.family for k in KPIS.values() if k.family} == set(FAMILIES)
    with pytest.raises(ValueError, match="unit 'furlongs'"):
        Kpi("x", "furlongs", "count", "nonsense")


def test_families_and_units():
    assert [k.name for k in of_family("outcome")] == ["absorption"]
    assert {k.name for k in of_family("capacity")} >= {"wait_mean", "utilization", "reneged"}
    assert unit_of("absorption[lost]") == "share"
    assert unit_of("clv") == "money per customer"
    assert unit_of("not_a_kpi") == "" and lookup("not_a_kpi") is None
    with pytest.raises(ValueError, match="unknown node family"):
        of_family("desk")


@pytest.mark.parametrize("engine", ["analytic", "vectorized", "des"])
def test_every_engine_reports_only_declared_kpis(sc, engine):
    res = cjsim.simulate(sc, engine=engine, replications=2, seed=1, ignore_capacity=True)
    undeclared = [k for k in res.kpis["kpi"] if lookup(k) is None]
    assert undeclared == []
    families = {lookup(k).family for k in res.kpis["kpi"]} - {None}
    assert families >= {"touchpoint", "outcome", "stage"}


def test_per_node_returns_a_series_by_node(sc):
    res = cjsim.solve_analytic(sc, removal=False, elasticity=False)
    visits = res.per_node("visits")
    assert list(visits.index) == list(sc.touchpoints)
    assert visits["website"] == res["visits[website]"]
    assert visits.name == "visits"
    assert res.per_node("wait_mean").empty  # the analytic engine has no queues
