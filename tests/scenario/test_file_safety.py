"""Files a scenario names are read safely (issue 14): only regular files inside the
scenario's folder, of bounded size, never echoed; a bad TOML file is one clear line.

Each case runs the real CLI in a subprocess with a timeout, so a hang fails the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE = Path(__file__).parent / "malformed" / "_valid_base.toml"
SECRET = "s3cr3t-do-not-echo"
ROOT = Path(__file__).parents[2]


def cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CJSIM_TEST_SECRET": SECRET}
    return subprocess.run(
        [sys.executable, "-m", "cjsim", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def scenario_with_warm_start(folder: Path, name: str) -> Path:
    text = BASE.read_text().replace(
        "[[population.segments]]", f"warm_start = {name!r}\n\n[[population.segments]]", 1
    )
    path = folder / "shop.toml"
    path.write_text(text)
    return path


def refused(path: Path, command: str = "check") -> str:
    out = cli(command, str(path))
    assert out.returncode == 2, out.stderr
    assert SECRET not in out.stderr and SECRET not in out.stdout
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: "), lines
    return lines[0]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.csv"
    secret.write_text(f"{SECRET},touchpoint,elapsed_days\n{SECRET},website,1\n")
    (tmp_path / "sc").mkdir()
    return secret


@pytest.mark.parametrize("command", ["check", "run"])
def test_absolute_path_outside_is_refused(tmp_path, outside, command):
    line = refused(scenario_with_warm_start(tmp_path / "sc", str(outside)), command)
    assert "population.warm_start" in line and "outside the scenario's folder" in line


def test_dotdot_escape_is_refused(tmp_path, outside):
    line = refused(scenario_with_warm_start(tmp_path / "sc", "../secret.csv"))
    assert "outside the scenario's folder" in line


def test_symlink_pointing_out_is_refused(tmp_path, outside):
    (tmp_path / "sc" / "w.csv").symlink_to(outside)
    line = refused(scenario_with_warm_start(tmp_path / "sc", "w.csv"))
    assert "outside the scenario's folder" in line


@pytest.mark.parametrize("target", ["/proc/self/environ", "/dev/zero", "/etc/passwd"])
def test_system_files_are_refused(tmp_path, target):
    line = refused(scenario_with_warm_start(tmp_path, target))
    assert "outside the scenario's folder" in line
    assert "root:" not in line


def test_a_fifo_in_the_folder_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "w.csv")
    line = refused(scenario_with_warm_start(tmp_path, "w.csv"))
    assert "not a regular file" in line


def test_a_directory_in_the_folder_is_refused(tmp_path):
    (tmp_path / "w.csv").mkdir()
    assert "is a directory" in refused(scenario_with_warm_start(tmp_path, "w.csv"))


def test_a_csv_header_is_not_echoed(tmp_path):
    (tmp_path / "w.csv").write_text(f"root:*:{SECRET}:/bin/sh\nx\n")
    out = cli("check", str(scenario_with_warm_start(tmp_path, "w.csv")))
    assert out.returncode == 2
    assert SECRET not in out.stderr and "root:" not in out.stderr
    assert "1 unknown column in the header (not shown)" in out.stderr


def test_a_fifo_scenario_file_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "shop.toml")
    assert "not a regular file" in refused(tmp_path / "shop.toml")


def test_a_huge_scenario_file_is_refused_by_size(tmp_path):
    path = tmp_path / "shop.toml"
    with open(path, "wb") as f:
        f.truncate(11 * 1024 * 1024)
    assert "above the limit of 10.0 MB" in refused(path)


def test_a_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "shop.toml"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.read_bytes())
    out = cli("check", str(path))
    assert out.returncode == 0, out.stderr


def test_deep_nesting_is_one_clear_line(tmp_path):
    path = tmp_path / "shop.toml"
    path.write_text("x = " + "[" * 3000 + "]" * 3000 + "\n")
    assert "nested too deeply" in refused(path)


def test_many_unknown_keys_print_a_bounded_number_of_lines(tmp_path):
    path = tmp_path / "shop.toml"
    path.write_text(BASE.read_text() + "".join(f"\n[extra{i}]\nk = 1\n" for i in range(5000)))
    out = cli("check", str(path))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) <= 52, len(lines)
    assert "more problems not listed" in out.stderr
