"""``compare``: paired deltas with common random numbers, economics and the analytic view.

Statistical claims are checked with tolerances from the replications' standard errors
and fixed seeds; each is paired with the situation in which it must not hold.
"""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.experiment import RunOptions
from cjsim.interventions import Change, Costs, Intervention, load_interventions
from cjsim.interventions.compare import compare
from cjsim.interventions.portfolio import portfolio
from tests.shops import calm_fashion_file

FASHION = calm_fashion_file()  # FashionFusion without satisfaction (tests/shops.py)


@pytest.fixture(scope="module")
def sc():
    """FashionFusion over 90 days."""
    return cjsim.load_scenario(FASHION).replace(horizon_days=90.0)


@pytest.fixture(scope="module")
def investments():
    return {iv.name: iv for iv in load_interventions("scenarios/fashionfusion_investments.toml")}


def test_a_no_op_gives_exactly_zero_in_every_replication(sc):
    noop = Intervention(
        "noop", (Change("scale_transition", {"from": "website", "to": "checkout", "factor": 1.0}),)
    )
    cmp = compare(sc, [noop], engine="des", replications=3, seed=2)
    d = cmp.deltas
    assert (d["delta"].fillna(0.0) == 0.0).all()
    assert len(d["replication"].unique()) == 3


def test_common_random_numbers_narrow_the_interval_threefold(sc, investments):
    """Paired interval on delta-conversion vs the same replications with independent seeds."""
    guide = investments["better_size_guide"]
    reps = 8
    paired = compare(sc, [guide], engine="des", replications=reps, seed=4)
    row = paired.table.set_index(["variant", "kpi"]).loc[("better_size_guide", "conversion_rate")]
    paired_width = row["delta_ci_high"] - row["delta_ci_low"]
    from cjsim.interventions import apply

    base = cjsim.simulate(sc, engine="des", replications=reps, seed=4)
    other = cjsim.simulate(apply(sc, guide), engine="des", replications=reps, seed=5)
    diff = (
        other.tables["replications"]["conversion_rate"]
        - base.tables["replications"]["conversion_rate"]
    )
    half = 2.3646243 * diff.std(ddof=1) / math.sqrt(reps)  # t(0.975, 7)
    ratio = 2 * half / paired_width
    assert ratio >= 3, ratio


def test_faster_returns_lowers_churn_in_the_des(investments):
    """Over the scenario's year: shorter waits, fewer who give up, less churn."""
    year = cjsim.load_scenario(FASHION)
    cmp = compare(year, [investments["faster_returns"]], engine="des", replications=5, seed=3)
    t = cmp.table.set_index("kpi")
    assert t.loc["wait_mean[returns]", "delta_ci_high"] < 0
    assert t.loc["reneged[returns]", "delta_ci_high"] < 0
    assert t.loc["absorption[churned]", "delta_ci_high"] < 0


def test_the_analytic_engine_says_faster_returns_is_out_of_its_reach(sc, investments):
    cmp = compare(
        sc, [investments["faster_returns"], investments["better_size_guide"]], engine="analytic"
    )
    notes = " ".join(cmp.notes)
    assert "faster_returns: the analytic engine cannot see all of its effect (queues)" in notes
    ranking = cmp.ranking.set_index("variant")
    assert math.isnan(ranking.loc["faster_returns", "incremental_profit"])
    assert math.isfinite(ranking.loc["better_size_guide", "incremental_profit"])


def test_analytic_economics_by_hand():
    """A cohort of 1000, one purchase touchpoint: every figure can be done by hand."""
    b = (
        cjsim.JourneyBuilder("hand", stages=["s"], horizon_days=365)
        .touchpoint("shop", "s", purchase=True, order_value=cjsim.model.Fixed(100.0))
        .outcome("gone")
        .edges("shop", shop=0.5, rest="gone")
        .cohort(1000)
        .entry(shop=1.0)
        .economics(gross_margin=0.5)
    )
    base = b.build()
    iv = Intervention(
        "more",
        (Change("scale_order_value", {"node": "shop", "factor": 1.1}),),
        Costs(fixed=2000.0, per_day=1.0, per_purchase=0.5),
    )
    cmp = compare(base, [iv], engine="analytic")
    r = cmp.ranking.iloc[0]
    purchases = 1000 * 2  # 1 / (1 - 0.5) purchases each
    cost = 2000 + 365 * 1.0 + 0.5 * purchases
    gain = 0.5 * purchases * 10.0  # margin on the extra 10 per order
    assert r["intervention_cost"] == pytest.approx(cost)
    assert r["incremental_profit"] == pytest.approx(gain - cost)
    assert r["roi"] == pytest.approx((gain - cost) / cost)
    assert r["break_even_uplift"] == pytest.approx(cost / gain)
    # day 0: +10,000 gain - 2000 - 1000 (purchase fees) - 1 ; then -1 a day: never below 0
    assert r["payback_day"] == 0
    assert r["npv"] == pytest.approx(
        gain - 2000 - 0.5 * purchases - sum(1.0 * 1.0**0 / 1.0 ** (d / 365) for d in range(365))
    )


def test_ranking_probabilities_are_consistent(sc, investments):
    ivs = [investments["better_size_guide"], investments["loyalty_program"]]
    cmp = compare(sc, ivs, engine="vectorized", replications=5, seed=1, ignore_capacity=True)
    wide = cmp.deltas[cmp.deltas["kpi"] == "profit"].pivot_table(
        index="replication", columns="variant", values="delta"
    )
    nothing = float((wide.max(axis=1) < 0).mean())  # doing nothing is best in these pairs
    assert cmp.ranking["p_best"].sum() + nothing == pytest.approx(1.0)
    assert list(cmp.ranking["incremental_profit"]) == sorted(
        cmp.ranking["incremental_profit"], reverse=True
    )
    for column in ("roi", "npv", "payback_day", "p_beats_baseline"):
        assert column in cmp.ranking


def test_parameter_draws_split_uncertainty_from_noise(sc, investments):
    """Draws that differ in the very edge the size guide scales: its uplift differs
    between draws far more than simulation noise explains."""
    draws = []
    for factor in (0.5, 1.0, 1.5):
        row = dict(sc.transitions["size_guide"])
        row["checkout"] *= factor
        row["lost"] = 1 - sum(v for k, v in row.items() if k != "lost")
        draws.append(sc.replace(transitions={**sc.transitions, "size_guide": row}))
    cmp = compare(
        sc,
        [investments["better_size_guide"]],
        engine="vectorized",
        replications=4,
        seed=2,
        scenario_draws=draws,
        ignore_capacity=True,
    )
    u = cmp.uncertainty.set_index("kpi")
    assert set(cmp.deltas["draw"]) == {0, 1, 2}
    assert u.loc["revenue", "parameter_share"] > 0.5
    assert u.loc["revenue", "sd_parameter"] > u.loc["revenue", "sd_simulation"]
    same = compare(
        sc,
        [investments["better_size_guide"]],
        engine="vectorized",
        replications=4,
        seed=2,
        scenario_draws=[sc, sc, sc],
        ignore_capacity=True,
    )
    assert same.uncertainty.set_index("kpi").loc["revenue", "parameter_share"] < 0.5


def test_portfolio_respects_the_budget(sc, investments):
    # over 90 days: loyalty 4,000 + visits, returns 3,000 + 900, support 4,050, guide 8,000+
    table = portfolio(
        sc,
        list(investments.values()),
        budget=5000.0,
        options=RunOptions(engine="vectorized", replications=3, seed=1, ignore_capacity=True),
    )
    fits = table[table["within_budget"]]
    assert (fits["intervention_cost"] <= 5000.0).all()
    assert not fits.empty
    assert (table["size"] == 1).all(), "no pair fits: fixed and daily costs alone exceed it"
    assert not any("better_size_guide" in p for p in table["portfolio"])


def test_comparison_saves_its_files(tmp_path, sc, investments):
    cmp = compare(sc, [investments["loyalty_program"]], engine="analytic")
    written = cmp.save(str(tmp_path))
    assert {p.name for p in written} == {
        "ranking.csv",
        "comparison.csv",
        "deltas.csv",
        "comparison.json",
    }
    assert not pd.read_csv(tmp_path / "ranking.csv").empty
    assert np.isfinite(cmp.ranking["incremental_profit"]).all()


def test_analytic_compare_uses_the_horizon_it_is_given(sc, investments):
    short = compare(sc, [investments["loyalty_program"]], engine="analytic", horizon_days=30)
    long = compare(sc, [investments["loyalty_program"]], engine="analytic", horizon_days=300)
    customers = lambda c: c.table.set_index("kpi").loc["customers", "mean"]  # noqa: E731
    assert customers(long) == pytest.approx(10 * customers(short), rel=0.05)
    no_horizon = compare(
        sc.replace(horizon_days=None),
        [investments["loyalty_program"]],
        engine="analytic",
        horizon_days=30,
    )
    assert customers(no_horizon) == pytest.approx(customers(short))


def test_tied_variants_share_p_best(sc, investments):
    twin = Intervention(
        "twin", investments["loyalty_program"].changes, investments["loyalty_program"].costs
    )
    year = cjsim.load_scenario(FASHION)  # over a year the loyalty program pays
    cmp = compare(year, [investments["loyalty_program"], twin], engine="analytic")
    assert list(cmp.ranking["p_best"]) == [0.5, 0.5]
    short = compare(sc, [investments["loyalty_program"], twin], engine="analytic")
    assert short.ranking["incremental_profit"].max() < 0  # over 90 days it does not:
    assert list(short.ranking["p_best"]) == [0.0, 0.0]  # doing nothing is best


def test_analytic_parameter_draws_are_all_parameter_uncertainty(sc, investments):
    draws = [sc.replace(economics=type(sc.economics)(gross_margin=m)) for m in (0.3, 0.45, 0.6)]
    cmp = compare(sc, [investments["better_size_guide"]], engine="analytic", scenario_draws=draws)
    u = cmp.uncertainty.set_index("kpi")
    assert u.loc["profit", "parameter_share"] == pytest.approx(1.0)
    assert u.loc["profit", "sd_simulation"] == 0


def test_net_profit_equals_the_sum_of_the_daily_cash(sc, investments):
    """Without discounting, NPV is the sum of the daily cash, which must be the net profit —
    also for a horizon that ends mid-day (the last day's fixed costs are prorated)."""
    flat = sc.replace(
        horizon_days=40.5, economics=dataclasses.replace(sc.economics, discount_rate=0.0)
    )
    res = compare(flat, [investments["faster_returns"]], engine="des", replications=2, seed=8)
    d = res.deltas.set_index(["replication", "kpi"])
    for r in (0, 1):
        assert d.loc[(r, "npv"), "value"] == pytest.approx(d.loc[(r, "profit"), "value"], rel=1e-9)
