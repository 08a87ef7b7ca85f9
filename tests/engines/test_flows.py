"""Expected edge flows: the flows out of a touchpoint are its expected visits and the flows
into an outcome its absorption probability, segments and referrals included."""

import numpy as np
import pytest

import cjsim
from cjsim.engines.flows import edge_flows
from cjsim.model.synthetic import random_journey


@pytest.mark.parametrize("seed, options", [(1, {"referrals": True}), (2, {"segments": True})])
def test_flows_add_up_to_the_analytic_kpis(seed, options):
    sc = random_journey(np.random.default_rng(seed), **options)
    exact = cjsim.solve_analytic(sc, removal=False, elasticity=False)
    flows = edge_flows(sc)
    out = flows.groupby("source")["flow"].sum()
    for name, visits in exact.per_node("visits").items():
        assert out.get(name, 0.0) == pytest.approx(visits, rel=1e-9, abs=1e-12), name
    into = flows.groupby("target")["flow"].sum()
    for name, share in exact.per_node("absorption").items():
        assert into.get(name, 0.0) == pytest.approx(share, rel=1e-9, abs=1e-12), name
