"""Purchase logs generated from known processes, for the calibration tests."""

from collections.abc import Callable

import numpy as np
import pandas as pd


def buys(
    rng: np.random.Generator, start: float, end: float, q: float, gap: Callable[[float], float]
) -> list[float]:
    """One customer's purchase days from ``start`` until ``end``: after each purchase
    they leave silently with probability ``q``, else buy again after ``gap(t)`` days."""
    days, t = [], start
    while t < end:
        days.append(t)
        if rng.random() < q:
            break
        t += gap(t)
    return days


def shop_log(
    rows: list[tuple[str, float]], start: pd.Timestamp, value: float = 10.0
) -> pd.DataFrame:
    """``(customer, day)`` rows as an event log of ``shop`` events from ``start``."""
    frame = pd.DataFrame(rows, columns=["customer_id", "day"])
    frame["timestamp"] = start + pd.to_timedelta(frame["day"], unit="D")
    frame["event"] = "shop"
    frame["value"] = value
    return frame.drop(columns="day")


# A three-touchpoint journey for the drift tests: movers' rows, silent exits, mean dwell
# (exponential, days) and a Poisson arrival rate at the site.
JOURNEY_EVENTS = {"site": "visit", "email": "click", "shop": "buy"}
JOURNEY_ROWS = {
    "site": {"email": 0.5, "shop": 0.2, "site": 0.3},
    "email": {"site": 0.6, "shop": 0.4},
    "shop": {"site": 0.5, "shop": 0.5},
}
JOURNEY_EXIT = {"site": 0.3, "email": 0.2, "shop": 0.3}
JOURNEY_DWELL = {"site": 2.0, "email": 4.0, "shop": 8.0}
JOURNEY_MAPPING = {
    "touchpoints": {name: [event] for name, event in JOURNEY_EVENTS.items()},
    "purchases": ["shop"],
}


def _step(rng, node, rows, dwell_factor):
    """One visit: None for a silent exit, else (days to the next event, next node);
    always three draws, so a change after the cut-off leaves earlier draws alone."""
    leave, pick, wait = rng.random(), rng.random(), rng.exponential()
    if leave < JOURNEY_EXIT[node]:
        return None
    targets, probs = zip(*rows[node].items(), strict=True)
    nxt = targets[min(int(np.searchsorted(np.cumsum(probs), pick)), len(targets) - 1)]
    return wait * JOURNEY_DWELL[node] * dwell_factor.get(node, 1.0), nxt


def _path(rng, start, cut, end, holdout_rows, dwell_factor):
    """One customer's (day, node) events from ``start`` until ``end``."""
    out, t, node = [], start, "site"
    while t < end:
        out.append((t, node))
        late = t >= cut
        step = _step(
            rng, node, holdout_rows if late else JOURNEY_ROWS, dwell_factor if late else {}
        )
        if step is None:
            break
        t, node = t + step[0], step[1]
    return out


def journey_log(
    *,
    seed,
    cut_day=150.0,
    end_day=210.0,
    rate_per_day=8.0,
    holdout_rows=None,
    dwell_factor=None,
    arrival_factor=1.0,
):
    """An event log of :data:`JOURNEY_ROWS` from 2021-01-01 over ``end_day`` days; from
    ``cut_day`` on, visits follow ``holdout_rows`` (default the same rows), dwell at a
    touchpoint is multiplied by ``dwell_factor[touchpoint]`` and new customers arrive at
    ``arrival_factor`` times the rate.  The events before ``cut_day`` are the same for
    every variant of one ``seed`` (one random stream per customer)."""
    early = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    late = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
    starts = np.sort(early.uniform(0, cut_day, early.poisson(rate_per_day * cut_day)))
    more = np.sort(late.uniform(cut_day, end_day, late.poisson(rate_per_day * (end_day - cut_day))))
    keep = late.random(len(more)) < arrival_factor
    rows = []
    for c, start in enumerate(np.concatenate([starts, more])):
        if c >= len(starts) and not keep[c - len(starts)]:
            continue
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(2, c)))
        path = _path(rng, start, cut_day, end_day, holdout_rows or JOURNEY_ROWS, dwell_factor or {})
        rows += [(f"c{c}", day, JOURNEY_EVENTS[node]) for day, node in path]
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "event"])
    frame["timestamp"] = pd.Timestamp("2021-01-01") + pd.to_timedelta(frame["day"], unit="D")
    return frame.drop(columns="day")
