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
