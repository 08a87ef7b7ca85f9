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
from scipy import special
from threadpoolctl import threadpool_limits

from cjsim.calibration.exits import REFUSED, CureSpells, minimise
from cjsim.calibration.families import (
    FAMILIES,
    FITTED,
    INSTANT,
    MIN_DAYS,
    NEAR_INSTANT,
    PARAMETRIC,
    Atoms,
)
from cjsim.calibration.goodness import km_steps, passes
from cjsim.calibration.mixture import NO_EXIT
from cjsim.model import Distribution, Empirical, Exponential, Fixed

__all__ = ["CompetingFit", "fit_competing"]

FAMILY_ROUNDS = 3  # EM iterations during which each target's family may still change
LOG_SECOND = math.log(INSTANT)  # a spell's density times this: its probability to the second
# how each target's family is chosen (fit_competing's docstring)
PLAIN, GUARDED, COMPARE = "plain", "guarded", "compare"


@dataclass(frozen=True)
class CompetingFit:
    """Silent exit, movers' shares and a dwell distribution per target."""

    exit_probability: float
    exit_se: float
    targets: tuple[str, ...]
    counts: np.ndarray  # completed spells per target
    expected: np.ndarray  # completed + open spells' expected share, per target
    probs: np.ndarray  # movers' shares p_m
    kinds: tuple[str, ...]  # family per target (a fixed delay for an instant step)
    params: tuple[tuple[float, float], ...]  # (scale, shape) per target
    loglik: float
    atoms: tuple[Atoms | None, ...] = ()  # per target: Kaplan-Meier values and mass, or None
    # the log-likelihood of the spells as recorded, to the second (:func:`_seconds_loglik`)
    loglik_seconds: float = math.nan
    pooled: bool = False  # one dwell, whatever the destination (every target's the same)

    @property
    def dists(self) -> tuple[Distribution, ...]:
        return tuple(
            _dist(k, s, sh, self._atoms(j))
            for j, (k, (s, sh)) in enumerate(zip(self.kinds, self.params, strict=True))
        )

    def _atoms(self, j: int) -> Atoms | None:
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


def _dist(kind: str, scale: float, shape: float, atoms: Atoms | None = None) -> Distribution:
    return FAMILIES[kind].build(scale, shape, atoms)


def _logf_logs(
    kind: str, x: np.ndarray, scale: float, shape: float, atoms: Atoms | None = None
) -> tuple[np.ndarray, np.ndarray]:
    f, s = FAMILIES[kind].log_pdf_sf(np.maximum(x, MIN_DAYS), np.array([scale]), shape, atoms)
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
    times, surv = km_steps(done, opened, w_open)
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
    """Weighted censored MLE by L-BFGS-B with the analytic gradient in (log scale,
    log shape); returns (scale, shape, log-likelihood)."""
    family = FITTED[kind]
    two = family.has_shape
    sp = CureSpells.collapsed(done, opened, np.ones((1, len(done))), w_open[None])

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):  # a far trial point: refused below
            scale = np.exp(theta[:1])
            shape = float(np.exp(theta[1])) if two else math.nan
            f, f_scale, f_shape = family.log_pdf_grad(sp.done, scale, shape)
            s, s_scale, s_shape = family.log_sf_grad(sp.opened, scale, shape)
            ll = (sp.w_done * f).sum() + (sp.w_open * s).sum()
            grad = [(sp.w_done * f_scale).sum() + (sp.w_open * s_scale).sum()]
            if two:
                grad.append((sp.w_done * f_shape).sum() + (sp.w_open * s_shape).sum())
        g = np.array(grad)
        if not (np.isfinite(ll) and np.isfinite(g).all()):
            return REFUSED, np.zeros_like(theta)
        return float(-ll), -g

    x = minimise(objective, np.log([start[0], start[1]] if two else [start[0]]), two)
    return float(np.exp(x[0])), float(np.exp(x[1])) if two else math.nan, -objective(x)[0]


_Dwell = tuple[tuple[str, ...], tuple[tuple[float, float], ...], tuple[Atoms | None, ...]]


def _first_family(
    group: np.ndarray, candidates: tuple[str, ...], rule: str
) -> tuple[str, tuple[float, float], Atoms | None]:
    """The starting family, parameters and atoms of one target's completed spells: a
    fixed delay when all are within :data:`INSTANT` (with the ``guarded`` rule: when all
    are shorter than :data:`NEAR_INSTANT`), Kaplan-Meier atoms when that is the only
    candidate, an exponential under three spells, else the first candidate."""
    near = rule == GUARDED and len(group) > 0 and group.max() < NEAR_INSTANT
    if near or (len(group) >= 2 and np.ptp(group) <= INSTANT):
        return Fixed.kind, (float(group.mean()), math.nan), None
    first = FAMILIES[candidates[0]]
    if len(candidates) == 1 and first.nonparametric:
        return first.name, (math.nan, math.nan), weighted_km(group, np.zeros(0), np.zeros(0))
    if len(group) < 3:
        return Exponential.kind, (float(max(group.mean(), MIN_DAYS)), math.nan), None
    return first.name, first.start(group), None


def _e_step(fit: CompetingFit, open_days: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Each open spell's posterior of heading for each target and of a silent exit,
    and the open spells' log-likelihood."""
    if not len(open_days):
        return np.zeros((len(fit.targets), 0)), np.zeros(0), 0.0
    q = fit.exit_probability
    a = math.log1p(-q) + np.log(fit.probs)[:, None] + fit._logsf(open_days)
    lq = np.full(len(open_days), math.log(max(q, 1e-300)))
    total = np.logaddexp(lq, special.logsumexp(a, axis=0))
    return np.exp(a - total[None]), np.exp(lq - total), float(total.sum())


def _loglik(fit: CompetingFit, groups: list[np.ndarray], open_ll: float) -> float:
    """The observed log-likelihood, given the open spells' part ``open_ll``."""
    done_ll = sum(
        float(_logf_logs(kind, g, *params)[0].sum())
        for kind, g, params in zip(fit.kinds, groups, fit.params, strict=True)
        if FAMILIES[kind].estimated
    )
    n_done = sum(len(g) for g in groups)
    q, counts, probs = fit.exit_probability, fit.counts, fit.probs
    return open_ll + n_done * math.log1p(-q) + float((counts * np.log(probs)).sum()) + done_ll


def _best_family(
    kind: str,
    params: tuple[float, float],
    spells: tuple[np.ndarray, np.ndarray, np.ndarray],
    options: tuple[str, ...],
    rule: str,
) -> tuple[str, tuple[float, float]]:
    """The lowest-AIC family among ``options`` by weighted censored MLE of ``spells``
    (completed, open, the open ones' weights), passing over fits whose mean is not
    plausible (:meth:`.families.Family.plausible`) and, with the ``guarded`` rule, fits
    that fail the goodness-of-fit test (:func:`.goodness.passes`); the Kaplan-Meier dwell
    (``empirical``) when none is left.  The ``compare`` rule takes the lowest AIC."""
    group, open_days, w_open = spells
    longest = float(max(group.max(initial=0.0), open_days.max(initial=0.0)))
    fits = []
    for option in options:
        start = params if option == kind else FAMILIES[option].start(group)
        scale, shape, ll = _weighted_fit(option, group, open_days, w_open, start)
        aic = 2 * FAMILIES[option].n_params - 2 * ll
        if rule == COMPARE or FAMILIES[option].plausible(scale, shape, longest):
            fits.append((aic, option, (scale, shape)))
    for _, option, fitted in sorted(fits):
        if rule != GUARDED or passes(option, *fitted, group, open_days, w_open):
            return option, fitted
    return Empirical.kind, (math.nan, math.nan)


def _m_step_dwell(
    fit: CompetingFit,
    groups: list[np.ndarray],
    open_days: np.ndarray,
    resp: np.ndarray,
    options: tuple[str, ...] | None,
    rule: str,
) -> _Dwell:
    """Each target's dwell refitted with the open spells weighted by ``resp``; its family
    re-chosen among ``options`` by ``rule`` (None: kept, and only tested for
    plausibility).  Fixed delays and targets with fewer than three spells keep theirs."""
    kinds, params, atoms = list(fit.kinds), list(fit.params), list(fit.atoms)
    kept = COMPARE if rule == COMPARE else PLAIN
    for j, group in enumerate(groups):
        family = FAMILIES[kinds[j]]
        if family.nonparametric:
            atoms[j] = weighted_km(group, open_days, resp[j])
        elif family.estimated and len(group) >= 3:
            kinds[j], params[j] = _best_family(
                kinds[j],
                params[j],
                (group, open_days, resp[j]),
                options or (kinds[j],),
                rule if options else kept,
            )
            if FAMILIES[kinds[j]].nonparametric:  # no plausible parametric dwell
                atoms[j] = weighted_km(group, open_days, resp[j])
    return tuple(kinds), tuple(params), tuple(atoms)


def _first_fit(
    names: tuple[str, ...],
    counts: np.ndarray,
    groups: list[np.ndarray],
    candidates: tuple[str, ...],
    q: float,
    rule: str,
) -> CompetingFit:
    """The EM's starting point: silent exit ``q``, smoothed shares, first families."""
    first = [_first_family(g, candidates, rule) for g in groups]
    probs = (counts + 0.5) / (counts + 0.5).sum()
    kinds = tuple(kind for kind, _, _ in first)
    params = tuple(p for _, p, _ in first)
    atoms = tuple(a for _, _, a in first)
    return CompetingFit(q, math.nan, names, counts, counts, probs, kinds, params, 0.0, atoms)


def _m_step(
    fit: CompetingFit,
    groups: list[np.ndarray],
    open_days: np.ndarray,
    posterior: tuple[np.ndarray, np.ndarray],
    options: tuple[str, ...] | None,
    never_silent: bool,
    rule: str,
) -> CompetingFit:
    """Silent exit and shares from the (fractional) counts, then each target's dwell."""
    resp, cured = posterior
    n_total = sum(len(g) for g in groups) + len(open_days)
    expected = fit.counts + resp.sum(axis=1)
    q = NO_EXIT if never_silent else float(np.clip(cured.sum() / n_total, 1e-9, 1 - 1e-9))
    kinds, params, atoms = _m_step_dwell(fit, groups, open_days, resp, options, rule)
    probs = expected / expected.sum()
    return dataclasses.replace(
        fit, exit_probability=q, probs=probs, kinds=kinds, params=params, atoms=atoms
    )


def fit_competing(
    done_days: np.ndarray,
    done_target: np.ndarray,
    open_days: np.ndarray,
    targets: tuple[str, ...],
    families: tuple[str, ...] | None = None,
    max_iter: int = 200,
    tol: float = 1e-8,
    never_silent: bool = False,
    compare: bool = False,
) -> CompetingFit:
    """Fit silent exit, shares and per-target dwell at one touchpoint.

    ``done_target`` holds indices into ``targets`` (only targets that occur are kept).
    ``families`` are the candidate dwell families.  By default (None) they are the
    parametric ones under the guarded rule: a near-instant target (every completed
    spell under :data:`.families.NEAR_INSTANT`) is a fixed delay, and the lowest-AIC
    plausible family that passes the goodness-of-fit test (:mod:`.goodness`) wins, else
    the Kaplan-Meier dwell.  Families given are taken by AIC among the plausible ones
    (Kaplan-Meier when none is).  ``compare`` takes the lowest AIC among ``families``,
    plausible or not: the fits :mod:`.dwellchoice` compares by BIC.
    """
    rule = COMPARE if compare else (GUARDED if families is None else PLAIN)
    with threadpool_limits(1):  # tiny problems: BLAS threads only cost
        done_days = np.maximum(np.asarray(done_days, dtype=float), MIN_DAYS)
        open_days = np.maximum(np.asarray(open_days, dtype=float), MIN_DAYS)
        seen = np.unique(done_target)
        tgt = np.searchsorted(seen, done_target)
        counts = np.bincount(tgt, minlength=len(seen)).astype(float)
        groups = [done_days[tgt == j] for j in range(len(seen))]
        candidates = tuple(families or (f.name for f in PARAMETRIC))
        share_open = len(open_days) / (len(done_days) + len(open_days))
        q = NO_EXIT if never_silent else min(max(share_open, 0.01), 0.99) / 2
        fit = _first_fit(tuple(targets[i] for i in seen), counts, groups, candidates, q, rule)
        previous = -math.inf
        for it in range(max_iter):
            resp, cured, open_ll = _e_step(fit, open_days)
            fit = dataclasses.replace(fit, loglik=_loglik(fit, groups, open_ll))
            if abs(fit.loglik - previous) <= tol * abs(fit.loglik):
                break
            previous = fit.loglik
            options = candidates if it < FAMILY_ROUNDS else None
            fit = _m_step(fit, groups, open_days, (resp, cured), options, never_silent, rule)
        fit = dataclasses.replace(
            fit, expected=counts + resp.sum(axis=1), loglik_seconds=_seconds_loglik(fit, groups)
        )
        return dataclasses.replace(fit, exit_se=_q_se(fit, open_days, len(done_days)))


def _seconds_loglik(fit: CompetingFit, groups: list[np.ndarray]) -> float:
    """The log-likelihood of the spells as a log records them, to the second: a
    completed spell's density times one second (at most probability 1), a fixed delay's
    spells probability 1 (its spells are within a second of it).  Densities and point
    masses compare on this scale; Kaplan-Meier dwells are left out (as in ``loglik``)."""
    shift = 0.0
    for kind, group, params in zip(fit.kinds, groups, fit.params, strict=True):
        if FAMILIES[kind].estimated:
            log_f = _logf_logs(kind, group, *params)[0]
            shift += float((np.minimum(log_f + LOG_SECOND, 0.0) - log_f).sum())
    return fit.loglik + shift


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
