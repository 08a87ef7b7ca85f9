"""Ctrl-C and a closed pipe on a real ``cjsim`` process (issue 14)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FASHION = str(ROOT / "scenarios/fashionfusion.toml")
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "1"}


def _cjsim(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "cjsim.cli", *args], env=ENV, cwd=ROOT, **kwargs)


def _wait_for_workers(pid, timeout=60.0):
    """Until the process has started its pool (it has child processes): a busy machine can
    take several seconds just to import cjsim, and a Ctrl-C then tests something else."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if children.read_text().split():
            time.sleep(1)  # the workers are busy with queued replications
            return
        time.sleep(0.1)
    raise AssertionError("the run started no worker processes")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="Linux /proc, POSIX signals")
def test_the_first_ctrl_c_stops_a_process_pool_run_at_once(tmp_path):
    out = tmp_path / "results"
    run = ["run", FASHION, "--engine", "des", "--replications", "400", "--workers", "2"]
    proc = _cjsim(*run, "--out", str(out), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    _wait_for_workers(proc.pid)  # minutes of queued replications lie ahead
    assert proc.poll() is None
    os.kill(proc.pid, signal.SIGINT)
    start = time.monotonic()
    _, err = proc.communicate(timeout=10)
    assert proc.returncode == 130, err.decode()
    assert time.monotonic() - start < 5  # a bound on a hang, not a benchmark
    assert "interrupted" in err.decode() and "Traceback" not in err.decode()
    assert list(tmp_path.iterdir()) == []  # nothing partial: no --out folder, no temp


def test_a_reader_that_closes_early_gets_a_quiet_exit(tmp_path):
    proc = _cjsim("run", FASHION, "--json", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.read(10)  # like `| head -c 10`
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    text = err.decode()
    assert "internal error" not in text and "Traceback" not in text and "Exception" not in text
    assert proc.returncode in (0, 141)
