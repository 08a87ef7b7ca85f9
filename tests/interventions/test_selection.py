"""Ranking and selection on a comparison (``cjsim.interventions.selection``): the
comparison's replications are KN's first stage, later stages continue its replication
numbers with its seed, and the variant selected is the best.

The pairing check: a variant's profit in a later stage must equal, to the last digit, its
profit in the same replication of a plain comparison run with more replications (common
random numbers across calls).  Its foil: the same stage read one replication off does not.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import cjsim
from cjsim.cli import main
from cjsim.errors import SimulationError
from cjsim.experiment import RunOptions
from cjsim.interventions import load_interventions
from cjsim.interventions.compare import compare
from cjsim.interventions.selection import _profits, _sampler, with_selection
from tests.shops import calm_fashion_file

FASHION = calm_fashion_file()  # FashionFusion without satisfaction (tests/shops.py)
INVESTMENTS = "scenarios/fashionfusion_investments.toml"
OPTIONS = RunOptions(engine="vectorized", replications=4, seed=5, ignore_capacity=True)


@pytest.fixture(scope="module")
def sc():
    return cjsim.load_scenario(FASHION)


@pytest.fixture(scope="module")
def investments():
    return list(load_interventions(INVESTMENTS))


@pytest.fixture(scope="module")
def selected(sc, investments):
    return with_selection(compare(sc, investments, options=OPTIONS), indifference=500.0)


def test_later_stages_continue_the_comparisons_replications(sc, investments):
    cmp = compare(sc, investments, options=OPTIONS)
    longer = compare(sc, investments, options=OPTIONS.replace(replications=6))
    stage = _sampler(cmp.runs)(4, 2, [0, 2, 5])
    want = _profits(longer.runs.outcomes[0].kpis)[:, [0, 2, 5]]
    assert np.array_equal(stage, want[4:6])
    assert not np.allclose(stage, want[3:5]), "one replication off must differ"


def test_the_selected_variant_is_the_best_and_the_books_add_up(selected):
    s = selected.selection
    assert s.finished and s.best == "better_size_guide"
    assert s.best == selected.ranking.iloc[0]["variant"]
    assert s.replications["baseline"] >= 4 and s.spent == sum(s.replications.values())
    assert s.spent < s.fixed
    assert set(s.eliminated_after) == set(s.names) - {s.best}


def test_selection_goes_into_json_and_the_output_set(selected, tmp_path):
    data = json.loads(selected.to_json())
    assert data["selection"]["best"] == "better_size_guide"
    paths = {p.name for p in selected.save(tmp_path / "out")}
    assert "selection.csv" in paths


def test_an_exact_engine_is_refused_with_a_reason(sc, investments):
    cmp = compare(sc, investments, engine="analytic")
    with pytest.raises(SimulationError, match="analytic engine's figures are exact"):
        with_selection(cmp, indifference=500.0)


def test_cli_select_best_prints_the_selection(capsys):
    code = main(
        [
            "compare",
            FASHION,
            "--interventions",
            INVESTMENTS,
            "--engine",
            "vectorized",
            "--ignore-capacity",
            "--horizon",
            "60",
            "--replications",
            "3",
            "--workers",
            "1",
            "--seed",
            "2",
            "--select",
            "best",
            "--indifference",
            "800",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Selection (procedure KN" in out and "Replications spent:" in out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--select", "best"], "--select best needs --indifference MONEY"),
        (["--indifference", "100"], "--indifference applies to --select best"),
    ],
)
def test_cli_selection_options_that_go_together_exit_2(options, message, capsys):
    assert main(["compare", FASHION, "--interventions", INVESTMENTS, *options]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--indifference", "-5"], "--indifference: must be an amount > 0"),
        (["--indifference", "inf"], "--indifference: must be an amount > 0"),
        (
            ["--indifference", "5", "--pcs", "1.5"],
            "--pcs: must be a probability strictly between 0 and 1",
        ),
        (["--indifference", "5", "--max-replications", "0"], "--max-replications: must be >= 1"),
    ],
)
def test_cli_bad_selection_values_exit_2_naming_the_option(options, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["compare", FASHION, "--interventions", INVESTMENTS, "--select", "best", *options])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err
