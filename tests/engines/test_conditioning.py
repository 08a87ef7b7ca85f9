"""Absorption is decided by the solve's own condition number (issue 14): the same answer
for dense and sparse chains, a warning naming the node customers stay at when the answer
is doubtful, and a refusal naming the looping nodes when it has no correct digit."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import cjsim
from cjsim.engines._linalg import SPARSE_FROM, ConditioningWarning, Solver
from cjsim.errors import ModelError
from cjsim.model import Exponential, JourneyBuilder


def chain(n: int, loop: float, at: int = 2) -> tuple[np.ndarray, tuple[str, ...]]:
    """``n`` nodes in a row, each passing 0.9 on; node ``at`` loops with ``loop`` and
    leaves the rest of its row."""
    q = np.zeros((n, n))
    q[np.arange(n - 1), np.arange(1, n)] = 0.9
    q[at] = 0.0
    q[at, at] = loop
    return q, tuple(f"n{i}" for i in range(n))


def solved(q: np.ndarray, labels: tuple[str, ...]) -> tuple[Solver, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        solver = Solver(q, labels, doubt=True)
    return solver, [str(w.message) for w in caught if w.category is ConditioningWarning]


@pytest.mark.parametrize("n", [5, SPARSE_FROM - 1, SPARSE_FROM + 1])
def test_a_loop_of_one_minus_1e12_is_answered_with_a_warning_naming_it(n):
    q, labels = chain(n, 1 - 1e-12)
    solver, said = solved(q, labels)
    assert len(said) == 1 and "check the loop at n2" in said[0]
    entry = np.zeros(n)
    entry[0] = 1.0
    visits = solver.left(entry)
    exact = 0.81 / (1 - q[2, 2])  # reach 0.9 * 0.9, then a geometric number of visits
    assert re.search(r"condition number about 1e\+1[23]\)", said[0])
    # the error bound of a backward-stable solve: condition number times eps, with the
    # condition number computed here from its definition, ||A||_1 ||A^-1||_1
    a = np.eye(n) - q
    condition = np.abs(a).sum(axis=0).max() * np.abs(np.linalg.inv(a)).sum(axis=0).max()
    assert visits[2] == pytest.approx(exact, rel=condition * np.finfo(float).eps)


@pytest.mark.parametrize("n", [5, SPARSE_FROM + 1])
@pytest.mark.parametrize("loop", [1.0, 1 - 1e-17])
def test_a_loop_that_rounds_to_one_is_refused_naming_it(n, loop):
    q, labels = chain(n, loop)
    with pytest.raises(ModelError, match="forever among n2 —"):
        Solver(q, labels)


def test_a_closed_pair_is_refused_naming_both():
    q, labels = chain(6, 0.0)
    q[2, 2], q[2, 3], q[3] = 0.0, 1.0, 0.0
    q[3, 2] = 1.0
    with pytest.raises(ModelError, match=r"forever among n[23], n[23] —"):
        Solver(q, labels)


def test_a_well_conditioned_chain_gives_no_warning():
    q, labels = chain(50, 0.5)
    assert solved(q, labels)[1] == []


def test_the_warning_reaches_the_analytic_engine_and_names_the_touchpoint():
    sc = (
        JourneyBuilder("Loop", stages=["s"], horizon_days=30)
        .touchpoint("ad", "s", dwell=Exponential(1.0))
        .touchpoint("forum", "s", dwell=Exponential(1.0))
        .outcome("lost")
        .edges("ad", forum=0.5, rest="lost")
        .edges("forum", forum=1 - 1e-12, rest="lost")
        .cohort(100)
        .entry(ad=1.0)
        .build()
    )
    with pytest.warns(ConditioningWarning, match="check the loop at forum"):
        result = cjsim.simulate(sc, engine="analytic")
    assert result.per_node("visits")["forum"] == pytest.approx(0.5e12, rel=1e-3)
