"""The built wheel alone: in a fresh virtual environment and an empty folder, the
examples are listed and copied, and the main job runs on the copies; a journey template
is written and checked.

The wheel is built from a copy of the files the package is made of (so the test writes
nothing into the source tree) and installed with ``--no-deps`` into a venv that has no
pip, no source tree and no ``PYTHONPATH``. cjsim's dependencies are borrowed from the
running environment through a ``.pth`` line, so the test needs no network and takes
seconds; it asserts that ``cjsim`` itself is imported from the fresh venv. The main job
runs in a small form (2 replications, 60 days, one worker) with the README's engine,
options and files.
"""

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "cjsim", "scenarios")
TEMPLATES = ROOT / "cjsim" / "templates"


def _run(args: list[str | Path], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _copy_sources(to: Path) -> None:
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir() and not source.is_symlink():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(source, to / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(source, to / name)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("dist")
    _copy_sources(src)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, src], src, env)
    (built,) = out.glob("cjsim-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("venv")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    _run([sys.executable, "-m", "venv", "--without-pip", venv], venv, env)
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", python]
    _run([*pip, "install", "--no-deps", "--no-index", "-q", wheel], venv, env)
    site = _run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], venv, env
    )
    borrowed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (Path(site.strip()) / "_borrowed_dependencies.pth").write_text("\n".join(sorted(borrowed)))
    return venv


def test_the_wheel_carries_the_examples_and_the_licence(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    examples = sorted(n for n in names if n.startswith("cjsim/examples/"))
    assert examples == [f"cjsim/examples/{p.name}" for p in sorted(ROOT.glob("scenarios/*.toml"))]
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not [n for n in names if n.startswith(("tests/", "scenarios/"))]
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    assert "License-Expression: MIT" in zipfile.ZipFile(wheel).read(metadata).decode()


def test_the_wheel_carries_the_templates(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    found = sorted(n for n in names if n.startswith("cjsim/templates/") and n.endswith(".toml"))
    assert found == [f"cjsim/templates/{p.name}" for p in sorted(TEMPLATES.glob("*.toml"))]
    assert len(found) >= 4


@pytest.mark.slow
def test_from_the_wheel_alone_a_template_is_written_and_checked(fresh_venv, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    cjsim = fresh_venv / "bin" / "cjsim"
    assert "mckinsey_loop" in _run([cjsim, "new", "--list"], tmp_path, env)
    _run([cjsim, "new", "--template", "mckinsey_loop", "journey.toml"], tmp_path, env)
    checked = _run([cjsim, "check", "journey.toml"], tmp_path, env)
    assert "journey.toml: OK — McKinsey loop" in checked


@pytest.mark.slow
def test_from_the_wheel_alone_the_examples_copy_and_the_main_job_runs(fresh_venv, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"MPLBACKEND": "Agg"}
    empty = tmp_path / "empty"
    empty.mkdir()
    cjsim = fresh_venv / "bin" / "cjsim"
    where = _run(
        [fresh_venv / "bin" / "python", "-c", "import cjsim; print(cjsim.__file__)"], empty, env
    )
    assert Path(where.strip()).is_relative_to(fresh_venv)
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert _run([cjsim, "--version"], empty, env).strip() == f"cjsim {version}"
    assert "fashionfusion_investments.toml" in _run([cjsim, "examples"], empty, env)
    _run([cjsim, "examples", "--copy", "scenarios"], empty, env)
    job = [
        "scenarios/fashionfusion.toml",
        "--interventions",
        "scenarios/fashionfusion_investments.toml",
    ]
    small = ["--replications", "2", "--horizon", "60", "--workers", "1", "--quiet"]
    out = _run([cjsim, "compare", *job, "--seed", "1", *small], empty, env)
    assert "loyalty_plus_returns" in out
