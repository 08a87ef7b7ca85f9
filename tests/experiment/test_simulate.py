"""``cjsim.simulate``: determinism across workers and executors, common random numbers,
results, refusals."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.errors import SimulationError
from tests.shops import calm_fashion_file

FASHION = calm_fashion_file()  # FashionFusion without satisfaction (tests/shops.py)


@pytest.fixture(scope="module")
def small():
    """FashionFusion over 60 days (about 20,000 customers)."""
    return cjsim.load_scenario(FASHION).replace(horizon_days=60.0)


def test_same_seed_gives_identical_json(small):
    a = cjsim.simulate(small, engine="des", replications=2, seed=7)
    b = cjsim.simulate(small, engine="des", replications=2, seed=7)
    assert a.to_json() == b.to_json()
    c = cjsim.simulate(small, engine="des", replications=2, seed=8)
    assert c.to_json() != a.to_json()


@pytest.mark.parametrize("engine", ["des", "vectorized"])
def test_one_or_two_workers_give_identical_numbers(small, engine):
    kw = {"engine": engine, "replications": 3, "seed": 5, "ignore_capacity": True}
    serial = cjsim.simulate(small, workers=1, **kw)
    pooled = cjsim.simulate(small, workers=2, **kw)
    pd.testing.assert_frame_equal(serial.kpis, pooled.kpis)
    pd.testing.assert_frame_equal(serial.tables["timeseries"], pooled.tables["timeseries"])


def test_dask_local_cluster_gives_the_serial_numbers(small):
    serial = cjsim.simulate(small, engine="des", replications=2, seed=5)
    dask = cjsim.simulate(small, engine="des", replications=2, seed=5, executor="dask", workers=2)
    pd.testing.assert_frame_equal(serial.kpis, dask.kpis)
    assert dask.meta["executor"] == "dask"


def test_an_existing_dask_scheduler_by_address_gives_the_serial_numbers(small):
    from distributed import LocalCluster

    serial = cjsim.simulate(small, engine="des", replications=2, seed=6)
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        remote = cjsim.simulate(
            small, engine="des", replications=2, seed=6, scheduler=cluster.scheduler_address
        )
    pd.testing.assert_frame_equal(serial.kpis, remote.kpis)


def test_unreachable_dask_scheduler_is_a_clear_error(small):
    with pytest.raises(SimulationError, match="cannot reach the Dask scheduler"):
        cjsim.simulate(small, engine="des", replications=1, seed=1, scheduler="tcp://127.0.0.1:9")


def test_a_change_elsewhere_keeps_every_customers_draws(small):
    """Common random numbers: scaling dormant->checkout changes nothing for a customer
    until that customer reaches dormant — same visits at the same times. (Queues are
    removed: through a queue, customers rightly affect each other's waits.)"""
    small = small.replace(
        touchpoints={
            k: dataclasses.replace(
                tp, capacity=None, service=None, patience=None, renege_to=None, experience=()
            )
            for k, tp in small.touchpoints.items()
        }
    )
    row = dict(small.transitions["dormant"])
    row["checkout"] *= 1.25
    row["churned"] = 1 - sum(v for k, v in row.items() if k != "churned")
    variant = small.replace(transitions={**small.transitions, "dormant": row})
    a = cjsim.simulate(small, engine="des", replications=1, seed=3, events=True).events
    b = cjsim.simulate(variant, engine="des", replications=1, seed=3, events=True).events
    assert not a.equals(b)

    def before_dormant(log):
        log = log.sort_values(["customer", "time"], kind="stable")
        first = log[log["touchpoint"] == "dormant"].groupby("customer")["time"].min()
        cut = log["customer"].map(first).fillna(np.inf)
        return log[log["time"] <= cut][["customer", "time", "touchpoint", "value"]]

    primary = a["customer"] < 15_000  # referred customers are numbered by arrival order
    pd.testing.assert_frame_equal(
        before_dormant(a[primary]).reset_index(drop=True),
        before_dormant(b[b["customer"] < 15_000]).reset_index(drop=True),
    )


def test_intervals_are_t_intervals_over_replications(small):
    res = cjsim.simulate(small, engine="vectorized", replications=5, seed=2, ignore_capacity=True)
    per = res.tables["replications"]["conversion_rate"]
    row = res.kpis.set_index("kpi").loc["conversion_rate"]
    se = per.std(ddof=1) / np.sqrt(5)
    assert row["mean"] == pytest.approx(per.mean())
    assert row["std_err"] == pytest.approx(se)
    assert row["ci_high"] - row["mean"] == pytest.approx(2.7764451 * se, rel=1e-6)


def test_timeseries_ends_at_the_totals(small):
    res = cjsim.simulate(small, engine="des", replications=2, seed=4)
    ts = res.timeseries
    assert len(ts) == 60
    assert ts["cumulative_revenue"].iloc[-1] == pytest.approx(res["revenue"])
    assert ts["cumulative_profit"].iloc[-1] == pytest.approx(res["profit"])
    assert ts["arrivals"].sum() == pytest.approx(res["customers"])


def test_event_log_is_kept_only_on_request(small):
    assert cjsim.simulate(small, engine="des", replications=1, seed=1).events is None
    res = cjsim.simulate(small, engine="des", replications=1, seed=1, events=True)
    log = res.events
    assert list(log.columns) == ["replication", "customer", "time", "touchpoint", "stage", "value"]
    assert (log["touchpoint"] == "checkout").sum() == pytest.approx(
        res["purchases_per_customer"] * res["customers"]
    )
    assert log["customer"].nunique() == res["customers"]
    ends = log[log["stage"] == ""]
    assert len(ends) == pytest.approx(
        sum(res[f"absorption[{o}]"] for o in small.outcomes) * res["customers"]
    )
    last = log.groupby("customer").tail(1)
    assert (last.loc[last["customer"].isin(ends["customer"]), "stage"] == "").all()


def test_vectorized_event_log_counts_every_visit(small):
    res = cjsim.simulate(
        small, engine="vectorized", replications=1, seed=1, events=True, ignore_capacity=True
    )
    visits = sum(res[f"visits[{t}]"] for t in small.touchpoints) * res["customers"]
    log = res.events
    assert (log["stage"] != "").sum() == pytest.approx(visits)
    outcomes = log[log["stage"] == ""]
    assert set(outcomes["touchpoint"]) <= set(small.outcomes)
    absorbed = sum(res[f"absorption[{o}]"] for o in small.outcomes) * res["customers"]
    assert len(outcomes) == pytest.approx(absorbed)
    assert outcomes["customer"].is_unique


def test_warm_start_puts_customers_in_the_journey(small):
    pop = small.population
    warm = small.replace(
        population=type(pop)(pop.arrivals, pop.entry, pop.segments, {"dormant": 3000})
    )
    res = cjsim.simulate(warm, engine="des", replications=2, seed=1)
    cold = cjsim.simulate(small, engine="des", replications=2, seed=1)
    assert res["initial_customers"] == 3000
    assert (
        res["visits[dormant]"] * res["customers"]
        > cold["visits[dormant]"] * cold["customers"] + 2500
    )


def test_vectorized_refuses_queues_and_says_why(small):
    with pytest.raises(SimulationError, match="support_chat, returns have capacity"):
        cjsim.simulate(small, engine="vectorized", replications=1, seed=1)


def test_simulation_needs_a_horizon(small):
    with pytest.raises(SimulationError, match="no horizon_days"):
        cjsim.simulate(small.replace(horizon_days=None), engine="des", seed=1)


def test_seed_is_recorded_when_not_given(small):
    res = cjsim.simulate(small, engine="vectorized", replications=2, ignore_capacity=True)
    again = cjsim.simulate(
        small, engine="vectorized", replications=2, ignore_capacity=True, seed=res.meta["seed"]
    )
    assert json.loads(res.to_json())["kpis"] == json.loads(again.to_json())["kpis"]


def test_long_horizons_get_coarser_time_bins(small):
    pop = small.population
    cohort = small.replace(
        horizon_days=50_000.0,
        population=type(pop)(cjsim.model.CohortArrivals(2000), pop.entry, pop.segments),
    )
    res = cjsim.simulate(cohort, engine="vectorized", replications=1, seed=1, ignore_capacity=True)
    assert len(res.timeseries) <= 20_000
    assert res.timeseries["day"].iloc[1] == 3.0
