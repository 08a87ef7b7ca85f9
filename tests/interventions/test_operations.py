"""The operation registry: one record per operation, read by the loader, apply, combine
and compare's notes."""

import dataclasses
import tomllib
from pathlib import Path

import pytest

import cjsim
from cjsim.engines.registry import get_engine
from cjsim.errors import InterventionError, ScenarioFileError
from cjsim.interventions import (
    FEATURES,
    OPERATIONS,
    Change,
    Intervention,
    Operation,
    Touch,
    apply,
    combine,
    interventions_from_dict,
    interventions_to_toml,
)
from cjsim.interventions.operations import unseen_by

# one file-form change per operation, valid on scenarios/fashionfusion.toml
EXAMPLES = {
    "scale_transition": {"from": "dormant", "to": "checkout", "factor": 1.2},
    "set_transition": {"from": "website", "to": "checkout", "probability": 0.3},
    "set_transitions": {"from": "review", "row": {"website": 0.5, "rest": "churned"}},
    "scale_dwell": {"node": "dormant", "factor": 0.5},
    "set_dwell": {"node": "website", "dwell": {"dist": "exponential", "mean": 0.1}},
    "scale_service": {"node": "returns", "factor": 0.4},
    "set_service": {"node": "support_chat", "service": {"dist": "gamma", "mean": 0.01, "cv": 0.5}},
    "set_capacity": {"node": "returns", "servers": 8},
    "scale_order_value": {"node": "checkout", "factor": 0.95},
    "scale_arrivals": {"factor": 1.5},
    "set_entry": {"entry": {"search": 1.0}},
    "add_touchpoint": {
        "name": "winback_email",
        "touchpoint": {"stage": "retention", "dwell": {"dist": "exponential", "mean": 2.0}},
        "transitions": {"checkout": 0.1, "rest": "churned"},
        "inbound": {"dormant": 0.2},
    },
    # valid on tests/data/moods.toml (a scenario with a satisfaction model)
    "scale_satisfaction": {"node": "size_guide", "factor": 0.5},
    "set_satisfaction": {"node": "returns", "effect": "refund", "value": 1.0},
}
MOODS = Path(__file__).resolve().parents[1] / "data" / "moods.toml"


@pytest.fixture(scope="module")
def sc():
    return cjsim.load_scenario("scenarios/fashionfusion.toml")


def test_every_operation_has_one_record_and_an_example():
    assert set(EXAMPLES) == set(OPERATIONS)
    for name, op in OPERATIONS.items():
        assert op.name == name
        assert op.feature in FEATURES
        assert set(op.file_forms) <= set(op.keys)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_operation_loads_applies_and_round_trips(sc, name):
    data = {"interventions": [{"name": "x", "changes": [{"op": name, **EXAMPLES[name]}]}]}
    (iv,) = interventions_from_dict(data)
    if OPERATIONS[name].feature == "satisfaction":
        sc = cjsim.load_scenario(MOODS)
    assert apply(sc, iv) != sc
    (again,) = interventions_from_dict(tomllib.loads(interventions_to_toml((iv,))))
    assert again == iv


def test_the_analytic_engine_is_blind_to_exactly_the_capacity_and_satisfaction_operations():
    blind = {op.name for op in unseen_by(get_engine("analytic"))}
    assert blind == {
        "set_capacity",
        "scale_service",
        "set_service",
        "scale_satisfaction",
        "set_satisfaction",
    }
    words = {FEATURES[op.feature] for op in unseen_by(get_engine("analytic"))}
    assert words == {"queues", "satisfaction"}
    assert unseen_by(get_engine("des")) == ()
    assert unseen_by(get_engine("vectorized"), ignore_capacity=True) == ()


@pytest.mark.parametrize(
    ("op", "params", "words"),
    [
        ("scale_dwell", {"node": "website", "factr": 2.0}, ["unknown key 'factr'", "'factor'"]),
        ("teleport", {"node": "website"}, ["unknown operation 'teleport'"]),
        ("scale_dwell", {"node": "website"}, ["missing factor"]),
        (
            "set_transition",
            {"from": "website", "to": "checkout", "probabilty": 0.3},
            ["unknown key 'probabilty'", "did you mean 'probability'"],
        ),
    ],
)
def test_unknown_keys_are_refused_when_the_change_is_made(op, params, words):
    with pytest.raises(InterventionError) as info:
        Change(op, params)
    text = str(info.value)
    assert text.startswith(f"Change({op!r})")
    for w in words:
        assert w in text


def test_a_missing_value_is_an_error_when_applied(sc):
    change = Change("set_transition", {"from": "website", "to": "checkout"})
    with pytest.raises(InterventionError) as info:
        apply(sc, Intervention("bad", (change,)))
    text = str(info.value)
    assert text.startswith("interventions[bad].changes[0]")
    assert "needs probability" in text


def test_an_unknown_optional_key_in_a_file_names_the_key():
    change = {"op": "add_touchpoint", **EXAMPLES["add_touchpoint"], "inbnd": {"dormant": 0.2}}
    with pytest.raises(ScenarioFileError) as info:
        interventions_from_dict({"interventions": [{"name": "x", "changes": [change]}]}, source="f")
    assert "interventions[0].changes[0].inbnd: unknown key for add_touchpoint" in str(info.value)
    assert "did you mean 'inbound'" in str(info.value)


@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [
        ("scale_service", "set_capacity", False),  # different parameters of one queue
        ("scale_dwell", "scale_dwell", False),  # scales compose
        ("set_capacity", "set_capacity", False),  # the same value
        ("set_entry", "set_entry", True),
    ],
)
def test_touches_decide_conflicts(first, second, clash):
    def part(name, op):
        params = {
            "set_entry": {"entry": {name: 1.0}},
            "set_capacity": {"node": "returns", "servers": 3},
        }
        return Intervention(name, (Change(op, params.get(op, {"node": "returns", "factor": 0.5})),))

    parts = [part("x", first), part("y", second)]
    if clash:
        with pytest.raises(InterventionError, match="both change entry"):
            combine("xy", parts)
    else:
        assert combine("xy", parts).parts == ("x", "y")


def test_touches_name_the_parameter():
    op = OPERATIONS["scale_dwell"]
    assert op.touches({"node": "website", "factor": 2.0}) == (
        Touch(("dwell", "website"), "scale", 2.0),
    )
    assert OPERATIONS["scale_transition"].touches({"from": "a", "to": "b", "factor": 2.0}) == (
        Touch(("row", "a"), "edge"),
    )


def test_a_record_checks_its_feature_and_file_forms():
    op = OPERATIONS["set_dwell"]
    with pytest.raises(ValueError, match="unknown feature 'queue'"):
        dataclasses.replace(op, feature="queue")
    for forms in ({"colour": "distribution"}, {"dwell": "table"}):
        with pytest.raises(ValueError, match="file form"):
            dataclasses.replace(op, file_forms=forms)
    assert isinstance(op, Operation)
