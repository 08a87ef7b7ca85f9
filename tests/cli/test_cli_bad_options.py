"""Bad option values and bad parameters exit 2 with one clear line, write nothing,
and never raise a bare Python exception (issue 14)."""

from pathlib import Path

import pytest

from cjsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
FASHION = str(ROOT / "scenarios" / "fashionfusion.toml")
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
