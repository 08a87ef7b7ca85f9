"""Every template runs in the three engines, and the engines agree on it.

Reference: the exact analytic engine. Each template's population becomes a cohort of a few
thousand followed until everyone (referred friends included) has left, so the analytic
engine's infinite horizon and the simulations count the same journeys. The simulations are
the vectorized engine (``ignore_capacity`` where a template has a desk: queues dropped,
which is the model the analytic engine solves) and the des engine with as many servers at
each desk as customers (nobody waits, so nobody reneges and no experience effect applies).
The tolerance is 4 standard errors of the mean over 12 replications (fixed seeds), and each
check is paired with a deliberately wrong model, one edge moved by 20 %, that the same
check rejects.
"""

import math

import pytest

import cjsim
from cjsim.templates import load_template, template_names
from tests.engines.reference import z_scores
from tests.templates.conftest import COHORT, as_cohort, desks, moved, unbounded_desks

REPLICATIONS = 12
SEED = 11
KPIS = ["conversion_rate", "purchases_per_customer", "revenue_per_customer"]
WRONG_EDGE = {
    "five_stages": ("website", "checkout"),
    "lifecycle": ("account_created", "intro_box"),
    "mckinsey_loop": ("online_research", "purchase"),
    "race": ("product_page", "checkout"),
}
"""The edge each wrong model moves by 20 %: the template's main step into a purchase."""


def exact(sc: cjsim.Scenario) -> cjsim.Result:
    return cjsim.solve_analytic(sc, removal=False, elasticity=False)


def replications(sc: cjsim.Scenario, engine: str):
    """Per-replication KPIs of the cohort form of ``sc`` (desks as the module says)."""
    queues = bool(desks(sc))
    if engine == "des":
        sc = unbounded_desks(sc, COHORT)
    options = cjsim.RunOptions(
        engine=engine,
        replications=REPLICATIONS,
        seed=SEED,
        ignore_capacity=queues and engine == "vectorized",
    )
    table = cjsim.simulate(sc, options=options).tables["replications"]
    assert table["in_flight_share"].max() == 0, "the horizon must let everyone leave"
    return table


@pytest.fixture(scope="module", params=template_names())
def cohort(request):
    return request.param, as_cohort(load_template(request.param))


@pytest.fixture(scope="module", params=["vectorized", "des"])
def simulated(request, cohort):
    name, sc = cohort
    return name, sc, replications(sc, request.param)


def test_the_names_cover_the_frameworks():
    assert set(WRONG_EDGE) == set(template_names())


def test_simulated_kpis_agree_with_the_analytic_engine(simulated):
    name, sc, table = simulated
    absorbed = [f"absorption[{o}]" for o in sc.outcomes]
    z = z_scores(table, exact(sc), KPIS + absorbed)
    assert max(z.values()) < 4, (name, {k: round(v, 2) for k, v in z.items() if v >= 4})


def test_the_same_check_rejects_a_model_with_one_edge_moved(simulated):
    name, sc, table = simulated
    wrong = moved(sc, *WRONG_EDGE[name], factor=1.2)
    assert z_scores(table, exact(wrong), ["conversion_rate"])["conversion_rate"] > 4


@pytest.mark.parametrize("name", template_names())
@pytest.mark.parametrize("engine", ["analytic", "vectorized", "des"])
def test_each_template_runs_as_written_in_every_engine(name, engine):
    """The file itself (Poisson arrivals, real desks) over a short horizon."""
    sc = load_template(name)
    options = cjsim.RunOptions(
        engine=engine,
        replications=1 if engine == "analytic" else 2,
        seed=SEED,
        horizon_days=None if engine == "analytic" else 20.0,
        ignore_capacity=engine == "vectorized" and bool(desks(sc)),
    )
    result = cjsim.simulate(sc, options=options)
    assert 0 < result["conversion_rate"] < 1
    assert math.isfinite(result["profit"])


@pytest.mark.parametrize("name", [n for n in template_names() if desks(load_template(n))])
def test_a_desk_makes_customers_wait_in_the_des_engine(name):
    """With the template's own capacity the queue is real: some customers wait."""
    sc = load_template(name)
    options = cjsim.RunOptions(engine="des", replications=2, seed=SEED, horizon_days=120.0)
    result = cjsim.simulate(sc, options=options)
    assert all(result[f"wait_mean[{desk}]"] > 0 for desk in desks(sc))


def test_at_least_one_template_has_a_desk():
    assert [n for n in template_names() if desks(load_template(n))]
