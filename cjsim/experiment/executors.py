"""Where replications run: in this process, a local process pool, or Dask distributed.

Every executor returns the same outputs for the same tasks: a replication's
numbers depend only on its seed-tree key, never on the worker that ran it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from cjsim.errors import SimulationError

__all__ = ["EXECUTORS", "default_workers", "local_workers", "run_all"]

EXECUTORS = ("serial", "process", "dask")
_KILL = getattr(signal, "SIGKILL", signal.SIGTERM)  # Windows has no SIGKILL


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
            stacklevel=4,
        )


def _progress(total: int, enabled: bool | None, label: str) -> Any:
    from tqdm import tqdm

    if enabled is None:
        enabled = sys.stderr.isatty() and not os.environ.get("CI")
    return tqdm(total=total, desc=label, unit="rep", disable=not enabled, leave=False)


def _dask_results(
    fn: Callable[[Any], Any], tasks: Sequence[Any], workers: int, scheduler: str | None
) -> Iterator[tuple[int, Any]]:
    """``(i, fn(task i))`` as they finish, on Dask.  Any exit, Ctrl-C included, cancels
    the pending tasks; a local cluster's workers are killed at once (as the process
    pool's are) rather than left to finish their running replications."""
    client = cluster = None
    futures: dict[Any, int] = {}
    try:
        with _interrupts_held():  # a cluster stopped half-way through starting cannot close
            client, cluster = _connect(workers, scheduler)
        from distributed import as_completed as dask_completed

        futures = {client.submit(fn, task, pure=False): i for i, task in enumerate(tasks)}
        for future in dask_completed(futures):
            yield futures[future], future.result()
    except BaseException:
        _stop(client, cluster, list(futures))
        raise
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def _connect(workers: int, scheduler: str | None) -> tuple[Any, Any]:
    """A Dask client of ``scheduler``, or of a new local cluster of ``workers`` processes
    (returned too, to be closed) whose workers leave Ctrl-C to this process."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise SimulationError("executor='dask' needs the 'distributed' package") from exc
    if scheduler:
        _warn_if_plain(scheduler)
        try:
            return Client(scheduler, timeout="5s"), None
        except OSError as exc:
            raise SimulationError(
                f"cannot reach the Dask scheduler at {scheduler}: {exc} — "
                "check the address, or leave out scheduler= to start a "
                "local cluster"
            ) from None
    cluster = LocalCluster(
        n_workers=local_workers(workers),
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
    )
    client = Client(cluster)
    client.run(_ignore_interrupts)  # on each worker's main thread
    return client, cluster


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold back Ctrl-C until the block ends, then deliver it (on the main thread only,
    where Python handles signals)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        signal.raise_signal(signal.SIGINT)


def _stop(client: Any, cluster: Any, futures: list[Any]) -> None:
    """Cancel ``futures``, kill a local cluster's worker processes at once (closing the
    cluster alone would wait up to 4 s for each running replication) and close, without
    the log lines of the connections cut on the way.

    Dask's connections may report their cut later, from its own threads (an INFO line
    with a ``CommClosedError`` traceback after the cluster has closed), so its loggers
    keep to errors from here on; everything else logs again once the cluster is closed."""
    logging.getLogger("distributed").setLevel(logging.ERROR)
    logging.disable(logging.WARNING)
    try:
        if client is not None:
            with contextlib.suppress(Exception):  # a scheduler already gone: nothing to cancel
                client.cancel(futures, force=True)
        if cluster is not None:
            for nanny in list(cluster.workers.values()):
                nanny.close_gracefully(reason="cjsim-stopped")  # no restart
                if nanny.pid:
                    os.kill(nanny.pid, _KILL)
            cluster.close()
        if client is not None:
            client.close()
    finally:
        logging.disable(logging.NOTSET)


def _ignore_interrupts() -> None:
    """In a worker: Ctrl-C is the parent's to handle (it stops the workers)."""
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
