"""Local workers are capped at the cores; a plain tcp:// scheduler is warned about."""

import os

import pytest

from cjsim.errors import SimulationError
from cjsim.experiment.executors import local_workers, run_all


def test_more_workers_than_cores_are_capped_with_a_warning():
    cores = os.cpu_count() or 1
    with pytest.warns(RuntimeWarning, match=f"more than this machine's {cores} cores"):
        assert local_workers(cores + 96) == cores
    assert local_workers(1) == 1


def test_a_process_run_with_too_many_workers_starts_no_more_than_the_cores():
    with pytest.warns(RuntimeWarning, match="cores"):
        out = run_all(abs, [-1, -2, -3], [1, 1, 1], executor="process", workers=10_000)
    assert out == [1, 2, 3]


def test_a_plain_tcp_scheduler_is_warned_about_before_connecting():
    with (
        pytest.warns(RuntimeWarning, match="unauthenticated and unencrypted"),
        pytest.raises(SimulationError, match="cannot reach the Dask scheduler"),
    ):
        run_all(abs, [-1], [1], executor="dask", scheduler="tcp://127.0.0.1:9")
