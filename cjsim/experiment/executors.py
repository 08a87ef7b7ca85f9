"""Where replications run: in this process, a local process pool, or Dask distributed.

Every executor returns the same outputs for the same tasks: a replication's
numbers depend only on its seed-tree key, never on the worker that ran it.
"""

from __future__ import annotations

import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from cjsim.errors import SimulationError

__all__ = ["EXECUTORS", "default_workers", "local_workers", "run_all"]

EXECUTORS = ("serial", "process", "dask")


def default_workers(tasks: int | None = None) -> int:
    """Worker processes to use by default: the machine's cores, at most four (more rarely
    pays for a process pool's start-up here), and at most one per task when given."""
    return max(1, min(4, os.cpu_count() or 1, tasks or 4))


def local_workers(workers: int) -> int:
    """``workers`` capped at the machine's cores, with a warning when capped: more local
    processes than cores only compete for them (and ``--workers 100`` would start 100).
    For more, start Dask workers yourself and pass their ``scheduler``."""
    cores = os.cpu_count() or 1
    if workers > cores:
        warnings.warn(
            f"workers={workers} is more than this machine's {cores} cores; using {cores} — "
            "for more, start Dask workers on other machines and pass scheduler=",
            RuntimeWarning,
            stacklevel=3,
        )
        return cores
    return workers


def _warn_if_plain(scheduler: str) -> None:
    """A ``tcp://`` scheduler is neither authenticated nor encrypted, and cjsim unpickles
    what it sends back."""
    if not scheduler.startswith(("tls://", "inproc://")):
        warnings.warn(
            f"scheduler {scheduler} is not tls://: the connection is unauthenticated and "
            "unencrypted, and results from it are unpickled (they can run code here) — "
            "use it only on a network you trust, or use tls:// with Dask's TLS settings",
            RuntimeWarning,
            stacklevel=3,
        )


def _progress(total: int, enabled: bool | None, label: str) -> Any:
    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty() and not os.environ.get("CI")
    return tqdm(total=total, desc=label, unit="rep", disable=not enabled, leave=False)


def _dask_results(
    fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int, scheduler: str | None
) -> Iterator[tuple[int, Any]]:
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise SimulationError("executor='dask' needs the 'distributed' package") from exc
    cluster = None
    if scheduler:
        _warn_if_plain(scheduler)
        try:
            client = Client(scheduler, timeout="5s")
        except OSError as exc:
            raise SimulationError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc} — "
                "check the address, or leave out scheduler= to start a "
                "local cluster"
            ) from None
    else:
        cluster = LocalCluster(
            n_workers=local_workers(workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
        client = Client(cluster)
    try:
        futures = {client.submit(fn, task, pure=False): i for i, task in enumerate(tasks)}
        for future in dask_completed(futures):
            yield futures[future], future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _ignore_interrupts() -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (it stops the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _process_results(
    fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int
) -> Iterator[tuple[int, Any]]:
    """``(i, fn(task i))`` as they finish, from a process pool that stops at once on any
    exit — Ctrl-C included: pending tasks are cancelled and the workers terminated,
    rather than ``shutdown(wait=True)`` running every queued task first."""
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupts)
    try:
        futures = {pool.submit(fn, task): i for i, task in enumerate(tasks)}
        for future in as_completed(futures):
            yield futures[future], future.result()
    except BaseException:
        processes = list((getattr(pool, "_processes", None) or {}).values())  # no public API
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=1)
        raise
    pool.shutdown(wait=True)


def run_all(
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    sizes: Sequence[int],
    executor: str = "serial",
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool | None = None,
    label: str = "simulating",
) -> list[Any]:
    """``[fn(task) for task in tasks]``, run by ``executor``, with a progress bar."""
    if executor not in EXECUTORS:
        raise SimulationError(f"unknown executor {executor!r} — use one of {', '.join(EXECUTORS)}")
    results: list[Any] = [None] * len(tasks)
    with _progress(sum(sizes), progress, label) as bar:
        if executor == "serial":
            for i, task in enumerate(tasks):
                results[i] = fn(task)
                bar.update(sizes[i])
        elif executor == "process":
            for i, value in _process_results(fn, tasks, local_workers(workers)):
                results[i] = value
                bar.update(sizes[i])
        else:
            for i, value in _dask_results(fn, tasks, workers, scheduler):
                results[i] = value
                bar.update(sizes[i])
    return results
