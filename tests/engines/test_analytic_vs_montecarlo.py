"""The analytic engine against an independent Monte Carlo walker.

Reference: a plain simulation of the scenario format's semantics written here, with no
cjsim engine code.  Customers advance in lockstep, one touchpoint visit per step: pay
``cost_per_visit``, buy (order value times the segment multiplier, which becomes the
customer's last order), refund ``refund_share`` of the last order, spawn Poisson referrals,
spend dwell (+ service where there is capacity; queues are ignored, as in the analytic
engine), then move along the segment's row (multiplied edges, the rest rescaled).

Per-customer analytic KPIs average over *all* customers, referred ones included, so the
simulation is summarised per referral tree (one primary arrival and everyone it brings in,
recursively; trees are iid): the mean tree total of a per-customer quantity must equal the
analytic KPI times ``population_multiplier``.  Every check allows 4 standard errors computed
from the sample (delta method for ratio KPIs), with fixed seeds, and each scenario test is
paired with a deliberately wrong model that the same check must reject.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import cjsim
from cjsim.model import Exponential, Gamma, Uniform
from cjsim.model.synthetic import random_journey
from tests.shops import calm_fashion

Z = 4.0  # allowed standard errors


def _segment_rows(sc) -> np.ndarray:
    """Transition matrices (segment, touchpoint, node) with edge multipliers applied."""
    nodes, tps = list(sc.nodes), list(sc.touchpoints)
    base = np.zeros((len(tps), len(nodes)))
    for i, src in enumerate(tps):
        for dst, p in sc.transitions[src].items():
            base[i, nodes.index(dst)] = p
    mats = []
    for seg in sc.population.effective_segments:
        m = base.copy()
        for i, src in enumerate(tps):
            hit = np.zeros(len(nodes), dtype=bool)
            for (s, d), factor in seg.edge_multipliers.items():
                if s == src:
                    hit[nodes.index(d)] = True
                    m[i, nodes.index(d)] *= factor
            if hit.any() and base[i, ~hit].sum() > 0:
                m[i, ~hit] *= (1 - m[i, hit].sum()) / base[i, ~hit].sum()
        mats.append(m)
    return np.array(mats)


def _visit(sc, k, idx, seg, st, rng) -> None:
    """Book one visit to touchpoint ``k`` for customers ``idx`` and move them on."""
    tp = sc.touchpoints[list(sc.touchpoints)[k]]
    t0 = st["time"][idx]
    st["visits"][idx, k] += 1
    st["cost"][idx] += tp.cost_per_visit
    income = np.zeros(idx.size)
    if tp.purchase:
        value = tp.order_value.sample(rng, idx.size) * st["ov_mult"][seg[idx]]
        first = st["purchases"][idx] == 0
        st["first_purchase"][idx[first]] = t0[first]
        st["purchases"][idx] += 1
        st["last_order"][idx] = value
        income += value
    if tp.refund_share > 0:
        income -= tp.refund_share * st["last_order"][idx]
    st["revenue"][idx] += income
    flow = sc.economics.gross_margin * income - tp.cost_per_visit
    st["clv"][idx] += np.exp(-st["discount_per_day"] * t0) * flow
    if tp.referrals is not None:
        st["spawned"][idx, k] += rng.poisson(tp.referrals.mean, idx.size)
    stay = tp.dwell.sample(rng, idx.size)
    if tp.capacity is not None and tp.service is not None:
        stay = stay + tp.service.sample(rng, idx.size)
    st["time"][idx] = t0 + stay
    cum = np.cumsum(st["rows"][seg[idx], k], axis=1)
    nxt = (rng.random(idx.size)[:, None] > cum).sum(axis=1)
    st["node"][idx] = np.minimum(nxt, cum.shape[1] - 1)


def _walk(sc, start, seg, rng) -> dict[str, np.ndarray]:
    """Walk customers entering at ``start`` (touchpoint indices) until all are absorbed."""
    n, n_tp = start.size, len(sc.touchpoints)
    st = {
        key: np.zeros(n)
        for key in ("time", "cost", "revenue", "clv", "last_order", "first_purchase")
    }
    st |= {
        "purchases": np.zeros(n, dtype=int),
        "visits": np.zeros((n, n_tp)),
        "spawned": np.zeros((n, n_tp), dtype=int),
        "node": start.copy(),
        "rows": _segment_rows(sc),
        "ov_mult": np.array([s.order_value_multiplier for s in sc.population.effective_segments]),
        "discount_per_day": math.log1p(sc.economics.discount_rate) / 365,
    }
    active = np.arange(n)
    while active.size:
        here = st["node"][active]
        for k in np.unique(here):
            _visit(sc, k, active[here == k], seg, st, rng)
        active = active[st["node"][active] < n_tp]
    st["outcome"] = st["node"] - n_tp
    return st


def simulate(sc, n_trees: int, seed: int) -> dict[str, np.ndarray]:
    """Per-customer records of ``n_trees`` referral trees; ``tree`` names each one's root."""
    rng = np.random.default_rng(seed)
    tps = list(sc.touchpoints)
    shares = np.array([s.share for s in sc.population.effective_segments])
    entry = np.array([sc.population.entry.get(t, 0.0) for t in tps])
    tree, start = np.arange(n_trees), rng.choice(len(tps), n_trees, p=entry / entry.sum())
    parts = []
    while tree.size:
        seg = rng.choice(shares.size, tree.size, p=shares)
        st = _walk(sc, start, seg, rng)
        st["tree"] = tree
        parts.append(st)
        kids = [
            (np.repeat(tree, st["spawned"][:, k]), tps.index(tp.referrals.entry))
            for k, tp in enumerate(sc.touchpoints.values())
            if tp.referrals is not None
        ]
        none = np.zeros(0, dtype=int)
        tree = np.concatenate([none, *(ids for ids, _ in kids)])
        start = np.concatenate([none, *(np.full(ids.size, e) for ids, e in kids)])
    keys = ("tree", "time", "cost", "revenue", "clv", "first_purchase", "purchases")
    keys += ("visits", "outcome")
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def per_customer(sc, sim) -> dict[str, np.ndarray]:
    """Each analytic KPI's per-customer quantity (a column; ratio KPIs as numerator/denominator)."""
    cpc = sc.economics.cost_per_customer
    bought = (sim["purchases"] >= 1).astype(float)
    cols = {
        "conversion_rate": bought,
        "purchases_per_customer": sim["purchases"] * 1.0,
        "revenue_per_customer": sim["revenue"],
        "cost_per_customer": sim["cost"] + cpc,
        "time_to_absorption": sim["time"],
        "clv": sim["clv"] - cpc,
        "repeat_rate": (sim["purchases"] >= 2) * 1.0,
        "time_to_first_purchase": sim["first_purchase"] * bought,
    }
    cols |= {f"visits[{t}]": sim["visits"][:, k] for k, t in enumerate(sc.touchpoints)}
    cols |= {f"absorption[{o}]": (sim["outcome"] == k) * 1.0 for k, o in enumerate(sc.outcomes)}
    return cols


RATIOS = {"repeat_rate": "conversion_rate", "time_to_first_purchase": "conversion_rate"}


def z_scores(res, sc, sim, kpis) -> dict[str, tuple[float, float]]:
    """(analytic − simulated, 4-SE tolerance) per KPI, from iid per-tree totals."""
    n = int(sim["tree"].max()) + 1
    cols = per_customer(sc, sim)
    tot = {k: np.bincount(sim["tree"], weights=v, minlength=n) for k, v in cols.items()}
    size = np.bincount(sim["tree"], minlength=n) * 1.0
    mult = res["population_multiplier"]
    out = {"population_multiplier": (mult - size.mean(), Z * _se(size) + 1e-12)}
    for kpi in kpis:
        if kpi in RATIOS:
            num, den = tot[kpi], tot[RATIOS[kpi]]
            ratio = num.sum() / den.sum()
            se = _se(num - ratio * den) / den.mean()
            out[kpi] = (res[kpi] - ratio, Z * se + 1e-12)
        else:
            out[kpi] = (res[kpi] * mult - tot[kpi].mean(), Z * _se(tot[kpi]) + 1e-12)
    return out


def _se(x: np.ndarray) -> float:
    return float(np.std(x, ddof=1) / math.sqrt(x.size))


def assert_agree(checks: dict[str, tuple[float, float]]) -> None:
    bad = {k: f"diff {d:.4g} > tol {t:.4g}" for k, (d, t) in checks.items() if abs(d) > t}
    assert not bad, bad


CORE_KPIS = ("conversion_rate", "purchases_per_customer", "revenue_per_customer")
CORE_KPIS += ("time_to_absorption",)
ALL_KPIS = (*CORE_KPIS, "cost_per_customer", "repeat_rate", "time_to_first_purchase", "clv")


def shop(shop_edge: float = 0.15):
    """Six touchpoints: a self-loop, two purchases, a refund desk, segments, discounting."""
    b = (
        cjsim.JourneyBuilder(
            "hand-built", ["awareness", "consideration", "purchase", "retention"], horizon_days=365
        )
        .touchpoint("ad", "awareness", dwell=Exponential(1.0), cost_per_visit=0.3)
        .touchpoint("site", "consideration", dwell=Gamma(2.0, 0.7), cost_per_visit=0.05)
        .touchpoint(
            "shop",
            "purchase",
            purchase=True,
            order_value=Gamma(50.0, 0.3),
            dwell=Exponential(0.5),
            cost_per_visit=1.5,
        )
        .touchpoint(
            "returns",
            "retention",
            refund_share=0.9,
            dwell=Uniform(2.0, 6.0),
            capacity=2,
            service=Gamma(10.0, 0.5),
            cost_per_visit=4.0,
        )
        .touchpoint("loyal", "retention", dwell=Exponential(30.0), cost_per_visit=0.05)
        .touchpoint(
            "vip",
            "purchase",
            purchase=True,
            order_value=Gamma(250.0, 0.3),
            dwell=Gamma(1.0, 0.5),
            cost_per_visit=2.0,
        )
        .outcome("lost")
        .outcome("churned")
        .edges("ad", site=0.4, rest="lost")
        .edges("site", site=0.4, shop=shop_edge, rest="lost")
        .edges("shop", returns=0.3, loyal=0.5, rest="churned")
        .edges("returns", site=0.2, loyal=0.4, rest="churned")
        .edges("loyal", vip=0.3, site=0.2, rest="churned")
        .edges("vip", loyal=0.5, returns=0.4, rest="churned")
        .cohort(1000)
        .entry(ad=0.7, site=0.3)
        .segment("keen", 0.4, 1.25, {"site->shop": 2.0, "loyal->vip": 1.5})
        .segment("casual", 0.6, 0.9)
        .economics(gross_margin=0.4, discount_rate=0.1, cost_per_customer=0.2)
    )
    return b.build()


def _kpi_names(sc, kpis) -> tuple[str, ...]:
    return (
        *kpis,
        *(f"visits[{t}]" for t in sc.touchpoints),
        *(f"absorption[{o}]" for o in sc.outcomes),
    )


@pytest.fixture(scope="module")
def shop_sim():
    sc = shop()
    return sc, simulate(sc, 40_000, seed=20240601)


def test_hand_built_journey_every_kpi(shop_sim):
    sc, sim = shop_sim
    res = cjsim.solve_analytic(sc, removal=False, elasticity=False)
    assert_agree(z_scores(res, sc, sim, _kpi_names(sc, ALL_KPIS)))


def test_hand_built_check_rejects_a_wrong_edge(shop_sim):
    sc, sim = shop_sim
    wrong = cjsim.solve_analytic(shop(shop_edge=0.13), removal=False, elasticity=False)
    diff, tol = z_scores(wrong, sc, sim, ["conversion_rate"])["conversion_rate"]
    assert abs(diff) > tol


@pytest.mark.parametrize("seed", [3, 11, 29])
def test_random_journeys(seed):
    sc = random_journey(np.random.default_rng(seed), n_touchpoints=6, segments=True)
    res = cjsim.solve_analytic(sc, removal=False, elasticity=False)
    sim = simulate(sc, 30_000, seed=1000 + seed)
    names = (*CORE_KPIS, *(f"absorption[{o}]" for o in sc.outcomes))
    assert_agree(z_scores(res, sc, sim, names))


@pytest.mark.parametrize("seed", [5, 17])
def test_referral_trees(seed):
    sc = random_journey(np.random.default_rng(seed), n_touchpoints=6, referrals=True, segments=True)
    res = cjsim.solve_analytic(sc, removal=False, elasticity=False)
    assert res["population_multiplier"] > 1
    sim = simulate(sc, 30_000, seed=2000 + seed)
    assert_agree(z_scores(res, sc, sim, _kpi_names(sc, ALL_KPIS)))


@pytest.fixture(scope="module")
def fashion():
    sc = calm_fashion()
    return sc, simulate(sc, 60_000, seed=777)


def test_fashionfusion(fashion):
    sc, sim = fashion
    res = cjsim.solve_analytic(sc, removal=False, elasticity=False)
    assert_agree(z_scores(res, sc, sim, _kpi_names(sc, ALL_KPIS)))


def test_fashionfusion_check_rejects_a_wrong_edge(fashion):
    sc, sim = fashion
    rows = {k: dict(v) for k, v in sc.transitions.items()}
    rows["website"] |= {"checkout": 0.07, "lost": rows["website"]["lost"] + 0.02}
    wrong = cjsim.solve_analytic(sc.replace(transitions=rows), removal=False, elasticity=False)
    diff, tol = z_scores(wrong, sc, sim, ["conversion_rate"])["conversion_rate"]
    assert abs(diff) > tol
