"""Journeys with memory from an event log: the state of a visit is its last ``k``
touchpoints (:mod:`cjsim.model.memory`), kept where the log has enough of them.

- :func:`histories`: each touchpoint visit's history of order ``k`` (the touchpoints
  before it, :data:`~cjsim.model.memory.START` at a journey's start);
- :func:`kept_states`: the histories that become states of their own.  A history of
  length 2 to ``k`` (counting the visit) is kept when at least ``min_visits`` visits end
  with it; a visit takes the state of the longest kept history it ends with, or, with
  none, the state named after its touchpoint alone (a variable-order chain that backs
  off to less memory where the log is thin);
- :func:`assign`: the state of every visit, for the calibration log and for a holdout;
- :func:`choose_order`: ``order="auto"``, the order with the lowest BIC of the movers'
  steps (every visit followed by a touchpoint or an outcome; silent exits and visits open
  at the cut-off are the exit model's and are left out).  Each order is scored on the
  same steps, its parameters are the free probabilities of its states' rows, and the
  penalty is ``log(steps)`` per parameter;
- :func:`expanded_mapping`: the mapping's fields for the states.

The expanded mapping records the states (``Mapping.memory``: state -> its history), so a
fit read back from its files maps a holdout log the same way.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cjsim.errors import CalibrationError
from cjsim.model.memory import START, state_names

__all__ = [
    "MAX_ORDER",
    "MIN_VISITS",
    "OrderChoice",
    "assign",
    "check_order",
    "choose_order",
    "expanded_mapping",
    "histories",
    "kept_states",
]

MAX_ORDER = 3  # the highest order "auto" tries, and the highest accepted
MIN_VISITS = 20  # visits that end with a history for it to be a state of its own


def check_order(order: object) -> None:
    """Refuse an order that is not 1 to :data:`MAX_ORDER` or ``"auto"``."""
    whole = isinstance(order, int) and not isinstance(order, bool)
    if order != "auto" and not (whole and 1 <= order <= MAX_ORDER):  # type: ignore[operator]
        raise CalibrationError(
            f"calibrate: order must be a whole number from 1 to {MAX_ORDER} or 'auto', got "
            f"{order!r} (hint: 2 lets the next step depend on the touchpoint before)"
        )


def histories(events: pd.DataFrame, touchpoints: Iterable[str], order: int) -> pd.Series:
    """Each touchpoint visit's history of order ``order`` (a tuple, oldest first, ending
    with the visit's touchpoint), indexed like its row of ``events`` (sorted by customer
    and time; outcome rows are left out)."""
    at = events[events["node"].isin(set(touchpoints))]
    customer = at["customer_id"].to_numpy()
    node = at["node"].astype(str).to_numpy()
    out: list[tuple[str, ...]] = []
    window: list[str] = []
    for i in range(len(node)):
        if i == 0 or customer[i] != customer[i - 1]:
            window = [START]
        window.append(node[i])
        window = window[-order:]
        out.append(tuple(window))
    return pd.Series(out, index=at.index, dtype=object)


def _suffixes(history: tuple[str, ...]) -> Iterable[tuple[str, ...]]:
    return (history[-n:] for n in range(len(history), 1, -1))


def kept_states(hist: pd.Series, min_visits: int = MIN_VISITS) -> list[tuple[str, ...]]:
    """The states of the visits in ``hist`` (see the module): the histories of two or
    more touchpoints that at least ``min_visits`` visits end with, and a touchpoint alone
    where some visit has no kept history; longest first within each touchpoint."""
    counts: Counter[tuple[str, ...]] = Counter()
    for h in hist:
        counts.update(_suffixes(h))
    kept = {h for h, n in counts.items() if n >= min_visits}
    used = {_state_of(h, kept) for h in hist}
    return sorted(used, key=lambda h: (h[-1], -len(h), h))


def _state_of(history: tuple[str, ...], kept: set[tuple[str, ...]]) -> tuple[str, ...]:
    return next((s for s in _suffixes(history) if s in kept), history[-1:])


def assign(events: pd.DataFrame, states: Mapping[str, Sequence[str]], order: int) -> pd.Series:
    """The node of every row of ``events`` (sorted by customer and time, ``node`` the
    original touchpoints and outcomes) with each visit in its state: ``states`` maps a
    state's name to its history.  A visit whose history has no state of its own takes
    its touchpoint's state without memory, or, when the calibration kept none, its
    touchpoint's most general state (the shortest history)."""
    by_history = {tuple(h): name for name, h in states.items()}
    originals = {h[-1] for h in by_history}
    fallback: dict[str, str] = {}
    for h, name in sorted(by_history.items(), key=lambda kv: len(kv[0]), reverse=True):
        fallback[h[-1]] = name  # the shortest history wins
    hist = histories(events, originals, order)
    kept = set(by_history)
    node = events["node"].astype(object).copy()
    node.loc[hist.index] = [
        by_history.get(_state_of(h, kept), fallback[h[-1]]) for h in hist.to_numpy()
    ]
    return node


@dataclass(frozen=True)
class OrderChoice:
    """The orders tried by ``order="auto"`` (``table``: order, states, parameters, steps,
    log-likelihood, BIC) and the one chosen (lowest BIC)."""

    table: pd.DataFrame
    chosen: int

    def summary_line(self) -> str:
        pairs = zip(self.table["order"], self.table["bic"], strict=True)
        scores = ", ".join(f"{order}: {bic:,.1f}" for order, bic in pairs)
        return f"  memory: order {self.chosen} chosen by BIC of the movers' steps ({scores})"


def _score(events: pd.DataFrame, touchpoints: Sequence[str], order: int, min_visits: int) -> dict:
    """The movers' steps' log-likelihood and parameters at ``order``."""
    hist = histories(events, touchpoints, order)
    kept = set(kept_states(hist, min_visits))
    same = events["customer_id"].shift(-1).eq(events["customer_id"])
    nxt = events["node"].shift(-1).where(same)
    rows: dict[tuple[str, ...], Counter[str]] = {}
    for h, target in zip(hist.to_numpy(), nxt.loc[hist.index].to_numpy(), strict=True):
        if isinstance(target, str):
            rows.setdefault(_state_of(h, kept), Counter())[target] += 1
    loglik = sum(n * math.log(n / sum(c.values())) for c in rows.values() for n in c.values())
    params = sum(len(c) - 1 for c in rows.values())
    steps = sum(sum(c.values()) for c in rows.values())
    return {
        "order": order,
        "states": len(rows),
        "parameters": params,
        "steps": steps,
        "loglik": loglik,
        "bic": -2 * loglik + params * math.log(max(steps, 1)),
    }


def choose_order(
    events: pd.DataFrame, touchpoints: Sequence[str], min_visits: int = MIN_VISITS
) -> OrderChoice:
    """``order="auto"``: the order from 1 to :data:`MAX_ORDER` with the lowest BIC of the
    movers' steps (see the module); ties go to the lower order."""
    table = pd.DataFrame(
        [_score(events, touchpoints, k, min_visits) for k in range(1, MAX_ORDER + 1)]
    )
    best = int(np.argmin(table["bic"].to_numpy()))  # the first of equal scores
    return OrderChoice(table, int(table["order"].to_numpy()[best]))


def expanded_mapping(
    mapping: Any, hist: pd.Series, order: int, min_visits: int = MIN_VISITS
) -> dict[str, Any]:
    """The fields of ``mapping`` (a :class:`~.events.Mapping`) for the states kept from
    ``hist``: each state with its touchpoint's events, stage, purchase and never-silent
    flag, and ``memory`` (state -> history) and ``order``."""
    kept = kept_states(hist, min_visits)
    visited = {h[-1] for h in kept}
    kept += [(tp,) for tp in mapping.touchpoints if tp not in visited]
    names = state_names(kept, taken=mapping.outcomes)
    by_original: dict[str, list[tuple[str, ...]]] = {}
    for h in kept:
        by_original.setdefault(h[-1], []).append(h)
    ordered = [h for tp in mapping.touchpoints for h in by_original.get(tp, [])]
    return {
        "touchpoints": {names[h]: list(mapping.touchpoints[h[-1]]) for h in ordered},
        "purchases": [names[h] for h in ordered if h[-1] in mapping.purchases],
        "stages": {names[h]: mapping.stages[h[-1]] for h in ordered if h[-1] in mapping.stages},
        "never_silent": [names[h] for h in ordered if h[-1] in mapping.never_silent],
        "memory": {names[h]: list(h) for h in ordered},
        "order": order,
    }
