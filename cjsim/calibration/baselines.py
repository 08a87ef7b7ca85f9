"""BG/NBD, the benchmark a calibrated customer base is compared with.

Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2), 275-284.  While alive, a customer buys as a
Poisson process with rate ``lambda ~ Gamma(r, alpha)``; after each repeat purchase they
leave for good with probability ``p ~ Beta(a, b)``.  A customer is summarised over the
calibration period by ``x`` (repeat purchases), ``t_x`` (time of the last one after the
first purchase, 0 when ``x = 0``) and ``T`` (time from the first purchase to the end of
the calibration period), all in one unit of time (weeks in the literature).

:func:`repeat_summary` turns purchase times into ``x, t_x, T``; :func:`fit_bgnbd`
maximises the closed-form likelihood (:func:`bgnbd_loglik`) over the log-parameters and
returns a :class:`BGNBD` that forecasts the expected repeat purchases of a new customer
(:meth:`BGNBD.expected`) and of a customer with a known history
(:meth:`BGNBD.conditional`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from cjsim.errors import CalibrationError

__all__ = ["BGNBD", "bgnbd_loglik", "fit_bgnbd", "repeat_summary"]

Array = NDArray[np.float64]


def _arrays(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> tuple[Array, Array, Array]:
    """``x, t_x, T`` as float arrays of one length, checked."""
    xs, tx, tt = (np.asarray(v, dtype=float).ravel() for v in (x, t_x, T))
    if not len(xs) == len(tx) == len(tt):
        raise CalibrationError(
            f"BG/NBD: x, t_x and T have lengths {len(xs)}, {len(tx)}, {len(tt)} — give one "
            "value of each per customer"
        )
    bad = {
        "x is not a whole number >= 0": ~((xs >= 0) & (xs == np.round(xs))),
        "t_x is outside [0, T]": ~((tx >= 0) & (tx <= tt)),
        "t_x is not 0 although x is 0": (xs == 0) & (tx != 0),
    }
    for what, rows in bad.items():
        if rows.any():
            first = int(np.flatnonzero(rows)[0])
            raise CalibrationError(
                f"BG/NBD: {int(rows.sum())} customer(s) where {what} (the first: row {first}, "
                f"x={xs[first]}, t_x={tx[first]}, T={tt[first]}) — t_x is the time of the "
                "last repeat purchase after the first purchase, T the time from the first "
                "purchase to the end of the calibration period"
            )
    return xs, tx, tt


def bgnbd_loglik(
    r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> Array:
    """Each customer's log-likelihood under BG/NBD (FHL 2005, eq. 6).

    ``L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
    + [x > 0] B(a+1, b+x-1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x))``,
    computed in logs with ``gammaln`` (no hypergeometric function is needed).

    Parameters
    ----------
    r, alpha : float
        Shape and rate (per unit of time) of the gamma purchase rate, > 0.
    a, b : float
        Beta parameters of the drop-out probability after a purchase, > 0.
    x, t_x, T : array_like
        Repeat purchases, time of the last one, and time observed (see the module).

    Returns
    -------
    numpy.ndarray
        One log-likelihood per customer.
    """
    xs, tx, tt = _arrays(x, t_x, T)
    common = special.gammaln(r + xs) - special.gammaln(r) + r * math.log(alpha)
    common += special.betaln(a, b + xs) - special.betaln(a, b)
    stayed = -(r + xs) * np.log(alpha + tt)
    x1 = np.maximum(xs, 1.0)  # the second term only exists for x > 0
    left = math.log(a) - np.log(b + x1 - 1) - (r + xs) * np.log(alpha + tx)
    return common + np.where(xs > 0, np.logaddexp(stayed, left), stayed)


@dataclass(frozen=True)
class BGNBD:
    """A fitted (or given) BG/NBD model; times in the unit of the data it was fitted on.

    Parameters
    ----------
    r, alpha : float
        Gamma purchase rate: shape ``r`` and rate ``alpha`` (mean rate ``r / alpha`` per
        unit of time).
    a, b : float
        Beta drop-out probability after each repeat purchase (mean ``a / (a + b)``).
    loglik : float
        The maximised log-likelihood (NaN when the parameters were given).
    customers : int
        Customers it was fitted on.
    log_se : tuple of float
        Standard errors of ``log r, log alpha, log a, log b`` from the observed
        information (NaN when unknown).

    Examples
    --------
    >>> m = BGNBD(r=0.243, alpha=4.414, a=0.793, b=2.426)
    >>> round(float(m.expected(39.0)), 3)
    1.197
    """

    r: float
    alpha: float
    a: float
    b: float
    loglik: float = math.nan
    customers: int = 0
    log_se: tuple[float, float, float, float] = (math.nan,) * 4

    @property
    def params(self) -> dict[str, float]:
        """``{"r": …, "alpha": …, "a": …, "b": …}``."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def expected(self, t: ArrayLike) -> Array:
        """E[X(t)]: expected repeat purchases of a customer in ``t`` units of time after
        their first purchase (FHL 2005, eq. 9)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        tt = np.maximum(np.asarray(t, dtype=float), 0.0)
        z = tt / (alpha + tt)
        hyp = special.hyp2f1(r, b, a + b - 1, z)
        return np.asarray((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + tt)) ** r * hyp))

    def conditional(self, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:
        """E[Y(t) | x, t_x, T]: expected repeat purchases in the ``t`` units of time after
        the calibration period of a customer with history ``x, t_x, T`` (FHL 2005, eq. 10).

        ``t`` is a scalar or one value per customer."""
        xs, tx, tt = _arrays(x, t_x, T)
        r, alpha, a, b = self.r + xs, self.alpha, self.a, self.b
        h = np.maximum(np.asarray(t, dtype=float), 0.0)
        z = h / (alpha + tt + h)
        hyp = special.hyp2f1(r, b + xs, a + b + xs - 1, z)
        grows = (a + b + xs - 1) / (a - 1) * (1 - ((alpha + tt) / (alpha + tt + h)) ** r * hyp)
        return np.asarray(grows * self.alive(xs, tx, tt))

    def alive(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:
        """P(alive at the end of the calibration period | x, t_x, T) (FHL 2005, eq. 11 of
        the technical note)."""
        xs, tx, tt = _arrays(x, t_x, T)
        x1 = np.maximum(xs, 1.0)
        log_odds = (
            math.log(self.a)
            - np.log(self.b + x1 - 1)
            + (self.r + xs) * (np.log(self.alpha + tt) - np.log(self.alpha + tx))
        )
        with np.errstate(over="ignore"):
            return np.where(xs > 0, 1 / (1 + np.exp(log_odds)), 1.0)


def _negative_loglik(theta: Array, x: Array, t_x: Array, T: Array) -> float:
    r, alpha, a, b = np.exp(theta)
    return -float(bgnbd_loglik(r, alpha, a, b, x, t_x, T).sum())


def _hessian(f: Callable[[Array], float], theta: Array, step: float = 1e-4) -> Array:
    """Central-difference Hessian of the scalar function ``f`` at ``theta``."""
    n = len(theta)
    h = np.zeros((n, n))
    eye = np.eye(n) * step
    for i in range(n):
        for j in range(i, n):
            d = (
                f(theta + eye[i] + eye[j])
                - f(theta + eye[i] - eye[j])
                - f(theta - eye[i] + eye[j])
                + f(theta - eye[i] - eye[j])
            )
            h[i, j] = h[j, i] = d / (4 * step * step)
    return h


def _standard_errors(
    f: Callable[[Array], float], theta: Array
) -> tuple[float, float, float, float]:
    try:
        cov = np.linalg.inv(_hessian(f, theta))
    except np.linalg.LinAlgError:
        return (math.nan,) * 4
    d = np.diag(cov)
    se = np.where(d > 0, np.sqrt(np.abs(d)), math.nan)
    return (float(se[0]), float(se[1]), float(se[2]), float(se[3]))


def fit_bgnbd(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> BGNBD:
    """Fit BG/NBD by maximum likelihood over ``log r, log alpha, log a, log b``.

    Parameters
    ----------
    x, t_x, T : array_like
        One value per customer: repeat purchases in the calibration period, the time of
        the last one after the first purchase (0 when ``x = 0``), and the time from the
        first purchase to the end of the calibration period (e.g. from
        :func:`repeat_summary`).

    Returns
    -------
    BGNBD
        With the maximised log-likelihood and the log-parameters' standard errors.

    Raises
    ------
    CalibrationError
        For inconsistent inputs, no customers, or when the optimiser does not converge.
    """
    xs, tx, tt = _arrays(x, t_x, T)
    if not len(xs):
        raise CalibrationError("BG/NBD: no customers to fit — the summary is empty")

    def f(theta: Array) -> float:
        return _negative_loglik(theta, xs, tx, tt)

    res = optimize.minimize(f, np.zeros(4), method="BFGS", options={"gtol": 1e-6})
    if not np.isfinite(res.fun) or (not res.success and res.status != 2):
        raise CalibrationError(
            f"BG/NBD: the fit did not converge ({res.message}) — check that the customers "
            "have repeat purchases and that x, t_x and T share one unit of time"
        )
    r, alpha, a, b = (float(v) for v in np.exp(res.x))
    return BGNBD(r, alpha, a, b, -float(res.fun), len(xs), _standard_errors(f, res.x))


def repeat_summary(
    customer: ArrayLike,
    time_days: ArrayLike,
    *,
    calibration_end: float,
    holdout_end: float | None = None,
    unit_days: float = 7.0,
) -> pd.DataFrame:
    """Each customer's ``x, t_x, T`` (and holdout purchases) from purchase times.

    Purchases of one customer at the same time are merged into one (FHL 2005 merge
    purchases on the same day: give whole days).  Customers whose first purchase is after
    ``calibration_end`` are left out.

    Parameters
    ----------
    customer : array_like
        The customer of each purchase.
    time_days : array_like
        The time of each purchase, days (from any origin).
    calibration_end : float
        The last time of the calibration period, days, inclusive (for daily data, the
        last day's index: FHL 2005 measure CDNOW's ``T`` to 1997-09-30).
    holdout_end : float, optional
        The last time of the holdout period, days, inclusive; adds the column
        ``holdout``, purchases after ``calibration_end`` up to it.
    unit_days : float
        The unit of ``t_x`` and ``T``, days (default 7: weeks).

    Returns
    -------
    pandas.DataFrame
        Indexed by customer: ``first_day`` (days), ``x``, ``t_x``, ``T`` (units) and,
        with ``holdout_end``, ``holdout``.
    """
    buys = pd.DataFrame({"customer": np.asarray(customer), "day": np.asarray(time_days, float)})
    buys = buys.drop_duplicates().sort_values(["customer", "day"], kind="stable")
    first = buys.groupby("customer")["day"].min()
    first = first[first <= calibration_end]
    cal = buys[buys["customer"].isin(first.index) & (buys["day"] <= calibration_end)]
    grouped = cal.groupby("customer")["day"]
    out = pd.DataFrame({"first_day": first})
    out["x"] = (grouped.size() - 1).reindex(first.index).astype(int)
    out["t_x"] = (grouped.max() - first) / unit_days
    out["T"] = (calibration_end - first) / unit_days
    if holdout_end is not None:
        later = buys[(buys["day"] > calibration_end) & (buys["day"] <= holdout_end)]
        out["holdout"] = later.groupby("customer").size().reindex(first.index, fill_value=0)
    return out
