"""Throughput and memory of the simulation engines, against a bare SimPy loop measured in
the same run.

Prints, on this machine:
- the event rate of a bare SimPy loop (one process per customer, ``yield env.timeout``
  per step) — the reference;
- ``des`` on a 20-touchpoint journey without capacity: transitions/s and the ratio to the
  reference (target >= 0.6x);
- ``des`` with two capacity desks and reneging: customers/s (target >= 15,000);
- ``des`` against a bare SimPy loop of the same model (``queueing_models.py``): a
  20-touchpoint chain where customers revisit touchpoints (target >= 1.0x), an M/M/5 desk
  (>= 0.8x) and a 20-node network of M/M/3 desks (>= 0.8x);
- ``vectorized`` on 1 million customers: transitions/s (target >= 20 million);
- where Ciw is installed (the ``benchmarks`` extra): ``des`` against Ciw on the same
  M/M/5 desk, the 20-node network (target >= 10x) and the desks with reneging (>= 10x);
- peak memory of a 1-million-customer ``des`` run without the event log (target < 1 GiB),
  measured in a fresh process.

Usage: python benchmarks/engine_throughput.py [--small]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import simpy
from queueing_models import (  # type: ignore[import-not-found]  # a sibling script
    MM5,
    NET,
    NODES,
    bare_network,
    bare_revisiting_chain,
    ciw_desks_chain,
    ciw_network,
    ciw_rate,
    mm5,
    network,
    revisiting_chain,
)

from cjsim.engines._compiled import compile_scenario
from cjsim.engines._tally import transitions
from cjsim.engines.des import DesReplication
from cjsim.engines.vectorized import VectorizedReplication
from cjsim.model import Exponential, Gamma, JourneyBuilder, Scenario

STEPS = 20


def chain_journey(customers: int, desks: bool = False) -> Scenario:
    """20 touchpoints in a row: each moves on with 0.95 (the last one: a purchase, then done).

    With ``desks``, touchpoints 5 and 12 become capacity desks with reneging.
    """
    b = JourneyBuilder("chain", stages=["journey"], horizon_days=1e9)
    for i in range(STEPS):
        fields: dict = {"dwell": Exponential(1.0), "cost_per_visit": 0.1}
        if i == STEPS - 1:
            fields |= {"purchase": True, "order_value": Gamma(50.0, 0.5)}
        if desks and i in (5, 12):
            fields |= {
                "capacity": 40,
                "service": Exponential(0.05),
                "patience": Exponential(0.5),
                "renege_to": "lost",
            }
        b.touchpoint(f"tp{i}", "journey", **fields)
    b.outcome("lost").outcome("done")
    for i in range(STEPS - 1):
        b.edges(f"tp{i}", **{f"tp{i + 1}": 1.0})
    b.edges(f"tp{STEPS - 1}", rest="done")
    if desks:
        return b.poisson(float(customers) / 50.0).entry(tp0=1.0).build().replace(horizon_days=50.0)
    return b.cohort(customers).entry(tp0=1.0).build()


def bare_simpy(customers: int) -> float:
    """Events per second of the reference loop."""
    env = simpy.Environment()

    def customer(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for _ in range(STEPS):
            yield env.timeout(1.0)

    for _ in range(customers):
        env.process(customer(env))
    start = time.perf_counter()
    env.run()
    return customers * STEPS / (time.perf_counter() - start)


def des_rate(sc: Scenario) -> tuple[float, float, int]:
    """(transitions/s, customers/s, customers) of one DES replication."""
    comp = compile_scenario(sc)
    start = time.perf_counter()
    totals = DesReplication(sc, comp, 1, 0, float(sc.horizon_days or 0)).run()
    took = time.perf_counter() - start
    return transitions(totals) / took, totals.customers / took, totals.customers


def vectorized_rate(sc: Scenario) -> float:
    start = time.perf_counter()
    totals = VectorizedReplication(sc, 1, 0, float(sc.horizon_days or 0)).run()
    return transitions(totals) / (time.perf_counter() - start)


def peak_memory_child(customers: int) -> None:
    """Run in a fresh process: one DES replication, print peak RSS in MiB."""
    sc = chain_journey(customers)
    DesReplication(sc, compile_scenario(sc), 1, 0, 1e9).run()
    print(json.dumps({"peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def against_bare(small: bool) -> None:
    """Print des against the bare SimPy loop of the same three models."""
    n_chain, n_mm5, n_net = (2_000, 5_000, 2_000) if small else (20_000, 100_000, 20_000)
    rows = [
        ("revisiting 20-touchpoint chain", "visits", 1.0, revisiting_chain(n_chain),
         lambda: bare_revisiting_chain(n_chain), 0),
        ("M/M/5 desk", "customers", 0.8, mm5(n_mm5),
         lambda: bare_network(n_mm5, 1, MM5), 1),
        (f"{NODES}-node M/M/3 network", "customers", 0.8, network(n_net),
         lambda: bare_network(n_net, NODES, NET), 1),
    ]  # fmt: skip
    for label, unit, target, sc, bare, column in rows:
        ours, ref = 0.0, 0.0
        for _ in range(3):  # interleaved, best of three: the machine's speed drifts
            ours = max(ours, des_rate(sc)[column])
            took, count = bare()
            ref = max(ref, count / took)
        print(
            f"des, {label}: {ours:,.0f} {unit}/s; bare SimPy loop {ref:,.0f} {unit}/s; "
            f"{ours / ref:.2f}x (target >= {target}x)"
        )


def against_ciw(small: bool, n_desks: int) -> None:
    """Print des against Ciw (customers/s, Ciw on a shorter run of the same model), each
    pair measured back to back, des best of two."""
    try:
        import ciw  # noqa: F401
    except ImportError:
        print("Ciw: not installed (pip install -e .[benchmarks]); no comparison")
        return
    count = 400 if small else 2_000
    rows = [
        ("M/M/5 desk", None, mm5(count * 10), ciw_network(1, MM5), count / MM5["rate_per_day"]),
        (f"{NODES}-node M/M/3 network", 10.0, network(count * 10), ciw_network(NODES, NET),
         count / NET["rate_per_day"]),
    ]  # fmt: skip
    for label, target, sc, model, horizon in rows:
        ours = max(des_rate(sc)[1] for _ in range(2))
        ref = ciw_rate(model, horizon)
        goal = f" (target >= {target:.0f}x)" if target else ""
        print(
            f"des vs Ciw, {label}: {ours:,.0f} against {ref:,.0f} customers/s; "
            f"{ours / ref:.1f}x{goal}"
        )
    desk_rate = n_desks / 50.0  # chain_journey's arrival rate
    ours = max(des_rate(chain_journey(n_desks, desks=True))[1] for _ in range(2))
    ref = ciw_rate(ciw_desks_chain(desk_rate, STEPS, (5, 12)), count / desk_rate)
    print(
        f"des vs Ciw, 2 desks with reneging: {ours:,.0f} against {ref:,.0f} customers/s; "
        f"{ours / ref:.1f}x (target >= 10x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick run (CI smoke test)")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        peak_memory_child(args.memory_child)
        return
    n_des = 5_000 if args.small else 50_000
    n_vec = 50_000 if args.small else 1_000_000
    n_mem = 20_000 if args.small else 1_000_000
    reference = max(bare_simpy(n_des) for _ in range(2))
    des = max(des_rate(chain_journey(n_des))[0] for _ in range(2))
    desk = des_rate(chain_journey(n_des, desks=True))
    vec = max(vectorized_rate(chain_journey(n_vec)) for _ in range(2))
    child = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(n_mem)],
        capture_output=True,
        text=True,
        check=True,
    )
    peak = json.loads(child.stdout)["peak_mib"]
    print(f"bare SimPy loop ({n_des:,} customers x {STEPS} steps): {reference:,.0f} events/s")
    print(
        f"des, 20 touchpoints, no capacity:   {des:,.0f} transitions/s = "
        f"{des / reference:.2f}x the bare loop (target >= 0.6x)"
    )
    print(
        f"des, 2 desks with reneging:         {desk[1]:,.0f} customers/s "
        f"({desk[2]:,} customers; target >= 15,000)"
    )
    print(
        f"vectorized, {n_vec:,} customers:     {vec / 1e6:,.1f} million transitions/s "
        f"(target >= 20)"
    )
    against_bare(args.small)
    against_ciw(args.small, n_des)
    print(f"des peak memory, {n_mem:,} customers, no event log: {peak:,.0f} MiB (target < 1024)")


if __name__ == "__main__":
    main()
