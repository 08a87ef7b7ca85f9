"""The engine protocol: declared features, checks, the registry, one output type."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.engines.analytic import expected_replication
from cjsim.engines.base import FEATURES, Engine, ReplicationOutput, features_of
from cjsim.engines.registry import engine_names, get_engine, register_engine
from cjsim.errors import OptionError, SimulationError
from tests.shops import calm_fashion


@pytest.fixture(scope="module")
def shop() -> cjsim.Scenario:
    return calm_fashion()


def test_every_engine_declares_features_from_the_vocabulary() -> None:
    for name in engine_names():
        engine = get_engine(name)
        assert engine.name == name
        assert engine.models <= set(FEATURES)


def test_the_bundled_shop_uses_queues_and_satisfaction() -> None:
    bundled = cjsim.load_scenario("scenarios/fashionfusion.toml")
    used = features_of(bundled)
    assert {"capacity", "satisfaction", "horizon"} <= used
    assert get_engine("analytic").blind_to(used) >= {"capacity", "satisfaction"}
    assert get_engine("des").blind_to(used) == frozenset()
    with pytest.raises(SimulationError, match="satisfaction model"):
        get_engine("analytic").check(bundled)
    assert "experience" in features_of(cjsim.load_scenario("scenarios/saas_trial.toml"))


def test_vectorized_refuses_queues_unless_told_to_ignore_them(shop: cjsim.Scenario) -> None:
    engine = get_engine("vectorized")
    with pytest.raises(SimulationError, match="have capacity"):
        engine.check(shop)
    engine.check(shop, ignore_capacity=True)
    assert "capacity ignored" in engine.notes(shop, ignore_capacity=True)[0]


def test_an_unknown_engine_is_a_value_error_with_the_closest_name(shop: cjsim.Scenario) -> None:
    with pytest.raises(ValueError, match="did you mean 'des'"):
        cjsim.simulate(shop, engine="dse")
    with pytest.raises(OptionError):
        get_engine("nope")


def test_every_simulation_engine_returns_the_same_output_type(shop: cjsim.Scenario) -> None:
    small = shop.replace(horizon_days=20.0)
    for name in ("des", "vectorized", "analytic"):
        outs = get_engine(name).run(
            small, seed=1, replications=range(2), horizon=20.0, ignore_capacity=True
        )
        assert all(isinstance(o, ReplicationOutput) for o in outs)
        assert {"day", "days", "arrivals", "purchases", "revenue", "cost"} <= set(
            outs[0].timeseries.columns
        )
        assert outs[0].visits_by_day.shape == (len(small.touchpoints), 20)


def test_the_expected_replication_sums_to_the_exact_totals(shop: cjsim.Scenario) -> None:
    out = expected_replication(shop, 100.5)
    exact = cjsim.simulate(shop, engine="analytic", horizon_days=100.5)
    ts = out.timeseries
    assert len(ts) == 101 and ts["days"].iloc[-1] == pytest.approx(0.5)
    assert ts["arrivals"].sum() == pytest.approx(exact["customers"], rel=1e-12)
    assert ts["revenue"].sum() == pytest.approx(exact["revenue"], rel=1e-12)
    assert ts["cost"].sum() == pytest.approx(exact["cost"], rel=1e-12)


def test_the_analytic_engine_counts_customers_of_the_horizon_it_is_given(
    shop: cjsim.Scenario,
) -> None:
    """The bug of issue 10: a horizon passed to simulate() was ignored by the analytic engine."""
    short = cjsim.simulate(shop, engine="analytic", horizon_days=30)
    year = cjsim.simulate(shop, engine="analytic")
    arrivals = shop.population.arrivals
    ratio = arrivals.expected_count(30.0) / arrivals.expected_count(365.0)
    assert short["customers"] == pytest.approx(year["customers"] * ratio, rel=1e-12)
    assert short["conversion_rate"] == year["conversion_rate"]
    assert not math.isclose(short["customers"], year["customers"])


class _Constant(Engine):
    """A plug-in engine of a test's own: every customer spends 1 and buys nothing."""

    name = "constant"
    models = frozenset({"transitions"})

    def run(self, scenario, *, seed, replications, horizon, events=False, ignore_capacity=False):
        ts = pd.DataFrame(
            {"day": [0.0], "days": [1.0], "arrivals": [1.0]}
            | {"cumulative_revenue": [0.0], "cumulative_profit": [-1.0]}
        )
        visits = np.zeros((len(scenario.touchpoints), 1))
        return [ReplicationOutput(r, {"cost": 1.0 + r}, ts, None, visits) for r in replications]


def test_an_engine_object_plugs_in_where_a_name_goes(
    shop: cjsim.Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cjsim.engines import registry

    monkeypatch.setattr(registry, "_FACTORIES", dict(registry._FACTORIES))
    res = cjsim.simulate(shop, engine=_Constant(), replications=3, seed=1)
    assert res.engine == "constant"
    assert res["cost"] == pytest.approx(2.0)
    register_engine(_Constant)
    assert "constant" in engine_names()
    assert isinstance(get_engine("constant"), _Constant)


def test_the_numpy_engine_does_not_load_simpy() -> None:
    code = (
        "import sys, cjsim\n"
        "from cjsim.engines.registry import get_engine\n"
        "get_engine('vectorized'); get_engine('analytic')\n"
        "print('simpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
