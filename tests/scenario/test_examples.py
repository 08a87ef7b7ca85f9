"""The bundled examples: one copy of each file (``scenarios/``, seen by the package as
``cjsim/examples``), listed with their first comment line, copied without overwriting."""

from pathlib import Path

import pytest

import cjsim
from cjsim.errors import CJSimError
from cjsim.scenario.examples import bundled_examples, copy_examples

ROOT = Path(__file__).resolve().parents[2]


def test_the_package_sees_the_top_level_scenarios_folder():
    names = [e.name for e in bundled_examples()]
    assert names == sorted(p.name for p in (ROOT / "scenarios").glob("*.toml"))
    assert (ROOT / "cjsim" / "examples").resolve() == (ROOT / "scenarios").resolve()


def test_each_example_is_described_by_its_first_comment_line():
    described = {e.name: e.description for e in bundled_examples()}
    assert described["fashionfusion.toml"].startswith("FashionFusion — ")
    assert all(text and not text.startswith("#") for text in described.values())


def test_copies_load_and_the_interventions_apply(tmp_path):
    written = copy_examples(tmp_path / "new" / "folder")
    assert [p.name for p in written] == [e.name for e in bundled_examples()]
    shop = cjsim.load_scenario(tmp_path / "new" / "folder" / "fashionfusion.toml")
    ivs = cjsim.load_interventions(tmp_path / "new" / "folder" / "fashionfusion_investments.toml")
    assert [cjsim.apply(shop, iv).name for iv in ivs]
    cjsim.load_scenario(tmp_path / "new" / "folder" / "saas_trial.toml")


def test_an_existing_file_stops_the_copy_before_anything_is_written(tmp_path):
    (tmp_path / "saas_trial.toml").write_text("mine")
    with pytest.raises(CJSimError, match=r"1 of the 3 files exist already \(saas_trial.toml\)"):
        copy_examples(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["saas_trial.toml"]
    copy_examples(tmp_path, overwrite=True)
    assert (tmp_path / "saas_trial.toml").read_text() != "mine"


def test_a_file_in_place_of_the_folder_is_refused(tmp_path):
    (tmp_path / "taken").write_text("")
    with pytest.raises(CJSimError, match="exists and is not a folder"):
        copy_examples(tmp_path / "taken")
