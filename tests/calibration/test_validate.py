"""``validate`` runs its replications in parallel: the same seed gives the same figures
with any number of worker processes, and the default uses the machine's cores."""

import os

import pandas as pd

import cjsim
from cjsim.experiment.executors import default_workers


def test_workers_do_not_change_the_figures(segment_fit, small_log):
    cut = small_log[small_log["timestamp"] < pd.Timestamp("2021-05-01")]
    fit = cjsim.calibrate(cut, {**segment_fit.mapping.model_dump(), "cutoff": "2021-05-01"})
    serial = cjsim.validate(fit, small_log, replications=3, seed=5, workers=1, progress=False)
    pooled = cjsim.validate(fit, small_log, replications=3, seed=5, workers=2, progress=False)
    for name, table in serial.tables.items():
        pd.testing.assert_frame_equal(table, pooled.tables[name], obj=name)


def test_default_workers_are_the_cores_at_most_four_and_one_per_replication():
    cores = os.cpu_count() or 1
    assert default_workers(20) == max(1, min(4, cores))
    assert default_workers(1) == 1
    assert 1 <= default_workers(3) <= 3
