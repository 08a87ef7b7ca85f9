"""Customer classes: segments from a column, or latent segments fitted by EM.

Every customer belongs to one class ``k``.  Within a class, each touchpoint has its own
silent-exit probability ``q[k, n]``, its own dwell scale ``scale[k, n]`` (the family is
shared by all classes, and by default the shape too, so a class is the base dwell times
a multiplier; with ``own_shapes`` each class has its own shape ``shape[k, n]``) and its
own transition row ``p[k, n, :]``.  A customer's log-likelihood under class
``k`` is the sum over their spells of the mixture cure terms (:mod:`.exits`)

- completed spell of ``d`` days to target ``m``: ``log(1 - q) + log f(d) + log p[m]``;
- spell still open after ``s`` days: ``log(q + (1 - q) S(s))``.

With a segment column the classes are known (one-hot weights) and one M-step is the
fit.  With ``latent_segments=K`` the weights are posterior class probabilities and EM
alternates: E-step (responsibilities from the class log-likelihoods and shares),
M-step (shares; weighted Dirichlet row counts; per touchpoint a weighted censored MLE of
``q`` and ``scale`` per class with a shared shape, or own shapes: :mod:`.classfits`).
Several seeded starts, the best log-likelihood wins; the number of classes can be
chosen by BIC (``Mixture.bic``).

Standard errors are conditional on the responsibilities (label uncertainty ignored);
they come from the weighted Hessian of each touchpoint's objective.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy import special
from threadpoolctl import threadpool_limits

from cjsim.calibration.classfits import (
    NO_EXIT,
    best_family,
    node_se,
    own_se,
    unpack,
    unpack_own,
)
from cjsim.calibration.exits import CureSpells
from cjsim.calibration.families import FAMILIES, FITTED, MIN_DAYS
from cjsim.errors import CalibrationError

__all__ = ["NO_EXIT", "MixingFit", "Mixture", "Spells", "fit_mixture"]

UNSEEN = 1e-12  # the probability :meth:`Mixture.score` gives a transition never seen
FAMILY_ROUNDS = 3  # EM iterations in which the dwell families may still change
SHORT_RUN = 15  # EM iterations per random start before the best start is run on


@dataclass(frozen=True)
class Spells:
    """One row per visit of a touchpoint before the cut-off.

    ``target`` indexes ``targets`` (touchpoints then outcomes) for a completed spell and
    is -1 for a spell still open at the cut-off.
    """

    customer: np.ndarray  # int, 0..n_customers-1
    node: np.ndarray  # int, index into nodes
    days: np.ndarray  # float
    target: np.ndarray  # int, -1 when open
    n_customers: int
    nodes: tuple[str, ...]
    targets: tuple[str, ...]

    @property
    def open(self) -> np.ndarray:
        return self.target < 0


@dataclass(frozen=True)
class MixingFit:
    """The fitted mixing distributions (:mod:`.mixing`): the pace's distribution and
    its parameter (a gamma's shape ``r``, a lognormal's ``sigma``) and, per touchpoint,
    the beta ``(a, b)`` of its silent exit (NaN where nobody leaves silently), with
    the grid they were cut into."""

    pace: str
    parameter_name: str  # r for a gamma pace, sigma for a lognormal
    parameter: float
    a: np.ndarray  # (nodes,)
    b: np.ndarray  # (nodes,)
    pace_points: int
    loyalty_points: int
    parameter_se: float = math.nan  # standard error of log(parameter)
    a_se: np.ndarray | None = None  # (nodes,) standard errors of log a
    b_se: np.ndarray | None = None  # (nodes,) standard errors of log b

    @property
    def mean_exit(self) -> np.ndarray:
        """The mean silent-exit probability per touchpoint."""
        return self.a / (self.a + self.b)

    def names(self) -> tuple[str, ...]:
        """The classes' names, pace-major: ``pace1_loyalty1``, ``pace1_loyalty2``, …"""
        return tuple(
            f"pace{i + 1}_loyalty{j + 1}"
            for i in range(self.pace_points)
            for j in range(self.loyalty_points)
        )


@dataclass(frozen=True)
class Mixture:
    """Fitted classes: shares, per-class exits, dwell scales and rows."""

    names: tuple[str, ...]
    share: np.ndarray  # (K,)
    q: np.ndarray  # (K, nodes)
    q_se: np.ndarray  # (K, nodes)
    scale: np.ndarray  # (K, nodes) family scale (exponential: mean)
    shape: np.ndarray  # (nodes,) shared shape, or (K, nodes) own shapes; NaN: none
    kinds: tuple[str, ...]  # family per node
    counts: np.ndarray  # (K, nodes, targets) weighted transition counts
    prior: float
    responsibility: np.ndarray  # (customers, K)
    loglik: float
    n_parameters: int
    iterations: int
    dwell_se: np.ndarray | None = None  # (K, nodes, 2) se of log scale and log shape
    mixing: MixingFit | None = None  # the classes are a discretised continuous mixture

    @property
    def k(self) -> int:
        return len(self.names)

    @property
    def own_shapes(self) -> bool:
        """Whether each class has its own dwell shape (``shape`` is (K, nodes))."""
        return self.shape.ndim == 2

    def class_shape(self, j: int, node: int) -> float:
        """Class ``j``'s dwell shape at ``node`` (NaN for a one-parameter family)."""
        return float(self.shape[j, node] if self.own_shapes else self.shape[node])

    def base_shapes(self) -> tuple[float, ...]:
        """The shape per node of the base journey: the shared one, or with own shapes
        the share-weighted mean of the classes' (every segment replaces it)."""
        shape = self.share @ self.shape if self.own_shapes else self.shape
        return tuple(float(s) for s in shape)

    def class_shapes(self) -> tuple[tuple[float, ...], ...] | None:
        """Own shapes: each class's shape per node; None when shared."""
        if not self.own_shapes:
            return None
        return tuple(tuple(float(s) for s in row) for row in self.shape)

    @property
    def bic(self) -> float:
        n = len(self.responsibility)
        return -2 * self.loglik + self.n_parameters * math.log(max(n, 2))

    def rows(self) -> np.ndarray:
        """Posterior-mean movers' rows (K, nodes, targets) over observed targets."""
        seen = self.counts.sum(axis=0) > 0  # (nodes, targets) support shared by classes
        alpha = np.where(seen[None], self.counts + self.prior, 0.0)
        total = alpha.sum(axis=2, keepdims=True)
        return np.divide(alpha, total, out=np.zeros_like(alpha), where=total > 0)

    def still_here(self, node: int, elapsed: np.ndarray) -> np.ndarray:
        """(K, len(elapsed)): P(still at ``node`` | no event for ``elapsed`` days) per
        class — the warm-start probability.  Movers and silent leavers who have not yet
        left both stay in the model, which sends the leavers to the silent exit at the
        end of their dwell."""
        e = np.maximum(np.asarray(elapsed, dtype=float), MIN_DAYS)
        logsf = _log_pdf_sf(self.kinds[node], e, self.scale[:, node], self.shape[..., node])[1]
        q = self.q[:, node][:, None]
        return np.exp(logsf - np.logaddexp(np.log(q), np.log1p(-q) + logsf))

    def score(self, sp: Spells) -> np.ndarray:
        """Each customer's marginal log-likelihood of ``sp`` (spells at this fit's
        touchpoints and targets) under this fit; a transition the fit never saw has
        probability :data:`UNSEEN`, so a row first seen in ``sp`` lowers every fit alike."""
        log_rows = np.log(np.maximum(self.rows(), UNSEEN))
        per_spell = _spell_loglik(sp, self.q, self.scale, self.shape, self.kinds, log_rows)
        per_customer = np.stack(
            [np.bincount(sp.customer, row, minlength=sp.n_customers) for row in per_spell], axis=1
        )
        joint = per_customer + np.log(np.maximum(self.share, 1e-300))[None]
        return np.asarray(special.logsumexp(joint, axis=1))

    def next_event_cdf(self, node: int, days: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """P(next event within ``days``) at ``node``, mixed over classes with ``weights``
        (an improper CDF: it levels off at the share that moves on)."""
        d = np.maximum(np.asarray(days, dtype=float), MIN_DAYS)
        logsf = _log_pdf_sf(self.kinds[node], d, self.scale[:, node], self.shape[..., node])[1]
        moved = (1 - self.q[:, node])[:, None] * (1 - np.exp(logsf))
        return np.asarray(weights) @ moved


def _log_pdf_sf(
    kind: str, x: np.ndarray, scale: np.ndarray, shape: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(K, len(x)) log density and log survival at ``x`` (days) per class: one shared
    ``shape`` (a scalar), or one per class (a (K,) array)."""
    family = FAMILIES[kind]
    if np.ndim(shape) == 0:
        return family.log_pdf_sf(x, scale, float(shape))
    parts = [family.log_pdf_sf(x, scale[j : j + 1], float(s)) for j, s in enumerate(shape)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _spell_loglik(
    sp: Spells,
    mix_q: np.ndarray,
    scale: np.ndarray,
    shape: np.ndarray,
    kinds: tuple[str, ...],
    log_rows: np.ndarray,
) -> np.ndarray:
    """(K, spells) log-likelihood of every spell under every class: the density term
    for a completed spell, the survival term for an open one."""
    out = np.zeros((mix_q.shape[0], len(sp.days)))
    days = np.maximum(sp.days, MIN_DAYS)
    for n in range(len(sp.nodes)):
        q = mix_q[:, n][:, None]
        done = np.flatnonzero((sp.node == n) & ~sp.open)
        opened = np.flatnonzero((sp.node == n) & sp.open)
        logf = _log_pdf_sf(kinds[n], days[done], scale[:, n], shape[..., n])[0]
        out[:, done] = np.log1p(-q) + logf + log_rows[:, n, sp.target[done]]
        logsf = _log_pdf_sf(kinds[n], days[opened], scale[:, n], shape[..., n])[1]
        out[:, opened] = np.logaddexp(np.log(q), np.log1p(-q) + logsf)
    return out


@dataclass(frozen=True)
class _Step:
    """One M-step's parameters (and the weights they were fitted with)."""

    share: np.ndarray
    q: np.ndarray
    scale: np.ndarray
    shape: np.ndarray
    counts: np.ndarray
    kinds: tuple[str, ...]
    thetas: tuple[np.ndarray, ...]  # per node, the cure objective's optimum
    resp: np.ndarray

    @property
    def own(self) -> bool:
        return self.shape.ndim == 2

    def se(self, sp: Spells, never_silent: frozenset[str]) -> np.ndarray:
        """(K, nodes, 3) standard errors of q, log scale and log shape, conditional on
        the responsibilities (q's zero where nobody leaves silently; NaN beyond four
        classes with a shared shape, and for the shared-shape dwell where nobody leaves
        silently)."""
        k = self.resp.shape[1]
        out = np.full((k, len(sp.nodes), 3), math.nan)
        weights = self.resp[sp.customer].T
        for n, kind in enumerate(self.kinds):
            quiet = sp.nodes[n] in never_silent
            data = _node_spells(sp, n, weights)
            if self.own:
                out[:, n] = own_se(kind, data, self.thetas[n], quiet)
            elif quiet:
                out[:, n, 0] = 0.0
            elif k == 1 or 2 * k + FITTED[kind].has_shape <= 9:
                out[:, n] = node_se(kind, data, self.thetas[n])
        return out


def _node_spells(sp: Spells, n: int, weights: np.ndarray) -> CureSpells:
    """Touchpoint ``n``'s spells with their (K, spells) class ``weights``, spells of
    equal length merged."""
    sel = sp.node == n
    done, opened = sel & ~sp.open, sel & sp.open
    days = np.maximum(sp.days, MIN_DAYS)
    return CureSpells.collapsed(days[done], days[opened], weights[:, done], weights[:, opened])


def _transition_counts(sp: Spells, weights: np.ndarray) -> np.ndarray:
    """(K, nodes, targets) class-weighted counts of completed spells."""
    done = ~sp.open
    cell = sp.node[done] * len(sp.targets) + sp.target[done]
    size = len(sp.nodes) * len(sp.targets)
    return np.stack([np.bincount(cell, w[done], minlength=size) for w in weights]).reshape(
        len(weights), len(sp.nodes), len(sp.targets)
    )


def _m_step(
    sp: Spells,
    resp: np.ndarray,
    kinds: tuple[str, ...],
    start: tuple[np.ndarray, np.ndarray, np.ndarray],
    never_silent: frozenset[str] = frozenset(),
    choose: tuple[str, ...] = (),
) -> _Step:
    """One M-step; with ``choose``, each touchpoint's family is re-chosen among those by
    the AIC of its class-weighted objective (the expected complete-data likelihood).
    A (K, nodes) start shape fits each class's own shape."""
    k = resp.shape[1]
    w = resp[sp.customer].T  # (K, spells)
    nodes = len(sp.nodes)
    q0, scale0, shape0 = start
    own = shape0.ndim == 2
    q, scale, shape = np.empty((k, nodes)), np.empty((k, nodes)), np.full(shape0.shape, math.nan)
    chosen, thetas = list(kinds), []
    for n in range(nodes):
        data = _node_spells(sp, n, w)
        options = (kinds[n], *(f for f in choose if f != kinds[n]))
        init = (q0[:, n], scale0[:, n], shape0[..., n])
        chosen[n], theta = best_family(options, data, init, sp.nodes[n] in never_silent, own)
        thetas.append(theta)
        q[:, n], scale[:, n], shape[..., n] = (unpack_own if own else unpack)(theta, k, chosen[n])
    counts = _transition_counts(sp, w)
    return _Step(resp.mean(axis=0), q, scale, shape, counts, tuple(chosen), tuple(thetas), resp)


def _log_rows(counts: np.ndarray, prior: float) -> np.ndarray:
    seen = counts.sum(axis=0) > 0
    alpha = np.where(seen[None], counts + prior, 0.0)
    total = alpha.sum(axis=2, keepdims=True)
    rows = np.divide(alpha, total, out=np.zeros_like(alpha), where=total > 0)
    with np.errstate(divide="ignore"):
        return np.log(rows)


def _class_loglik(sp: Spells, step: _Step, prior: float) -> np.ndarray:
    """(customers, K) log-likelihood of each customer's spells under each class."""
    log_rows = _log_rows(step.counts, prior)
    per_spell = _spell_loglik(sp, step.q, step.scale, step.shape, step.kinds, log_rows)
    return np.stack(
        [np.bincount(sp.customer, row, minlength=sp.n_customers) for row in per_spell], axis=1
    )


@dataclass(frozen=True)
class _EM:
    """What every EM run of one :func:`fit_mixture` call shares."""

    sp: Spells
    k: int
    names: tuple[str, ...]
    prior: float
    pooled: tuple[np.ndarray, np.ndarray, np.ndarray]  # one-class (q, scale, shape) per node
    em: bool  # iterate (latent classes), or one M-step (known classes)
    tol: float
    never_silent: frozenset[str]
    own: bool = False  # each class its own dwell shape

    def run(
        self,
        resp: np.ndarray,
        params: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
        iterations: int,
        kinds: tuple[str, ...],
        choose: tuple[str, ...],
    ) -> Mixture:
        """EM from responsibilities ``resp`` (and ``params``, else the pooled fit in
        every class); families re-chosen among ``choose`` in the first rounds."""
        sp, k, prior = self.sp, self.k, self.prior
        q1, scale1, shape1 = self.pooled
        shape0 = np.repeat(shape1[None], k, 0) if self.own else shape1
        init = params or (np.repeat(q1[None], k, 0), np.repeat(scale1[None], k, 0), shape0)
        step = _m_step(sp, resp, kinds, init, self.never_silent, choose)
        previous, it = -math.inf, 0
        while True:
            joint = _class_loglik(sp, step, prior) + np.log(np.maximum(step.share, 1e-300))[None]
            total = special.logsumexp(joint, axis=1)
            loglik = float(total.sum())
            if not self.em or it >= iterations or abs(loglik - previous) <= self.tol * abs(loglik):
                break
            previous, it = loglik, it + 1
            resp = np.exp(joint - total[:, None])
            rechoose = choose if it < FAMILY_ROUNDS else ()
            params = (step.q, step.scale, step.shape)
            step = _m_step(sp, resp, step.kinds, params, self.never_silent, rechoose)
        if self.em:
            resp = np.exp(joint - total[:, None])
        share, q, scale, shape, counts = step.share, step.q, step.scale, step.shape, step.counts
        se, kinds = step.se(sp, self.never_silent), step.kinds
        n_rows = int(((counts.sum(axis=0) > 0).sum(axis=1) - 1).clip(min=0).sum())
        n_params = (k - 1) + k * (2 * len(sp.nodes) + n_rows) + int(np.isfinite(shape).sum())
        return Mixture(
            self.names,
            share,
            q,
            se[:, :, 0],
            scale,
            shape,
            kinds,
            counts,
            prior,
            resp,
            loglik,
            n_params,
            it,
            se[:, :, 1:],
        )


def _starting_responsibilities(
    sp: Spells, classes: np.ndarray | None, latent: int, seed: int, n_init: int
) -> list[np.ndarray]:
    """One-hot classes when given, else ``n_init`` random Dirichlet starts (one for a
    single class)."""
    if classes is not None:
        resp = np.zeros((sp.n_customers, int(classes.max()) + 1))
        resp[np.arange(sp.n_customers), classes] = 1.0
        return [resp]
    if latent < 1:
        raise CalibrationError(f"latent_segments must be >= 1, got {latent}")
    rng = np.random.default_rng(seed)
    return [
        rng.dirichlet(np.ones(latent), sp.n_customers) for _ in range(n_init if latent > 1 else 1)
    ]


def _by_share(m: Mixture) -> Mixture:
    """The classes ordered by share, largest first (stable names across seeds)."""
    order = np.argsort(-m.share, kind="stable")
    return dataclasses.replace(
        m,
        share=m.share[order],
        q=m.q[order],
        q_se=m.q_se[order],
        scale=m.scale[order],
        shape=m.shape[order] if m.own_shapes else m.shape,
        dwell_se=None if m.dwell_se is None else m.dwell_se[order],
        counts=m.counts[order],
        responsibility=m.responsibility[:, order],
    )


def fit_mixture(
    sp: Spells,
    kinds: tuple[str, ...],
    start: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    classes: np.ndarray | None = None,
    names: tuple[str, ...] | None = None,
    latent: int = 1,
    prior: float = 0.5,
    seed: int = 0,
    n_init: int = 4,
    max_iter: int = 300,
    tol: float = 1e-7,
    never_silent: frozenset[str] = frozenset(),
    families: tuple[str, ...] = (),
    own_shapes: bool = False,
) -> Mixture:
    """Fit classes given per customer (``classes``) or ``latent`` classes by EM.

    With several classes and ``families``, each touchpoint's dwell family is chosen
    again among ``families`` during the first EM iterations (by the class-weighted
    objective): a family chosen on the pooled data fits a mixture of classes, not each
    class.

    ``start`` is the pooled (one-class) fit ``(q, scale, shape)`` per node that seeds
    every class.  Nobody leaves the touchpoints in ``never_silent`` silently (q = 0).
    With ``own_shapes`` each class has its own dwell shape as well as its own scale
    (the family stays shared): ``Mixture.shape`` is then (K, nodes).
    """
    with threadpool_limits(1):  # tiny problems: BLAS threads only cost
        starts = _starting_responsibilities(sp, classes, latent, seed, n_init)
        k = starts[0].shape[1]
        em = classes is None and k > 1
        names = names or tuple(f"latent_{j + 1}" for j in range(k))
        fit = _EM(sp, k, names, prior, start, em, tol, never_silent, own_shapes)
        choose = tuple(families) if k > 1 else ()
        # short runs from every start, then the best one to convergence ("small EM")
        short = SHORT_RUN if len(starts) > 1 else max_iter
        best = max((fit.run(r, None, short, kinds, choose) for r in starts), key=lambda m: m.loglik)
        if em and len(starts) > 1:  # the families of the best start stay
            done = fit.run(
                best.responsibility, (best.q, best.scale, best.shape), max_iter, best.kinds, ()
            )
            best = dataclasses.replace(done, iterations=done.iterations + SHORT_RUN)
        return _by_share(best) if em else best
