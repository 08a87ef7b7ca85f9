"""Experiments: run options, replications, intervals, executors (serial, process pool, Dask),
ranking and selection."""

from typing import TYPE_CHECKING

from cjsim._lazy import attach

if TYPE_CHECKING:
    from cjsim.experiment.options import RunOptions
    from cjsim.experiment.runner import run_replications
    from cjsim.experiment.selection import Selection, select_best
    from cjsim.experiment.simulate import interval_table, replication_result, simulate

__getattr__, __dir__ = attach(
    __name__,
    {
        "cjsim.experiment.options": ("RunOptions",),
        "cjsim.experiment.runner": ("run_replications",),
        "cjsim.experiment.selection": ("Selection", "select_best"),
        "cjsim.experiment.simulate": ("interval_table", "replication_result", "simulate"),
    },
)

__all__ = [
    "RunOptions",
    "Selection",
    "interval_table",
    "replication_result",
    "run_replications",
    "select_best",
    "simulate",
]
