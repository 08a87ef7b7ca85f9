"""Experiments: run options, replications, intervals, executors (serial, process pool, Dask)."""

from cjsim.experiment.options import RunOptions
from cjsim.experiment.runner import run_replications
from cjsim.experiment.simulate import interval_table, replication_result, simulate

__all__ = ["RunOptions", "interval_table", "replication_result", "run_replications", "simulate"]
