"""Exits nobody records: a mixture cure model for customers who silently stop.

At a touchpoint a customer either moves on after a dwell ``D ~ F`` (probability
``1 - q``) or leaves without a trace (probability ``q``).  A completed spell of ``d``
days contributes ``(1 - q) f(d)``; a spell still open after ``s`` days contributes
``q + (1 - q) S(s)`` — it may be a silent exit or a slow customer.  Maximising this
likelihood estimates ``q`` and ``F`` together, with no arbitrary inactivity threshold.

The objective (:func:`cure_negll`) is shared with the latent classes' M-step
(:mod:`.mixture`): K classes, each spell weighted per class, a completed spell needing
only the density and an open one only the survival, with its analytic gradient in
``(logit q, log scale, log shape)``, so the fits use gradient-based optimisers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special
from threadpoolctl import threadpool_limits

from cjsim.calibration.families import (
    FITTED,
    INSTANT,
    MIN_DAYS,
    PARAMETRIC,
    PLAUSIBLE,
    Parametric,
)
from cjsim.errors import CalibrationError
from cjsim.model import Distribution

__all__ = ["CureSpells", "ExitFit", "cure_negll", "fit_exit", "minimise"]

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]
REFUSED = 1e300  # the objective at a point where the likelihood is not finite
# log shape stays within these: completed spells all of one length have no maximum
# (the shape runs off to a spike), and the model refuses a lognormal without spread
LOG_SHAPE = (math.log(1e-3), math.log(1e4))
SPIKE = "weibull"  # the family of completed spells all of one length (within a second)


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


@dataclass(frozen=True)
class CureSpells:
    """One touchpoint's spells (days, at least :data:`MIN_DAYS`) with a weight per
    class: ``w_done`` is (K, completed), ``w_open`` (K, open).  Spells of equal length
    may be one entry with their summed weight (:meth:`collapsed`): the likelihood is
    the same, and it is computed once per distinct length."""

    done: np.ndarray
    opened: np.ndarray
    w_done: np.ndarray
    w_open: np.ndarray

    @classmethod
    def collapsed(
        cls, done: np.ndarray, opened: np.ndarray, w_done: np.ndarray, w_open: np.ndarray
    ) -> CureSpells:
        """Spells of equal length merged, their weights summed per class."""
        d, d_at = np.unique(done, return_inverse=True)
        o, o_at = np.unique(opened, return_inverse=True)
        return cls(d, o, _summed(w_done, d_at, len(d)), _summed(w_open, o_at, len(o)))

    @classmethod
    def unweighted(cls, done: np.ndarray, opened: np.ndarray) -> CureSpells:
        """One class, every spell with weight 1 (equal lengths merged)."""
        return cls.collapsed(done, opened, np.ones((1, len(done))), np.ones((1, len(opened))))


def _summed(weights: np.ndarray, at: np.ndarray, size: int) -> np.ndarray:
    """(K, size): each row of ``weights`` summed by the group index ``at``."""
    out = np.zeros((len(weights), size))
    for j, w in enumerate(weights):
        out[j] = np.bincount(at, w, minlength=size)
    return out


def cure_negll(theta: np.ndarray, family: Parametric, sp: CureSpells) -> tuple[float, np.ndarray]:
    """Negative weighted log-likelihood of the cure model and its gradient.

    ``theta`` is ``(logit q[K], log scale[K], log shape)`` (no shape for a
    one-parameter family).  A point where the likelihood is not finite gives
    :data:`REFUSED` and a zero gradient (a line search steps back from it).
    """
    k = sp.w_done.shape[0]
    t = theta[:k]
    with np.errstate(all="ignore"):  # a far trial point: refused below
        scale = np.exp(theta[k : 2 * k])
        shape = float(np.exp(theta[2 * k])) if family.has_shape else math.nan
        log_q, log_p = special.log_expit(t)[:, None], special.log_expit(-t)[:, None]
        f, f_scale, f_shape = family.log_pdf_grad(sp.done, scale, shape)
        s, s_scale, s_shape = family.log_sf_grad(sp.opened, scale, shape)
        still = np.logaddexp(log_q, log_p + s)  # log(q + (1 - q) S)
        mover = sp.w_open * np.exp(log_p + s - still)  # weight x P(mover | open)
        wd, wo = sp.w_done.sum(axis=1), sp.w_open.sum(axis=1)
        ll = (wd * log_p[:, 0]).sum() + (sp.w_done * f).sum() + (sp.w_open * still).sum()
        grad = [
            wo - mover.sum(axis=1) - np.exp(log_q[:, 0]) * (wd + wo),
            (sp.w_done * f_scale).sum(axis=1) + (mover * s_scale).sum(axis=1),
        ]
        if family.has_shape:
            grad.append(np.array([(sp.w_done * f_shape).sum() + (mover * s_shape).sum()]))
    g = np.concatenate(grad)
    if not (np.isfinite(ll) and np.isfinite(g).all()):
        return REFUSED, np.zeros_like(theta)
    return float(-ll), -g


def minimise(objective: Objective, theta0: np.ndarray, shaped: bool) -> np.ndarray:
    """The minimum of ``objective`` (value and gradient) by L-BFGS-B from ``theta0``,
    its last coordinate (a log shape when ``shaped``) within :data:`LOG_SHAPE`;
    ``theta0`` itself when the optimiser ends anywhere worse."""
    bounds = [(None, None)] * (len(theta0) - shaped) + [LOG_SHAPE] * shaped
    if shaped:
        theta0 = np.concatenate([theta0[:-1], np.clip(theta0[-1:], *LOG_SHAPE)])
    res = optimize.minimize(
        objective,
        theta0,
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-13, "gtol": 1e-7, "maxiter": 2000},
    )
    return np.asarray(res.x) if objective(res.x)[0] <= objective(theta0)[0] else theta0


def hessian(objective: Objective, theta: np.ndarray) -> np.ndarray:
    """The Hessian of ``objective`` at ``theta`` by central differences of its gradient."""
    n = len(theta)
    h = 1e-5 * np.maximum(1.0, np.abs(theta))
    out = np.empty((n, n))
    for i in range(n):
        step = np.zeros(n)
        step[i] = h[i]
        out[:, i] = (objective(theta + step)[1] - objective(theta - step)[1]) / (2 * h[i])
    return (out + out.T) / 2


def logit_se(hess: np.ndarray, q: float) -> float:
    """Standard error of ``q`` from a Hessian whose first coordinate is ``logit q``
    (inverse Hessian, delta method via expit); NaN for a singular Hessian."""
    try:
        var_logit = float(np.linalg.inv(hess)[0, 0])
    except np.linalg.LinAlgError:
        return math.nan
    return math.sqrt(max(var_logit, 0.0)) * q * (1 - q)


def fit_exit(
    completed_days: np.ndarray | list[float],
    open_days: np.ndarray | list[float],
    families: tuple[str, ...] | None = None,
) -> ExitFit:
    """Fit ``q`` and the dwell of movers from completed and still-open spells (days);
    the dwell family is the lowest-AIC one of ``families`` (default: all four).

    When every completed spell has the same length (within a second) the likelihood
    has no maximum; the dwell is then a Weibull spike at that length (shape 1e4) when
    Weibull is a candidate.

    Raises
    ------
    CalibrationError
        For an unknown family, or fewer than two completed spells.
    """
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
    candidates = [f for f in PARAMETRIC if not families or f.name in families]
    if np.ptp(done) <= INSTANT and any(f.name == SPIKE for f in candidates):
        candidates = [FITTED[SPIKE]]
    with threadpool_limits(1):  # tiny problems: BLAS threads only cost
        aic, family, theta, se = _lowest_aic(CureSpells.unweighted(done, open_), candidates)
    scale = math.exp(theta[1])
    native = (math.exp(theta[2]), 0.0, scale) if family.has_shape else (0.0, scale)
    q = float(special.expit(theta[0]))
    return ExitFit(q, se, family.from_native(native), family.name, aic, native)


def _lowest_aic(
    sp: CureSpells, candidates: list[Parametric]
) -> tuple[float, Parametric, np.ndarray, float]:
    """The cure model fitted with each family: the lowest AIC, its family, coordinates
    and the standard error of q.  A single spike candidate starts at its spike.  A
    family whose fitted mean is not plausible (:meth:`.families.Family.plausible`) is
    passed over."""
    opened, done = sp.w_open.sum(), sp.w_done.sum()
    q0 = min(max(opened / (opened + done), 0.05), 0.95) / 2
    longest = float(max(sp.done.max(initial=0.0), sp.opened.max(initial=0.0)))
    best: tuple[float, Parametric, np.ndarray] | None = None
    implausible = []
    for family in candidates:
        scale, shape = family.start(sp.done)
        if np.ptp(sp.done) <= INSTANT:  # no maximum: the spike, at the largest shape
            scale, shape = float(sp.done.mean()), math.exp(LOG_SHAPE[1])
        theta0 = np.array(
            [special.logit(q0), math.log(scale)] + [math.log(shape)] * family.has_shape
        )
        objective = lambda t, f=family: cure_negll(t, f, sp)  # noqa: E731
        theta = minimise(objective, theta0, family.has_shape)
        aic = 2 * (family.n_params + 1) + 2 * objective(theta)[0]
        shape = math.exp(theta[2]) if family.has_shape else math.nan
        if not family.plausible(math.exp(theta[1]), shape, longest):
            implausible.append(family.name)
            continue
        if best is None or aic < best[0]:
            best = (aic, family, theta)
    if best is None:
        raise CalibrationError(
            f"no plausible dwell: {', '.join(implausible)} fitted a mean beyond "
            f"{PLAUSIBLE:g} times the longest spell ({longest:.4g} days) — near-instant "
            "steps mixed with long ones? let calibrate choose among all families, or use "
            'dwell_by_destination=True with dwell_families=("empirical",)'
        )
    aic, family, theta = best
    q = float(special.expit(theta[0]))
    se = logit_se(hessian(lambda t: cure_negll(t, family, sp), theta), q)
    return float(aic), family, theta, se
