"""``cjsim calibrate`` on bad logs and mappings: one clear line and exit code 2; the
economics options reach the fitted scenario file (issue 11, items 6 and 7)."""

import tomllib

import pandas as pd
import pytest

from cjsim.cli import main
from tests.cli.logs import MAP, write_files


@pytest.fixture
def files(tmp_path):
    """400 customers buying every 25 days or so in 2020, with an ``amount`` column."""
    return write_files(tmp_path, "amount", "2020-07-01")


def run(files, *options, mapping="map.toml"):
    args = ["calibrate", str(files / "events.csv"), "--mapping", str(files / mapping)]
    return main([*args, "--out", str(files / "fit.toml"), "--value-column", "amount", *options])


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (("--value-column", "amont"), "missing column(s) 'amont' — 'amont': did you mean 'amount'"),
        (("--latent-segments", "500"), "latent_segments=500 with 400 customers"),
        (("--gross-margin", "1.5"), "gross_margin: Input should be less than or equal to 1"),
        (("--heterogeneity", "gamma", "--latent-segments", "2"), "drop latent_segments"),
    ],
)
def test_bad_options_exit_2_with_one_clear_line(files, capsys, options, words):
    args = ["calibrate", str(files / "events.csv"), "--mapping", str(files / "map.toml")]
    assert main([*args, "--out", str(files / "fit.toml"), *options]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("cutoff", "words"),
    [
        ('"02/07/2020"', "'02/07/2020' is not a date in ISO 8601 form"),
        ('"2031-01-01"', "cutoff 2031-01-01 is"),
    ],
)
def test_a_bad_cutoff_exits_2(files, capsys, cutoff, words):
    (files / "bad.toml").write_text(MAP.format(cutoff=cutoff))
    assert run(files, mapping="bad.toml") == 2
    assert words in capsys.readouterr().err


def test_an_event_mapped_twice_exits_2(files, capsys):
    (files / "twice.toml").write_text(
        MAP.format(cutoff="2020-07-01") + '[outcomes]\nchurned = ["buy"]\n'
    )
    assert run(files, mapping="twice.toml") == 2
    assert "event 'buy' is mapped to touchpoints.shop and outcomes.churned" in (
        capsys.readouterr().err
    )


def test_negative_values_exit_2(files, capsys):
    log = pd.read_csv(files / "events.csv")
    log.assign(amount=-log["amount"]).to_csv(files / "events.csv", index=False)
    assert run(files) == 2
    assert "negative order value" in capsys.readouterr().err


def test_economics_options_reach_the_fitted_scenario(files, capsys):
    assert run(files, "--gross-margin", "0.4", "--discount-rate", "0.1") == 0
    out = capsys.readouterr().out
    assert "no gross margin given" not in out
    written = tomllib.loads((files / "fit.toml").read_text())["economics"]
    assert (written["gross_margin"], written["discount_rate"]) == (0.4, 0.1)


def test_a_toml_date_cutoff_and_no_margin_warning(files, capsys):
    assert run(files) == 0
    out = capsys.readouterr().out
    assert "calibrated on 400 customers up to 2020-07-01" in out
    assert "warning: no gross margin given" in out


def test_heterogeneity_and_auto_reach_the_fit(files, capsys):
    assert run(files, "--heterogeneity", "lognormal") == 0
    assert "continuous heterogeneity: lognormal pace" in capsys.readouterr().out
    assert run(files, "--latent-segments", "auto") == 0
    assert "heterogeneity chosen on the held-out end" in capsys.readouterr().out


def test_latent_segments_must_be_a_number_or_auto(files, capsys):
    with pytest.raises(SystemExit) as stop:
        run(files, "--latent-segments", "many")
    assert stop.value.code == 2
    assert "expected a whole number, got 'many'" in capsys.readouterr().err
