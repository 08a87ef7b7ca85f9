"""Bad option values and bad parameters exit 2 with one clear line, write nothing,
and never raise a bare Python exception (issue 14)."""

from pathlib import Path

import pytest

from cjsim.cli import main
from tests.shops import calm_fashion_file

ROOT = Path(__file__).resolve().parents[2]
FASHION = calm_fashion_file()  # FashionFusion without satisfaction (tests/shops.py)
INVESTMENTS = str(ROOT / "scenarios" / "fashionfusion_investments.toml")


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--seed", "-1"], "--seed: must be >= 0"),
        (["--scheduler", "garbage"], "--scheduler: expected an address"),
        (["--budget", "nan"], "--budget: must be an amount >= 0"),
        (["--budget", "inf"], "--budget: must be an amount >= 0"),
    ],
)
def test_bad_option_exits_2_naming_the_option(option, expected, tmp_path, capsys):
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as stop:
        main(["compare", FASHION, "--interventions", INVESTMENTS, "--out", str(out), *option])
    assert stop.value.code == 2
    assert expected in capsys.readouterr().err
    assert not out.exists()


def test_seed_zero_is_accepted(capsys):
    assert main(["run", FASHION, "--seed", "0", "--replications", "2", "--json"]) == 0


def test_plot_into_a_missing_folder_exits_2_before_any_work(tmp_path, capsys):
    plot = tmp_path / "missing" / "holdout.png"
    code = main(["validate", "fit.toml", "holdout.csv", "--plot", str(plot)])
    err = capsys.readouterr().err
    assert code == 2
    assert "--plot" in err and "does not exist" in err
    assert len(err.strip().splitlines()) == 1
    assert not Path(plot).parent.exists()


def test_tiny_weibull_shape_names_file_and_key(tmp_path, capsys):
    text = Path(FASHION).read_text(encoding="utf-8")
    old = 'dwell = { dist = "exponential", mean = 1.5 }'
    assert old in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, 'dwell = { dist = "weibull", shape = 0.001, scale = 1.0 }'))
    out = tmp_path / "out"
    assert main(["run", str(bad), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(bad) in err and "touchpoints.social_ad.dwell.shape" in err
    assert not out.exists()


def _with_referrals(tmp_path, mean):
    text = Path(FASHION).read_text(encoding="utf-8")
    old = "referrals = { mean = 0.3,"
    assert old in text
    bad = tmp_path / "referrals.toml"
    bad.write_text(text.replace(old, f"referrals = {{ mean = {mean},"), encoding="utf-8")
    return bad


@pytest.mark.parametrize("engine", ["des", "vectorized"])
def test_every_engine_refuses_referrals_with_r_at_least_1(engine, tmp_path, capsys):
    bad = _with_referrals(tmp_path, 500.0)
    out = tmp_path / "out"
    code = main(["run", str(bad), "--engine", engine, "--ignore-capacity", "--out", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert str(bad) in err and "touchpoints.review.referrals" in err and "R >= 1" in err
    assert not out.exists()


def test_the_api_raises_the_cjsim_error_for_r_at_least_1(tmp_path):
    from cjsim import load_scenario
    from cjsim.engines.des import DesEngine
    from cjsim.errors import CJSimError

    scenario = load_scenario(_with_referrals(tmp_path, 500.0))
    with pytest.raises(CJSimError, match="R >= 1"):
        DesEngine().check(scenario)


def test_referrals_below_1_still_run(tmp_path, capsys):
    bad = _with_referrals(tmp_path, 0.5)
    assert main(["run", str(bad), "--engine", "des", "--replications", "2", "--json"]) == 0


def test_a_dollar_sign_in_the_scenario_name_draws_as_written(tmp_path, capsys):
    text = Path(FASHION).read_text(encoding="utf-8")
    odd = tmp_path / "odd.toml"
    odd.write_text(text.replace('name = "FashionFusion"', 'name = "$x^{$"', 1), encoding="utf-8")
    out = tmp_path / "report.html"
    args = ["report", str(odd), "--interventions", INVESTMENTS, "--out", str(out)]
    assert main([*args, "--engine", "analytic"]) == 0
    assert out.exists()


def test_plain_escapes_each_dollar_once():
    from cjsim.plotting.labels import plain

    assert plain("$x^{$") == r"\$x^{\$"
    assert plain(plain("a$b")) == r"a\$b"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ('{ op = "set_entry", entry = 5 }', "entry must be a table"),
        ('{ op = "set_transitions", from = "website", row = 5 }', "row must be a table"),
    ],
)
def test_an_intervention_parameter_that_is_not_a_table_exits_2(change, key, tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'[[interventions]]\nname = "x"\nchanges = [ {change} ]\ncosts = {{ fixed = 1 }}\n'
    )
    out = tmp_path / "out"
    args = ["compare", FASHION, "--interventions", str(bad), "--engine", "analytic"]
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(bad) in err and "changes[0]" in err and key in err
    assert not out.exists()
