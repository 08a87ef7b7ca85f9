"""A small event log shared by the stage, assembler and save/load tests: 300 customers
of two kinds (a segment column says which), each visiting the site once and then
buying until they leave silently."""

import numpy as np
import pandas as pd
import pytest

MAPPING = {
    "touchpoints": {"site": ["visit"], "shop": ["buy"]},
    "purchases": ["shop"],
    "cutoff": "2021-06-01",
}


def two_kinds(n=300, seed=3, end_day=200.0):
    """A fifth of the visitors leave without buying; loyal customers (40 %) buy every
    8 days and leave with probability 0.05 after a purchase; casual ones every 40 days,
    leaving with probability 0.5."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n):
        loyal = rng.random() < 0.4
        gap, q = (8.0, 0.05) if loyal else (40.0, 0.5)
        t = rng.uniform(0, 60)
        rows.append((f"c{c}", t, "visit", "loyal" if loyal else "casual"))
        if rng.random() < 0.2:
            continue  # left without buying
        t += rng.exponential(2.0)
        while t < end_day:
            rows.append((f"c{c}", t, "buy", "loyal" if loyal else "casual"))
            if rng.random() < q:
                break
            t += rng.exponential(gap)
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "event", "segment"])
    frame["timestamp"] = pd.Timestamp("2021-01-01") + pd.to_timedelta(frame["day"], unit="D")
    frame["value"] = rng.gamma(4.0, 10.0, len(frame))
    return frame.drop(columns="day")


@pytest.fixture(scope="session")
def small_mapping():
    return MAPPING


@pytest.fixture(scope="session")
def small_log():
    return two_kinds()


@pytest.fixture(scope="session")
def segment_fit(small_log):
    """Two segments from the log's column."""
    import cjsim

    return cjsim.calibrate(small_log, MAPPING)


@pytest.fixture(scope="session")
def destination_fit(small_log):
    """One class, dwell by destination."""
    import cjsim

    log = small_log.drop(columns="segment")
    return cjsim.calibrate(log, MAPPING, dwell_by_destination=True)
