"""The benchmark scripts keep running (their figures are read by people, not asserted)."""

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import special

ROOT = Path(__file__).resolve().parents[2]


def small(script: str) -> subprocess.CompletedProcess[str]:
    """``benchmarks/<script> --small``, run from the project root."""
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), "--small"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def test_engine_throughput_runs_in_its_small_form():
    done = small("engine_throughput.py")
    assert done.returncode == 0, done.stderr
    for label in (
        "bare SimPy loop",
        "des, 20 touchpoints",
        "des, 2 desks",
        "vectorized",
        "des, revisiting 20-touchpoint chain",
        "des, M/M/5 desk",
        "des, 20-node M/M/3 network",
        "Ciw",
        "peak memory",
    ):
        assert label in done.stdout


def test_scenario_load_speed_runs_in_its_small_form():
    done = small("scenario_load_speed.py")
    assert done.returncode == 0, done.stderr
    assert "1000 touchpoints: load and check" in done.stdout and "ratio" in done.stdout
    for label in ("the analytic solve", "one sparse factorisation + solve", "held CSR"):
        assert label in done.stdout


def test_calibration_speed_runs_in_its_small_form():
    done = small("calibration_speed.py")
    assert done.returncode == 0, done.stderr
    for label in ("simulated cohort", "cjsim.calibrate, K = 2", "BG/NBD", "ratio cjsim / BG/NBD"):
        assert label in done.stdout


def test_import_speed_runs_in_its_small_form():
    done = small("import_speed.py")
    assert done.returncode == 0, done.stderr
    for label in ("reference `import simpy, numpy`", "import cjsim:", "cjsim --help:", "ratio"):
        assert label in done.stdout


def test_parallel_speed_runs_in_its_small_form():
    done = small("parallel_speed.py")
    assert done.returncode == 0, done.stderr
    for label in ("same numbers everywhere: True", "dask, 2 workers vs 1 worker: ratio"):
        assert label in done.stdout


def test_vectorized_speed_runs_in_its_small_form():
    done = small("vectorized_speed.py")
    assert done.returncode == 0, done.stderr
    for label in ("numpy alias-table lockstep", "vectorized engine", "ratio vectorized / lockstep"):
        assert label in done.stdout


def test_satisfaction_speed_runs_in_its_small_form():
    done = small("satisfaction_speed.py")
    assert done.returncode == 0, done.stderr
    for label in ("des: without satisfaction", "vectorized: without satisfaction", "ratio"):
        assert label in done.stdout


def test_the_bgnbd_likelihood_agrees_with_its_closed_form_for_one_customer():
    """Reference: eq. 6 of Fader, Hardie & Lee (2005) written out by hand for x = 0
    (alive throughout: the beta-geometric term is 1) and x = 2."""
    from cjsim.calibration.baselines import bgnbd_loglik

    r, alpha, a, b = 0.25, 4.0, 0.8, 2.5

    def bgnbd_negll(_, x, tx, t):  # the reference the benchmark times, as a negative sum
        return -float(bgnbd_loglik(r, alpha, a, b, x, tx, t).sum())

    theta = np.log([r, alpha, a, b])
    t = 30.0
    zero = (alpha / (alpha + t)) ** r
    assert bgnbd_negll(theta, np.array([0.0]), np.array([0.0]), np.array([t])) == pytest.approx(
        -math.log(zero), rel=1e-12
    )
    x, tx = 2.0, 20.0
    common = math.gamma(r + x) * alpha**r / math.gamma(r)
    alive = special.beta(a, b + x) / special.beta(a, b) * common / (alpha + t) ** (r + x)
    gone = special.beta(a + 1, b + x - 1) / special.beta(a, b) * common / (alpha + tx) ** (r + x)
    value = bgnbd_negll(theta, np.array([x]), np.array([tx]), np.array([t]))
    assert value == pytest.approx(-math.log(alive + gone), rel=1e-12)


def test_analytic_speed_runs_in_its_small_form():
    done = small("analytic_speed.py")
    assert done.returncode == 0, done.stderr
    for label in (
        "reference (splu factorisation + solve)",
        "core KPIs",
        "removal effects",
        "elasticities",
        "removal + elasticities together",
        "200 nodes",
    ):
        assert label in done.stdout


def test_peers_runs_in_its_small_form():
    pytest.importorskip("ciw")
    done = small("peers.py")
    assert done.returncode == 0, done.stderr
    for label in ("M/M/5", "network", "reneging", "wrong-model control", "PyDTMC"):
        assert label in done.stdout


def test_main_job_runs_in_its_small_form():
    done = small("main_job.py")
    assert done.returncode == 0, done.stderr
    for label in ("bare SimPy loop", "main job wall time", "main job CPU time", "peak memory"):
        assert label in done.stdout


def test_abtest_draws_runs_in_its_small_form():
    done = small("abtest_draws.py")
    assert done.returncode == 0, done.stderr
    for label in ("simulated customers", "plain draws", "cjsim counts", "ratio"):
        assert label in done.stdout
