"""Intervention files: the bundled one loads and round-trips; bad ones get clear errors."""

import tomllib

import pytest

import cjsim
from cjsim.errors import ScenarioFileError
from cjsim.interventions import (
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
