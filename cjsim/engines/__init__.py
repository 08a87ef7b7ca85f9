"""Engines behind one protocol (:mod:`cjsim.engines.base`), found by name in
:mod:`cjsim.engines.registry`: ``analytic`` (exact), ``vectorized`` (numpy) and ``des``
(SimPy).  Every engine returns the same replication output; :class:`Result` is what a run
returns."""

from typing import TYPE_CHECKING

from cjsim._lazy import attach

if TYPE_CHECKING:
    from cjsim.engines.analytic import solve as solve_analytic
    from cjsim.engines.base import FEATURES, Engine, ReplicationOutput, SimulationEngine
    from cjsim.engines.registry import engine_names, get_engine, register_engine
    from cjsim.engines.result import Result

__getattr__, __dir__ = attach(
    __name__,
    {
        "cjsim.engines.analytic": ("solve as solve_analytic",),
        "cjsim.engines.base": ("FEATURES", "Engine", "ReplicationOutput", "SimulationEngine"),
        "cjsim.engines.registry": ("engine_names", "get_engine", "register_engine"),
        "cjsim.engines.result": ("Result",),
    },
)

__all__ = [
    "FEATURES",
    "Engine",
    "ReplicationOutput",
    "Result",
    "SimulationEngine",
    "engine_names",
    "get_engine",
    "register_engine",
    "solve_analytic",
]
