"""Exits nobody records: a mixture cure model for customers who silently stop.

At a touchpoint a customer either moves on after a dwell ``D ~ F`` (probability
``1 - q``) or leaves without a trace (probability ``q``).  A completed spell of ``d``
days contributes ``(1 - q) f(d)``; a spell still open after ``s`` days contributes
``q + (1 - q) S(s)`` — it may be a silent exit or a slow customer.  Maximising this
likelihood estimates ``q`` and ``F`` together, with no arbitrary inactivity threshold.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from cjsim.calibration.families import FAMILIES, MIN_DAYS, PARAMETRIC
from cjsim.errors import CalibrationError
from cjsim.model import Distribution

__all__ = ["ExitFit", "fit_exit"]


@dataclass(frozen=True)
class ExitFit:
    """Silent-exit probability with its standard error, and the dwell of those who move."""

    exit_probability: float
    exit_se: float
    dist: Distribution
    kind: str
    aic: float
    native: tuple[float, ...] = ()  # scipy.stats parameters (shape, loc, scale) or (loc, scale)

    def still_active(self, elapsed_days: float) -> float:
        """P(the customer will still move on | open for ``elapsed_days``)."""
        survive = (1 - self.exit_probability) * float(self.dist.scipy().sf(elapsed_days))
        return survive / (self.exit_probability + survive) if survive > 0 else 0.0


def _negloglik(
    theta: np.ndarray, family: stats.rv_continuous, k: int, done: np.ndarray, open_: np.ndarray
) -> float:
    q = special.expit(theta[0])
    params = np.exp(theta[1 : 1 + k])
    args = (*params[:-1], 0.0, params[-1]) if k == 2 else (0.0, params[0])
    ll = np.log1p(-q) * len(done) + family.logpdf(done, *args).sum()
    ll += np.log(q + (1 - q) * family.sf(open_, *args)).sum()
    return float(-ll) if np.isfinite(ll) else 1e300


def _hessian_se(fun: object, theta: np.ndarray) -> float:
    """Standard error of q from a finite-difference Hessian (delta method via expit)."""
    n = len(theta)
    h = 1e-4 * np.maximum(1.0, np.abs(theta))
    hess = np.zeros((n, n))
    f0 = fun(theta)  # type: ignore[operator]
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.eye(n)[i] * h[i], np.eye(n)[j] * h[j]
            value = fun(theta + ei + ej) - fun(theta + ei) - fun(theta + ej) + f0  # type: ignore[operator]
            hess[i, j] = hess[j, i] = value / (h[i] * h[j])
    try:
        var_logit = float(np.linalg.inv(hess)[0, 0])
    except np.linalg.LinAlgError:
        return math.nan
    q = special.expit(theta[0])
    return math.sqrt(max(var_logit, 0.0)) * q * (1 - q)


def _start(family: stats.rv_continuous, k: int, done: np.ndarray) -> tuple[float, ...]:
    """Uncensored MLE as a starting point; moments when it fails (all spells equal)."""
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            params = tuple(float(v) for v in family.fit(done, floc=0))
        if all(np.isfinite(params)) and params[-1] > 0 and (k == 1 or params[0] > 0):
            return params
    except (ValueError, RuntimeError, FloatingPointError):
        pass
    mean = float(max(done.mean(), MIN_DAYS))
    return (1.0, 0.0, mean) if k == 2 else (0.0, mean)


def fit_exit(
    completed_days: np.ndarray | list[float],
    open_days: np.ndarray | list[float],
    families: tuple[str, ...] | None = None,
) -> ExitFit:
    """Fit ``q`` and the dwell of movers from completed and still-open spells (days);
    the dwell family is the lowest-AIC one of ``families`` (default: all four)."""
    names = [f.name for f in PARAMETRIC]
    unknown = [f for f in families or () if f not in names]
    if unknown:
        raise CalibrationError(f"unknown dwell family {unknown[0]!r} — one of {', '.join(names)}")
    done = np.maximum(np.asarray(completed_days, dtype=float), MIN_DAYS)
    open_ = np.maximum(np.asarray(open_days, dtype=float), MIN_DAYS)
    if len(done) < 2:
        raise CalibrationError(
            f"only {len(done)} completed spell(s): too few to separate "
            "silent exits from slow customers"
        )
    best: tuple[float, str, np.ndarray, int] | None = None
    for kind, (family, k) in ((f.name, (f.scipy, f.n_params)) for f in PARAMETRIC):
        if families and kind not in families:
            continue
        start_params = _start(family, k, done)
        scale = [start_params[-1]] if k == 1 else [start_params[0], start_params[-1]]
        q0 = min(max(len(open_) / (len(open_) + len(done)), 0.05), 0.95) / 2
        theta0 = np.array([special.logit(q0), *np.log(scale)])
        fun = lambda t, f=family, k=k: _negloglik(t, f, k, done, open_)  # noqa: E731
        res = optimize.minimize(
            fun,
            theta0,
            method="Nelder-Mead",
            options={"xatol": 1e-7, "fatol": 1e-9, "maxiter": 4000},
        )
        aic = 2 * (k + 1) + 2 * res.fun
        if best is None or aic < best[0]:
            best = (aic, kind, res.x, k)
    assert best is not None
    aic, kind, theta, k = best
    family = FAMILIES[kind].scipy
    params = np.exp(theta[1:])
    native = (params[0], 0.0, params[-1]) if k == 2 else (0.0, params[0])
    se = _hessian_se(lambda t: _negloglik(t, family, k, done, open_), theta)
    return ExitFit(
        float(special.expit(theta[0])),
        se,
        FAMILIES[kind].from_native(native),
        kind,
        float(aic),
        tuple(float(v) for v in native),
    )
