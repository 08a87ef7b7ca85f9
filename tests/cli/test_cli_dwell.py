"""``cjsim calibrate``: the dwell per touchpoint or per destination chosen by BIC by
default, ``--dwell-by-destination`` and ``--pooled-dwell`` forcing it, and the summary
showing the dwells used."""

import pytest

from cjsim.cli import main
from tests.calibration.test_dwellchoice import desk_log

MAPPING = """\
cutoff = "2024-07-19"
never_silent = ["escalated"]
[touchpoints]
ticket = ["open"]
escalated = ["escalate"]
[outcomes]
solved = ["solve"]
"""


@pytest.fixture(scope="module")
def desk_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("desk")
    desk_log(seed=1, n=1500).to_csv(root / "desk.csv", index=False)
    (root / "desk.toml").write_text(MAPPING)
    return root


def run(root, *options):
    args = [str(root / "desk.csv"), "--mapping", str(root / "desk.toml")]
    return main(["calibrate", *args, "--out", str(root / "fit.toml"), *options])


def test_calibrate_chooses_the_dwell_per_touchpoint_and_prints_it(desk_files, capsys):
    assert run(desk_files) == 0
    out = capsys.readouterr().out
    assert "dwell (chosen by BIC): by destination at ticket; pooled at 1 touchpoint(s)" in out
    assert "ticket: to escalated" in out
    assert "one dwell or one per destination (lower BIC wins)" in out
    assert "bic_by_destination" in out


@pytest.mark.parametrize(
    ("option", "line"),
    [
        ("--dwell-by-destination", "dwell (as requested): by destination at ticket, escalated"),
        ("--pooled-dwell", "dwell (as requested): pooled at 2 touchpoint(s)"),
    ],
)
def test_the_flags_override_the_choice(desk_files, capsys, option, line):
    assert run(desk_files, option) == 0
    out = capsys.readouterr().out
    assert line in out
    assert "lower BIC wins" not in out


def test_the_two_flags_exclude_each_other(desk_files, capsys):
    with pytest.raises(SystemExit):
        run(desk_files, "--dwell-by-destination", "--pooled-dwell")
    assert "not allowed with argument" in capsys.readouterr().err
