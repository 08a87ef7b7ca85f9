"""Sensitivity (tornado data): analytic rows agree with the exact elasticities; queue rows come from
the DES."""

import pandas as pd
import pytest

import cjsim
from cjsim.analysis import sensitivity
from cjsim.interventions import Change, Intervention, apply
from cjsim.model import Exponential, Fixed
from tests.shops import calm_fashion


@pytest.fixture(scope="module")
def sc():
    return calm_fashion().replace(horizon_days=30.0)


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


def test_a_scenario_the_analytic_engine_refuses_has_every_move_simulated():
    """Satisfaction: no exact row (the analytic engine refuses it); every move is simulated
    with common random numbers, and the satisfaction link makes the edges into churn move
    the KPI."""
    moods = cjsim.load_scenario("tests/data/moods.toml").replace(horizon_days=30.0)
    table = sensitivity(moods, kpi="net_promoter", change=0.2, replications=2, seed=1)
    assert set(table["engine"]) == {"des"}
    assert {"edge", "dwell"} <= set(table["kind"])
    assert table["span"].dropna().max() > 0


def test_change_must_be_a_share(sc):
    with pytest.raises(ValueError, match="change must be in"):
        sensitivity(sc, change=1.5)


@pytest.fixture(scope="module")
def small():
    """Three touchpoints, one a single-server queue; ten days of 20 arrivals a day."""
    return (
        cjsim.JourneyBuilder("Small shop", stages=["awareness", "purchase"], horizon_days=10)
        .touchpoint("ad", "awareness", dwell=Exponential(1.0))
        .touchpoint(
            "support", "awareness", dwell=Exponential(0.5), capacity=1, service=Exponential(0.1)
        )
        .touchpoint("checkout", "purchase", purchase=True, order_value=Fixed(50.0))
        .outcome("lost")
        .edges("ad", checkout=0.1, support=0.2, rest="lost")
        .edges("support", checkout=0.3, rest="lost")
        .edges("checkout", ad=0.5, rest="lost")
        .poisson(20.0)
        .entry(ad=1.0)
        .build()
    )


def test_moves_are_the_interventions_they_name(small):
    """Each analytic row is the exact KPI after applying its Change, minus the baseline."""
    sc = small
    table = sensitivity(sc, kpi="conversion_rate", change=0.2, queues=False)
    base = cjsim.solve_analytic(sc, removal=False, elasticity=False)["conversion_rate"]
    moves = {
        ("edge", "support->checkout"): ("scale_transition", {"from": "support", "to": "checkout"}),
        ("dwell", "ad"): ("scale_dwell", {"node": "ad"}),
    }
    for (kind, parameter), (op, params) in moves.items():
        row = table[(table["kind"] == kind) & (table["parameter"] == parameter)].iloc[0]
        for column, factor in (("kpi_low", 0.8), ("kpi_high", 1.2)):
            iv = Intervention(op, (Change(op, {**params, "factor": factor}),))
            moved = cjsim.solve_analytic(apply(sc, iv), removal=False, elasticity=False)
            assert row[column] == moved["conversion_rate"] - base, (parameter, column)


def test_a_move_the_format_forbids_is_nan_not_a_crash():
    # a trial segment's edge multipliers push a +20 % edge past 1: that move is NaN
    trial = cjsim.load_scenario("scenarios/saas_trial.toml")
    table = sensitivity(trial, kpi="conversion_rate", change=0.2, queues=False)
    assert table["kpi_high"].isna().any()
    assert table["kpi_low"].notna().all()


def test_the_seed_is_explicit_and_recorded(small):
    short = small
    options = {"kpi": "conversion_rate", "change": 0.2, "replications": 2}
    drawn = sensitivity(short, **options)
    assert isinstance(drawn.attrs["seed"], int)
    again = sensitivity(short, **options, seed=drawn.attrs["seed"])
    pd.testing.assert_frame_equal(again, drawn)
    assert again.attrs == drawn.attrs
    assert set(drawn.loc[drawn["engine"] == "des", "kind"]) == {"capacity", "service"}
    with pytest.raises(TypeError):
        sensitivity(short, "conversion_rate")


def test_a_refused_scenario_needs_a_horizon_and_keeps_queues_out_when_asked():
    shop = cjsim.load_scenario("scenarios/fashionfusion.toml")
    with pytest.raises(cjsim.OptionError, match="add horizon_days"):
        sensitivity(shop.replace(horizon_days=None), kpi="conversion_rate", replications=2)
    table = sensitivity(
        shop.replace(horizon_days=5.0), kpi="conversion_rate", queues=False, replications=2, seed=1
    )
    assert set(table["engine"]) == {"des"} and not {"capacity", "service"} & set(table["kind"])
