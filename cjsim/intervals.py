"""Statistics over replications: t-intervals of every column, mean series with bands.

A utility below every layer: it knows data frames, not engines or money.

>>> import pandas as pd
>>> table = interval_table(pd.DataFrame({"x": [1.0, 2.0, 3.0]}))
>>> list(table.columns)
['kpi', 'mean', 'ci_low', 'ci_high', 'std_err']
>>> float(table["mean"].iloc[0]), round(float(table["ci_high"].iloc[0]), 4)
(2.0, 4.4841)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["INTERVAL_COLUMNS", "interval", "interval_table", "series_table"]

INTERVAL_COLUMNS = ["kpi", "mean", "ci_low", "ci_high", "std_err"]


def interval_table(per_replication: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """Mean, t-interval and standard error of every column (NaN replications skipped).

    Parameters
    ----------
    per_replication : DataFrame
        One row per replication, one column per quantity.
    level : float
        Confidence level of the two-sided t-interval, in (0, 1).

    Returns
    -------
    DataFrame
        :data:`INTERVAL_COLUMNS`, one row per column of ``per_replication``; a single
        finite value gives NaN interval and standard error.
    """
    from scipy import special  # loaded when first needed (not by simulation workers)

    rows = []
    for kpi in per_replication.columns:
        values = per_replication[kpi].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if not len(values):
            rows.append((kpi, math.nan, math.nan, math.nan, math.nan))
            continue
        mean = float(values.mean())
        if len(values) < 2:
            rows.append((kpi, mean, math.nan, math.nan, math.nan))
            continue
        se = float(values.std(ddof=1) / math.sqrt(len(values)))
        # Student's t quantile (what scipy.stats.t.ppf computes, without loading scipy.stats)
        half = float(special.stdtrit(len(values) - 1, 0.5 + level / 2)) * se
        rows.append((kpi, mean, mean - half, mean + half, se))
    return pd.DataFrame(rows, columns=INTERVAL_COLUMNS)


def interval(values: np.ndarray) -> tuple[float, float, float, float]:
    """``(mean, ci_low, ci_high, std_err)`` of ``values``; one value is its own
    zero-width interval (an exact figure), none gives NaN.

    >>> interval(np.array([5.0]))
    (5.0, 5.0, 5.0, 0.0)
    """
    row = interval_table(pd.DataFrame({"x": values})).iloc[0]
    if len(values) == 1:
        return float(row["mean"]), float(row["mean"]), float(row["mean"]), 0.0
    return float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]), float(row["std_err"])


def series_table(
    frames: Sequence[pd.DataFrame], *, key: str = "day", bands: Sequence[str] = ()
) -> pd.DataFrame:
    """The mean of several replications' series, bin by bin, with 2.5–97.5 % bands.

    Parameters
    ----------
    frames : sequence of DataFrame
        One per replication, with the same ``key`` column (e.g. each bin's start day).
    key : str
        The column the frames are aligned on.
    bands : sequence of str
        Columns that also get ``<column>_p2.5`` and ``<column>_p97.5`` across replications.
    """
    stacked = pd.concat(list(frames), keys=range(len(frames)))
    mean = stacked.groupby(key).mean()
    for column in bands:
        grouped = stacked.groupby(key)[column]
        mean[f"{column}_p2.5"] = grouped.quantile(0.025)
        mean[f"{column}_p97.5"] = grouped.quantile(0.975)
    return mean.reset_index()
