"""Per-customer warm start (population.warm_start) in the simulation engines.

References: the binomial law of the placements (sum of row probabilities), the
conditional mean residual dwell E[D - e | D > e] = int_e^inf S(t) dt / S(e) by numerical
integration (scipy.integrate.quad) or in closed form, the memorylessness of the
exponential, the order-value mean (refunds of orders bought before day 0), and the other
simulation engine. Tolerances are 4 standard errors computed from the replications or
the binomial variance, with fixed seeds; each check is paired with a wrong answer it
rejects.
"""

import dataclasses

import numpy as np
import pytest
from scipy import integrate

import cjsim
from cjsim.engines._compiled import compile_scenario
from cjsim.engines._warm import place
from cjsim.model import Exponential, Gamma, JourneyBuilder, WarmStart

Z = 4.0
N = 2000
ENGINES = ["des", "vectorized"]


def shop(rate_per_day: float = 0.0, horizon: float = 2000.0) -> cjsim.Scenario:
    """A small shop; ``linger`` and ``idle`` lead straight out, for residual-time checks."""
    return (
        JourneyBuilder("warm", stages=["aware", "buy", "after"], horizon_days=horizon)
        .touchpoint("ad", "aware", dwell=Exponential(3.0), cost_per_visit=0.2)
        .touchpoint("site", "aware", dwell=Gamma(4.0, 0.7), cost_per_visit=0.5)
        .touchpoint(
            "checkout", "buy", purchase=True, order_value=Gamma(80.0, 0.5), dwell=Gamma(1.0, 0.5)
        )
        .touchpoint("returns", "after", refund_share=1.0, dwell=Exponential(2.0))
        .touchpoint("linger", "after", dwell=Gamma(4.0, 0.7))
        .touchpoint("idle", "after", dwell=Exponential(5.0))
        .outcome("done")
        .edges("ad", site=0.5, rest="done")
        .edges("site", site=0.1, checkout=0.4, rest="done")
        .edges("checkout", returns=0.3, linger=0.2, rest="done")
        .edges("returns", rest="done")
        .edges("linger", rest="done")
        .edges("idle", rest="done")
        .poisson(rate_per_day)
        .entry(ad=0.6, site=0.4)
        .segment("fast", 0.3, 1.2, None, {"linger": 0.5, "site": 0.5})
        .segment("slow", 0.7)
        .economics(gross_margin=0.5, discount_rate=0.2)
        .build()
    )


def warm(sc: cjsim.Scenario, ws: WarmStart) -> cjsim.Scenario:
    return sc.replace(population=dataclasses.replace(sc.population, warm_start=ws))


def everyone_at(node: str, elapsed: float, segment: str = "", n: int = N) -> WarmStart:
    return WarmStart([f"c{i}" for i in range(n)], [node] * n, [elapsed] * n, [segment] * n)


def replications(sc, engine, reps=6, seed=1):
    res = cjsim.simulate(sc, engine=engine, replications=reps, seed=seed)
    return res.tables["replications"].set_index("replication")


def mean_se(values):
    values = np.asarray(values, dtype=float)
    return values.mean(), values.std(ddof=1) / np.sqrt(len(values))


def mean_residual(dist, elapsed, factor=1.0):
    """E[D - e | D > e] for D = factor * X: factor * int_x^inf S(t) dt / S(x), x = e / factor."""
    x = elapsed / factor
    sd = dist.scipy()
    return factor * integrate.quad(sd.sf, x, np.inf)[0] / sd.sf(x)


# ------------------------------------------------------------------ (a) placements
def test_placed_customers_follow_the_row_probabilities():
    """Customers with two alternatives (0.3 at ad, 0.5 at site) and customers with one row
    (0.6 at linger): the placements per replication are sums of independent Bernoullis."""
    k = 1000
    ids = [f"two{i}" for i in range(k) for _ in range(2)] + [f"one{i}" for i in range(k)]
    nodes = ["ad", "site"] * k + ["linger"] * k
    probs = [0.3, 0.5] * k + [0.6] * k
    ws = WarmStart(ids, nodes, [1.0] * len(ids), None, probs)
    sc = warm(shop(), ws)
    comp = compile_scenario(sc)
    reps = 20
    counts = {"ad": [], "site": [], "linger": []}
    for rep in range(reps):
        placed = place(sc, comp, seed=7, replication=rep)
        assert len(set(placed.warm_id.tolist())) == len(placed.warm_id), "one row per customer"
        for node, name in ((0, "ad"), (1, "site"), (4, "linger")):
            counts[name].append(int((placed.node == node).sum()))
    for name, p in (("ad", 0.3), ("site", 0.5), ("linger", 0.6)):
        se = np.sqrt(k * p * (1 - p) / reps)
        assert abs(np.mean(counts[name]) - k * p) < Z * se, name
    total = np.sum([counts[n] for n in counts], axis=0)
    se = np.sqrt((k * 0.8 * 0.2 + k * 0.6 * 0.4) / reps)
    assert abs(total.mean() - ws.expected_customers) < Z * se
    assert abs(total.mean() - len(ws)) > Z * se, "the wrong answer: everybody placed"


@pytest.mark.parametrize("engine", ENGINES)
def test_engines_count_placed_customers(engine):
    ws = WarmStart([f"c{i}" for i in range(N)], ["linger"] * N, [1.0] * N, None, [0.7] * N)
    table = replications(warm(shop(), ws), engine)
    assert (table["initial_customers"] == table["customers"]).all(), "no other arrivals"
    se = np.sqrt(N * 0.7 * 0.3 / len(table))
    assert abs(table["initial_customers"].mean() - 0.7 * N) < Z * se
    assert abs(table["initial_customers"].mean() - N) > Z * se


# ------------------------------------------------------------------ (b) remaining dwell
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("node", "segment", "elapsed"), [("linger", "slow", 6.0), ("linger", "fast", 1.5)]
)
def test_remaining_gamma_dwell_is_the_conditional_residual(engine, node, segment, elapsed):
    """Warm customers at ``linger`` (gamma dwell, then out) leave after the residual dwell;
    for the fast segment the dwell is 0.5 X (its dwell multiplier)."""
    sc = shop()
    factor = 0.5 if segment == "fast" else 1.0
    table = replications(warm(sc, everyone_at(node, elapsed, segment)), engine)
    assert table["in_flight_share"].max() == 0
    mean, se = mean_se(table["time_to_absorption"])
    dwell = sc.touchpoints[node].dwell
    assert abs(mean - mean_residual(dwell, elapsed, factor)) < Z * se
    assert abs(mean - factor * dwell.mean) > Z * se, "the wrong answer: a fresh dwell"


@pytest.mark.parametrize("engine", ENGINES)
def test_remaining_exponential_dwell_is_memoryless(engine):
    sc = shop()
    table = replications(warm(sc, everyone_at("idle", 12.0)), engine)
    mean, se = mean_se(table["time_to_absorption"])
    assert abs(mean - 5.0) < Z * se
    assert abs(mean - max(5.0 - 12.0, 0.0)) > Z * se, "the wrong answer: mean minus elapsed"


def test_remaining_dwell_far_in_the_tail():
    """Gamma with shape 2, far beyond where the survival function underflows (x / theta =
    2500): closed form E[X - x | X > x] = theta (x/theta + 2) / (x/theta + 1)."""
    theta = 3.0
    dist = Gamma.from_shape_scale(2.0, theta)
    assert dist.scipy().sf(2500 * theta) == 0.0
    u = 1.0 - np.random.default_rng(3).random(100_000)
    draws = dist.remaining(np.full(len(u), 2500 * theta), u)
    mean, se = mean_se(draws)
    assert abs(mean - theta * 2502 / 2501) < Z * se
    assert abs(mean - dist.mean) > Z * se


def test_remaining_dwell_of_fixed_and_empirical_dwell():
    u = np.array([1e-9, 0.5, 1.0])
    fixed = cjsim.model.Fixed(5.0)
    assert fixed.remaining(np.array([2.0, 4.0, 9.0]), u, factor=1.0).tolist() == [3.0, 1.0, 0.0]
    emp = cjsim.model.Empirical((1.0, 2.0, 5.0), (0.2, 0.3, 0.5))
    left = emp.remaining(np.full(3, 1.5), u, factor=2.0)  # D = 2X > 1.5 leaves X in {1, 2, 5}
    assert left.tolist() == [8.5, 2.5, 0.5]  # u -> 0: the largest value; u = 1: the smallest
    assert emp.remaining(np.full(3, 20.0), u, factor=1.0).tolist() == [0.0, 0.0, 0.0]


# ------------------------------------------------------------------ (c) purchases
@pytest.mark.parametrize("engine", ENGINES)
def test_a_warm_customer_at_checkout_books_no_purchase_but_can_be_refunded(engine):
    """Warm customers at checkout (their order placed before day 0) all go on to the
    returns desk, which refunds the whole last order: revenue is minus the order values."""
    sc = shop()
    row = {"returns": 1.0}
    sc = sc.replace(transitions={**sc.transitions, "checkout": row})
    res = cjsim.simulate(
        warm(sc, everyone_at("checkout", 0.5, "slow")), engine=engine, replications=6, seed=2
    )
    table = res.tables["replications"]
    assert (table["purchases_per_customer"] == 0).all()
    assert res.timeseries["purchases"].sum() == 0
    assert res.timeseries["revenue"].iloc[0] <= 0, "no revenue booked at day 0"
    mean, se = mean_se(table["revenue"])
    assert abs(mean - (-N * 80.0)) < Z * se
    assert abs(mean - 0.0) > Z * se, "the wrong answer: the order booked again, then refunded"


# ------------------------------------------------------------------ (d) engines agree
def mixed_warm_start() -> WarmStart:
    rng = np.random.default_rng(11)
    n = 1500
    nodes = rng.choice(["ad", "site", "checkout", "returns", "linger", "idle"], n)
    segments = rng.choice(["", "fast", "slow"], n)
    ids = [f"c{i // 2}" for i in range(n)]  # pairs of alternatives
    probs = np.where(np.arange(n) % 2 == 0, 0.45, 0.35)
    return WarmStart(ids, nodes, rng.exponential(3.0, n), segments, probs)


AGREE_KPIS = [
    "customers",
    "initial_customers",
    "conversion_rate",
    "revenue",
    "cost",
    "clv",
    "in_flight_share",
    "time_to_absorption",
    "visits[site]",
    "stage_reach[after]",
]


def fresh_visit_model(sc: cjsim.Scenario) -> cjsim.Scenario:
    """The wrong model: the same expected customers per touchpoint, but starting a fresh
    visit at day 0 (``population.initial``) instead of being mid-visit."""
    ws = sc.population.warm_start
    counts: dict[str, float] = {}
    for node, p in zip(ws.touchpoint.tolist(), ws.probability.tolist(), strict=True):
        counts[node] = counts.get(node, 0.0) + p
    initial = {k: round(v) for k, v in counts.items()}
    return sc.replace(
        population=dataclasses.replace(sc.population, initial=initial, warm_start=None)
    )


def test_des_and_vectorized_agree_with_a_warm_start():
    """Difference of two independent means within 4 combined standard errors; the same
    check rejects warm customers who start a fresh visit instead."""
    sc = warm(shop(rate_per_day=15.0, horizon=60.0), mixed_warm_start())
    a, b = replications(sc, "des", 10, seed=5), replications(sc, "vectorized", 10, seed=6)

    def z(x, y, kpi):
        se = np.hypot(*(t[kpi].std(ddof=1) / np.sqrt(len(t)) for t in (x, y)))
        return abs(x[kpi].mean() - y[kpi].mean()) / max(se, 1e-12)

    assert max(z(a, b, k) for k in AGREE_KPIS) < Z, {k: round(z(a, b, k), 2) for k in AGREE_KPIS}
    wrong = replications(fresh_visit_model(sc), "vectorized", 10, seed=6)
    assert min(z(a, wrong, k) for k in ("conversion_rate", "revenue", "cost")) > Z


@pytest.mark.parametrize("engine", ENGINES)
def test_timeseries_counts_warm_customers_in_their_stage(engine):
    sc = warm(shop(rate_per_day=5.0, horizon=30.0), mixed_warm_start())
    res = cjsim.simulate(sc, engine=engine, replications=2, seed=4)
    ts = res.timeseries
    assert (ts[[f"in_{s}" for s in sc.stages]] >= 0).all().all()
    assert ts["in_after"].iloc[0] > 100, "warm customers at returns, linger, idle at day 0"
    assert ts["arrivals"].sum() == pytest.approx(res["customers"])


# ------------------------------------------------------------------ event log
@pytest.mark.parametrize("engine", ENGINES)
def test_event_log_names_warm_start_customers(engine):
    ws = mixed_warm_start()
    sc = warm(shop(rate_per_day=5.0, horizon=60.0), ws)
    res = cjsim.simulate(sc, engine=engine, replications=2, seed=3, events=True)
    log = res.events
    assert list(log.columns)[-1] == "warm_id"
    warm_rows = log[log["warm_id"].notna()]
    assert set(warm_rows["warm_id"]) <= set(ws.customer.tolist())
    per_rep = warm_rows.groupby(["replication", "warm_id"])["customer"].nunique()
    assert (per_rep == 1).all(), "one simulated customer per warm-start id"
    assert (warm_rows["time"] > 0).all(), "the visit under way at day 0 has no event row"
    for _, one in log.groupby("replication"):
        is_warm = one["warm_id"].notna()
        assert not set(one.loc[~is_warm, "customer"]) & set(one.loc[is_warm, "customer"])
    placed = warm_rows.groupby("replication")["warm_id"].nunique()
    assert (placed <= res.tables["replications"]["initial_customers"].to_numpy()).all()


def test_a_scenario_without_warm_start_keeps_its_event_columns():
    res = cjsim.simulate(shop(5.0, 20.0), engine="des", replications=1, seed=1, events=True)
    assert "warm_id" not in res.events.columns


def test_the_same_seed_places_the_same_customers_in_both_engines():
    sc = warm(shop(rate_per_day=5.0, horizon=60.0), mixed_warm_start())
    a = cjsim.simulate(sc, engine="des", replications=3, seed=8)
    b = cjsim.simulate(sc, engine="vectorized", replications=3, seed=8)
    pd_a = a.tables["replications"]["initial_customers"].tolist()
    assert pd_a == b.tables["replications"]["initial_customers"].tolist()


def test_analytic_engine_notes_that_it_ignores_the_warm_start():
    res = cjsim.solve_analytic(warm(shop(), mixed_warm_start()))
    assert any("population.warm_start" in n for n in res.notes)


@pytest.mark.parametrize("engine", ENGINES)
def test_an_empty_warm_start_places_nobody(engine, tmp_path):
    empty = WarmStart([], [], [])
    sc = warm(shop(rate_per_day=5.0, horizon=20.0), empty)
    cjsim.save_scenario(sc, tmp_path / "empty.toml")
    assert cjsim.load_scenario(tmp_path / "empty.toml") == sc
    res = cjsim.simulate(sc, engine=engine, replications=2, seed=1)
    assert res["initial_customers"] == 0
