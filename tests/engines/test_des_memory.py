"""A finished DES replication is freed at once (no reference cycle left for the garbage
collector), so a worker running many replications stays at the memory of one."""

import gc
import weakref

from cjsim.engines._compiled import compile_scenario
from cjsim.engines.des import DesReplication
from cjsim.model import Exponential, JourneyBuilder


def busy_desk():
    """Customers still waiting, in service and with patience timers at the horizon."""
    return (
        JourneyBuilder("desk", stages=["s"], horizon_days=20.0)
        .touchpoint(
            "desk",
            "s",
            capacity=1,
            service=Exponential(1.0),
            patience=Exponential(3.0),
            renege_to="gave_up",
        )
        .outcome("done")
        .outcome("gave_up")
        .edges("desk", rest="done")
        .poisson(3.0)
        .entry(desk=1.0)
        .build()
    )


def test_a_finished_replication_needs_no_garbage_collection():
    sc = busy_desk()
    sim = DesReplication(sc, compile_scenario(sc), 1, 0, 20.0)
    totals = sim.run()
    assert totals.queues[0].joined > totals.queues[0].served + totals.queues[0].reneged
    ref = weakref.ref(sim)
    gc.disable()
    try:
        del sim
        assert ref() is None
    finally:
        gc.enable()
