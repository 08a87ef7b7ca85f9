"""``calibrate(latent_segments="auto")``: the heterogeneity chosen by the held-out
log-likelihood of the last quarter of the calibration period (:mod:`.selection`).

Reference: logs generated from known models.  From two very different classes (fast
buyers who rarely leave, slow ones who often do) the rule must not choose one class,
and its score must rank the true structure above one class by a margin; from one
class (the wrong models are the richer ones: nothing to find) it must choose one class,
because ties go to fewer parameters.
"""

import numpy as np
import pandas as pd
import pytest

import cjsim
from cjsim.calibration import selection
from cjsim.calibration.fit import calibrate
from cjsim.calibration.selection import CANDIDATES, HELD_OUT
from cjsim.calibration.stages import CalibrationOptions, fit_exits, prepare_log
from cjsim.errors import CalibrationError
from tests.calibration.synthetic import buys, shop_log

MAPPING = {"touchpoints": {"shop": ["shop"]}, "purchases": ["shop"], "cutoff": "2021-01-01"}
START = pd.Timestamp("2020-01-01")


def generate(seed, classes, n=500):
    """``classes``: (share, median gap in days, sigma, silent-exit probability)."""
    rng = np.random.default_rng(seed)
    shares = np.array([c[0] for c in classes])
    rows = []
    for c in range(n):
        _, median, sigma, q = classes[rng.choice(len(classes), p=shares)]
        gap = lambda _t, m=median, s=sigma: m * np.exp(s * rng.standard_normal())  # noqa: E731
        rows += [(str(c), t) for t in buys(rng, rng.uniform(0, 60), 366.0, q, gap)]
    return shop_log(rows, START)


def auto(log):
    return calibrate(
        log,
        MAPPING,
        cjsim.EventColumns(segment=None),
        latent_segments="auto",
        dwell_families=("lognormal",),
    )


@pytest.fixture(scope="module")
def two_class_fit():
    return auto(generate(0, [(0.5, 6.0, 0.5, 0.03), (0.5, 60.0, 0.5, 0.5)]))


def test_two_classes_are_not_taken_for_one(two_class_fit):
    table = two_class_fit.report["selection"]
    chosen = table.loc[table["chosen"], "heterogeneity"].iloc[0]
    assert chosen != "one class"
    # one class is behind the best by more than the rule's bound, in its own standard errors
    one = table.set_index("heterogeneity").loc["one class"]
    best = table["held_out_loglik"].max()
    assert best - one["held_out_loglik"] > 2.5 * one["se_of_gap"]
    assert two_class_fit.mixture.k > 1
    assert "heterogeneity chosen on the held-out end" in two_class_fit.summary()


def test_every_candidate_is_scored_once(two_class_fit):
    table = two_class_fit.report["selection"]
    assert len(table) == len(CANDIDATES)
    assert table["chosen"].sum() == 1
    assert np.isfinite(table["held_out_loglik"]).all()


def test_one_class_is_chosen_when_there_is_nothing_more():
    fit = auto(generate(1, [(1.0, 20.0, 0.6, 0.1)]))
    table = fit.report["selection"]
    assert table.loc[table["chosen"], "heterogeneity"].iloc[0] == "one class"
    assert fit.mixture.k == 1


def test_auto_refuses_a_segment_column_and_a_too_short_period():
    log = generate(2, [(1.0, 20.0, 0.6, 0.1)], n=200)
    log["segment"] = "a"
    with pytest.raises(CalibrationError, match="segment column"):
        calibrate(log, MAPPING, latent_segments="auto")
    # before the held-out quarter nobody has bought twice: nothing to fit
    short = generate(3, [(1.0, 330.0, 0.05, 0.0)], n=50)
    with pytest.raises(CalibrationError, match=f"last {HELD_OUT:.0%}"):
        auto(short)


def test_each_customer_scores_the_held_out_quarter_given_the_rest():
    """One class with exponential dwell, by hand: a customer's held-out score is the
    log-likelihood of their spells cut at the cut-off minus that of their spells cut at
    the inner cut-off, both with the parameters fitted before the inner cut-off."""
    events = generate(4, [(1.0, 20.0, 0.6, 0.1)], n=200)
    options = CalibrationOptions(dwell_families=("exponential",))
    log = prepare_log(events, MAPPING, cjsim.EventColumns(segment=None))
    inner = selection._inner(log)
    exits = fit_exits(inner, options)
    _, contributions = selection._score(selection.Candidate(latent=1), log, inner, exits, options)
    fit = exits.fits["shop"]
    q, mean = fit.exit_probability, fit.dist.mean

    def loglik(times, cutoff):
        """Cure-model log-likelihood of purchase days ``times`` cut at ``cutoff``."""
        times = [t for t in times if t < cutoff]
        if not times:
            return 0.0
        gaps = np.diff(times)
        done = np.sum(np.log1p(-q) - np.log(mean) - gaps / mean)
        return done + np.log(q + (1 - q) * np.exp(-(cutoff - times[-1]) / mean))

    days = lambda ts: ((ts - log.data_start).dt.total_seconds() / 86400).sort_values().tolist()  # noqa: E731
    cut, cut_inner = [
        (c - log.data_start).total_seconds() / 86400 for c in (log.cutoff, inner.cutoff)
    ]
    checked = 0
    for customer, row in log.customers.items():
        times = days(log.events.loc[log.events["customer_id"] == customer, "time"])
        hand = loglik(times, cut) - loglik(times, cut_inner)
        assert contributions[row] == pytest.approx(hand, rel=1e-6, abs=1e-6), customer
        checked += 1
    assert checked == len(log.customers)
    # the wrong score (the whole period, no conditioning) differs for someone
    whole = [
        loglik(days(log.events.loc[log.events["customer_id"] == c, "time"]), cut)
        for c in log.customers.index
    ]
    assert not np.allclose(contributions, whole)
