"""Continuous heterogeneity, finely discretised: a customer's pace and loyalty drawn from
smooth mixing distributions (as BG/NBD's gamma and beta are) instead of a few free classes.

Every customer has

- a **pace** ``lam`` with mean 1, from a :class:`Pace` distribution (:class:`GammaPace`,
  shape ``r``, as in BG/NBD; or :class:`LogNormalPace`, spread ``sigma``): at every
  touchpoint their dwell scale is the touchpoint's ``scale / lam`` (same family and
  shape), so a fast customer is fast everywhere;
- a **loyalty rank** ``u``, uniform on (0, 1) and independent of the pace: at touchpoint
  ``n`` their silent-exit probability is the ``u``-quantile of ``Beta(a[n], b[n])``.  One
  rank serves every touchpoint (comonotone), so a customer likely to leave after the
  first purchase is likely to leave after later ones too.

The pace is discretised by Gauss quadrature of its distribution (generalised
Gauss-Laguerre for the gamma, Gauss-Hermite for the lognormal: points and weights, exact
for polynomials of degree below twice the points); the loyalty by ``H`` bins of equal
probability, each represented by its conditional mean (which keeps the beta's mean
exactly and lines the touchpoints' bins up by rank).  ``G`` paces times ``H`` loyalty
levels are ``G * H`` classes whose shares are the pace weights over ``H``: the segment
representation every engine, warm start and intervention already understands, so the
fitted scenario is an ordinary scenario with ``G * H`` segments.

The parameters (the pace's log parameter; per touchpoint ``log a``, ``log b``,
``log scale`` and ``log shape``) maximise the marginal likelihood directly with
L-BFGS-B.  Its gradient is the responsibility-weighted gradient of the class
log-likelihoods (Fisher's identity), so each evaluation is one E-step and one call of the
cure objective per touchpoint (:func:`.exits.cure_negll`) with its analytic gradient;
the grid's derivatives in the mixing parameters are central differences (cheap
functions of a few numbers).  Transition rows are shared by all classes: they do not
depend on pace or loyalty.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, sparse, special
from threadpoolctl import threadpool_limits

from cjsim.calibration.classfits import NO_EXIT
from cjsim.calibration.exits import REFUSED, CureSpells, cure_negll, hessian
from cjsim.calibration.families import FITTED, MIN_DAYS
from cjsim.calibration.mixture import MixingFit, Mixture, Spells

__all__ = [
    "PACES",
    "GammaPace",
    "LogNormalPace",
    "Pace",
    "beta_points",
    "fit_mixing",
]

PACE_POINTS = 32  # quadrature points of the pace
LOYALTY_POINTS = 8  # equal-probability bins of each touchpoint's silent-exit beta
STEP = 1e-6  # central-difference step (log parameters) of the grid points
LOG_BOUND = (math.log(1e-3), math.log(1e3))  # mixing parameters and shapes stay within


class Pace(ABC):
    """A customer's pace distribution (mean 1) with one parameter, and its quadrature.
    Subclass it and set ``name`` to add one; :data:`PACES` holds them by name."""

    name: str
    parameter: str  # the parameter's name in reports
    bounds: tuple[float, float] = (1e-3, 1e3)  # where the parameter is searched

    @abstractmethod
    def grid(self, value: float, n: int) -> tuple[np.ndarray, np.ndarray]:
        """``n`` points (paces) and their log weights (summing to one in probability)
        for the parameter ``value``."""

    def start(self) -> float:
        """The parameter's starting value."""
        return 1.0


class GammaPace(Pace):
    """Gamma with mean 1 and shape ``r`` (BG/NBD's and Pareto/NBD's rate mixing):
    generalised Gauss-Laguerre points."""

    name, parameter = "gamma", "r"
    # beyond r = 100 (a pace spread of 10 %) the pace is one for all; the Laguerre
    # weights overflow past r = 171 (they sum to the gamma function of r)
    bounds = (1e-3, 100.0)

    def grid(self, value: float, n: int) -> tuple[np.ndarray, np.ndarray]:
        t, w = special.roots_genlaguerre(n, value - 1)
        return np.maximum(t / value, 1e-12), np.log(np.maximum(w, 1e-300) / w.sum())


class LogNormalPace(Pace):
    """Lognormal with mean 1 and log-scale spread ``sigma``: Gauss-Hermite points."""

    name, parameter = "lognormal", "sigma"
    bounds = (1e-3, 5.0)

    def grid(self, value: float, n: int) -> tuple[np.ndarray, np.ndarray]:
        z, w = special.roots_hermitenorm(n)
        return np.exp(value * z - value * value / 2), np.log(w / w.sum())


PACES: dict[str, Pace] = {p.name: p for p in (GammaPace(), LogNormalPace())}


def beta_points(a: float, b: float, n: int) -> np.ndarray:
    """The conditional means of ``n`` equal-probability bins of ``Beta(a, b)``."""
    edges = special.betaincinv(a, b, np.arange(1, n) / n)
    upto = np.concatenate([[0.0], special.betainc(a + 1, b, edges), [1.0]])
    return np.clip(n * a / (a + b) * np.diff(upto), 1e-12, 1 - 1e-12)


def _derivative(points: Callable[[np.ndarray], np.ndarray], x: np.ndarray, i: int) -> np.ndarray:
    """Central difference of ``points`` in coordinate ``i`` of ``x`` (log parameters)."""
    up, down = x.copy(), x.copy()
    up[i] += STEP
    down[i] -= STEP
    return (points(up) - points(down)) / (2 * STEP)


@dataclass(frozen=True)
class _Layout:
    """Where each touchpoint's parameters sit in the optimiser's vector."""

    quiet: tuple[bool, ...]
    shaped: tuple[bool, ...]
    pace: int
    loyalty: int

    def slices(self) -> list[tuple[slice | None, int, int | None]]:
        """Per node: the (log a, log b) slice or None, the log-scale index, the log-shape
        index or None.  Coordinate 0 is log r."""
        out, at = [], 1
        for quiet, shaped in zip(self.quiet, self.shaped, strict=True):
            ab = None if quiet else slice(at, at + 2)
            at += 0 if quiet else 2
            scale, at = at, at + 1
            shape = at if shaped else None
            at += int(shaped)
            out.append((ab, scale, shape))
        return out

    @property
    def size(self) -> int:
        """Coordinates: log of the pace's parameter; per touchpoint log a and log b (not
        where nobody leaves silently), log scale and log shape (families with one)."""
        return 1 + sum(1 + 2 * (not q) + s for q, s in zip(self.quiet, self.shaped, strict=True))

    def bounds(self, pace: Pace) -> list[tuple[float | None, float | None]]:
        out: list[tuple[float | None, float | None]] = [LOG_BOUND] * self.size
        out[0] = (math.log(pace.bounds[0]), math.log(pace.bounds[1]))
        for _, scale, _ in self.slices():
            out[scale] = (None, None)
        return out


@dataclass(frozen=True)
class _Node:
    """One touchpoint's spells, merged by length: ``done`` and ``opened`` distinct
    lengths, and ``count`` (distinct customers x distinct done + distinct open) how many
    of each every distinct customer had."""

    done: np.ndarray
    opened: np.ndarray
    count: sparse.csr_matrix

    @classmethod
    def of(cls, sp: Spells, n: int, distinct: np.ndarray) -> _Node:
        """Touchpoint ``n``'s spells of the customers ``distinct`` (their indices)."""
        days = np.maximum(sp.days, MIN_DAYS)
        sel_done = (sp.node == n) & ~sp.open
        sel_open = (sp.node == n) & sp.open
        done, d_at = np.unique(days[sel_done], return_inverse=True)
        opened, o_at = np.unique(days[sel_open], return_inverse=True)
        cols = np.concatenate([d_at, len(done) + o_at])
        rows = np.concatenate([sp.customer[sel_done], sp.customer[sel_open]])
        count = sparse.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(sp.n_customers, len(done) + len(opened))
        )
        return cls(done, opened, count[distinct])

    def weighted(self, resp: np.ndarray) -> CureSpells:
        """The spells with class weights (K, distinct): the responsibilities summed."""
        w = np.asarray(self.count.T @ resp).T
        return CureSpells(self.done, self.opened, w[:, : len(self.done)], w[:, len(self.done) :])

    def class_loglik(self, kind: str, q: np.ndarray, scale: np.ndarray, shape: float) -> np.ndarray:
        """(customers, K): each customer's cure terms here under every class (rows
        excluded: they are shared by all classes)."""
        family = FITTED[kind]
        log_q, log_p = np.log(q)[:, None], np.log1p(-q)[:, None]
        f = family.log_pdf_grad(self.done, scale, shape)[0]
        s = family.log_sf_grad(self.opened, scale, shape)[0]
        table = np.concatenate([log_p + f, np.logaddexp(log_q, log_p + s)], axis=1)
        return np.asarray(self.count @ table.T)


def _posterior(joint: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's log-sum-exp and the row normalised (responsibilities), with one
    exponential per entry (scipy's ``logsumexp`` would take it twice)."""
    top = joint.max(axis=1, keepdims=True)
    e = np.exp(joint - top)
    s = e.sum(axis=1, keepdims=True)
    return (top + np.log(s))[:, 0], e / s


def _distinct_customers(sp: Spells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customers with the same spells (touchpoint, length, where to) have the same
    likelihood under every class: (one index per distinct customer, each customer's
    distinct one, how many customers each stands for)."""
    frame = pd.DataFrame(
        {"customer": sp.customer, "node": sp.node, "target": sp.target, "days": sp.days}
    )
    frame["spell"] = frame.groupby(["node", "target", "days"], sort=False).ngroup()
    spells = frame.sort_values(["customer", "spell"]).groupby("customer")["spell"].agg(tuple)
    found = spells.to_dict()
    inverse, _ = pd.factorize(pd.Series([found.get(c, ()) for c in range(sp.n_customers)]))
    distinct = np.unique(inverse, return_index=True)[1]
    return distinct, inverse, np.bincount(inverse).astype(float)


Params = tuple[np.ndarray, np.ndarray, np.ndarray]  # (K, nodes) q and scale, (nodes,) shape


class _Objective:
    """The negative marginal log-likelihood of the grid mixture and its gradient, in the
    coordinates of a :class:`_Layout` (rows excluded)."""

    def __init__(self, sp: Spells, kinds: tuple[str, ...], layout: _Layout, pace: Pace) -> None:
        distinct, self.inverse, self.weight = _distinct_customers(sp)
        self.nodes = [_Node.of(sp, n, distinct) for n in range(len(sp.nodes))]
        self.kinds, self.layout, self.pace_law = kinds, layout, pace
        self.slices = layout.slices()
        self.k = layout.pace * layout.loyalty

    def pace_grid(self, log_value: float) -> tuple[np.ndarray, np.ndarray]:
        return self.pace_law.grid(math.exp(log_value), self.layout.pace)

    def pace(self, log_r: float) -> np.ndarray:
        return self.pace_grid(log_r)[0]

    def loyalty(self, log_ab: np.ndarray) -> np.ndarray:
        """The silent-exit probability of each loyalty bin (equal shares: see
        :meth:`log_share`)."""
        a, b = np.exp(log_ab)
        return beta_points(float(a), float(b), self.layout.loyalty)

    def log_share(self, x: np.ndarray) -> np.ndarray:
        """(K,) log share of each class: the pace's weight over equal loyalty bins."""
        h = self.layout.loyalty
        return np.repeat(self.pace_grid(float(x[0]))[1], h) - math.log(h)

    def parameters(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(K, nodes) silent exits and dwell scales and (nodes,) shapes at ``x``."""
        lam = np.repeat(self.pace(float(x[0])), self.layout.loyalty)
        nodes = len(self.nodes)
        q, scale = np.empty((self.k, nodes)), np.empty((self.k, nodes))
        shape = np.full(nodes, math.nan)
        for n, (ab, at_scale, at_shape) in enumerate(self.slices):
            q[:, n] = NO_EXIT if ab is None else np.tile(self.loyalty(x[ab]), self.layout.pace)
            scale[:, n] = math.exp(x[at_scale]) / lam
            if at_shape is not None:
                shape[n] = math.exp(x[at_shape])
        return q, scale, shape

    def joint(self, x: np.ndarray, params: Params | None = None) -> np.ndarray:
        """(distinct customers, K) log of share times each class's likelihood (rows
        excluded); ``params``: :meth:`parameters` at ``x`` when already at hand."""
        q, scale, shape = params or self.parameters(x)
        total = np.repeat(self.log_share(x)[None], self.nodes[0].count.shape[0], 0)
        for n, node in enumerate(self.nodes):
            total += node.class_loglik(self.kinds[n], q[:, n], scale[:, n], float(shape[n]))
        return total

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):
            params = self.parameters(x)
            try:
                joint = self.joint(x, params)
            except FloatingPointError:
                return REFUSED, np.zeros_like(x)
            total, resp = _posterior(joint)
            value = -float(self.weight @ total)
            if not math.isfinite(value):
                return REFUSED, np.zeros_like(x)
            return value, self.gradient(x, resp * self.weight[:, None], params)

    def gradient(self, x: np.ndarray, resp: np.ndarray, params: Params) -> np.ndarray:
        """Fisher's identity: the responsibility-weighted gradient of the class
        log-likelihoods (each touchpoint's cure objective), chained to ``x``;
        ``params`` are :meth:`parameters` at ``x``."""
        q, scale, shape = params
        k, grad = self.k, np.zeros_like(x)
        d_log_lam = np.repeat(
            _derivative(lambda v: np.log(self.pace(float(v[0]))), x[:1], 0), self.layout.loyalty
        )
        d_log_share = _derivative(self.log_share, x[:1], 0)
        grad[0] -= resp.sum(axis=0) @ d_log_share
        for n, (ab, at_scale, at_shape) in enumerate(self.slices):
            family = FITTED[self.kinds[n]]
            theta = np.concatenate(
                [special.logit(q[:, n]), np.log(scale[:, n])]
                + ([np.log(shape[n : n + 1])] if at_shape is not None else [])
            )
            g = cure_negll(theta, family, self.nodes[n].weighted(resp))[1]
            g_q, g_scale = g[:k], g[k : 2 * k]
            grad[at_scale] += g_scale.sum()
            grad[0] -= g_scale @ d_log_lam
            if at_shape is not None:
                grad[at_shape] += g[2 * k]
            if ab is not None:
                for i in (0, 1):
                    dq = _derivative(lambda v: special.logit(self.loyalty(v)), x[ab], i)
                    grad[ab.start + i] += g_q @ np.tile(dq, self.layout.pace)
        return grad


def _start(
    start: tuple[np.ndarray, np.ndarray, np.ndarray], layout: _Layout, pace: Pace
) -> np.ndarray:
    """From the pooled fits: the pace's start, each beta with the pooled exit as its mean
    and ``a + b = 2``, the pooled scales and shapes."""
    q0, scale0, shape0 = start
    x = np.zeros(layout.size)
    x[0] = math.log(pace.start())
    for n, (ab, at_scale, at_shape) in enumerate(layout.slices()):
        if ab is not None:
            mean = float(np.clip(q0[n], 0.01, 0.99))
            x[ab] = np.log([2 * mean, 2 * (1 - mean)])
        x[at_scale] = math.log(scale0[n])
        if at_shape is not None:
            x[at_shape] = float(np.clip(math.log(shape0[n]), *LOG_BOUND))
    return x


def _standard_errors(
    objective: _Objective, x: np.ndarray, bounds: list[tuple[float | None, float | None]]
) -> np.ndarray:
    """Standard errors of the log parameters: the inverse Hessian of the negative
    marginal log-likelihood (central differences of its analytic gradient) over the
    parameters inside their bounds; NaN for one at a bound (no interval there), and for
    all when the Hessian is singular."""
    at_bound = np.array(
        [
            any(b is not None and abs(v - b) < 1e-6 for b in pair)
            for v, pair in zip(x, bounds, strict=True)
        ]
    )
    free = np.flatnonzero(~at_bound)
    out = np.full(len(x), math.nan)
    full = hessian(objective, x)
    try:
        cov = np.linalg.inv(full[np.ix_(free, free)])
    except np.linalg.LinAlgError:
        return out
    var = np.diag(cov)
    out[free] = np.where(var > 0, np.sqrt(np.abs(var)), math.nan)
    return out


def _pooled_counts(sp: Spells, k: int) -> np.ndarray:
    """(K, nodes, targets): every class the pooled transition counts (shared rows)."""
    done = ~sp.open
    size = len(sp.nodes) * len(sp.targets)
    counts = np.bincount(sp.node[done] * len(sp.targets) + sp.target[done], minlength=size)
    return np.repeat(counts.reshape(1, len(sp.nodes), len(sp.targets)).astype(float), k, 0)


def fit_mixing(
    sp: Spells,
    kinds: tuple[str, ...],
    start: tuple[np.ndarray, np.ndarray, np.ndarray],
    *,
    prior: float = 0.5,
    never_silent: frozenset[str] = frozenset(),
    pace: Pace | str = "gamma",
    pace_points: int = PACE_POINTS,
    loyalty_points: int = LOYALTY_POINTS,
) -> Mixture:
    """The pace and loyalty mixture (see the module), as a :class:`Mixture` of
    ``pace_points * loyalty_points`` classes; the dwell families are ``kinds`` (the
    pooled fits'), ``start`` the pooled ``(q, scale, shape)``, and ``pace`` a
    :class:`Pace` or its name in :data:`PACES`."""
    law = PACES[pace] if isinstance(pace, str) else pace
    quiet = tuple(name in never_silent for name in sp.nodes)
    shaped = tuple(FITTED[kind].has_shape for kind in kinds)
    layout = _Layout(quiet, shaped, pace_points, loyalty_points)
    objective = _Objective(sp, kinds, layout, law)
    with threadpool_limits(1):
        res = optimize.minimize(
            objective,
            _start(start, layout, law),
            jac=True,
            method="L-BFGS-B",
            bounds=layout.bounds(law),
            options={"ftol": 1e-12, "gtol": 1e-6, "maxiter": 1000},
        )
        x = np.asarray(res.x)
        mix = _as_mixture(objective, x, sp, prior, int(res.nit))
        se = _standard_errors(objective, x, layout.bounds(law))
    return _with_mixing(mix, layout, law, x, se)


def _as_mixture(
    objective: _Objective, x: np.ndarray, sp: Spells, prior: float, nit: int
) -> Mixture:
    """The classes at ``x`` with their responsibilities and the marginal log-likelihood
    (rows included, shared by all classes)."""
    total, resp = _posterior(objective.joint(x)[objective.inverse])  # every customer
    q, scale, shape = objective.parameters(x)
    counts = _pooled_counts(sp, objective.k)
    mix = Mixture(
        names=(),
        share=np.exp(objective.log_share(x)),
        q=q,
        q_se=np.full_like(q, math.nan),
        scale=scale,
        shape=shape,
        kinds=objective.kinds,
        counts=counts,
        prior=prior,
        responsibility=resp,
        loglik=0.0,
        n_parameters=0,
        iterations=nit,
    )
    log_rows = np.log(np.maximum(mix.rows()[0], 1e-300))
    done = ~sp.open
    n_rows = int(((counts[0] > 0).sum(axis=1) - 1).clip(min=0).sum())
    return dataclasses.replace(
        mix,
        loglik=float(total.sum() + log_rows[sp.node[done], sp.target[done]].sum()),
        n_parameters=objective.layout.size + n_rows,
    )


def _with_mixing(
    mix: Mixture, layout: _Layout, law: Pace, x: np.ndarray, se: np.ndarray
) -> Mixture:
    """``mix`` with its :class:`MixingFit`, class names and dwell standard errors."""
    nodes = len(mix.kinds)
    a, b, a_se, b_se = (np.full(nodes, math.nan) for _ in range(4))
    dwell_se = np.full((len(mix.share), nodes, 2), math.nan)
    for n, (ab, at_scale, at_shape) in enumerate(layout.slices()):
        if ab is not None:
            a[n], b[n] = np.exp(x[ab])
            a_se[n], b_se[n] = se[ab]
        dwell_se[:, n, 0] = se[at_scale]
        if at_shape is not None:
            dwell_se[:, n, 1] = se[at_shape]
    mixing = MixingFit(
        law.name,
        law.parameter,
        math.exp(x[0]),
        a,
        b,
        layout.pace,
        layout.loyalty,
        parameter_se=float(se[0]),
        a_se=a_se,
        b_se=b_se,
    )
    return dataclasses.replace(mix, names=mixing.names(), mixing=mixing, dwell_se=dwell_se)
