"""Loading and checking a scenario is linear in its size (issue 14).

Not timed: the check counts how often the O(n) ``Scenario.nodes`` tuple is built while
a chain of n touchpoints is validated. Linear validation builds it a bounded number of
times whatever n is; the old code built it once per transition target (2n times).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cjsim.model import Scenario
from cjsim.scenario import scenario_from_dict

BENCH = Path(__file__).parents[2] / "benchmarks" / "scenario_load_speed.py"


def _chain(n: int) -> dict:
    namespace: dict = {}
    exec(compile(BENCH.read_text(encoding="utf-8"), str(BENCH), "exec"), namespace)
    return tomllib.loads(namespace["chain_toml"](n))


def _nodes_built(monkeypatch: pytest.MonkeyPatch, n: int) -> int:
    calls = 0
    original = Scenario.nodes.fget
    assert original is not None

    def counted(self: Scenario) -> tuple[str, ...]:
        nonlocal calls
        calls += 1
        return original(self)

    with monkeypatch.context() as m:
        m.setattr(Scenario, "nodes", property(counted))
        scenario = scenario_from_dict(_chain(n))
    assert len(scenario.touchpoints) == n
    return calls


def test_validation_builds_the_node_tuple_a_bounded_number_of_times(monkeypatch):
    small, large = _nodes_built(monkeypatch, 50), _nodes_built(monkeypatch, 400)
    assert large <= small + 5, f"Scenario.nodes built {small} times for 50, {large} for 400"
