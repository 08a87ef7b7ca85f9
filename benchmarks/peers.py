"""cjsim's des engine against Ciw on the same queueing models, measured in one run.

Three models, each built once in cjsim and once in Ciw with the same rates:
- ``M/M/5``: arrivals 4 a day, service 1 day, 5 servers (utilisation 0.8);
- ``network``: 20 nodes of 3 servers in a ring; a customer moves on with 0.8 and leaves
  with 0.2, so every node is visited about five times per customer (utilisation 0.8);
- ``reneging``: 2 servers, arrivals 2.5 a day, service 1 day, patience 2 days (Erlang A).

Before any time is compared, each pair must compute the same model: the mean wait (and
for ``reneging`` the share who gave up) of the two tools must agree within 4 standard
errors of their difference over independent replications. A deliberately wrong Ciw model
(service 25 % faster) is put through the same check and must be rejected. Only then are the
speeds (customers per second, one core each) and their ratio printed, with the targets of
issue 15 (>= 10x Ciw on the network and with reneging).

PyDTMC is compared on the absorption probabilities of a random chain when it can be
imported (its current release pins numpy < 2, so it usually cannot).

Usage: python benchmarks/peers.py [--small]    (needs ``pip install ciw``: the
``benchmarks`` extra)
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np

import cjsim
from cjsim.model import Exponential, Fixed, JourneyBuilder, Scenario

REPLICATIONS = 5


@dataclass(frozen=True)
class Model:
    name: str
    nodes: int
    servers: int
    arrivals: float  # per day, in all
    move_on: float  # probability of going to the next node (a ring), else leaving
    patience: float | None  # mean days, or None
    target: float | None  # speed ratio to Ciw that issue 15 asks for


MODELS = (
    Model("M/M/5", 1, 5, 4.0, 0.0, None, None),
    Model("network", 20, 3, 9.6, 0.8, None, 10.0),
    Model("reneging", 1, 2, 2.5, 0.0, 2.0, 10.0),
)


def journey(m: Model, horizon: float) -> Scenario:
    b = JourneyBuilder(m.name, stages=["service"], horizon_days=horizon)
    names = [f"n{i}" for i in range(m.nodes)]
    for name in names:
        extra = {"patience": Exponential(m.patience), "renege_to": "gave_up"} if m.patience else {}
        b.touchpoint(
            name, "service", dwell=Fixed(0.0), capacity=m.servers, service=Exponential(1.0),
            **extra,
        )  # fmt: skip
    b.outcome("done")
    if m.patience:
        b.outcome("gave_up")
    for i, name in enumerate(names):
        ring = {names[(i + 1) % m.nodes]: m.move_on} if m.move_on else {}
        b.edges(name, **ring, rest="done")
    return b.poisson(m.arrivals).entry(**{n: 1 / m.nodes for n in names}).build()


def cjsim_run(m: Model, horizon: float, seed: int) -> tuple[list[tuple[float, float]], int, float]:
    """Per replication (mean wait, share who gave up), customers, seconds."""
    sc = journey(m, horizon)
    start = time.perf_counter()
    res = cjsim.simulate(sc, engine="des", replications=REPLICATIONS, seed=seed, progress=False)
    seconds = time.perf_counter() - start
    reps = res.tables["replications"]
    out = []
    for _, row in reps.iterrows():
        waits = [row[f"wait_mean[n{i}]"] for i in range(m.nodes)]
        gave_up = row.get("reneged[n0]", 0.0) if m.patience else 0.0
        out.append((float(np.mean(waits)), float(gave_up)))
    customers = int(reps["customers"].sum())
    return out, customers, seconds


def ciw_run(
    m: Model, horizon: float, seed: int, service_rate: float = 1.0
) -> tuple[list[tuple[float, float]], int, float]:
    import ciw

    c = m.servers
    routing = np.zeros((m.nodes, m.nodes))
    if m.move_on:
        for i in range(m.nodes):
            routing[i, (i + 1) % m.nodes] = m.move_on
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=m.arrivals / m.nodes)] * m.nodes,
        service_distributions=[ciw.dists.Exponential(rate=service_rate)] * m.nodes,
        number_of_servers=[c] * m.nodes,
        routing=routing.tolist(),
        reneging_time_distributions=(
            [ciw.dists.Exponential(rate=1 / m.patience)] * m.nodes if m.patience else None
        ),
    )
    out, customers, seconds = [], 0, 0.0
    for r in range(REPLICATIONS):
        ciw.seed(seed + r)
        start = time.perf_counter()
        q = ciw.Simulation(network)
        q.simulate_until_max_time(horizon)
        seconds += time.perf_counter() - start
        records = q.get_all_records()
        served = [x.waiting_time for x in records if x.record_type == "service"]
        gave_up = sum(x.record_type == "renege" for x in records)
        arrived = len({x.id_number for x in records})
        customers += arrived
        per_node = [
            np.mean(
                [x.waiting_time for x in records if x.node == n + 1 and x.record_type == "service"]
            )
            for n in range(m.nodes)
        ]
        out.append((float(np.mean(per_node)) if served else 0.0, gave_up / max(arrived, 1)))
    return out, customers, seconds


def agreement(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """The largest |difference| / its standard error over the compared figures."""
    worst = 0.0
    for k in range(2):
        x, y = np.array([r[k] for r in a]), np.array([r[k] for r in b])
        se = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
        diff = abs(x.mean() - y.mean())
        if se > 0:
            worst = max(worst, diff / se)
        elif diff > 1e-12:
            worst = math.inf
    return worst


def compare(m: Model, horizon: float) -> None:
    mine, n_mine, t_mine = cjsim_run(m, horizon, seed=1)
    theirs, n_theirs, t_theirs = ciw_run(m, horizon, seed=1000)
    wrong, _, _ = ciw_run(m, horizon, seed=2000, service_rate=1.25)
    z, z_wrong = agreement(mine, theirs), agreement(mine, wrong)
    wait = np.mean([r[0] for r in mine]), np.mean([r[0] for r in theirs])
    print(f"{m.name}: mean wait cjsim {wait[0]:.4f}, Ciw {wait[1]:.4f} days (z = {z:.2f})")
    print(f"  wrong-model control (Ciw serving 25 % faster): z = {z_wrong:.1f}", end="")
    print(" rejected" if z_wrong > 4 else " NOT rejected")
    if z > 4 or z_wrong <= 4:
        print(f"  {m.name}: the two tools disagree; no speed is compared")
        return
    mine_rate, their_rate = n_mine / t_mine, n_theirs / t_theirs
    target = f" (target >= {m.target:g}x)" if m.target else ""
    print(
        f"  speed: cjsim des {mine_rate:,.0f} customers/s, Ciw {their_rate:,.0f} customers/s, "
        f"ratio {mine_rate / their_rate:.2f}x{target}"
    )


def pydtmc_peer(small: bool) -> None:
    try:
        import pydtmc
    except Exception as exc:  # not installable beside numpy 2, or missing
        print(f"PyDTMC: not available ({type(exc).__name__}); skipped")
        return
    rng = np.random.default_rng(3)
    n = 30 if small else 200
    p = rng.random((n + 1, n + 1)) * (rng.random((n + 1, n + 1)) < 0.1)
    p[:, n] += 0.05
    p[n] = 0.0
    p[n, n] = 1.0
    p /= p.sum(axis=1, keepdims=True)
    start = time.perf_counter()
    theirs = pydtmc.MarkovChain(p).absorption_probabilities()
    took = time.perf_counter() - start
    print(f"PyDTMC: {n + 1}-state chain absorbed in {took * 1e3:.1f} ms, shape {np.shape(theirs)}")


def main(small: bool) -> None:
    horizon = 500.0 if small else 5000.0
    for m in MODELS:
        compare(m, horizon)
    pydtmc_peer(small)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick form for the smoke test")
    main(parser.parse_args().small)
