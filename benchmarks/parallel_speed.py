"""Speed-up of two workers over one: a local Dask cluster, and the process pool for reference.

Issue 15 asks that ``--dask`` on 2 workers reach >= 1.7x one Dask worker, as the process
pool does against one process.  The job is ``simulate`` of the bundled FashionFusion
scenario on the des engine; each set-up is timed from the call to the returned result,
cluster start and shutdown included (what a user waits for), in the same run.  Other
people's work on a shared machine lowers every speed-up, so the CPU seconds of each
set-up (this process and its workers) are printed too: they show the overhead of Dask
itself, whoever else uses the cores; and the set-ups take turns over several rounds,
each reporting its fastest round.  The same
seed must give the same numbers everywhere, which is checked before any time is printed.

    python benchmarks/parallel_speed.py [--small]
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import pandas as pd

from cjsim import RunOptions, Scenario, load_scenario, simulate

TARGET = 1.7
SETUPS = {  # label -> (executor, workers)
    "one process (serial)": ("serial", 1),
    "process pool, 2 workers": ("process", 2),
    "dask, 1 worker": ("dask", 1),
    "dask, 2 workers": ("dask", 2),
}


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and its finished children."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(
    scenario: Scenario, executor: str, workers: int, replications: int
) -> tuple[float, float, pd.Series]:
    """Wall and CPU seconds for ``simulate`` with these settings, and its KPI means."""
    options = RunOptions(
        engine="des",
        replications=replications,
        seed=7,
        workers=workers,
        executor=executor,
        progress=False,
    )
    start, cpu = time.perf_counter(), cpu_seconds()
    result = simulate(scenario, options=options)
    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    return wall, cpu, result.kpis.set_index("kpi")["mean"]


def main(replications: int, rounds: int) -> None:
    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios/fashionfusion.toml")
    seconds: dict[str, float] = {}
    cpu: dict[str, float] = {}
    kpis: dict[str, pd.Series] = {}
    for _ in range(rounds):
        for label, (executor, workers) in SETUPS.items():
            wall, used, kpis[label] = timed(scenario, executor, workers, replications)
            if wall < seconds.get(label, float("inf")):
                seconds[label], cpu[label] = wall, used
    first = next(iter(kpis.values()))
    same = all(k.equals(first) for k in kpis.values())
    print(
        f"des, FashionFusion, {replications} replications, best of {rounds} rounds; "
        f"same numbers everywhere: {same}"
    )
    for label, value in seconds.items():
        print(f"{label}: {value:.1f} s wall, {cpu[label]:.1f} s CPU")
    pool = seconds["one process (serial)"] / seconds["process pool, 2 workers"]
    dask = seconds["dask, 1 worker"] / seconds["dask, 2 workers"]
    met = "met" if dask >= TARGET else "MISSED"
    print(f"process pool, 2 workers vs one process: ratio {pool:.2f}x (reference)")
    print(f"dask, 2 workers vs 1 worker: ratio {dask:.2f}x (target >= {TARGET}x: {met})")
    if not same:
        raise SystemExit("the executors disagree: the speeds above compare different work")


if __name__ == "__main__":
    small = "--small" in sys.argv[1:]
    main(replications=2 if small else 12, rounds=1 if small else 2)
