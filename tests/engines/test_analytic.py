"""The analytic engine against independent exact computations.

References: brute-force enumeration of every path of a small journey (paths below
probability 1e-16 are cut; their total mass bounds the tolerance), and textbook
fundamental-matrix algebra with an explicit inverse N = (I - Q)^-1 on random chains.
"""

import math

import numpy as np
import pytest

import cjsim
from cjsim.errors import ModelError
from cjsim.model import Exponential, Fixed, Gamma, JourneyBuilder, Uniform
from cjsim.model.synthetic import random_journey

DELTA = math.log(1.10) / 365


def small_journey(segments: bool = True) -> cjsim.Scenario:
    b = (
        JourneyBuilder("enumerable", stages=["a", "b"], horizon_days=30)
        .touchpoint("ad", "a", dwell=Exponential(1.0), cost_per_visit=0.5)
        .touchpoint("site", "a", dwell=Gamma(0.5, 0.8), cost_per_visit=0.1)
        .touchpoint("buy", "b", purchase=True, order_value=Gamma(80.0, 0.5))
        .touchpoint("ret", "b", dwell=Uniform(1.0, 3.0), refund_share=0.7, cost_per_visit=4.0)
        .touchpoint("again", "b", purchase=True, order_value=Fixed(30.0), dwell=Exponential(10.0))
        .outcome("lost")
        .outcome("done")
        .edges("ad", site=0.4, ad=0.05, rest="lost")
        .edges("site", site=0.1, buy=0.3, rest="lost")
        .edges("buy", ret=0.3, again=0.3, rest="done")
        .edges("ret", site=0.1, rest="done")
        .edges("again", again=0.1, ret=0.1, rest="done")
        .entry(ad=0.7, site=0.3)
        .cohort(100)
        .economics(gross_margin=0.4, discount_rate=0.10, cost_per_customer=1.5)
    )
    if segments:
        b.segment("keen", 0.3, 1.5, {"site->buy": 2.0})
        b.segment("casual", 0.7, 0.8)
    return b.build()


def segment_rows(sc, seg):
    """The format's rule, written independently: multiply, rescale the untouched edges."""
    rows = {k: dict(v) for k, v in sc.transitions.items()}
    for (a, b), factor in seg.edge_multipliers.items():
        row = rows[a]
        new = row[b] * factor
        others = sum(p for t, p in row.items() if t != b)
        rows[a] = {t: (new if t == b else p * (1 - new) / others) for t, p in row.items()}
    return rows


CUT = 1e-16


def enumerate_paths(sc, rows, ov_mult):
    """Exact expectations by walking every path of probability above CUT.

    Returns the sums, absorption, visits and the probability mass left unexplored.
    """
    tps, out = (
        sc.touchpoints,
        {k: 0.0 for k in ("conv", "two", "purch", "rev", "cost", "time", "t1", "clv")},
    )
    absorb = dict.fromkeys(sc.outcomes, 0.0)
    visits = dict.fromkeys(tps, 0.0)
    stack = [(node, p, 0, 0.0, 0.0, 1.0, 0.0, 0.0) for node, p in sc.population.entry.items()]
    margin = sc.economics.gross_margin
    dropped = 0.0
    while stack:
        node, p, n_buy, last, t, disc, t1, value = stack.pop()
        if node in sc.outcomes:
            absorb[node] += p
            out["time"] += p * t
            out["conv"] += p * (n_buy >= 1)
            out["two"] += p * (n_buy >= 2)
            out["t1"] += p * t1
            out["clv"] += p * value
            continue
        tp = tps[node]
        visits[node] += p
        cash = -tp.cost_per_visit
        out["cost"] += p * tp.cost_per_visit
        if tp.purchase:
            if n_buy == 0:
                t1 = t
            last = tp.order_value.mean * ov_mult
            n_buy += 1
            out["purch"] += p
            out["rev"] += p * last
            cash += margin * last
        refund = tp.refund_share * last
        out["rev"] -= p * refund
        cash -= margin * refund
        value += disc * cash
        stay = tp.dwell.mean
        for nxt, q in rows[node].items():
            if p * q <= CUT:
                dropped += p * q
                continue
            stack.append(
                (nxt, p * q, n_buy, last, t + stay, disc * tp.dwell.laplace(DELTA), t1, value)
            )
    return out, absorb, visits, dropped


def reference(sc):
    total: dict = {}
    for seg in sc.population.effective_segments:
        out, absorb, visits, dropped = enumerate_paths(
            sc, segment_rows(sc, seg), seg.order_value_multiplier
        )
        for key, value in {
            **out,
            **{f"a_{k}": v for k, v in absorb.items()},
            **{f"v_{k}": v for k, v in visits.items()},
            "dropped": dropped,
        }.items():
            total[key] = total.get(key, 0.0) + seg.share * value
    return total


@pytest.mark.parametrize("segments", [False, True])
def test_matches_brute_force_path_enumeration(segments):
    sc = small_journey(segments)
    ref = reference(sc)
    res = cjsim.solve_analytic(sc, removal=False, elasticity=False)
    c = sc.economics.cost_per_customer
    expected = {
        "conversion_rate": ref["conv"],
        "repeat_rate": ref["two"] / ref["conv"],
        "purchases_per_customer": ref["purch"],
        "revenue_per_customer": ref["rev"],
        "cost_per_customer": ref["cost"] + c,
        "profit_per_customer": 0.4 * ref["rev"] - ref["cost"] - c,
        "clv": ref["clv"] - c,
        "time_to_absorption": ref["time"],
        "time_to_first_purchase": ref["t1"] / ref["conv"],
        "absorption[lost]": ref["a_lost"],
        "absorption[done]": ref["a_done"],
        "visits[again]": ref["v_again"],
        "visits[ret]": ref["v_ret"],
    }
    # Unexplored paths carry ref["dropped"] probability; each is worth at most ~1e4
    # (money) or ~1e3 days, so that bounds the truncation error of the reference.
    assert ref["dropped"] < 1e-10
    for kpi, value in expected.items():
        assert res[kpi] == pytest.approx(value, rel=1e-12, abs=1e4 * ref["dropped"] + 1e-12), kpi


def test_brute_force_check_has_teeth():
    """A journey with one edge changed gives a different answer than the reference."""
    sc = small_journey()
    wrong = sc.replace(
        transitions={**sc.transitions, "site": {"site": 0.2, "buy": 0.31, "lost": 0.49}}
    )
    assert cjsim.solve_analytic(wrong, removal=False, elasticity=False)[
        "conversion_rate"
    ] != pytest.approx(reference(sc)["conv"], rel=1e-9)


def fundamental(sc):
    """Textbook absorbing-chain algebra with an explicit inverse (independent of the engine)."""
    tps, outs = list(sc.touchpoints), list(sc.outcomes)
    n = len(tps)
    idx = {k: i for i, k in enumerate(tps + outs)}
    p = np.zeros((n, n + len(outs)))
    for a, row in sc.transitions.items():
        for b, q in row.items():
            p[idx[a], idx[b]] = q
    alpha = np.array([sc.population.entry.get(t, 0.0) for t in tps])
    big_n = np.linalg.inv(np.eye(n) - p[:, :n])
    visits = alpha @ big_n
    buy = np.array([sc.touchpoints[t].purchase for t in tps])
    # conversion: make purchase states absorbing and ask for absorption there
    q2 = p[:, :n].copy()
    q2[:, buy] = 0.0
    hit = np.linalg.inv(np.eye(n) - q2) @ (p[:, :n][:, buy].sum(axis=1))
    hit[buy] = 1.0
    dwell = np.array([sc.touchpoints[t].dwell.mean for t in tps])
    return {
        "visits": visits,
        "absorption": visits @ p[:, n:],
        "conversion": alpha @ hit,
        "time": visits @ dwell,
        "purchases": visits @ buy,
    }


@pytest.mark.parametrize("seed", range(25))
def test_matches_fundamental_matrix_on_random_chains(seed):
    sc = random_journey(np.random.default_rng(seed), n_touchpoints=3 + seed % 9, refunds=False)
    ref = fundamental(sc)
    res = cjsim.solve_analytic(sc, removal=False, elasticity=False)
    got_visits = [res[f"visits[{t}]"] for t in sc.touchpoints]
    got_abs = [res[f"absorption[{o}]"] for o in sc.outcomes]
    np.testing.assert_allclose(got_visits, ref["visits"], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(got_abs, ref["absorption"], rtol=1e-10, atol=1e-13)
    assert res["conversion_rate"] == pytest.approx(ref["conversion"], rel=1e-10)
    assert res["time_to_absorption"] == pytest.approx(ref["time"], rel=1e-10)
    assert res["purchases_per_customer"] == pytest.approx(ref["purchases"], rel=1e-10)


def test_large_sparse_chain_matches_dense_reference():
    sc = random_journey(np.random.default_rng(3), n_touchpoints=450, density=0.01, refunds=False)
    ref = fundamental(sc)
    res = cjsim.solve_analytic(sc, removal=False, elasticity=False)
    assert res["conversion_rate"] == pytest.approx(ref["conversion"], rel=1e-9)
    assert res["time_to_absorption"] == pytest.approx(ref["time"], rel=1e-9)


def test_referral_multiplier_is_one_over_one_minus_r():
    sc = random_journey(np.random.default_rng(5), n_touchpoints=6, referrals=True)
    res = cjsim.solve_analytic(sc, removal=False, elasticity=False)
    r = res["referrals_per_customer"]
    assert 0 < r < 1
    assert res["population_multiplier"] == pytest.approx(1 / (1 - r), rel=1e-12)


def test_referrals_that_grow_without_end_are_refused():
    b = (
        JourneyBuilder("viral", stages=["s"])
        .touchpoint("post", "s")
        .outcome("gone")
        .edges("post", post=0.5, rest="gone")
        .entry(post=1.0)
    )
    sc = b.build()
    from cjsim.model import Referrals, Touchpoint

    viral = sc.replace(
        touchpoints={"post": Touchpoint("post", "s", referrals=Referrals(0.6, "post"))}
    )
    with pytest.raises(ModelError, match=r"R >= 1") as info:
        cjsim.solve_analytic(viral)
    assert info.value.problems[0].path == "touchpoints.post.referrals"


def test_a_segment_that_cannot_absorb_is_a_clear_error():
    sc = (
        JourneyBuilder("loop", stages=["s"])
        .touchpoint("a", "s")
        .outcome("end")
        .edges("a", a=0.5, rest="end")
        .entry(a=1.0)
        .segment("stuck", 1.0, 1.0, {"a->a": 2.0})
        .build()
    )
    with pytest.raises(ModelError, match="cannot absorb"):
        cjsim.solve_analytic(sc)


def test_result_notes_say_what_the_engine_ignores():
    res = cjsim.solve_analytic(cjsim.load_scenario("scenarios/saas_trial.toml"))
    text = " ".join(res.notes)
    assert "queues ignored" in text and "experience effects" in text
    assert "infinite horizon" in text
