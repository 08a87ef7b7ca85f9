"""Journeys with memory: the state of order ``k`` is the last ``k`` touchpoints.

A journey of order ``k`` is still a first-order chain, over states instead of
touchpoints: each state is an ordinary touchpoint whose ``memory_of`` names the original
touchpoint it stands for, so every engine, intervention and figure works on it unchanged,
and visits and removal effects add up per original (:meth:`Scenario.originals`).

A history is a tuple of touchpoint names, oldest first, ending with the current one;
:data:`START` stands for the start of a journey when fewer than ``k`` touchpoints came
before.  Its state's name is the current touchpoint, ``__after__`` and the earlier ones,
latest first (``T06__after__Confirmation``; ``T06__after__start`` at a journey's start).
A history of the current touchpoint alone is named after it: the state that stands for
every history not kept on its own.

>>> histories(["a", "b", "c"], 2)
[('^', 'a'), ('a', 'b'), ('b', 'c')]
>>> state_name(("^", "a")), state_name(("a", "b")), state_name(("b",))
('a__after__start', 'b__after__a', 'b')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from cjsim.errors import CalibrationError

__all__ = ["START", "histories", "state_name", "state_names"]

START = "^"  # the start of a journey, in a history
_AFTER = "__after__"


def histories(path: Sequence[str], order: int) -> list[tuple[str, ...]]:
    """The history of order ``order`` at every step of ``path``: the last ``order``
    touchpoints, with :data:`START` before the first when fewer came before."""
    padded = (START, *path)
    return [tuple(padded[max(0, i + 2 - order) : i + 2]) for i in range(len(path))]


def state_name(history: tuple[str, ...]) -> str:
    """The touchpoint name of the state ``history`` (see the module)."""
    *before, current = history
    if not before:
        return current
    earlier = ("start" if name == START else name for name in reversed(before))
    return current + _AFTER + "__".join(earlier)


def state_names(keys: Iterable[tuple[str, ...]], taken: Iterable[str] = ()) -> dict[tuple, str]:
    """:func:`state_name` of each history, checked to be distinct from each other and
    from the names in ``taken`` (outcomes, other nodes).

    Raises
    ------
    CalibrationError
        When two histories (or a history and a taken name) get the same name, e.g. for a
        touchpoint called ``start`` or one whose name contains ``__after__``.
    """
    names: dict[tuple, str] = {}
    seen = {name: None for name in taken}
    for key in keys:
        name = state_name(key)
        if name in seen:
            raise CalibrationError(
                f"journey with memory: the state name {name!r} of history "
                f"{' > '.join(key)} is taken — rename the touchpoints so that none is "
                f"called 'start' or contains '{_AFTER}'"
            )
        seen[name] = None
        names[key] = name
    return names
