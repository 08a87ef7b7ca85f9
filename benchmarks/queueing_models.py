"""Three models, each as a cjsim scenario and as a bare SimPy loop of the same model, for
``engine_throughput.py``: a 20-touchpoint chain where customers revisit touchpoints, an
M/M/5 desk and a 20-node network of M/M/3 desks (random routing, a Jackson network).

A bare loop is what a careful SimPy user writes: one process per customer, numpy draws in
bulk (their cost is timed too), no bookkeeping beyond the model itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import numpy as np
import simpy

from cjsim.model import Exponential, JourneyBuilder, Scenario

NODES = 20
FORWARD, BACK = 0.6, 0.35  # revisiting chain: next, previous (the first: itself), else lost
MM5 = {"servers": 5, "rate_per_day": 40.0, "service_days": 0.1}  # load 0.8
NET = {"servers": 3, "rate_per_day": 200.0, "service_days": 0.1, "onward": 0.5}  # load 0.67


def pool(draw: Callable[[np.random.Generator, int], np.ndarray], seed: int) -> Iterator[float]:
    """Endless Python floats from numpy, drawn 65,536 at a time."""
    rng = np.random.default_rng(seed)
    while True:
        yield from draw(rng, 65_536).tolist()


def revisiting_chain(customers: int) -> Scenario:
    """20 touchpoints (exponential dwell, mean 1 day): on with 0.6, back with 0.35."""
    b = JourneyBuilder("revisits", stages=["journey"], horizon_days=1e9)
    for i in range(NODES):
        b.touchpoint(f"tp{i}", "journey", dwell=Exponential(1.0), cost_per_visit=0.1)
    b.outcome("lost").outcome("done")
    for i in range(NODES):
        on = f"tp{i + 1}" if i < NODES - 1 else "done"
        b.edges(f"tp{i}", **{on: FORWARD, f"tp{max(i - 1, 0)}": BACK}, rest="lost")
    return b.cohort(customers).entry(tp0=1.0).build()


def bare_revisiting_chain(customers: int) -> tuple[float, int]:
    """(seconds, visits) of the bare loop of :func:`revisiting_chain`."""
    start = time.perf_counter()
    env, dwell = simpy.Environment(), pool(lambda g, n: g.exponential(1.0, n), 1)
    u, visits = pool(lambda g, n: g.random(n), 2), [0]

    def customer(env: simpy.Environment):  # type: ignore[no-untyped-def]
        node = 0
        while node < NODES:
            visits[0] += 1
            yield env.timeout(next(dwell))
            x = next(u)
            node = node + 1 if x < FORWARD else max(node - 1, 0) if x < FORWARD + BACK else NODES

    for _ in range(customers):
        env.process(customer(env))
    env.run()
    return time.perf_counter() - start, visits[0]


def mm5(customers: int) -> Scenario:
    """One desk of 5 servers, Poisson arrivals, exponential service, load 0.8."""
    rate, days = MM5["rate_per_day"], MM5["service_days"]
    b = JourneyBuilder("mm5", stages=["s"], horizon_days=customers / rate)
    b.touchpoint("desk", "s", capacity=int(MM5["servers"]), service=Exponential(days))
    b.outcome("done").edges("desk", rest="done")
    return b.poisson(rate).entry(desk=1.0).build()


def network(customers: int) -> Scenario:
    """20 desks of 3 servers; arrivals spread evenly; after service, on to any other desk
    with 0.5 in all, else done."""
    rate, days, onward = NET["rate_per_day"], NET["service_days"], NET["onward"]
    b = JourneyBuilder("network", stages=["s"], horizon_days=customers / rate)
    for i in range(NODES):
        b.touchpoint(f"d{i}", "s", capacity=int(NET["servers"]), service=Exponential(days))
    b.outcome("done")
    for i in range(NODES):
        others = {f"d{j}": onward / (NODES - 1) for j in range(NODES) if j != i}
        b.edges(f"d{i}", **others, rest="done")
    return b.poisson(rate).entry(**{f"d{i}": 1.0 / NODES for i in range(NODES)}).build()


def bare_network(customers: int, nodes: int, cfg: dict[str, float]) -> tuple[float, int]:
    """(seconds, customers) of the bare loop of :func:`mm5` (``nodes=1``, no onward
    routing) or :func:`network`."""
    start = time.perf_counter()
    env, horizon = simpy.Environment(), customers / cfg["rate_per_day"]
    desks = [simpy.Resource(env, int(cfg["servers"])) for _ in range(nodes)]
    gap = pool(lambda g, n: g.exponential(1.0 / cfg["rate_per_day"], n), 1)
    service = pool(lambda g, n: g.exponential(cfg["service_days"], n), 2)
    u, onward, count = pool(lambda g, n: g.random(n), 3), cfg.get("onward", 0.0), [0]

    def customer(env: simpy.Environment, node: int):  # type: ignore[no-untyped-def]
        while node < nodes:
            with desks[node].request() as req:
                yield req
                yield env.timeout(next(service))
            x = next(u)
            node = nodes if x >= onward else (node + 1 + int(x / onward * (nodes - 1))) % nodes

    def source(env: simpy.Environment):  # type: ignore[no-untyped-def]
        while True:
            yield env.timeout(next(gap))
            count[0] += 1
            env.process(customer(env, int(next(u) * nodes)))

    env.process(source(env))
    env.run(until=horizon)
    return time.perf_counter() - start, count[0]


def ciw_rate(network: object, horizon: float, seed: int = 1) -> float:
    """Customers per second of Ciw simulating ``network`` (a ``ciw.Network``) to
    ``horizon``; customers are those that arrived."""
    import ciw  # an optional reference (the benchmarks extra)

    ciw.seed(seed)  # Ciw draws from global random state
    start = time.perf_counter()
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(horizon)
    took = time.perf_counter() - start
    arrived = {r.id_number for r in sim.get_all_records()}
    arrived |= {ind.id_number for node in sim.nodes[1:-1] for ind in node.all_individuals}
    return len(arrived) / took


def ciw_network(nodes: int, cfg: dict[str, float]) -> object:
    """:func:`mm5` (``nodes=1``, no onward routing) or :func:`network` for Ciw."""
    import ciw

    onward = cfg.get("onward", 0.0)
    share = onward / (nodes - 1) if nodes > 1 else 0.0
    return ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(cfg["rate_per_day"] / nodes)] * nodes,
        service_distributions=[ciw.dists.Exponential(1.0 / cfg["service_days"])] * nodes,
        number_of_servers=[int(cfg["servers"])] * nodes,
        routing=[[0.0 if i == j else share for j in range(nodes)] for i in range(nodes)],
    )


def ciw_desks_chain(rate_per_day: float, steps: int, desks: tuple[int, ...]) -> object:
    """The chain of ``engine_throughput.chain_journey(desks=True)`` for Ciw: each
    touchpoint an infinite-server node (the dwell, mean 1 day); a desk touchpoint is
    followed by a node of 40 servers (service mean 0.05, patience mean 0.5, reneging
    leaves)."""
    import ciw

    kinds = [k for i in range(steps) for k in (["dwell", "desk"] if i in desks else ["dwell"])]
    n = len(kinds)
    is_desk = [k == "desk" for k in kinds]
    return ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate_per_day)] + [None] * (n - 1),
        service_distributions=[ciw.dists.Exponential(20.0 if d else 1.0) for d in is_desk],
        number_of_servers=[40 if d else float("inf") for d in is_desk],
        routing=[[1.0 if j == i + 1 else 0.0 for j in range(n)] for i in range(n)],
        reneging_time_distributions=[ciw.dists.Exponential(2.0) if d else None for d in is_desk],
    )
