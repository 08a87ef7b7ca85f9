"""Shared helpers of the CLI tests."""

from pathlib import Path

import numpy as np
import pandas as pd

MAP = """cutoff = {cutoff}
closed_cohort = true
purchases = ["shop"]
[touchpoints]
shop = ["buy"]
"""


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


def write_files(folder: Path, value_column: str, cutoff: str) -> Path:
    """``events.csv`` (:func:`purchase_log`) and ``map.toml`` (:data:`MAP` with ``cutoff``,
    a TOML value) in ``folder``."""
    purchase_log(value_column).to_csv(folder / "events.csv", index=False)
    (folder / "map.toml").write_text(MAP.format(cutoff=cutoff))
    return folder
