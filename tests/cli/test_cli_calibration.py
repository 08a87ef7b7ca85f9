"""``cjsim calibrate`` and ``cjsim validate``: files written, figures printed, bad input
gives one clear line and exit code 2."""

import json

import pytest

from cjsim.cli import main
from tests.cli.logs import write_files


@pytest.fixture
def files(tmp_path):
    return write_files(tmp_path, "value", '"2020-07-01"')


def calibrate(files, out):
    """``cjsim calibrate`` on the fixture's log and mapping."""
    events, mapping = str(files / "events.csv"), str(files / "map.toml")
    return main(["calibrate", events, "--mapping", mapping, "--out", str(out)])


def test_calibrate_then_validate(files, capsys):
    out = files / "fit.toml"
    assert calibrate(files, out) == 0
    text = capsys.readouterr().out
    assert "calibrated on 400 customers" in text and "silent exit" in text
    assert out.exists() and (files / "fit.warm_start.csv").exists()
    assert (files / "fit.calibration.json").exists()
    png = files / "h.png"
    assert (
        main(
            [
                "validate",
                str(out),
                str(files / "events.csv"),
                "--replications",
                "3",
                "--plot",
                str(png),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "repeat purchases in the holdout" in text and "MAPE" in text
    assert max(map(len, text.splitlines())) <= 100
    assert png.stat().st_size > 0
    assert (
        main(["validate", str(out), str(files / "events.csv"), "--replications", "3", "--json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert {m["metric"] for m in data["metrics"]} >= {"repeat purchases in the holdout"}
    args = ["validate", str(out), str(files / "events.csv"), "--replications", "3"]
    assert main([*args, "--json", "--drift-alpha", "0.05"]) == 0
    assert json.loads(capsys.readouterr().out)["drift"]["alpha"] == 0.05
    assert main([*args, "--drift-alpha", "1.5"]) == 2
    assert "drift_alpha must be in (0, 1), got 1.5" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["calibrate", "missing.csv", "--mapping", "map.toml", "--out", "f.toml"], "not found"),
        (["calibrate", "events.csv", "--mapping", "map.toml", "--out", "f.txt"], ".toml"),
        (
            [
                "calibrate",
                "events.csv",
                "--mapping",
                "map.toml",
                "--out",
                "f.toml",
                "--event-column",
                "evnt",
            ],
            "did you mean",
        ),
        (["validate", "events.csv", "events.csv"], ""),
        (["validate", "nofit.toml", "events.csv"], ""),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(files, capsys, monkeypatch, args, message):
    monkeypatch.chdir(files)
    (files / "nofit.toml").write_text((files / "map.toml").read_text())
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip()
    assert message.lower() in err.lower()


def test_validate_needs_the_calibration_side_file(files, capsys):
    out = files / "fit.toml"
    assert calibrate(files, out) == 0
    (files / "fit.calibration.json").unlink()
    capsys.readouterr()
    assert main(["validate", str(out), str(files / "events.csv")]) == 2
    assert "cjsim calibrate" in capsys.readouterr().err


def test_validate_takes_workers_and_quiet(files, capsys):
    out = files / "fit.toml"
    assert calibrate(files, out) == 0
    capsys.readouterr()
    args = ["validate", str(out), str(files / "events.csv"), "--replications", "2", "--seed", "3"]
    assert main([*args, "--workers", "1", "--quiet", "--json"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert main([*args, "--workers", "2", "--quiet", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == one
