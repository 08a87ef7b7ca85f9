"""Engines: ``analytic`` (exact), later ``vectorized`` and ``des``; all return a Result."""

from cjsim.engines.analytic import solve as solve_analytic
from cjsim.engines.result import Result

__all__ = ["Result", "solve_analytic"]
