"""Optimising levers by simulation under common random numbers
(``cjsim.interventions.optimize``).

The check the issue asks for: on a journey with one capacity touchpoint, the search finds
the same best number of servers as an exhaustive search with the same seeds, simulating
fewer settings.  Its foil: the exhaustive search of a journey whose service is twice as
slow has another best, which the same comparison rejects.
"""

from __future__ import annotations

import json

import pytest

import cjsim
from cjsim.cli import main
from cjsim.economics import Costs
from cjsim.errors import CJSimError, SimulationError
from cjsim.experiment import RunOptions
from cjsim.interventions.optimize import Lever, optimize
from cjsim.model import Exponential, Gamma, JourneyBuilder

OPTIONS = RunOptions(engine="des", replications=4, seed=11, workers=1)
SERVERS = Lever("set_capacity", {"node": "desk"}, "servers", 1, 12, True, Costs(per_day=40.0))


def one_desk(service_days: float = 0.1) -> cjsim.Scenario:
    """60 shoppers a day at a desk (service ``service_days``, patience 0.05 days); those
    served buy for about 100, those who give up are lost.  A server costs 40 a day."""
    return (
        JourneyBuilder("desk", stages=["ask", "buy"], horizon_days=60.0)
        .touchpoint(
            "desk",
            "ask",
            capacity=2,
            service=Exponential(service_days),
            patience=Exponential(0.05),
            renege_to="lost",
        )
        .touchpoint("checkout", "buy", purchase=True, order_value=Gamma(100.0, 0.3))
        .outcome("lost")
        .outcome("done")
        .edges("desk", checkout=0.8, rest="lost")
        .edges("checkout", rest="done")
        .poisson(60.0)
        .entry(desk=1.0)
        .economics(gross_margin=0.5)
        .build()
    )


@pytest.fixture(scope="module")
def exhaustive():
    return optimize(one_desk(), [SERVERS], options=OPTIONS, search="grid")


def test_the_search_finds_the_exhaustive_best_with_fewer_settings(exhaustive):
    found = optimize(one_desk(), [SERVERS], options=OPTIONS)
    assert 1 < exhaustive.best["desk.servers"] < 12, "an interior optimum"
    assert found.best == exhaustive.best
    assert found.mean == exhaustive.mean, "the same seeds: the same number"
    assert len(found.evaluations) < len(exhaustive.evaluations)


def test_the_same_comparison_rejects_a_slower_desk(exhaustive):
    slower = optimize(one_desk(0.2), [SERVERS], options=OPTIONS, search="grid")
    assert slower.best != exhaustive.best


def test_several_levers_by_differential_evolution_reach_the_grid_best():
    levers = [
        Lever("set_capacity", {"node": "desk"}, "servers", 2, 7, True, Costs(per_day=40.0)),
        Lever("scale_arrivals", {}, "factor", 1, 3, True, Costs(per_day=150.0)),
    ]
    options = RunOptions(engine="des", replications=2, seed=3, workers=1)
    grid = optimize(one_desk(), levers, options=options, search="grid")
    found = optimize(one_desk(), levers, options=options)
    assert found.method == "differential evolution"
    assert found.best == grid.best


def test_a_lever_from_text():
    lever = Lever.parse("support_chat.servers=1..6@45")
    assert (lever.op, lever.key, lever.integer) == ("set_capacity", "servers", True)
    assert lever.costs(3).per_day == 135.0
    assert Lever.parse("arrivals=0.8..1.5").target == {}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("desk.seats=1..3", "expected NODE.KIND=LOW..HIGH"),
        ("desk.servers=3", "expected NODE.KIND=LOW..HIGH"),
        ("desk.servers=3..1", "low < high"),
        ("desk.servers=1.2..1.8", "no whole number"),
        ("desk.dwell=0.5..2@inf", "finite amount per day"),
    ],
)
def test_bad_levers_are_refused_with_a_hint(spec, message):
    with pytest.raises(SimulationError, match=message):
        Lever.parse(spec)


def test_a_lever_on_a_missing_touchpoint_is_refused_before_any_run():
    with pytest.raises(CJSimError, match="nowhere"):
        optimize(one_desk(), [Lever.parse("nowhere.servers=1..3")], options=OPTIONS)


def test_cli_optimize_prints_the_best_and_draws_it(tmp_path, capsys):
    path = tmp_path / "desk.toml"
    cjsim.save_scenario(one_desk(), path)
    plot = tmp_path / "servers.png"
    args = ["optimize", str(path), "--lever", "desk.servers=1..8@40", "--replications", "2"]
    code = main([*args, "--seed", "1", "--workers", "1", "--plot", str(plot)])
    out = capsys.readouterr().out
    assert code == 0 and "Best setting" in out and "desk.servers = " in out
    assert "ahead of the next best" in out and max(map(len, out.splitlines())) <= 100
    assert plot.stat().st_size > 0
    assert main([*args, "--seed", "1", "--workers", "1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["best"]["desk.servers"] >= 1 and data["evaluations"]


def test_cli_bad_lever_exits_2_with_one_line(capsys):
    code = main(["optimize", "scenarios/fashionfusion.toml", "--lever", "returns.seats=1..3"])
    err = capsys.readouterr().err
    assert code == 2 and "expected NODE.KIND=LOW..HIGH" in err and "Traceback" not in err
