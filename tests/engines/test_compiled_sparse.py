"""The simulation engines' compiled rows read from a sparse (CSR) transition matrix equal,
number for number, those read from a dense one, on random journeys around the switch size
:data:`~cjsim.engines._linalg.SPARSE_FROM`, segments and an experience effect included; the
same check rejects a journey with one edge moved."""

import dataclasses

import numpy as np
import pytest

import cjsim
from cjsim.engines import _compiled, _linalg
from cjsim.model import Exponential
from cjsim.model.journey import ExperienceEffect
from cjsim.model.rows import set_edge
from cjsim.model.synthetic import random_journey


def journey(n: int, seed: int) -> cjsim.Scenario:
    """A random journey of ``n`` touchpoints with segments, and an experience effect at
    ``tp1`` on its first out-edge."""
    sc = random_journey(
        np.random.default_rng(seed), n_touchpoints=n, density=6.0 / n, segments=True
    )
    tps = dict(sc.touchpoints)
    first = next(iter(sc.transitions["tp1"]))
    effect = ExperienceEffect(waited_over_days=2.0, scale={first: 0.5})
    tps["tp1"] = dataclasses.replace(
        tps["tp1"], capacity=1, service=Exponential(1.0), experience=(effect,)
    )
    return sc.replace(touchpoints=tps)


def rows(sc: cjsim.Scenario) -> tuple:
    """The compiled targets, cumulative probabilities and experience rows."""
    c = _compiled.compile_scenario(sc)
    return c.targets, c.cum, c.experience


def dense_rows(monkeypatch: pytest.MonkeyPatch, sc: cjsim.Scenario) -> tuple:
    with monkeypatch.context() as patch:
        patch.setattr(_compiled, "SPARSE_FROM", 10**9)
        return rows(sc)


@pytest.mark.parametrize("n", [_linalg.SPARSE_FROM - 1, _linalg.SPARSE_FROM + 1])
def test_sparse_rows_equal_dense_rows(monkeypatch, n):
    sc = journey(n, 7)
    reference = dense_rows(monkeypatch, sc)
    monkeypatch.setattr(_compiled, "SPARSE_FROM", 3)
    assert rows(sc) == reference


def test_the_check_rejects_a_wrong_model(monkeypatch):
    """One edge of ``tp2`` moved by 1 %: the dense rows no longer equal the sparse ones."""
    sc = journey(_linalg.SPARSE_FROM + 1, 7)
    row = sc.transitions["tp2"]
    names = list(row)
    moved = set_edge(np.array([row[t] for t in names]), 0, row[names[0]] * 0.99)
    wrong = sc.replace(transitions={**sc.transitions, "tp2": dict(zip(names, moved, strict=True))})
    assert rows(sc) != dense_rows(monkeypatch, wrong)
