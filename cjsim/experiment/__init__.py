"""Experiments: replications, intervals, executors (serial, process pool, Dask)."""

from cjsim.experiment.simulate import ENGINES, interval_table, simulate

__all__ = ["ENGINES", "interval_table", "simulate"]
