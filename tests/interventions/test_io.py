"""Intervention files: the bundled one loads and round-trips; bad ones get clear errors."""

import tomllib

import pytest

import cjsim
from cjsim.errors import InterventionError, ScenarioFileError
from cjsim.interventions import (
    Costs,
    apply,
    interventions_from_dict,
    interventions_to_toml,
    load_interventions,
    save_interventions,
)

INVESTMENTS = "scenarios/fashionfusion_investments.toml"


def test_bundled_investments_load_and_apply():
    ivs = load_interventions(INVESTMENTS)
    names = [iv.name for iv in ivs]
    assert {"loyalty_program", "faster_returns", "more_support_staff", "better_size_guide"} <= set(
        names
    )
    combined = next(iv for iv in ivs if iv.parts)
    assert combined.parts == ("loyalty_program", "faster_returns")
    sc = cjsim.load_scenario("scenarios/fashionfusion.toml")
    for iv in ivs:
        apply(sc, iv)


def test_bundled_investments_round_trip(tmp_path):
    ivs = load_interventions(INVESTMENTS)
    save_interventions(ivs, tmp_path / "again.toml")
    assert load_interventions(tmp_path / "again.toml") == ivs


BASE = {"name": "x", "changes": [{"op": "scale_transition", "from": "a", "to": "b", "factor": 2.0}]}


@pytest.mark.parametrize(
    ("item", "path", "words"),
    [
        (
            {**BASE, "changes": [{"op": "scale_transtion", "from": "a", "to": "b", "factor": 2.0}]},
            "interventions[0].changes[0].op",
            "did you mean 'scale_transition'",
        ),
        (
            {**BASE, "changes": [{"op": "set_capacity", "node": "a", "server": 3}]},
            "interventions[0].changes[0].server",
            "did you mean 'servers'",
        ),
        (
            {**BASE, "changes": [{"op": "scale_dwell", "node": "a"}]},
            "interventions[0].changes[0].factor",
            "required key is missing",
        ),
        ({**BASE, "costs": {"fixd": 10.0}}, "interventions[0].costs.fixd", "did you mean 'fixed'"),
        (
            {"name": "y", "combine": ["x", "nope"]},
            "interventions[1].combine",
            "unknown intervention",
        ),
        (
            {
                **BASE,
                "changes": [
                    {
                        "op": "set_dwell",
                        "node": "a",
                        "dwell": {"dist": "gamma", "mean": -1.0, "cv": 0.5},
                    }
                ],
            },
            "interventions[0].changes[0].dwell",
            "mean",
        ),
    ],
)
def test_malformed_intervention_files_name_the_key(item, path, words):
    items = [item] if "combine" not in item else [BASE, item]
    with pytest.raises(ScenarioFileError) as info:
        interventions_from_dict({"interventions": items}, source="iv.toml")
    line = str(info.value).splitlines()[0]
    assert line.startswith("iv.toml: ") and path in line and words in line, line


def test_text_is_valid_toml():
    assert tomllib.loads(interventions_to_toml(load_interventions(INVESTMENTS)))


PLAIN = {"name": "a", "changes": BASE["changes"]}


@pytest.mark.parametrize(
    ("items", "line"),
    [
        (
            [{**PLAIN, "costs": {"fixed": -1_000_000.0}}],
            "interventions[0].costs.fixed: is negative (-1,000,000) — costs are what",
        ),
        ([{**PLAIN, "costs": {"per_day": float("nan")}}], "interventions[0].costs.per_day: is NaN"),
        (
            [{**PLAIN, "costs": {"per_customer": float("inf")}}],
            "interventions[0].costs.per_customer: is infinite",
        ),
        (
            [{**PLAIN, "costs": {"per_purchase": -1.0}}],
            "interventions[0].costs.per_purchase: is negative (-1)",
        ),
        (
            [{**PLAIN, "costs": {"per_visit": {"website": float("-inf")}}}],
            "interventions[0].costs.per_visit.website: is minus infinite",
        ),
        (
            [PLAIN, {**PLAIN, "description": "again"}],
            "interventions[1].name: 'a' is also the name of interventions[0] — give every",
        ),
        (
            [PLAIN, {"name": "a", "combine": ["b"]}, {**PLAIN, "name": "b"}],
            "interventions[1].name: 'a' is also the name of interventions[0]",
        ),
        ([{**PLAIN, "name": "baseline"}], "interventions[0].name: 'baseline' is reserved"),
        (
            [PLAIN, {"name": "aa", "combine": ["a", "a"]}],
            "interventions[1].combine[1]: 'a' is listed twice",
        ),
        (
            [PLAIN, {"name": "s", "combine": ["a", "s"]}],
            "interventions[1].combine[1]: 's' combines itself",
        ),
        (
            [PLAIN, {"name": "p", "combine": ["q", "a"]}, {"name": "q", "combine": ["p"]}],
            "interventions[1].combine[0]: 'q' combines this intervention back (p -> q -> p) — a",
        ),
        (
            [
                PLAIN,
                {**PLAIN, "name": "b"},
                {"name": "ab", "combine": ["a", "b"]},
                {"name": "abb", "combine": ["ab", "b"]},
            ],
            "interventions[3].combine[0]: 'ab' is itself a combination — list plain "
            'interventions only: combine = ["a", "b"]',
        ),
        (
            [PLAIN, {"name": "x", "combine": ["a", "b"]}],
            "interventions[1].combine[1]: unknown intervention 'b'",
        ),
        (
            [PLAIN, {"name": "x", "combine": ["a"], "changes": BASE["changes"]}],
            "interventions[1].changes: a combined intervention has no changes of its own",
        ),
    ],
)
def test_bad_intervention_files_are_refused_naming_the_file_and_key(items, line):
    with pytest.raises(ScenarioFileError) as info:
        interventions_from_dict({"interventions": items}, source="iv.toml")
    assert any(got.startswith(f"iv.toml: {line}") for got in str(info.value).splitlines()), str(
        info.value
    )


def test_every_problem_of_an_intervention_file_is_reported_at_once(tmp_path):
    path = tmp_path / "iv.toml"
    path.write_text(
        '[[interventions]]\nname = "baseline"\ncosts = { fixed = -1.0, per_day = nan }\n'
        '[[interventions]]\nname = "b"\ncosts = { fixd = 1.0 }\n'
        '[[interventions]]\nname = "c"\ncombine = ["c", "zz"]\n'
    )
    with pytest.raises(ScenarioFileError) as info:
        load_interventions(path)
    lines = str(info.value).splitlines()
    assert all(line.startswith(f"{path}: interventions[") for line in lines), lines
    assert [line.split(": ")[1] for line in lines] == [
        "interventions[0].name",
        "interventions[0].costs.fixed",
        "interventions[0].costs.per_day",
        "interventions[1].costs.fixd",
        "interventions[2].combine[0]",
        "interventions[2].combine[1]",
    ]


def test_conflicting_parts_in_a_file_name_the_file_and_the_combine():
    items = [
        {"name": "a", "changes": [{"op": "set_capacity", "node": "returns", "servers": 6}]},
        {"name": "b", "changes": [{"op": "set_capacity", "node": "returns", "servers": 8}]},
        {"name": "ab", "combine": ["a", "b"]},
    ]
    with pytest.raises(ScenarioFileError, match=r"^iv.toml: interventions\[2\].combine: 'a' and"):
        interventions_from_dict({"interventions": items}, source="iv.toml")


def test_a_combined_variant_keeps_its_own_costs_through_a_file():
    items = [
        {"name": "a", "changes": BASE["changes"], "costs": {"fixed": 10.0}},
        {"name": "b", "costs": {"per_visit": {"website": 0.5}}},
        {"name": "ab", "combine": ["a", "b"], "costs": {"per_day": 2.0}},
    ]
    ivs = interventions_from_dict({"interventions": items})
    assert ivs[2].costs == Costs(fixed=10.0, per_day=2.0, per_visit={"website": 0.5})
    assert interventions_from_dict(tomllib.loads(interventions_to_toml(ivs))) == ivs
    with pytest.raises(InterventionError, match=r"interventions\[ab\].parts: 'a' not among"):
        interventions_to_toml(ivs[1:])
