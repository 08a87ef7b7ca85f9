"""``cjsim abtest``: the design printed, the power curves drawn, bad input refused with
exit code 2, a message naming the option and a hint, and no traceback."""

from __future__ import annotations

import json

import pytest

from cjsim.cli import main

BASE = [
    "abtest",
    "scenarios/fashionfusion.toml",
    "--interventions",
    "scenarios/fashionfusion_investments.toml",
]
QUICK = [
    "--engine",
    "vectorized",
    "--ignore-capacity",
    "--horizon",
    "90",
    "--replications",
    "3",
    "--seed",
    "1",
    "--tests",
    "200",
]


def test_abtest_prints_the_sizes_and_draws_the_power_curves(tmp_path, capsys) -> None:
    plot = tmp_path / "power.png"
    argv = [*BASE, "--variant", "loyalty_program", *QUICK, "--plot", str(plot)]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert "A/B test design: loyalty_program vs baseline on conversion_rate" in out
    assert "n per arm" in out and "assurance" in out
    assert plot.stat().st_size > 0 and f"wrote {plot}" in err


def test_abtest_json_for_revenue(capsys) -> None:
    argv = [*BASE, "--variant", "better_size_guide", "--kpi", "revenue_per_customer", *QUICK]
    assert main([*argv, "--json"]) == 0
    design = json.loads(capsys.readouterr().out)
    assert design["kpi"] == "revenue_per_customer" and design["test"].startswith("Welch")
    assert [row["which"] for row in design["sizes"]] == ["point", "ci_low", "ci_high"]
    assert {row["source"] for row in design["curve"]} == {"simulated"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--power", "1.5"], "argument --power: must be a probability strictly between 0 and 1"),
        (["--alpha", "0"], "argument --alpha: must be a probability strictly between 0 and 1"),
        (["--kpi", "conversion"], "argument --kpi: invalid choice"),
        (["--replications", "1"], "argument --replications: must be >= 2"),
        (["--tests", "5"], "argument --tests: must be >= 100"),
    ],
)
def test_bad_options_exit_2_naming_the_option(extra, message, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        main([*BASE, "--variant", "loyalty_program", *extra])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_unknown_variant_gets_a_hint(capsys) -> None:
    assert main([*BASE, "--variant", "better_size_gude", *QUICK]) == 2
    err = capsys.readouterr().err
    assert "--variant better_size_gude: no intervention of that name" in err
    assert "did you mean 'better_size_guide'?" in err and "Traceback" not in err


def test_a_zero_effect_exits_2_with_a_hint(tmp_path, capsys) -> None:
    """A cheaper basket leaves conversion unchanged under common random numbers."""
    file = tmp_path / "cheaper.toml"
    file.write_text(
        '[[interventions]]\nname = "cheaper"\n'
        'changes = [{ op = "scale_order_value", node = "checkout", factor = 0.9 }]\n'
    )
    argv = ["abtest", "scenarios/fashionfusion.toml", "--interventions", str(file)]
    assert main([*argv, "--variant", "cheaper", *QUICK]) == 2
    err = capsys.readouterr().err
    assert "no sample size confirms a zero effect — pick a variant" in err
    assert "Traceback" not in err


def test_a_plot_into_a_missing_folder_is_refused_first(tmp_path, capsys) -> None:
    plot = tmp_path / "nowhere" / "power.png"
    assert main([*BASE, "--variant", "loyalty_program", "--plot", str(plot)]) == 2
    assert "does not exist — create it first" in capsys.readouterr().err


def test_a_follow_up_longer_than_the_horizon_names_the_option(capsys) -> None:
    argv = [*BASE, "--variant", "loyalty_program", *QUICK, "--follow-up-days", "200"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "follow_up_days (--follow-up-days) must be > 0 and shorter than the horizon" in err
    assert "(90 days), got 200.0" in err and "Traceback" not in err
