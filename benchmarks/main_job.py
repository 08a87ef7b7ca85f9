"""The main job (the README's bundled comparison) end to end: wall time, CPU time and peak
memory, with a bare SimPy loop measured in the same run as the machine's yardstick.

Runs ``cjsim compare scenarios/fashionfusion.toml --interventions
scenarios/fashionfusion_investments.toml --seed 1`` (defaults: des, 10 paired replications,
2 workers) in a fresh process, ``--runs`` times, and prints the best wall time against the
target (<= 15 s on 2 cores), the CPU time of the process and its workers, and the largest
resident memory of any one of them (target <= 400 MiB).  The machine's speed drifts by
1.5x between days, so the same run also times a bare SimPy loop of a fixed size, and the
main job is printed as a multiple of it: that multiple is what to compare across days.

``--small`` runs 2 replications once (the smoke test's form; the targets do not apply).

Usage: python benchmarks/main_job.py [--small] [--runs N]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parents[1]
COMMAND = [
    "compare",
    "scenarios/fashionfusion.toml",
    "--interventions",
    "scenarios/fashionfusion_investments.toml",
    "--seed",
    "1",
]
YARDSTICK = 200_000  # customers of the bare SimPy loop, 5 steps each


def bare_loop(customers: int) -> float:
    """Seconds a bare SimPy loop takes: one process per customer, five timeouts each."""
    env = simpy.Environment()

    def customer(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for _ in range(5):
            yield env.timeout(1.0)

    def source(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for _ in range(customers):
            env.process(customer(env))
            yield env.timeout(0.01)

    start = time.perf_counter()
    env.process(source(env))
    env.run()
    return time.perf_counter() - start


def run_once(extra: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak MiB) of one main job in a fresh process (and its workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "cjsim", *COMMAND, *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if done.returncode:
        raise SystemExit(f"the main job failed:\n{done.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="2 replications, one run")
    parser.add_argument("--runs", type=int, default=3, help="runs of the main job (best kept)")
    args = parser.parse_args()
    extra = ["--replications", "2"] if args.small else []
    runs = 1 if args.small else args.runs
    size = YARDSTICK // (10 if args.small else 1)
    yardstick = min(bare_loop(size) for _ in range(3))
    results = [run_once(extra) for _ in range(runs)]
    wall, cpu = min(r[0] for r in results), min(r[1] for r in results)
    peak = max(r[2] for r in results)
    form = "small form (2 replications; targets do not apply)" if args.small else "10 replications"
    print(f"main job, {form}: best of {runs} runs")
    print(f"bare SimPy loop ({size:,} customers x 5 steps): {yardstick:.2f} s")
    print(
        f"main job wall time: {wall:.1f} s (target <= 15 s on 2 cores)"
        f" = {wall / yardstick:.1f}x the bare loop"
    )
    print(f"main job CPU time (all processes): {cpu:.1f} s = {cpu / yardstick:.1f}x the bare loop")
    print(f"main job peak memory (largest process): {peak:.0f} MiB (target <= 400 MiB)")


if __name__ == "__main__":
    main()
