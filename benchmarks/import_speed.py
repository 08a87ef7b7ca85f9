"""How long ``import cjsim`` and ``cjsim --help`` take, each in a fresh interpreter.

Issue 15 asks for ``import cjsim`` <= 0.4 s and ``cjsim --help`` <= 0.5 s, measured when
``import simpy, numpy`` took 0.14 s: about 2.9x and 3.6x that reference.  The reference is
timed in the same run, and every figure is the median of several runs, so the ratios are
comparable across machines and busy moments.

    python benchmarks/import_speed.py [--small]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

REFERENCE = "import simpy, numpy"
CASES = {  # label -> (interpreter arguments, target in s, target as a ratio)
    "import cjsim": (["-c", "import cjsim"], 0.4, 0.4 / 0.14),
    "cjsim --help": (["-m", "cjsim", "--help"], 0.5, 0.5 / 0.14),
}


def median_seconds(args: list[str], runs: int) -> float:
    """The median wall time of ``python <args>`` over ``runs`` fresh interpreters."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(runs: int = 7) -> None:
    bare = median_seconds(["-c", "pass"], runs)
    reference = median_seconds(["-c", REFERENCE], runs)
    print(f"python -c pass (interpreter start): {bare:.3f} s, median of {runs}")
    print(f"reference `{REFERENCE}`: {reference:.3f} s")
    for label, (args, target, ratio_target) in CASES.items():
        seconds = median_seconds(args, runs)
        ratio = seconds / reference
        met = "met" if seconds <= target and ratio <= ratio_target else "MISSED"
        print(
            f"{label}: {seconds:.3f} s, ratio {ratio:.2f}x the reference "
            f"(target <= {target} s and <= {ratio_target:.1f}x: {met})"
        )


if __name__ == "__main__":
    main(runs=3 if "--small" in sys.argv[1:] else 7)
