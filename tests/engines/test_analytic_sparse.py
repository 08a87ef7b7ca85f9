"""The analytic engine's sparse path (the transition matrix held as CSR, SuperLU factors)
equals its dense path (a dense matrix, LAPACK factors) to 1e-10 on random journeys around
the switch size :data:`~cjsim.engines._linalg.SPARSE_FROM`, for every KPI (also with
touchpoints removed), removal effect, elasticity and edge flow; the same check rejects a
journey with one edge moved."""

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.engines import _linalg, analytic, flows
from cjsim.engines._arrays import to_arrays
from cjsim.engines._matrix import is_sparse
from cjsim.model.rows import set_edge
from cjsim.model.synthetic import random_journey

TOLERANCE = 1e-10
SIZES = (_linalg.SPARSE_FROM - 1, _linalg.SPARSE_FROM, _linalg.SPARSE_FROM + 1)


def journey(n: int, seed: int) -> cjsim.Scenario:
    """A random journey of ``n`` touchpoints, about six edges each, with refunds; odd
    seeds have referrals, even ones segments."""
    return random_journey(
        np.random.default_rng(seed),
        n_touchpoints=n,
        density=6.0 / n,
        referrals=seed % 2 == 1,
        segments=seed % 2 == 0,
    )


def everything(sc: cjsim.Scenario, sparse: bool | None) -> dict[str, pd.DataFrame]:
    """KPIs, removal effects, elasticities and edge flows of ``sc``, with the transition
    matrix sparse, dense, or as the engine chooses (None)."""
    a = to_arrays(sc, sparse=sparse)
    assert sparse is None or is_sparse(a.base) == sparse
    removed = np.isin(np.arange(a.n), [1, 2, a.n - 1])  # tp1, tp2 and the referrer lose inflow
    with _linalg.one_blas_thread():
        ev = analytic._run(sc, a, a.base)
        kpis = analytic._kpi_rows(sc, a, ev)
        without = analytic._kpi_rows(sc, a, analytic._run(sc, a, a.base, removed=removed))
        return {
            "kpis": pd.DataFrame({"value": list(kpis.values())}, index=list(kpis)),
            "without": pd.DataFrame({"value": list(without.values())}, index=list(without)),
            "removal": analytic.removal_effects(sc, a, ev),
            "elasticities": analytic.elasticities(sc, a, ev),
            "flows": flows.edge_flows(sc),
        }


def difference(new: dict[str, pd.DataFrame], old: dict[str, pd.DataFrame]) -> float:
    """Largest difference of any number, relative to max(1, |old|); NaN must meet NaN,
    and the tables must have the same rows in the same order."""
    worst = 0.0
    for name, table in old.items():
        other = new[name]
        assert list(other.index) == list(table.index) and list(other) == list(table)
        for column in table:
            y = table[column].to_numpy()
            x = other[column].to_numpy()
            if y.dtype == object:
                assert (x == y).all(), (name, column)
                continue
            x, y = x.astype(float), y.astype(float)
            if not (np.isnan(x) == np.isnan(y)).all():
                return np.inf
            both = ~np.isnan(y)
            worst = max(worst, float((abs(x - y) / np.maximum(1, abs(y)))[both].max(initial=0)))
    return worst


def dense_path(monkeypatch: pytest.MonkeyPatch, sc: cjsim.Scenario) -> dict[str, pd.DataFrame]:
    """Everything by dense matrices and dense LAPACK factors at any size."""
    with monkeypatch.context() as patch:
        patch.setattr(_linalg, "SPARSE_FROM", 10**9)
        patch.setattr(flows, "to_arrays", lambda s: to_arrays(s, sparse=False))
        return everything(sc, sparse=False)


@pytest.mark.parametrize("dense_fill", [0.0, 1.0])
@pytest.mark.parametrize(("n", "seed"), [(n, seed) for seed in (0, 1) for n in SIZES])
def test_the_sparse_path_equals_the_dense_path(monkeypatch, n, seed, dense_fill):
    """Sparse everywhere (every chain factorised by SuperLU, or its related chains dense
    where ``DENSE_FILL = 0``) and the engine's own choice at this size, against dense."""
    sc = journey(n, seed)
    reference = dense_path(monkeypatch, sc)
    assert difference(everything(sc, sparse=None), reference) <= TOLERANCE
    monkeypatch.setattr(_linalg, "SPARSE_FROM", 3)
    monkeypatch.setattr(_linalg, "DENSE_FILL", dense_fill)
    monkeypatch.setattr(flows, "to_arrays", lambda s: to_arrays(s, sparse=True))
    assert difference(everything(sc, sparse=True), reference) <= TOLERANCE


def test_large_chains_stay_sparse():
    sc = journey(_linalg.SPARSE_FROM, 0)
    assert is_sparse(to_arrays(sc).base)
    assert not is_sparse(to_arrays(journey(_linalg.SPARSE_FROM - 1, 0)).base)


@pytest.mark.parametrize("seed", [0, 1])
def test_the_check_rejects_a_wrong_model(monkeypatch, seed):
    """The dense path on the journey with one edge of ``tp1`` moved by 1 % (not a
    self-loop: that one moved with the rest rescaled can leave conversions as they are)
    fails the check against the sparse path on the right journey."""
    sc = journey(_linalg.SPARSE_FROM, seed)
    row = sc.transitions["tp1"]
    names = list(row)
    edge = next(i for i, name in enumerate(names) if name != "tp1")
    moved = set_edge(np.array([row[t] for t in names]), edge, row[names[edge]] * 0.99)
    wrong = sc.replace(transitions={**sc.transitions, "tp1": dict(zip(names, moved, strict=True))})
    assert difference(everything(sc, sparse=True), dense_path(monkeypatch, wrong)) > TOLERANCE
