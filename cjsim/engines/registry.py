"""Engines by name.

Each engine's module is imported only when it is first asked for, so the numpy engine
never loads SimPy.  :func:`register_engine` adds an engine of your own; everywhere an
engine name is accepted, an :class:`~cjsim.engines.base.Engine` instance is too.

>>> engine_names()
('analytic', 'des', 'vectorized')
>>> get_engine("vectorized").name
'vectorized'
>>> get_engine("desx")
Traceback (most recent call last):
...
cjsim.errors.OptionError: unknown engine 'desx' — did you mean 'des'?
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from cjsim.errors import OptionError, did_you_mean

if TYPE_CHECKING:  # imported when used: the command line lists the names without pandas
    from cjsim.engines.base import Engine
    from cjsim.model import Scenario

__all__ = ["answering_engine", "engine_names", "get_engine", "register_engine"]

_FACTORIES: dict[str, str | type[Engine]] = {
    "analytic": "cjsim.engines.analytic:AnalyticEngine",
    "des": "cjsim.engines.des:DesEngine",
    "vectorized": "cjsim.engines.vectorized:VectorizedEngine",
}


def engine_names() -> tuple[str, ...]:
    """The registered engine names, sorted."""
    return tuple(sorted(_FACTORIES))


def register_engine(engine: type[Engine]) -> None:
    """Make ``engine`` (a subclass of :class:`Engine`) available by its ``name``."""
    from cjsim.engines.base import Engine

    if not (isinstance(engine, type) and issubclass(engine, Engine)) or not engine.name:
        raise OptionError(f"{engine!r} is not an Engine subclass with a name")
    _FACTORIES[engine.name] = engine


def get_engine(engine: str | Engine) -> Engine:
    """The engine called ``engine`` (an :class:`Engine` is returned as it is).

    Raises
    ------
    OptionError
        For a name that no engine has, with the closest one.
    """
    from cjsim.engines.base import Engine

    if isinstance(engine, Engine):
        return engine
    factory = _FACTORIES.get(engine) if isinstance(engine, str) else None
    if factory is None:
        raise OptionError(f"unknown engine {engine!r} — {did_you_mean(str(engine), _FACTORIES)}")
    if isinstance(factory, str):
        module, cls = factory.split(":")
        factory = getattr(importlib.import_module(module), cls)
        _FACTORIES[engine] = factory
    return factory()


def answering_engine(
    scenario: Scenario, preferred: str = "analytic", fallback: str = "des"
) -> tuple[str, str | None]:
    """The engine a command uses by default for ``scenario``: ``preferred`` when it takes
    the scenario (its :meth:`~cjsim.engines.base.Engine.check` passes), else ``fallback``;
    with the reason ``preferred`` refused it, or None. The analytic engine refuses a
    scenario with a satisfaction model, so ``cjsim run`` simulates one with des."""
    from cjsim.errors import SimulationError

    try:
        get_engine(preferred).check(scenario)
    except SimulationError as err:
        return fallback, str(err)
    return preferred, None
