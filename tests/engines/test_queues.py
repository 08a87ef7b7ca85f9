"""The DES engine's queues against queueing theory.

References: Erlang C (M/M/c: mean wait and probability of waiting), Little's law
(L_q = lambda * W_q) and the Erlang-A model (M/M/c+M: abandonment probability from its
birth-death chain). Customers start at the stationary mean number in system (a warm
start) to keep the empty-start bias far below the tolerance, which is 4 standard errors
computed from independent replications, with fixed seeds.
"""

import math

import numpy as np
import pytest

import cjsim
from cjsim.model import Exponential, JourneyBuilder


def desk(servers, arrival_rate, horizon, patience_mean=None, initial=0):
    fields = {"capacity": servers, "service": Exponential(1.0)}
    if patience_mean:
        fields |= {"patience": Exponential(patience_mean), "renege_to": "gave_up"}
    sc = (
        JourneyBuilder("M/M/c", stages=["service"], horizon_days=horizon)
        .touchpoint("desk", "service", **fields)
        .outcome("done")
        .outcome("gave_up")
        .edges("desk", rest="done")
        .poisson(arrival_rate)
        .entry(desk=1.0)
        .build()
    )
    pop = sc.population
    return sc.replace(
        population=type(pop)(
            pop.arrivals, pop.entry, pop.segments, {"desk": initial} if initial else {}
        )
    )


def erlang_c(servers, offered):
    """Probability of waiting in M/M/c with offered load a = lambda/mu."""
    top = offered**servers / math.factorial(servers) / (1 - offered / servers)
    return top / (sum(offered**k / math.factorial(k) for k in range(servers)) + top)


def erlang_a_abandonment(servers, lam, mu, theta, states=400):
    """P(abandon) of M/M/c+M from its stationary birth-death distribution."""
    weights = [1.0]
    for n in range(1, states):
        weights.append(weights[-1] * lam / (min(n, servers) * mu + max(n - servers, 0) * theta))
    p = np.array(weights) / sum(weights)
    waiting = np.maximum(np.arange(states) - servers, 0)
    return theta * float(p @ waiting) / lam


def replications(sc, reps=8, seed=11):
    res = cjsim.simulate(sc, engine="des", replications=reps, seed=seed)
    return res.tables["replications"]


def within(values, reference, k=4.0):
    values = np.asarray(values, dtype=float)
    se = values.std(ddof=1) / math.sqrt(len(values))
    return abs(values.mean() - reference) <= k * se, (values.mean(), reference, se)


LAM, C = 2.4, 3


@pytest.fixture(scope="module")
def mmc():
    return replications(desk(C, LAM, 4000.0, initial=5))


def test_mean_wait_matches_erlang_c(mmc):
    wq = erlang_c(C, LAM) / (C - LAM)
    ok, info = within(mmc["wait_mean[desk]"], wq)
    assert ok, info


def test_probability_of_waiting_matches_erlang_c(mmc):
    ok, info = within(mmc["wait_probability[desk]"], erlang_c(C, LAM))
    assert ok, info


def test_erlang_c_check_rejects_a_wrong_server_count(mmc):
    ok, _ = within(mmc["wait_mean[desk]"], erlang_c(C + 1, LAM) / (C + 1 - LAM))
    assert not ok


def test_littles_law_holds_per_replication(mmc):
    horizon = 4000.0
    arrival_rate = mmc["customers"] / horizon
    diff = mmc["queue_length[desk]"] - arrival_rate * mmc["wait_mean[desk]"]
    ok, info = within(diff, 0.0)
    assert ok, info


def test_utilization_is_the_offered_load_per_server(mmc):
    ok, info = within(mmc["utilization[desk]"], LAM / C)
    assert ok, info


def test_abandonment_matches_erlang_a():
    lam, theta = 3.0, 0.5
    table = replications(desk(C, lam, 3000.0, patience_mean=1 / theta, initial=6))
    exact = erlang_a_abandonment(C, lam, 1.0, theta)
    ok, info = within(table["reneged[desk]"], exact)
    assert ok, info
    wrong = erlang_a_abandonment(C, lam, 1.0, 2 * theta)
    assert not within(table["reneged[desk]"], wrong)[0]
    ok, info = within(table["absorption[gave_up]"], exact)
    assert ok, info


def test_a_desk_with_a_server_for_everyone_counts_no_waits():
    """Granted at once is a wait of exactly 0 (no rounding residue counted as a wait);
    the same count sees the waits of a desk that is sometimes full."""
    roomy = replications(desk(servers=200, arrival_rate=20.0, horizon=50.0), reps=2)
    assert (roomy["wait_probability[desk]"] == 0).all()
    assert (roomy["wait_mean[desk]"] == 0).all()
    busy = replications(desk(servers=2, arrival_rate=1.5, horizon=50.0), reps=2)
    assert (busy["wait_probability[desk]"] > 0).all(), "the wrong answer: waits unseen"
