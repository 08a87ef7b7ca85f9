"""Run options: one frozen keyword-only record, one rule for defaults, clear errors."""

from __future__ import annotations

import dataclasses
import math

import pytest

import cjsim
from cjsim.errors import OptionError, SimulationError
from cjsim.experiment import RunOptions
from tests.shops import calm_fashion


@pytest.fixture(scope="module")
def shop() -> cjsim.Scenario:
    return calm_fashion()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("replications", 0, "replications must be a whole number >= 1"),
        ("replications", 2.5, "replications must be a whole number"),
        ("workers", 0, "workers must be a whole number >= 1"),
        ("seed", -1, "seed must be a whole number >= 0"),
        ("executor", "garbage", "unknown executor 'garbage'"),
        ("horizon_days", math.nan, "horizon_days must be a finite number"),
        ("horizon_days", -3.0, "horizon_days must be a finite number"),
        ("engine", "analytc", "did you mean 'analytic'"),
    ],
)
def test_a_bad_option_is_a_value_error_naming_it(option: str, value: object, message: str) -> None:
    with pytest.raises(OptionError, match=message) as info:
        RunOptions(**{option: value})
    assert isinstance(info.value, ValueError)


def test_options_are_frozen_and_keyword_only() -> None:
    with pytest.raises(TypeError):
        RunOptions("des")  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        RunOptions().seed = 3  # type: ignore[misc]


def test_resolve_decides_every_default_once(shop: cjsim.Scenario) -> None:
    opts = RunOptions(workers=2).resolve(shop)
    assert opts.executor == "process" and opts.horizon_days == 365.0
    assert isinstance(opts.seed, int) and opts.seed >= 0
    assert opts.resolve(shop) == opts  # resolving again changes nothing
    assert RunOptions(scheduler="tcp://h:1").resolve(shop).executor == "dask"
    assert RunOptions(horizon_days=30).resolve(shop).horizon_days == 30.0


def test_the_horizon_rule_is_the_same_for_every_entry_point(shop: cjsim.Scenario) -> None:
    endless = shop.replace(horizon_days=None)
    with pytest.raises(SimulationError, match="no horizon_days"):
        RunOptions(engine="des").resolve(endless)
    assert RunOptions(engine="analytic").resolve(endless).horizon_days is None
    with pytest.raises(SimulationError, match="no horizon_days"):
        RunOptions(engine="analytic").resolve(endless, need_horizon=True)


def test_simulate_takes_keyword_options_or_one_options_object(shop: cjsim.Scenario) -> None:
    small = shop.replace(horizon_days=15.0)
    opts = RunOptions(engine="des", replications=2, seed=4)
    a = cjsim.simulate(small, options=opts)
    b = cjsim.simulate(small, engine="des", replications=2, seed=4)
    assert a.kpis.equals(b.kpis) and a.meta == b.meta
    with pytest.raises(TypeError):
        cjsim.simulate(small, "des")  # type: ignore[misc]
    with pytest.raises(OptionError, match="either options= or separate"):
        cjsim.simulate(small, options=opts, seed=5)


def test_a_fresh_seed_is_recorded_so_the_run_can_be_replayed(shop: cjsim.Scenario) -> None:
    small = shop.replace(horizon_days=10.0)
    first = cjsim.simulate(small, engine="des", replications=1)
    again = cjsim.simulate(small, engine="des", replications=1, seed=first.meta["seed"])
    assert first.kpis.equals(again.kpis)


def test_a_run_horizon_is_held_to_the_scenarios_customer_bound(shop: cjsim.Scenario) -> None:
    """A horizon given to a run is checked like one in the file (issue 14): beyond 1e12
    expected customers it is refused before starting; a sane one is accepted."""
    with pytest.raises(OptionError, match=r"horizon_days=1e\+308: population\.arrivals"):
        RunOptions(engine="analytic", horizon_days=1e308).resolve(shop)
    assert RunOptions(engine="analytic", horizon_days=30.0).resolve(shop).horizon_days == 30.0
