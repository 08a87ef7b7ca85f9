"""Output sets are written whole or not at all (cjsim._io.write_output_set, issue 14)."""

import json
import os

import pytest

import cjsim
from cjsim import _io
from cjsim._io import SET_MANIFEST, write_output_set
from cjsim.cli import main
from tests.shops import calm_fashion_file

FASHION = calm_fashion_file()  # FashionFusion without satisfaction (tests/shops.py)


def _fail_on_second_file(monkeypatch, exc=KeyboardInterrupt):
    """Make the writer fail while the second file of a set is being written."""
    calls = []
    real = os.fsync

    def fsync(fd):
        calls.append(fd)
        if len(calls) == 2:
            raise exc()
        real(fd)

    monkeypatch.setattr(_io.os, "fsync", fsync)


def test_a_set_replaces_the_previous_one_and_drops_its_stale_files(tmp_path):
    out = tmp_path / "out"
    write_output_set(out, {"kpis.csv": "a\n1\n", "events.parquet": b"old"})
    (out / "notes.txt").write_text("mine")
    write_output_set(out, {"kpis.csv": "a\n2\n"})
    assert sorted(p.name for p in out.iterdir()) == [SET_MANIFEST, "kpis.csv", "notes.txt"]
    assert (out / "kpis.csv").read_text() == "a\n2\n"
    assert (out / "notes.txt").read_text() == "mine"  # not of the set: kept
    assert json.loads((out / SET_MANIFEST).read_text()) == {"files": ["kpis.csv"]}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize("exc", [KeyboardInterrupt, OSError])
def test_a_failure_inside_a_set_leaves_the_previous_set_and_no_temporary_files(
    tmp_path, monkeypatch, exc
):
    out = tmp_path / "out"
    write_output_set(out, {"kpis.csv": "old", "kpis.json": "{}"})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _fail_on_second_file(monkeypatch, exc)
    with pytest.raises(exc):
        write_output_set(out, {"kpis.csv": "new", "kpis.json": '{"new": 1}'})
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_first_set_that_fails_leaves_nothing(tmp_path, monkeypatch):
    _fail_on_second_file(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        write_output_set(tmp_path / "out", {"a.csv": "1", "b.csv": "2"})
    assert list(tmp_path.iterdir()) == []


def test_a_set_is_not_written_over_a_file_or_with_a_path_for_a_name(tmp_path):
    (tmp_path / "f").write_text("keep me")
    with pytest.raises(NotADirectoryError):
        write_output_set(tmp_path / "f", {"a.csv": "1"})
    with pytest.raises(ValueError, match="plain file name"):
        write_output_set(tmp_path / "out", {"../a.csv": "1"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_run_out_without_events_drops_the_events_of_an_earlier_run(tmp_path, capsys):
    out = tmp_path / "results"
    args = ["run", FASHION, "--engine", "des", "--replications", "1", "--seed", "1"]
    assert main([*args, "--events", "--out", str(out), "--quiet"]) == 0
    assert (out / "events.parquet").exists()
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    assert not (out / "events.parquet").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["results"]


def test_a_result_save_interrupted_mid_set_keeps_the_earlier_result(tmp_path, monkeypatch):
    out = tmp_path / "results"
    result = cjsim.simulate(cjsim.load_scenario(FASHION), engine="analytic")
    result.save(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    _fail_on_second_file(monkeypatch)
    with pytest.raises(KeyboardInterrupt):
        result.save(out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["results"]
