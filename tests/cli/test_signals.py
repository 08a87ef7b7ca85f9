"""Ctrl-C and a closed pipe on a real ``cjsim`` process (issue 14)."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.shops import calm_fashion_file

ROOT = Path(__file__).resolve().parents[2]
FASHION = calm_fashion_file()  # FashionFusion without satisfaction (tests/shops.py)
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "CI": "1"}


def _cjsim(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "cjsim.cli", *args], env=ENV, cwd=ROOT, **kwargs)


def _children(pid):
    """The child processes of ``pid``, started by any of its threads (Dask starts its
    workers from its event-loop thread)."""
    found = []
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):  # the thread ended meanwhile
            found += [int(c) for c in path.read_text().split()]
    return found


def _running(pid):
    """Whether ``pid`` is a live process (not gone, not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _wait_for_workers(pid, timeout=60.0):
    """Until the process has started its pool (it has child processes): a busy machine can
    take several seconds just to import cjsim, and a Ctrl-C then tests something else.
    Returns the children."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _children(pid):
            time.sleep(1)  # the workers are busy with queued replications
            return _children(pid)
        time.sleep(0.1)
    raise AssertionError("the run started no worker processes")


def _interrupt(*options, tmp_path):
    """Ctrl-C a run of 400 replications once its workers run: the exit code, the seconds
    until the exit, stderr, and the workers still running a moment later."""
    run = ["run", FASHION, "--engine", "des", "--replications", "400", "--workers", "2"]
    out = tmp_path / "results"
    proc = _cjsim(
        *run, *options, "--out", str(out), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    workers = _wait_for_workers(proc.pid)  # minutes of queued replications lie ahead
    assert proc.poll() is None
    os.kill(proc.pid, signal.SIGINT)
    start = time.monotonic()
    _, err = proc.communicate(timeout=10)
    seconds = time.monotonic() - start
    time.sleep(0.5)
    return proc.returncode, seconds, err.decode(), [w for w in workers if _running(w)]


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="Linux /proc, POSIX signals")
@pytest.mark.parametrize("options", [(), ("--dask",)], ids=["process pool", "dask"])
def test_the_first_ctrl_c_stops_a_parallel_run_at_once(tmp_path, options):
    code, seconds, err, left = _interrupt(*options, tmp_path=tmp_path)
    assert code == 130, err
    assert seconds < 5  # a bound on a hang, not a benchmark
    assert err.strip() == "cjsim: interrupted"  # no traceback, no log lines of the workers
    assert left == []  # no worker keeps running
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
