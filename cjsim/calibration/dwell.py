"""Dwell-time distributions by maximum likelihood with right censoring.

A spell still open when the data end is right-censored: it lasted *at least* that long.
Each candidate (exponential, gamma, lognormal, Weibull) is fitted with
``scipy.stats`` on ``CensoredData``; the lowest AIC wins.  The goodness-of-fit figure is
the largest distance between the Kaplan-Meier estimate and the fitted CDF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cjsim.calibration.families import FAMILIES, MIN_DAYS, PARAMETRIC
from cjsim.errors import CalibrationError
from cjsim.model import Distribution

__all__ = ["DwellFit", "fit_dwell", "kaplan_meier"]

# the candidate families: scipy.stats family and number of fitted parameters
_CANDIDATES = {f.name: (f.scipy, f.n_params) for f in PARAMETRIC}


@dataclass(frozen=True)
class DwellFit:
    """The chosen distribution and how the candidates compared."""

    dist: Distribution
    kind: str
    aic: float
    n: int
    n_censored: int
    ks_distance: float  # max |Kaplan-Meier - fitted CDF|
    candidates: pd.DataFrame  # kind, log_likelihood, aic, delta_aic


def _to_model(kind: str, params: tuple[float, ...]) -> Distribution:
    """The model distribution of ``kind`` with ``scipy.stats`` parameters ``params``."""
    return FAMILIES[kind].from_native(params)


def kaplan_meier(durations: np.ndarray, censored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Event times and the Kaplan-Meier survival just after each."""
    order = np.argsort(durations, kind="stable")
    t, c = durations[order], censored[order]
    times, idx = np.unique(t, return_index=True)
    at_risk = len(t) - idx
    events = np.add.reduceat(~c, idx) if len(t) else np.zeros(0)
    survival = np.cumprod(1 - events / at_risk)
    keep = events > 0
    return times[keep], survival[keep]


def fit_dwell(
    durations: np.ndarray | list[float], censored: np.ndarray | list[bool] | None = None
) -> DwellFit:
    """Fit the dwell distribution of spells (days); ``censored`` marks spells still open.

    Raises
    ------
    CalibrationError
        With fewer than two completed spells, or negative / non-finite durations.
    """
    x = np.asarray(durations, dtype=float)
    cens = np.zeros(len(x), dtype=bool) if censored is None else np.asarray(censored, dtype=bool)
    if len(cens) != len(x):
        raise CalibrationError(f"{len(x)} durations but {len(cens)} censoring flags")
    if not np.isfinite(x).all() or (x < 0).any():
        raise CalibrationError("durations must be finite and >= 0 days")
    if (~cens).sum() < 2:
        raise CalibrationError(
            f"only {(~cens).sum()} completed spell(s): too few to fit a "
            "dwell distribution — merge the touchpoint or gather more data"
        )
    x = np.maximum(x, MIN_DAYS)
    data = stats.CensoredData(uncensored=x[~cens], right=x[cens])
    rows, fitted = [], {}
    for fam in PARAMETRIC:
        params = fam.scipy.fit(data, floc=0)
        loglik = float(
            fam.scipy.logpdf(x[~cens], *params).sum() + fam.scipy.logsf(x[cens], *params).sum()
        )
        fitted[fam.name] = params
        rows.append((fam.name, loglik, 2 * fam.n_params - 2 * loglik))
    table = pd.DataFrame(rows, columns=["kind", "log_likelihood", "aic"])
    table["delta_aic"] = table["aic"] - table["aic"].min()
    table = table.sort_values("aic", ignore_index=True)
    best = str(table["kind"].iloc[0])
    dist = _to_model(best, fitted[best])
    times, survival = kaplan_meier(x, cens)
    cdf = dist.scipy().cdf(times)
    ks = float(np.max(np.abs((1 - survival) - cdf))) if len(times) else math.nan
    return DwellFit(dist, best, float(table["aic"].iloc[0]), len(x), int(cens.sum()), ks, table)
