"""Shared helpers of the CLI tests."""

import numpy as np
import pandas as pd


def purchase_log(value_column: str = "value") -> pd.DataFrame:
    """400 customers buying every 25 days or so in 2020, each order worth 20."""
    rng = np.random.default_rng(2)
    rows = []
    for c in range(400):
        t = rng.uniform(0, 60)
        while t < 300:
            rows.append((f"c{c}", pd.Timestamp("2020-01-01") + pd.Timedelta(days=t), "buy", 20.0))
            if rng.random() < 0.3:
                break
            t += rng.exponential(25.0)
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", value_column])
