"""The template files and the ``cjsim.templates`` API: the frameworks' stages, a note on
every number, loading and writing."""

import re
from pathlib import Path

import pytest

import cjsim
from cjsim.templates import get_template, load_template, template_names, templates, write_template

FRAMEWORKS = {
    "five_stages": ("awareness", "consideration", "purchase", "retention", "advocacy"),
    "mckinsey_loop": (
        "initial_consideration",
        "active_evaluation",
        "moment_of_purchase",
        "post_purchase",
        "loyalty_loop",
    ),
    "race": ("reach", "act", "convert", "engage"),
    "lifecycle": ("reach", "acquisition", "conversion", "retention", "loyalty"),
}


def test_the_four_frameworks_are_offered_with_their_stages():
    assert set(FRAMEWORKS) <= set(template_names())
    for name, stages in FRAMEWORKS.items():
        assert load_template(name).stages == stages, name


def test_each_template_has_a_one_line_description():
    for template in templates():
        assert template.description and "\n" not in template.description
        assert template.description == template.text().splitlines()[0].lstrip("# ")


def _numbers_without_a_note(text: str) -> list[str]:
    """Lines that set a number with no comment on them or just above them."""
    lines = text.splitlines()
    bare = []
    for i, line in enumerate(lines):
        code = line.split("#")[0].strip()
        if not code or code.startswith("[") or not re.search(r"=.*\d", code):
            continue
        if "#" not in line and not lines[i - 1].lstrip().startswith("#"):
            bare.append(line)
    return bare


@pytest.mark.parametrize("name", template_names())
def test_every_number_carries_a_note_and_the_ones_to_replace_are_marked(name):
    text = get_template(name).text()
    assert _numbers_without_a_note(text) == []
    assert text.count("REPLACE") >= 8


def test_the_note_check_sees_a_bare_number():
    assert _numbers_without_a_note("[economics]\ngross_margin = 0.4\n") == ["gross_margin = 0.4"]


def test_race_says_how_the_plan_is_represented():
    text = get_template("race").text()
    assert "Plan is not a customer stage" in text
    for part in ("arrivals", "entry", "cost_per_visit", "fixed_cost_per_day", "gross_margin"):
        assert part in text.split("[scenario]")[0], part


def test_the_mckinsey_loyalty_loop_skips_evaluation():
    sc = load_template("mckinsey_loop")
    stage = {name: tp.stage for name, tp in sc.touchpoints.items()}
    loop = [n for n, s in stage.items() if s == "loyalty_loop"]
    shortcuts = [
        (n, to)
        for n in loop
        for to, p in sc.transitions[n].items()
        if p > 0 and stage.get(to) == "moment_of_purchase"
    ]
    assert shortcuts == [("active_loyal", "purchase")]


def test_advocacy_brings_referrals_where_natural():
    for name in template_names():
        assert any(tp.referrals for tp in load_template(name).touchpoints.values()), name


def test_a_template_loads_as_its_file_does(tmp_path):
    for name in template_names():
        path = write_template(name, tmp_path / f"{name}.toml")
        assert path.read_text(encoding="utf-8") == get_template(name).text()
        assert cjsim.load_scenario(path) == load_template(name)


def test_an_unknown_name_suggests_a_close_one_and_lists_them_all():
    with pytest.raises(cjsim.OptionError) as err:
        get_template("lifecylce")
    names = ", ".join(template_names())
    assert str(err.value) == (
        f"unknown template 'lifecylce' — did you mean 'lifecycle'? The templates are: {names}"
    )
    with pytest.raises(cjsim.OptionError, match=r"'zzz' — The templates are: five_stages"):
        load_template("zzz")


def test_writing_refuses_to_overwrite_unless_asked(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text("mine")
    with pytest.raises(cjsim.CJSimError, match="exists already — nothing written"):
        write_template("race", path)
    assert path.read_text() == "mine"
    write_template("race", path, overwrite=True)
    assert cjsim.load_scenario(path) == load_template("race")


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("folder.toml", "is a folder — give a file name"),
        ("plan", "a scenario file's name ends in .toml — e.g. "),
        ("missing/plan.toml", "folder missing does not exist — create it first"),
    ],
)
def test_writing_refuses_a_path_it_cannot_use(where, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.toml").mkdir()
    with pytest.raises(cjsim.CJSimError, match=message):
        write_template("five_stages", where)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.toml"]


def test_the_docs_page_describes_every_template():
    page = (Path(__file__).resolve().parents[2] / "docs" / "templates.md").read_text()
    assert [n for n in template_names() if f"## `{n}`" not in page] == []
