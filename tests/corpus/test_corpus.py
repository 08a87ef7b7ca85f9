"""Every bad or edge input of ``cases.toml`` keeps the promise (issue 14): exit code 2
with one clear line naming what is wrong, nothing written, nothing secret echoed; or,
where the input is legitimate, a clean run with a warning.  Never a traceback, never an
internal error, never longer than :data:`TIME_BOUND` seconds."""

from __future__ import annotations

import contextlib
import io
import os
import signal
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cjsim.cli import main
from tests.cli.logs import write_files

HERE = Path(__file__).parent
BASE = HERE.parent / "scenario" / "malformed" / "_valid_base.toml"
CASES = tomllib.loads((HERE / "cases.toml").read_text(encoding="utf-8"))["case"]
SECRET = "SECRET_VALUE"
TIME_BOUND = 60  # seconds: each case runs in a second or two; a hang fails here

PRESETS = {
    "check": ["check", "{scenario}"],
    "run": ["run", "{scenario}", "--engine", "des", "--replications", "2", "--horizon", "30"],
    "analytic": ["run", "{scenario}", "--engine", "analytic"],
    "compare": ["compare", "{scenario}", "--interventions", "{interventions}"],
    "calibrate": ["calibrate", "{log}", "--mapping", "{mapping}", "--value-column", "amount"],
}
OUT = {"check": [], "calibrate": ["--out", "{tmp}/fit.toml"]}


def generated(token: str) -> str:
    """The scenario texts too large to write into ``cases.toml``."""
    base = BASE.read_text(encoding="utf-8")
    texts = {
        "NESTED": "x = " + "[" * 3000 + "]" * 3000 + "\n",
        "HUGE": "# " + "x" * 11_000_000 + "\n" + base,
        "MANY_KEYS": base.replace(
            "[population]", "".join(f"key_{i} = 1\n" for i in range(2000)) + "\n[population]", 1
        ),
        "BOM": "\ufeff" + base,
    }
    return texts.get(token, token)


def replaced(text: str, pairs: list[list[str]]) -> str:
    for old, new in pairs:
        assert old in text, f"the corpus replaces {old!r}, which the base does not contain"
        text = text.replace(old, new, 1)
    return text


def build(case: dict[str, Any], folder: Path) -> dict[str, str]:
    """Write the case's files into ``folder``; the placeholders of its command line."""
    scenario = folder / "shop.toml"
    if "scenario_bytes" in case:
        scenario.write_bytes(bytes.fromhex(case["scenario_bytes"]))
    else:
        text = generated(case.get("scenario_text", BASE.read_text(encoding="utf-8")))
        scenario.write_text(replaced(text, case.get("scenario", [])), encoding="utf-8")
    interventions = HERE / "interventions.toml"
    (folder / "interventions.toml").write_text(
        replaced(interventions.read_text(encoding="utf-8"), case.get("interventions", []))
    )
    write_files(folder, "amount", "2020-07-01")
    if "log_text" in case:
        (folder / "events.csv").write_text(case["log_text"])
    mapping = folder / "map.toml"
    mapping.write_text(replaced(mapping.read_text(), case.get("mapping", [])))
    for name, content in case.get("files", {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(content)
    for name, target in case.get("links", {}).items():
        (folder / name).symlink_to(target)
    for name in case.get("fifos", []):
        os.mkfifo(folder / name)
    return {
        "scenario": str(scenario),
        "interventions": str(folder / "interventions.toml"),
        "log": str(folder / "events.csv"),
        "mapping": str(mapping),
        "out": str(folder / "out"),
        "tmp": str(folder),
    }


def argv(case: dict[str, Any], places: dict[str, str]) -> list[str]:
    given = case["argv"]
    if isinstance(given, str):
        given = PRESETS[given] + OUT.get(given, ["--out", "{out}"])
    return [arg.format(**places) for arg in given]


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``folder`` with its size and modification time."""
    return {
        str(p.relative_to(folder)): (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in folder.rglob("*")
    }


@contextlib.contextmanager
def time_bound(seconds: int) -> Iterator[None]:
    def stop(*_: object) -> None:
        raise TimeoutError(f"still running after {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with time_bound(TIME_BOUND), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(args)
        except SystemExit as exit_:  # argparse refusing an option
            code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def error_lines(err: str) -> list[str]:
    """The lines that report problems: not warnings, not argparse's usage block."""
    return [
        line
        for line in err.splitlines()
        if line.strip() and not line.startswith(("usage:", " ", "cjsim: warning:", "wrote "))
    ]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_the_promise_is_kept(case, tmp_path, monkeypatch):
    monkeypatch.setenv("CJSIM_CORPUS_SECRET", SECRET)
    monkeypatch.chdir(tmp_path)
    places = build(case, tmp_path)
    before = snapshot(tmp_path)
    code, out, err = run(argv(case, places))
    text = out + err
    assert "Traceback" not in text and "internal error" not in text, text
    assert SECRET not in text, "a file's contents or the environment were echoed"
    assert code == case.get("expect", 2), text
    if code == 2:
        lines = error_lines(err)
        assert 1 <= len(lines) <= case.get("max_lines", 1), err
        assert case.get("message", "") in err, err
        assert snapshot(tmp_path) == before, "something was written on exit 2"
    elif "warning" in case:
        warnings = [line for line in err.splitlines() if line.startswith("cjsim: warning:")]
        assert any(case["warning"] in w for w in warnings), err


def test_the_corpus_is_wide():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)) >= 60
