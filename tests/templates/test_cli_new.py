"""``cjsim new``: writes a template, refuses to overwrite without --force, and reports bad
input in one line with exit code 2."""

import pytest

import cjsim
from cjsim.cli import main
from cjsim.templates import get_template, load_template, template_names


@pytest.mark.parametrize("name", template_names())
def test_new_writes_a_file_that_passes_check_and_loads_as_the_template(name, tmp_path, capsys):
    out = tmp_path / "journey.toml"
    assert main(["new", "--template", name, str(out)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"wrote {out} (template {name})",
        f"next: cjsim check {out}, then replace the numbers marked REPLACE with your own",
    ]
    assert out.read_text(encoding="utf-8") == get_template(name).text()
    assert cjsim.load_scenario(out) == load_template(name)
    assert main(["check", str(out)]) == 0
    assert f"{out}: OK — " in capsys.readouterr().out


def test_new_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = tmp_path / "journey.toml"
    out.write_text("mine")
    assert main(["new", "--template", "race", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        f"{out}: exists already — nothing written; choose another file name, or overwrite "
        "it with --force (overwrite=True in Python)"
    )
    assert out.read_text() == "mine"
    assert main(["new", "--template", "race", str(out), "--force"]) == 0
    assert cjsim.load_scenario(out) == load_template("race")


def test_new_lists_the_templates(capsys):
    assert main(["new", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[:-1]] == list(template_names())
    assert lines[0].endswith(get_template("five_stages").description)
    assert lines[-1] == "start from one: cjsim new --template NAME OUT.toml"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["new", "--template", "mckinsey", "x.toml"],
            "unknown template 'mckinsey' — did you mean 'mckinsey_loop'? The templates are: "
            "five_stages, lifecycle, mckinsey_loop, race",
        ),
        (["new", "x.toml"], "cjsim new: --template NAME is missing — e.g. cjsim new"),
        (["new", "--template", "race"], "cjsim new: OUT.toml is missing — e.g. cjsim new"),
        (["new", "--template", "race", "x"], "x: a scenario file's name ends in .toml"),
        (["new", "--template", "race", "no/x.toml"], "no/x.toml: folder no does not exist"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    argv, message, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_the_help_lists_new_and_shows_examples(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    listed = " ".join(capsys.readouterr().out.split())  # argparse wraps by terminal width
    assert "new start a scenario from a journey template" in listed
    with pytest.raises(SystemExit):
        main(["new", "--help"])
    assert "cjsim new --template mckinsey_loop journey.toml" in capsys.readouterr().out
