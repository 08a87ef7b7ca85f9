"""`cjsim check` rejects each malformed scenario file with one clear line.

Every file in ``malformed/`` is ``_valid_base.toml`` with exactly one problem;
``malformed/expected.toml`` says, per file, which key path the first error line
must name and which words it must contain. The CLI contract: exit code 2, no
traceback, one stderr line per problem of the form
``<file>: <key.path>: <what is wrong> — <hint>`` (no key path for problems with
the file itself: empty, not TOML, missing, a directory).
"""

import contextlib
import importlib.util
import io
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cjsim.cli import main

MALFORMED = Path(__file__).parent / "malformed"
VALID_BASE = MALFORMED / "_valid_base.toml"
EXPECTED = tomllib.loads((MALFORMED / "expected.toml").read_text(encoding="utf-8"))


def run_check(path: Path, real_process: bool = False) -> subprocess.CompletedProcess[str]:
    """Run ``cjsim check PATH``: in-process through ``cli.main`` (fast), or as
    ``python -m cjsim check PATH`` in a real process with the cjsim this test imports."""
    if not real_process:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["check", str(path)])
        return subprocess.CompletedProcess(["cjsim", "check"], code, out.getvalue(), err.getvalue())
    spec = importlib.util.find_spec("cjsim")
    env = dict(os.environ)
    if spec is not None and spec.origin is not None:
        package_parent = str(Path(spec.origin).parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_parent, env.get("PYTHONPATH")) if p)
    return subprocess.run(
        [sys.executable, "-m", "cjsim", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def first_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """Check the failure contract and return the first stderr line."""
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "Traceback" not in output, output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, "expected at least one error line on stderr"
    return lines[0]


def test_valid_base_passes() -> None:
    result = run_check(VALID_BASE, real_process=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output, output


def test_manifest_lists_every_malformed_file() -> None:
    on_disk = {p.stem for p in MALFORMED.glob("*.toml")} - {"_valid_base", "expected"}
    assert on_disk == set(EXPECTED)
    assert len(on_disk) >= 30


@pytest.mark.parametrize("name", [n for n, e in EXPECTED.items() if e["path"]])
def test_malformed_file_is_valid_toml(name: str) -> None:
    # Only the empty and non-TOML files may fail to parse; the rest test the model.
    tomllib.loads((MALFORMED / f"{name}.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=sorted(EXPECTED))
def test_malformed_file_is_rejected(name: str) -> None:
    expected = EXPECTED[name]
    path = MALFORMED / f"{name}.toml"

    line = first_error_line(run_check(path))

    assert line.startswith(str(path)), line
    assert expected["path"] in line, f"expected key path {expected['path']!r}: {line}"
    for words in expected["contains"]:
        assert words.lower() in line.lower(), f"expected {words!r}: {line}"


@pytest.mark.parametrize("name", ["not_toml_prose", "referrals_r_above_one", "unknown_dist"])
def test_a_real_process_prints_no_traceback(name: str) -> None:
    first_error_line(run_check(MALFORMED / f"{name}.toml", real_process=True))


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "no_such_scenario.toml"
    line = first_error_line(run_check(path, real_process=True))
    assert line.startswith(str(path)), line
    assert "not found" in line.lower(), line


def test_directory_is_rejected(tmp_path: Path) -> None:
    line = first_error_line(run_check(tmp_path, real_process=True))
    assert line.startswith(str(tmp_path)), line
    assert "directory" in line.lower(), line
