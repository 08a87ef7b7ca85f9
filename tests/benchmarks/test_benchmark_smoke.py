"""The benchmark scripts keep running (their figures are read by people, not asserted)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_engine_throughput_runs_in_its_small_form():
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "engine_throughput.py"), "--small"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    for label in (
        "bare SimPy loop",
        "des, 20 touchpoints",
        "des, 2 desks",
        "vectorized",
        "peak memory",
    ):
        assert label in done.stdout
