"""The fast removal effects (low-rank updates) and elasticities (adjoint sensitivities)
equal the former methods (``analytic_reference``: one refactorised chain per touchpoint,
one complex-step evaluation per edge) to 1e-10, on small random journeys with segments,
referrals and states of a journey with memory; the same check rejects a wrong model."""

import dataclasses

import numpy as np
import pytest

import cjsim
from cjsim.engines import _linalg, analytic
from cjsim.engines._arrays import to_arrays
from cjsim.model import Gamma
from cjsim.model.rows import set_edge
from cjsim.model.synthetic import random_journey
from tests.engines import analytic_reference as reference

TOLERANCE = 1e-10


def journey(seed: int) -> cjsim.Scenario:
    """A random journey; odd seeds have referrals, every third one segments, and seeds
    from 20 on group states as one touchpoint (a journey with memory)."""
    sc = random_journey(
        np.random.default_rng(seed),
        n_touchpoints=4 + seed % 7,
        density=0.5,
        referrals=seed % 2 == 1,
        segments=seed % 3 == 0,
    )
    if seed < 20:
        return sc
    tps = dict(sc.touchpoints)
    tps["tp2"] = dataclasses.replace(tps["tp2"], memory_of="tp1")
    tps["tp3"] = dataclasses.replace(tps["tp3"], memory_of="tp0")
    return sc.replace(touchpoints=tps)


def tables(sc: cjsim.Scenario, method) -> tuple:
    """(removal effects, elasticities) of ``sc`` by ``method`` (a module with both)."""
    a = to_arrays(sc)
    ev = analytic._run(sc, a, a.base)
    return method.removal_effects(sc, a, ev), method.elasticities(sc, a, ev)


def difference(new, old, columns) -> float:
    """Largest difference, relative to max(1, |old|); NaN must meet NaN."""
    worst = 0.0
    for column in columns:
        x, y = new[column].to_numpy(float), old[column].to_numpy(float)
        if not (np.isnan(x) == np.isnan(y)).all():
            return np.inf
        both = ~np.isnan(x)
        worst = max(worst, float((abs(x - y) / np.maximum(1, abs(y)))[both].max(initial=0)))
    return worst


REMOVAL = ("conversions_without", "removal_effect", "attribution_share")
ELASTICITY = ("probability", "derivative", "elasticity")


@pytest.mark.parametrize("seed", range(26))
def test_fast_sensitivities_equal_the_former_methods(seed):
    sc = journey(seed)
    removal, elastic = tables(sc, analytic)
    old_removal, old_elastic = tables(sc, reference)
    assert list(removal["touchpoint"]) == list(old_removal["touchpoint"])
    names = ["from", "to", "kpi"]
    assert (elastic[names].to_numpy() == old_elastic[names].to_numpy()).all()
    assert difference(removal, old_removal, REMOVAL) <= TOLERANCE
    assert difference(elastic, old_elastic, ELASTICITY) <= TOLERANCE


def test_fast_sensitivities_equal_the_former_methods_on_fashionfusion():
    sc = cjsim.load_scenario("scenarios/fashionfusion.toml")
    removal, elastic = tables(sc, analytic)
    old_removal, old_elastic = tables(sc, reference)
    assert difference(removal, old_removal, REMOVAL) <= TOLERANCE
    assert difference(elastic, old_elastic, ELASTICITY) <= TOLERANCE


@pytest.mark.parametrize("seed", [1, 3, 21])
def test_the_check_rejects_a_wrong_model(seed):
    """The reference solved on a journey with one edge moved by 1 % fails the check (not a
    self-loop: moving that one with the rest rescaled leaves conversions as they are)."""
    sc = journey(seed)
    source = "tp1"
    row = sc.transitions[source]
    names = list(row)
    edge = next(i for i, name in enumerate(names) if name != source)
    moved = set_edge(np.array([row[t] for t in names]), edge, row[names[edge]] * 0.99)
    wrong = sc.replace(transitions={**sc.transitions, source: dict(zip(names, moved, strict=True))})
    removal, elastic = tables(sc, analytic)
    old_removal, old_elastic = tables(wrong, reference)
    assert difference(removal, old_removal, REMOVAL) > TOLERANCE
    assert difference(elastic, old_elastic, ("derivative",)) > TOLERANCE


def purchases_everywhere(sc: cjsim.Scenario, purchase: bool) -> cjsim.Scenario:
    """``sc`` with every touchpoint a purchase, or none."""
    value = Gamma(50.0, 0.5) if purchase else None
    tps = {
        name: dataclasses.replace(tp, purchase=purchase, order_value=value, refund_share=0.0)
        for name, tp in sc.touchpoints.items()
    }
    return sc.replace(touchpoints=tps)


@pytest.mark.parametrize("purchase", [False, True])
def test_fast_sensitivities_without_a_non_purchase_or_a_purchase_state(purchase):
    """No purchases: every removal effect NaN; all purchases: an empty non-purchase chain."""
    sc = purchases_everywhere(journey(2), purchase)
    removal, elastic = tables(sc, analytic)
    old_removal, old_elastic = tables(sc, reference)
    assert difference(removal, old_removal, REMOVAL) <= TOLERANCE
    assert difference(elastic, old_elastic, ELASTICITY) <= TOLERANCE


@pytest.mark.parametrize("dense_fill", [0.0, 1.0])
@pytest.mark.parametrize("seed", [0, 1, 21])
def test_fast_sensitivities_on_sparse_factors(monkeypatch, seed, dense_fill):
    """Small chains forced through the sparse path (SuperLU), with the related chains
    factorised dense (``DENSE_FILL = 0``) or sparse (``1``)."""
    monkeypatch.setattr(_linalg, "SPARSE_FROM", 3)
    monkeypatch.setattr(_linalg, "DENSE_FILL", dense_fill)
    sc = journey(seed)
    removal, elastic = tables(sc, analytic)
    old_removal, old_elastic = tables(sc, reference)
    assert difference(removal, old_removal, REMOVAL) <= TOLERANCE
    assert difference(elastic, old_elastic, ELASTICITY) <= TOLERANCE
