"""``cjsim examples`` and ``cjsim --version``."""

from importlib import metadata

import pytest

from cjsim.cli import main


def test_examples_lists_each_file_with_its_description(capsys):
    assert main(["examples"]) == 0
    out = capsys.readouterr().out
    assert "fashionfusion_investments.toml  What-if investments for FashionFusion" in out
    assert out.rstrip().endswith(
        "cjsim examples --copy scenarios (the folder the help's examples use)"
    )


def test_copy_writes_the_files_and_names_the_next_command(tmp_path, capsys):
    assert main(["examples", "--copy", str(tmp_path / "ex")]) == 0
    out = capsys.readouterr().out
    assert out.count("wrote ") == 3
    assert f"next: cjsim compare {tmp_path}/ex/fashionfusion.toml --interventions" in out


def test_copy_refuses_to_overwrite_without_force(tmp_path, capsys):
    (tmp_path / "fashionfusion.toml").write_text("mine")
    assert main(["examples", "--copy", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        f"{tmp_path}: 1 of the 3 files exist already (fashionfusion.toml) — nothing copied; "
        "choose another folder or pass --force to overwrite them"
    )
    assert main(["examples", "--copy", str(tmp_path), "--force"]) == 0
    assert (tmp_path / "fashionfusion.toml").read_text() != "mine"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["examples", "--force"], "cjsim examples: --force needs --copy DIR"),
        (["examples", "--copy", "FILE"], "FILE: exists and is not a folder"),
    ],
)
def test_bad_input_exits_2_with_one_line(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "FILE").write_text("")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and len(err.strip().splitlines()) == 1


def test_version_comes_from_the_package_metadata(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"cjsim {metadata.version('cjsim')}"
