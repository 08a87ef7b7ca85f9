"""Transition rows from counts: posterior means and credible intervals that cover.

Reference: the row that generated the sequences. Coverage of the 95 % intervals of the
three edges across 40 seeds must be at least 108 of 120 (under nominal coverage the count
is about Binomial(120, 0.95): mean 114, sd 2.4, so 108 is 2.5 sd below). Fixed seeds.
"""

import numpy as np
import pandas as pd
import pytest

from cjsim.calibration import load_mapping, map_events, read_events
from cjsim.calibration.transitions import count_transitions

ROW = {"cart": 0.2, "site": 0.3, "gone": 0.5}
MAPPING = {"touchpoints": {"site": ["view"], "cart": ["add"]}, "outcomes": {"gone": ["bye"]}}
NAMES = {"site": "view", "cart": "add", "gone": "bye"}


def log_from(seed, customers=400):
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        t = pd.Timestamp("2012-01-01")
        rows.append((f"c{c}", t, "view"))
        nxt = rng.choice(list(ROW), p=list(ROW.values()))
        rows.append((f"c{c}", t + pd.Timedelta(hours=1), NAMES[nxt]))
    frame = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event"])
    return map_events(read_events(frame), load_mapping(MAPPING))


def test_counts_and_posterior_mean():
    rows = count_transitions(log_from(0))
    site = rows["site"]
    assert sum(site.counts) == 400
    assert site.mean["gone"] == pytest.approx(ROW["gone"], abs=0.1)
    assert sum(site.mean.values()) == pytest.approx(1.0)
    assert "gone" not in rows, "outcomes end rows, they start none"


def test_credible_intervals_cover_the_true_row():
    hits = total = 0
    for seed in range(40):
        table = count_transitions(log_from(seed))["site"].interval()
        for r in table.itertuples():
            hits += r.low <= ROW[r.to] <= r.high
            total += 1
    assert total == 120
    assert hits >= 108, hits


def test_draws_are_rows():
    draws = count_transitions(log_from(1))["site"].sample(np.random.default_rng(0), 100)
    assert draws.shape == (100, 3)
    assert np.allclose(draws.sum(axis=1), 1.0)
