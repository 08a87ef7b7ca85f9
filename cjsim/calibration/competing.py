"""Dwell that depends on where the customer goes next: a mixture cure model with
competing risks.

At a touchpoint a customer leaves silently with probability ``q``; otherwise they head
for target ``m`` with probability ``p_m`` and get there after a dwell ``D_m ~ F_m`` (an
automatic decline takes seconds, an approval days).  A completed spell of ``d`` days to
``m`` contributes ``(1 - q) p_m f_m(d)``; a spell still open after ``e`` days contributes
``q + (1 - q) sum_m p_m S_m(e)``.  EM treats the open spells' fate as missing:

- E-step: each open spell's posterior of being a silent exit or on its way to each ``m``;
- M-step: ``q`` and ``p`` from the (fractional) counts; each ``F_m`` by weighted censored
  maximum likelihood (the open spells on their way to ``m`` are censored at ``e``), its
  family chosen by AIC over the first iterations and then kept.

The standard error of ``q`` is conditional on the other parameters (numerical second
derivative of the observed log-likelihood in logit ``q``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from cjsim.calibration.dwell import _CANDIDATES, MIN_DAYS, _to_model
from cjsim.calibration.exits import _start
from cjsim.calibration.mixture import NO_EXIT, _logpdf_logsf
from cjsim.model import Distribution, Empirical, Fixed

__all__ = ["CompetingFit", "fit_competing"]

INSTANT = 1.0 / 86400  # spells within a second of each other are one fixed delay
FAMILY_ROUNDS = 3  # EM iterations during which each target's family may still change


@dataclass(frozen=True)
class CompetingFit:
    """Silent exit, movers' shares and a dwell distribution per target."""

    exit_probability: float
    exit_se: float
    targets: tuple[str, ...]
    counts: np.ndarray  # completed spells per target
    expected: np.ndarray  # completed + open spells' expected share, per target
    probs: np.ndarray  # movers' shares p_m
    kinds: tuple[str, ...]  # family per target ("fixed" for an instant step)
    params: tuple[tuple[float, float], ...]  # (scale, shape) per target
    loglik: float
    atoms: tuple[tuple[np.ndarray, np.ndarray] | None, ...] = ()  # empirical: values, mass

    @property
    def dists(self) -> tuple[Distribution, ...]:
        return tuple(
            _dist(k, s, sh, self._atoms(j))
            for j, (k, (s, sh)) in enumerate(zip(self.kinds, self.params, strict=True))
        )

    def _atoms(self, j: int) -> tuple[np.ndarray, np.ndarray] | None:
        return self.atoms[j] if j < len(self.atoms) else None

    def heading(self, elapsed: np.ndarray) -> np.ndarray:
        """(targets, len(elapsed)): P(on the way to each target | quiet for ``elapsed``)."""
        logs = self._logsf(np.asarray(elapsed, dtype=float))
        q = self.exit_probability
        a = math.log1p(-q) + np.log(np.maximum(self.probs, 1e-300))[:, None] + logs
        total = np.logaddexp(math.log(max(q, 1e-300)), special.logsumexp(a, axis=0))
        return np.exp(a - total[None])

    def _logsf(self, x: np.ndarray) -> np.ndarray:
        return np.stack(
            [
                _logf_logs(k, x, s, sh, self._atoms(j))[1]
                for j, (k, (s, sh)) in enumerate(zip(self.kinds, self.params, strict=True))
            ]
        )


def _dist(
    kind: str, scale: float, shape: float, atoms: tuple[np.ndarray, np.ndarray] | None = None
) -> Distribution:
    if kind == "fixed":
        return Fixed(float(scale))
    if kind == "empirical":
        assert atoms is not None
        return Empirical(tuple(atoms[0].tolist()), tuple(atoms[1].tolist()))
    native = (shape, 0.0, scale) if _CANDIDATES[kind][1] == 2 else (0.0, scale)
    return _to_model(kind, native)


def _logf_logs(
    kind: str,
    x: np.ndarray,
    scale: float,
    shape: float,
    atoms: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    x = np.maximum(x, MIN_DAYS)
    if kind == "fixed":  # a point mass: density irrelevant (constant), survival a step
        return np.zeros_like(x), np.where(x < scale + INSTANT, 0.0, -np.inf)
    if kind == "empirical":  # atoms: mass at each value; S(x) = mass strictly above x
        assert atoms is not None
        values, mass = atoms
        above = np.concatenate([np.cumsum(mass[::-1])[::-1], [0.0]])
        idx = np.searchsorted(values, x, side="right")
        with np.errstate(divide="ignore"):
            return np.zeros_like(x), np.log(np.maximum(above[idx], 0.0))
    f, s = _logpdf_logsf(kind, x, np.array([scale]), shape)
    return f[0], s[0]


def weighted_km(
    done: np.ndarray, opened: np.ndarray, w_open: np.ndarray, max_atoms: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan-Meier with weighted censored observations, as atoms (values, mass).

    The mass left after the last event (when the longest spell is censored) is put at
    the longest observed time: beyond the data nothing is known, and this keeps every
    customer moving on eventually.  More than ``max_atoms`` atoms are merged into
    quantile bins (mass-weighted mean value per bin).
    """
    t = np.concatenate([done, opened])
    event = np.concatenate([np.ones(len(done)), np.zeros(len(opened))])
    weight = np.concatenate([np.ones(len(done)), w_open])
    t = np.round(t * 86400) / 86400  # one-second resolution
    order = np.argsort(t, kind="stable")
    t, event, weight = t[order], event[order], weight[order]
    times, idx = np.unique(t, return_index=True)
    d = np.add.reduceat(weight * event, idx)
    at_risk = weight[::-1].cumsum()[::-1][idx]
    hazard = np.divide(d, at_risk, out=np.zeros_like(d), where=at_risk > 0)
    surv = np.cumprod(1 - np.minimum(hazard, 1.0))
    mass = -np.diff(np.concatenate([[1.0], surv]))
    keep = mass > 0
    values, mass = times[keep], mass[keep]
    rest = float(surv[-1]) if len(surv) else 1.0
    if rest > 1e-12:
        if len(values) and values[-1] >= times[-1]:
            mass[-1] += rest
        else:
            values, mass = np.append(values, times[-1]), np.append(mass, rest)
    if len(values) > max_atoms:
        cum = np.cumsum(mass) / mass.sum()
        bins = np.minimum((cum * max_atoms).astype(int), max_atoms - 1)
        m = np.bincount(bins, weights=mass)
        v = np.bincount(bins, weights=mass * values)
        nz = m > 0
        values, mass = v[nz] / m[nz], m[nz]
    return np.maximum(values, 0.0), mass / mass.sum()


def _weighted_fit(
    kind: str, done: np.ndarray, opened: np.ndarray, w_open: np.ndarray, start: tuple[float, float]
) -> tuple[float, float, float]:
    """Weighted censored MLE; returns (scale, shape, log-likelihood)."""
    two = _CANDIDATES[kind][1] == 2

    def negll(theta: np.ndarray) -> float:
        scale = float(np.exp(theta[0]))
        shape = float(np.exp(theta[1])) if two else math.nan
        f = _logf_logs(kind, done, scale, shape)[0].sum()
        s = (w_open * _logf_logs(kind, opened, scale, shape)[1]).sum() if len(opened) else 0.0
        ll = f + s
        return float(-ll) if np.isfinite(ll) else 1e300

    theta0 = np.log([start[0], start[1]] if two else [start[0]])
    res = optimize.minimize(negll, theta0, method="BFGS")
    x = res.x if res.fun <= negll(theta0) else theta0
    return float(np.exp(x[0])), float(np.exp(x[1])) if two else math.nan, -float(negll(x))


def _family_start(kind: str, done: np.ndarray) -> tuple[float, float]:
    k = _CANDIDATES[kind][1]
    p = _start(_CANDIDATES[kind][0], k, np.maximum(done, MIN_DAYS))
    return (p[-1], p[0]) if k == 2 else (p[-1], math.nan)


def fit_competing(
    done_days: np.ndarray,
    done_target: np.ndarray,
    open_days: np.ndarray,
    targets: tuple[str, ...],
    families: tuple[str, ...] | None = None,
    max_iter: int = 200,
    tol: float = 1e-8,
    never_silent: bool = False,
) -> CompetingFit:
    """Fit silent exit, shares and per-target dwell at one touchpoint.

    ``done_target`` holds indices into ``targets`` (only targets that occur are kept).
    """
    done_days = np.maximum(np.asarray(done_days, dtype=float), MIN_DAYS)
    open_days = np.maximum(np.asarray(open_days, dtype=float), MIN_DAYS)
    seen = np.unique(done_target)
    names = tuple(targets[i] for i in seen)
    tgt = np.searchsorted(seen, done_target)
    m = len(seen)
    counts = np.bincount(tgt, minlength=m).astype(float)
    groups = [done_days[tgt == j] for j in range(m)]
    candidates = tuple(families or _CANDIDATES)
    empirical = candidates == ("empirical",)
    kinds: list[str] = []
    params: list[tuple[float, float]] = []
    atoms: list[tuple[np.ndarray, np.ndarray] | None] = [None] * m
    for g in groups:
        if len(g) >= 2 and np.ptp(g) <= INSTANT:
            kinds.append("fixed")
            params.append((float(g.mean()), math.nan))
        elif empirical:
            kinds.append("empirical")
            params.append((math.nan, math.nan))
            atoms[len(kinds) - 1] = weighted_km(g, np.zeros(0), np.zeros(0))
        elif len(g) < 3:
            kinds.append("exponential")
            params.append((float(max(g.mean(), MIN_DAYS)), math.nan))
        else:
            kinds.append(candidates[0])
            params.append(_family_start(candidates[0], g))
    n_total = len(done_days) + len(open_days)
    q = NO_EXIT if never_silent else min(max(len(open_days) / n_total, 0.01), 0.99) / 2
    probs = (counts + 0.5) / (counts + 0.5).sum()
    previous = -math.inf
    loglik = -math.inf
    for it in range(max_iter):
        fit = CompetingFit(
            q,
            math.nan,
            names,
            counts,
            counts,
            probs,
            tuple(kinds),
            tuple(params),
            0.0,
            tuple(atoms),
        )
        if len(open_days):
            a = math.log1p(-q) + np.log(probs)[:, None] + fit._logsf(open_days)
            lq = np.full(len(open_days), math.log(max(q, 1e-300)))
            total = np.logaddexp(lq, special.logsumexp(a, axis=0))
            resp = np.exp(a - total[None])
            cured = np.exp(lq - total)
            open_ll = float(total.sum())
        else:
            resp, cured, open_ll = np.zeros((m, 0)), np.zeros(0), 0.0
        done_ll = sum(
            float(_logf_logs(kinds[j], groups[j], *params[j])[0].sum())
            for j in range(m)
            if kinds[j] not in ("fixed", "empirical")
        )
        loglik = (
            open_ll
            + len(done_days) * math.log1p(-q)
            + float((counts * np.log(probs)).sum())
            + done_ll
        )
        if abs(loglik - previous) <= tol * abs(loglik):
            break
        previous = loglik
        expected = counts + resp.sum(axis=1)
        q = NO_EXIT if never_silent else float(np.clip(cured.sum() / n_total, 1e-9, 1 - 1e-9))
        probs = expected / expected.sum()
        for j in range(m):
            if kinds[j] == "empirical":
                atoms[j] = weighted_km(groups[j], open_days, resp[j])
                continue
            if kinds[j] == "fixed" or len(groups[j]) < 3:
                continue
            options = candidates if it < FAMILY_ROUNDS else (kinds[j],)
            best = None
            for kind in options:
                start = params[j] if kind == kinds[j] else _family_start(kind, groups[j])
                scale, shape, ll = _weighted_fit(kind, groups[j], open_days, resp[j], start)
                aic = 2 * _CANDIDATES[kind][1] - 2 * ll
                if best is None or aic < best[0]:
                    best = (aic, kind, (scale, shape))
            assert best is not None
            kinds[j], params[j] = best[1], best[2]
    expected = counts + (resp.sum(axis=1) if len(open_days) else 0.0)
    final = CompetingFit(
        q,
        math.nan,
        names,
        counts,
        expected,
        probs,
        tuple(kinds),
        tuple(params),
        loglik,
        tuple(atoms),
    )
    return dataclasses.replace(final, exit_se=_q_se(final, open_days, len(done_days)))


def _q_se(fit: CompetingFit, open_days: np.ndarray, n_done: int) -> float:
    """Conditional standard error of q: second derivative in logit q, delta method."""
    movers = (
        special.logsumexp(np.log(fit.probs)[:, None] + fit._logsf(open_days), axis=0)
        if len(open_days)
        else np.zeros(0)
    )

    def ll(t: float) -> float:
        q = special.expit(t)
        return float(
            n_done * math.log1p(-q) + np.logaddexp(math.log(q), math.log1p(-q) + movers).sum()
        )

    t0 = special.logit(fit.exit_probability)
    h = 1e-4
    second = (ll(t0 + h) - 2 * ll(t0) + ll(t0 - h)) / h**2
    if not second < 0:
        return math.nan
    q = fit.exit_probability
    return math.sqrt(-1 / second) * q * (1 - q)
