"""Speed of the analytic engine, against one sparse factorisation and solve of the same
chain measured in the same run.

For random journeys of 50, 200 and 1,000 touchpoints (about six edges each, refunds and
discounting; ``--small``: 50 and 200), prints:
- the reference: ``scipy.sparse.linalg.splu(I - Q).solve(entry)`` (best of several runs);
- core KPIs: every KPI from the scenario's arrays (``evaluate``), target <= 3x the
  reference from 50 nodes up; and, for information, the whole ``solve()`` call without
  tables (arrays built from the scenario, the KPI table as a DataFrame);
- removal effects of every touchpoint and elasticities of every edge, each alone and
  together, target for both together <= 20x the reference at 1,000 nodes.

BLAS is held to one thread throughout, as the engine holds it.  Machine speed drifts and
the machine is shared: read the ratios, not the milliseconds.

Usage: python benchmarks/analytic_speed.py [--small]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from cjsim.engines import analytic
from cjsim.engines._absorbing import evaluate
from cjsim.engines._arrays import to_arrays
from cjsim.engines._linalg import one_blas_thread
from cjsim.engines._matrix import edges
from cjsim.model.synthetic import random_journey

EDGES_PER_NODE = 6.0


RUNS = {50: 200, 200: 40, 1000: 9}  # the same for every job at a size: a fair minimum


def best(fn: Callable[[], object], runs: int) -> float:
    """Shortest of ``runs`` runs of ``fn`` (the least disturbed by other work)."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(n: int) -> dict[str, float]:
    """Seconds of the reference and of each analytic job on a random journey of ``n``."""
    sc = random_journey(np.random.default_rng(n), n_touchpoints=n, density=EDGES_PER_NODE / n)
    a = to_arrays(sc)
    margin, per_customer = sc.economics.gross_margin, sc.economics.cost_per_customer
    matrix = (sp.identity(n, format="csc") - sp.csc_matrix(a.base[:, :n])).tocsc()
    runs = RUNS[n]
    with one_blas_thread():
        ev = evaluate(a, a.base, margin, per_customer)
        return {
            "reference": best(lambda: spla.splu(matrix).solve(a.entry), runs),
            "core KPIs": best(lambda: evaluate(a, a.base, margin, per_customer), runs),
            "solve()": best(lambda: analytic.solve(sc, removal=False, elasticity=False), runs),
            "removal effects": best(lambda: analytic.removal_effects(sc, a, ev), runs),
            "elasticities": best(lambda: analytic.elasticities(sc, a, ev), runs),
            "edges": float(len(edges(a.base)[0])),
        }


def report(n: int, t: dict[str, float]) -> None:
    ref = t["reference"]
    both = t["removal effects"] + t["elasticities"]
    big = "" if n >= 1000 else " at 1000 nodes"
    rows = [
        ("core KPIs", t["core KPIs"], "<= 3x"),
        ("solve(), no tables", t["solve()"], "none (information)"),
        ("removal effects, all touchpoints", t["removal effects"], "(see together)"),
        (f"elasticities, all {t['edges']:.0f} edges", t["elasticities"], "(see together)"),
        ("removal + elasticities together", both, f"<= 20x{big}"),
    ]
    print(f"{n} nodes: reference (splu factorisation + solve) {ref * 1e3:.3f} ms")
    for label, seconds, target in rows:
        ratio = seconds / ref
        print(f"  {label:<36} {seconds * 1e3:>10.3f} ms  ratio {ratio:>7.2f}x  target {target}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="50 and 200 nodes only")
    args = parser.parse_args()
    print(
        "analytic engine against one sparse factorisation and solve of I - Q of the same "
        f"chain (random journeys, {EDGES_PER_NODE:.0f} edges per touchpoint; best of the "
        "same number of runs for every job at a size; BLAS on one thread)"
    )
    for n in (50, 200) if args.small else (50, 200, 1000):
        report(n, measure(n))


if __name__ == "__main__":
    main()
