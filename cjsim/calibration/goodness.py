"""Whether a fitted dwell family describes its spells: the goodness-of-fit guard of the
automatic dwell choice (:mod:`.dwellchoice`).

The test compares the fitted CDF with the weighted Kaplan-Meier estimate of the same
spells (completed spells weight 1, open ones the weight the fit gives them, as in
:func:`.competing.weighted_km`): the Kolmogorov-Smirnov distance, the largest gap on
either side of each Kaplan-Meier step, against the Kolmogorov distribution's critical
value at level :data:`GOF_LEVEL` for ``n`` = the number of completed spells.  With
estimated parameters the test is conservative (Lilliefors), so a family it rejects
misfits clearly; under censoring it is approximate (the Kaplan-Meier estimate is noisier
in the tail than an empirical CDF of ``n`` spells).

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> days = rng.exponential(2.0, 400)
>>> passes("exponential", 2.0, float("nan"), days, np.zeros(0), np.zeros(0))
True
>>> passes("exponential", 6.0, float("nan"), days, np.zeros(0), np.zeros(0))
False
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from cjsim.calibration.families import FAMILIES, MIN_DAYS

__all__ = ["GOF_LEVEL", "critical_distance", "km_steps", "ks_distance", "passes"]

GOF_LEVEL = 0.01  # a parametric dwell is rejected when its KS test has p below this


def km_steps(
    done: np.ndarray, opened: np.ndarray, w_open: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier with weighted censored observations (days, one-second resolution):
    the distinct times and the survival just after each."""
    t = np.concatenate([done, opened])
    event = np.concatenate([np.ones(len(done)), np.zeros(len(opened))])
    weight = np.concatenate([np.ones(len(done)), w_open])
    t = np.round(t * 86400) / 86400
    order = np.argsort(t, kind="stable")
    t, event, weight = t[order], event[order], weight[order]
    times, idx = np.unique(t, return_index=True)
    if not len(times):
        return times, np.ones(0)
    d = np.add.reduceat(weight * event, idx)
    at_risk = weight[::-1].cumsum()[::-1][idx]
    hazard = np.divide(d, at_risk, out=np.zeros_like(d), where=at_risk > 0)
    return times, np.cumprod(1 - np.minimum(hazard, 1.0))


def ks_distance(
    kind: str, scale: float, shape: float, done: np.ndarray, opened: np.ndarray, w_open: np.ndarray
) -> float:
    """The largest gap between the fitted CDF and the weighted Kaplan-Meier CDF, just
    before and just after each of its steps (0 without a completed spell)."""
    times, surv = km_steps(done, opened, w_open)
    steps = np.flatnonzero(np.diff(np.concatenate([[1.0], surv])) < 0)
    if not len(steps):
        return 0.0
    at = np.maximum(times[steps], MIN_DAYS)
    logs = FAMILIES[kind].log_pdf_sf(at, np.array([scale]), shape)[1][0]
    fitted = 1 - np.exp(logs)
    after = 1 - surv[steps]
    before = 1 - np.concatenate([[1.0], surv])[steps]
    return float(max(np.abs(after - fitted).max(), np.abs(before - fitted).max()))


def critical_distance(n: int, level: float = GOF_LEVEL) -> float:
    """The Kolmogorov-Smirnov distance exceeded with probability ``level`` by ``n``
    spells of the fitted law (parameters known)."""
    return float(stats.kstwo.isf(level, max(n, 1)))


def passes(
    kind: str,
    scale: float,
    shape: float,
    done: np.ndarray,
    opened: np.ndarray,
    w_open: np.ndarray,
    level: float = GOF_LEVEL,
) -> bool:
    """Whether the fitted ``kind`` (its ``scale`` and ``shape``) passes the KS test on
    completed spells ``done`` and open spells ``opened`` weighted by ``w_open`` (days)."""
    distance = ks_distance(kind, scale, shape, done, opened, w_open)
    return distance <= critical_distance(len(done), level)
