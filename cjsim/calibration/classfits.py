"""The M-step's fit of one touchpoint: each class's silent exit and dwell scale, with
one shared shape (:func:`fit_node`) or each class's own (:func:`fit_own`), the family
of lowest AIC among candidates (:func:`best_family`), and standard errors conditional on
the class weights (:func:`node_se`, :func:`own_se`).

The objective is the weighted cure-model likelihood of :mod:`.exits`, in coordinates
``(logit q[K], log scale[K], log shape)``; with own shapes it separates by class, so
each class is a one-class fit of its own weights.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from cjsim.calibration.exits import CureSpells, cure_negll, hessian, logit_se, minimise
from cjsim.calibration.families import FAMILIES, FITTED

__all__ = [
    "NO_EXIT",
    "Start",
    "best_family",
    "family_start",
    "fit_node",
    "fit_own",
    "node_se",
    "own_se",
    "unpack",
    "unpack_own",
]

NO_EXIT = 1e-9  # q of a touchpoint nobody leaves silently

Start = tuple[np.ndarray, np.ndarray, "np.ndarray | float"]  # q, scale, shape(s) of a node


def _theta(q: np.ndarray, scale: np.ndarray, shape: np.ndarray | float, kind: str) -> np.ndarray:
    """The cure objective's coordinates (logit q, log scale, log shape)."""
    head = special.logit(np.clip(q, 1e-4, 1 - 1e-4))
    log_shape = [[math.log(float(shape))]] * FITTED[kind].has_shape
    return np.concatenate([head, np.log(scale), *log_shape])


def fit_node(
    kind: str,
    data: CureSpells,
    start: Start,
    never_silent: bool = False,
) -> tuple[np.ndarray, float]:
    """Weighted censored cure-model MLE of one touchpoint: q and scale per class, one
    shared shape (q held at :data:`NO_EXIT` when ``never_silent``).  Returns the
    objective's coordinates and its minimum."""
    family = FITTED[kind]
    k = data.w_done.shape[0]
    theta0 = _theta(*start, kind)
    first = k if never_silent else 0  # q is not estimated: held at NO_EXIT
    if never_silent:
        theta0[:k] = special.logit(NO_EXIT)
    head = theta0[:first]

    def objective(t: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = cure_negll(np.concatenate([head, t]), family, data)
        return value, grad[first:]

    theta = np.concatenate([head, minimise(objective, theta0[first:], family.has_shape)])
    return theta, cure_negll(theta, family, data)[0]


def unpack(theta: np.ndarray, k: int, kind: str) -> tuple[np.ndarray, np.ndarray, float]:
    shape = float(np.exp(theta[2 * k])) if FITTED[kind].has_shape else math.nan
    return special.expit(theta[:k]), np.exp(theta[k : 2 * k]), shape


def _one_class(data: CureSpells, j: int) -> CureSpells:
    """Class ``j``'s share of a touchpoint's spells (its weights only)."""
    return CureSpells(data.done, data.opened, data.w_done[j : j + 1], data.w_open[j : j + 1])


def fit_own(
    kind: str,
    data: CureSpells,
    start: Start,
    never_silent: bool = False,
) -> tuple[np.ndarray, float]:
    """Own shapes: the objective separates by class, so each class's (q, scale, shape)
    is its own weighted cure-model MLE.  Returns (K, coordinates) and the summed
    minimum."""
    q0, scale0, shape0 = start
    shapes = np.broadcast_to(np.asarray(shape0, dtype=float), q0.shape)
    fits = [
        fit_node(
            kind, _one_class(data, j), (q0[j : j + 1], scale0[j : j + 1], shapes[j]), never_silent
        )
        for j in range(len(q0))
    ]
    return np.stack([t for t, _ in fits]), float(sum(v for _, v in fits))


def unpack_own(theta: np.ndarray, k: int, kind: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    shape = np.exp(theta[:, 2]) if FITTED[kind].has_shape else np.full(k, math.nan)
    return special.expit(theta[:, 0]), np.exp(theta[:, 1]), shape


def own_se(kind: str, data: CureSpells, theta: np.ndarray, quiet: bool) -> np.ndarray:
    """Own shapes: (K, 3) standard errors of q, log scale and log shape (NaN: no shape)
    per class, from the inverse Hessian of its objective (q held when ``quiet``)."""
    family = FITTED[kind]
    out = np.full((len(theta), 3), math.nan)
    for j, t in enumerate(theta):
        one = _one_class(data, j)
        full = hessian(lambda x, one=one: cure_negll(x, family, one), t)  # type: ignore[misc]
        idx = slice(1 if quiet else 0, None)
        try:
            var = np.diag(np.linalg.inv(full[idx, idx]))
        except np.linalg.LinAlgError:
            continue
        se = np.sqrt(np.maximum(var, 0.0))
        q = float(special.expit(t[0]))
        out[j, 0] = 0.0 if quiet else se[0] * q * (1 - q)
        out[j, 1 : 1 + family.n_params] = se[0 if quiet else 1 :]
    return out


def node_se(kind: str, data: CureSpells, theta: np.ndarray) -> np.ndarray:
    """(K, 3) standard errors of q, log scale and log shape (NaN: no shape).  Each
    class's q: the Hessian block of its (logit q, log scale, log shape) with the other
    classes held, inverted (delta method via expit); the dwell's from the whole inverse
    Hessian (NaN where it is singular)."""
    k = data.w_done.shape[0]
    family = FITTED[kind]
    full = hessian(lambda t: cure_negll(t, family, data), theta)
    q = special.expit(theta[:k])
    se = np.full((k, 3), math.nan)
    for j in range(k):
        idx = [j, k + j] + ([2 * k] if family.has_shape else [])
        se[j, 0] = logit_se(full[np.ix_(idx, idx)], float(q[j]))
    try:
        dwell = np.sqrt(np.maximum(np.diag(np.linalg.inv(full))[k:], 0.0))
    except np.linalg.LinAlgError:
        return se
    se[:, 1] = dwell[:k]
    se[:, 2] = dwell[k] if family.has_shape else math.nan
    return se


def family_start(kind: str, means: np.ndarray, done: np.ndarray) -> tuple[np.ndarray, float]:
    """Per-class scales with the class means, and a pooled shape, for ``kind``."""
    family = FAMILIES[kind]
    shape = family.start(done)[1] if family.has_shape else math.nan
    return means / family.mean_factor(shape), shape


def best_family(
    options: tuple[str, ...],
    data: CureSpells,
    init: Start,
    quiet: bool,
    own: bool,
) -> tuple[str, np.ndarray]:
    """The family (the first of ``options`` starts from ``init``) of lowest AIC at one
    touchpoint, and its optimum."""
    factor = [FAMILIES[options[0]].mean_factor(s) for s in np.atleast_1d(init[2])]
    means = init[1] * np.asarray(factor)
    best: tuple[float, str, np.ndarray] | None = None
    for kind in options:
        start = init if kind == options[0] else (init[0], *family_start(kind, means, data.done))
        theta, value = (fit_own if own else fit_node)(kind, data, start, quiet)
        aic = 2 * value + 2 * FAMILIES[kind].has_shape * (len(init[0]) if own else 1)
        if best is None or aic < best[0]:
            best = (aic, kind, theta)
    assert best is not None
    return best[1], best[2]
