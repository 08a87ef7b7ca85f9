"""The dwell families as calibration fits them, each declared once (as lifelines'
fitters declare theirs).

A fitted family is written in the ``scipy.stats`` parametrisation with ``loc = 0``: a
``scale`` (exponential: the mean; lognormal: the median) and, for two-parameter families,
a ``shape`` (gamma and Weibull: their shape; lognormal: sigma).  Each family knows

- its log-density and log-survival for many scales at once (the EM's inner loop; plain
  numpy, because ``scipy.stats`` call overhead dominates otherwise), and for the four
  families fitted by likelihood (:class:`Parametric`) the same with their derivatives in
  log scale and log shape, so the optimisers get analytic gradients,
- its start values (an uncensored fit), ``mean / scale`` at a shape, and
- the model :class:`~cjsim.model.Distribution` its fitted parameters describe.

Two more families appear in calibration without being fitted by likelihood: ``fixed``
(a step that always takes the same time) and ``empirical`` (a weighted Kaplan-Meier
estimate, given as atoms: values and their mass).

>>> FAMILIES["gamma"].build(scale=0.5, shape=4.0).mean
2.0
>>> [f.name for f in PARAMETRIC]
['exponential', 'gamma', 'lognormal', 'weibull']
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
from scipy import special, stats

from cjsim.model import Distribution, Empirical, Exponential, Fixed, Gamma, LogNormal, Weibull

__all__ = [
    "FAMILIES",
    "FITTED",
    "INSTANT",
    "MIN_DAYS",
    "NEAR_INSTANT",
    "PARAMETRIC",
    "PLAUSIBLE",
    "Atoms",
    "Family",
    "Parametric",
    "Terms",
]

MIN_DAYS = 1e-6  # spells of length 0 are moved here so every family can fit them
INSTANT = 1.0 / 86400  # spells within a second of each other are one fixed delay
# with the automatic dwell choice, a destination whose completed spells all last less
# than a minute is a near-instant step: a fixed delay (their mean), not a fitted family
NEAR_INSTANT = 60.0 / 86400
# a fitted dwell whose mean is beyond this many times the longest spell ever seen there
# is an extrapolation the data cannot support (a lognormal of sigma 5 fitted to
# near-instant steps mixed with long ones has a mean of millions of days)
PLAUSIBLE = 10.0

Atoms = tuple[np.ndarray, np.ndarray]  # values (days) and their probability mass
# a log term and its derivatives in log scale and log shape, each (K, len(x))
Terms = tuple[np.ndarray, np.ndarray, np.ndarray]
GAMMA_STEP = 1e-5  # central-difference step in log shape for gamma's log survival
LOG_ROOT_2PI = 0.5 * math.log(2 * math.pi)


class Family(ABC):
    """One dwell family as calibration sees it.

    Attributes
    ----------
    name : str
        The model family's ``kind``.
    scipy : scipy.stats family or None
        Fitted with ``loc = 0``; None for a family not fitted by likelihood.
    fitted_parameter_names : tuple of str
        ``("scale",)`` or ``("shape", "scale")`` (the scipy order).
    estimated : bool
        Whether the parameters are fitted by (weighted, censored) likelihood.
    nonparametric : bool
        Whether the family is re-estimated by weighted Kaplan-Meier (atoms).
    """

    model: ClassVar[type[Distribution]]
    scipy: ClassVar[Any] = None
    fitted_parameter_names: ClassVar[tuple[str, ...]] = ("scale",)
    estimated: ClassVar[bool] = True
    nonparametric: ClassVar[bool] = False

    @property
    def name(self) -> str:
        return self.model.kind

    @property
    def has_shape(self) -> bool:
        """Whether the family has a shape besides its scale."""
        return "shape" in self.fitted_parameter_names

    @property
    def n_params(self) -> int:
        """Number of fitted parameters (for AIC and BIC)."""
        return len(self.fitted_parameter_names)

    @abstractmethod
    def log_pdf_sf(
        self, x: np.ndarray, scale: np.ndarray, shape: float, atoms: Atoms | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(K, len(x)) log density and log survival at ``x`` (days) for each of the K
        ``scale`` values, with one shared ``shape`` (NaN when there is none)."""

    @abstractmethod
    def build(self, scale: float, shape: float, atoms: Atoms | None = None) -> Distribution:
        """The model distribution with these fitted parameters."""

    def from_native(self, native: tuple[float, ...]) -> Distribution:
        """The model distribution of ``scipy.stats`` parameters ``(shape, loc, scale)``
        or ``(loc, scale)``."""
        return self.build(float(native[-1]), float(native[0]) if self.has_shape else math.nan)

    def mean_factor(self, shape: float) -> float:
        """``mean / scale`` at ``shape``."""
        return 1.0

    def plausible(self, scale: float, shape: float, longest: float) -> bool:
        """Whether a fitted dwell's mean is finite and within :data:`PLAUSIBLE` times
        ``longest``, the longest spell (completed or still open) it was fitted to."""
        with np.errstate(all="ignore"):
            mean = scale * self.mean_factor(shape)
        return bool(np.isfinite(mean)) and mean <= PLAUSIBLE * max(longest, MIN_DAYS)

    def start_native(self, done: np.ndarray) -> tuple[float, ...]:
        """Uncensored MLE of completed spells (days) as ``scipy.stats`` parameters, a
        starting point; moments when it fails (all spells equal)."""
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                params = tuple(float(v) for v in self.scipy.fit(done, floc=0))
            if (
                all(np.isfinite(params))
                and params[-1] > 0
                and (not self.has_shape or params[0] > 0)
            ):
                return params
        except (ValueError, RuntimeError, FloatingPointError):
            pass
        mean = float(max(done.mean(), MIN_DAYS))
        return (1.0, 0.0, mean) if self.has_shape else (0.0, mean)

    def start(self, done: np.ndarray) -> tuple[float, float]:
        """Start values ``(scale, shape)`` from completed spells (days)."""
        p = self.start_native(np.maximum(done, MIN_DAYS))
        return (p[-1], p[0]) if self.has_shape else (p[-1], math.nan)


class Parametric(Family):
    """A family fitted by (weighted, censored) likelihood: besides :meth:`log_pdf_sf`,
    the log density and the log survival separately, each with its derivatives in
    ``log(scale)`` and ``log(shape)`` (zeros without a shape) — what the cure-model
    objectives need for their analytic gradients (a completed spell needs only the
    density, an open one only the survival)."""

    @abstractmethod
    def log_pdf_grad(self, x: np.ndarray, scale: np.ndarray, shape: float) -> Terms:
        """(K, len(x)) log density at ``x`` (days) for each of the K ``scale`` values,
        and its derivatives in log scale and log shape."""

    @abstractmethod
    def log_sf_grad(self, x: np.ndarray, scale: np.ndarray, shape: float) -> Terms:
        """(K, len(x)) log survival at ``x`` (days) and its derivatives in log scale
        and log shape."""


class _Shaped(Parametric):
    """A family with a shape besides its scale: the model class's ``log_pdf_sf(x, shape,
    scale)`` serves every scale at once."""

    fitted_parameter_names = ("shape", "scale")

    def log_pdf_sf(
        self, x: np.ndarray, scale: np.ndarray, shape: float, atoms: Atoms | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.model.log_pdf_sf(x[None], shape, scale[:, None])  # type: ignore[attr-defined]


class _Exponential(Parametric):
    model = Exponential
    scipy = stats.expon

    def log_pdf_sf(
        self, x: np.ndarray, scale: np.ndarray, shape: float, atoms: Atoms | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        return Exponential.log_pdf_sf(x[None], scale[:, None])

    def log_pdf_grad(self, x: np.ndarray, scale: np.ndarray, shape: float) -> Terms:
        z = x[None] / scale[:, None]
        return -np.log(scale)[:, None] - z, z - 1, np.zeros_like(z)

    def log_sf_grad(self, x: np.ndarray, scale: np.ndarray, shape: float) -> Terms:
        z = x[None] / scale[:, None]
        return -z, z, np.zeros_like(z)

    def build(self, scale: float, shape: float, atoms: Atoms | None = None) -> Distribution:
        return Exponential(scale)


class _Gamma(_Shaped):
    model = Gamma
    scipy = stats.gamma

    def log_pdf_grad(self, x: np.ndarray, scale: np.ndarray, shape: float) -> Terms:
        z = x[None] / scale[:, None]
        logz = np.log(z)
        value = (shape - 1) * logz - z - special.gammaln(shape) - np.log(scale)[:, None]
        return value, z - shape, shape * (logz - special.digamma(shape))

    def log_sf_grad(self, x: np.ndarray, scale: np.ndarray, shape: float) -> Terms:
        """The shape derivative of the regularised incomplete gamma has no closed form
        in scipy: a central difference in log shape (step :data:`GAMMA_STEP`)."""
        z = x[None] / scale[:, None]
        sf = special.gammaincc(shape, z)
        live = sf > 1e-300  # beyond: floored, flat
        value = np.log(np.maximum(sf, 1e-300))
        with np.errstate(over="ignore", divide="ignore"):
            log_hazard = shape * np.log(z) - z - special.gammaln(shape) - value
        d_scale = np.where(live, np.exp(np.minimum(log_hazard, 700.0)), 0.0)
        up = np.log(np.maximum(special.gammaincc(shape * math.exp(GAMMA_STEP), z), 1e-300))
        down = np.log(np.maximum(special.gammaincc(shape * math.exp(-GAMMA_STEP), z), 1e-300))
        return value, d_scale, np.where(live, (up - down) / (2 * GAMMA_STEP), 0.0)

    def build(self, scale: float, shape: float, atoms: Atoms | None = None) -> Distribution:
        return Gamma.from_shape_scale(shape, scale)

    def mean_factor(self, shape: float) -> float:
        return shape


class _LogNormal(_Shaped):
    model = LogNormal
    scipy = stats.lognorm  # shape: sigma, scale: median

    def log_pdf_grad(self, x: np.ndarray, scale: np.ndarray, shape: float) -> Terms:
        logx = np.log(x)[None]
        z = (logx - np.log(scale)[:, None]) / shape
        value = -logx - np.log(shape) - LOG_ROOT_2PI - z * z / 2
        return value, z / shape, z * z - 1

    def log_sf_grad(self, x: np.ndarray, scale: np.ndarray, shape: float) -> Terms:
        z = (np.log(x)[None] - np.log(scale)[:, None]) / shape
        value = special.log_ndtr(-z)
        mills = np.exp(-z * z / 2 - LOG_ROOT_2PI - value)  # density / survival of -z
        return value, mills / shape, mills * z

    def build(self, scale: float, shape: float, atoms: Atoms | None = None) -> Distribution:
        return LogNormal.from_median_sigma(scale, shape)

    def mean_factor(self, shape: float) -> float:
        return math.exp(shape * shape / 2)


class _Weibull(_Shaped):
    model = Weibull
    scipy = stats.weibull_min

    def log_pdf_grad(self, x: np.ndarray, scale: np.ndarray, shape: float) -> Terms:
        u = np.log(x)[None] - np.log(scale)[:, None]
        with np.errstate(over="ignore"):  # an optimiser's far trial point: -inf, refused
            zc = np.exp(shape * u)
        value = np.log(shape) - np.log(scale)[:, None] + (shape - 1) * u - zc
        return value, shape * (zc - 1), 1 + shape * u * (1 - zc)

    def log_sf_grad(self, x: np.ndarray, scale: np.ndarray, shape: float) -> Terms:
        u = np.log(x)[None] - np.log(scale)[:, None]
        with np.errstate(over="ignore"):
            zc = np.exp(shape * u)
        return -zc, shape * zc, -shape * u * zc

    def build(self, scale: float, shape: float, atoms: Atoms | None = None) -> Distribution:
        return Weibull(shape, scale)

    def mean_factor(self, shape: float) -> float:
        return math.gamma(1 + 1 / shape)


class _Fixed(Family):
    """A step that always takes ``scale`` days: its density is irrelevant (a constant)
    and its survival a step at ``scale`` (within :data:`INSTANT`)."""

    model = Fixed
    estimated = False

    def log_pdf_sf(
        self, x: np.ndarray, scale: np.ndarray, shape: float, atoms: Atoms | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        x = np.broadcast_to(x[None], (len(scale), len(x)))
        return np.zeros_like(x), np.where(x < scale[:, None] + INSTANT, 0.0, -np.inf)

    def build(self, scale: float, shape: float, atoms: Atoms | None = None) -> Distribution:
        return Fixed(float(scale))


class _Empirical(Family):
    """Weighted Kaplan-Meier atoms: ``S(x)`` is the mass strictly above ``x``; the
    density is irrelevant (a constant)."""

    model = Empirical
    fitted_parameter_names = ()
    estimated = False
    nonparametric = True

    def log_pdf_sf(
        self, x: np.ndarray, scale: np.ndarray, shape: float, atoms: Atoms | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        assert atoms is not None
        values, mass = atoms
        above = np.concatenate([np.cumsum(mass[::-1])[::-1], [0.0]])
        idx = np.searchsorted(values, x, side="right")
        with np.errstate(divide="ignore"):
            return np.zeros((1, len(x))), np.log(np.maximum(above[idx], 0.0))[None]

    def build(self, scale: float, shape: float, atoms: Atoms | None = None) -> Distribution:
        assert atoms is not None
        return Empirical(tuple(atoms[0].tolist()), tuple(atoms[1].tolist()))


PARAMETRIC: tuple[Parametric, ...] = (_Exponential(), _Gamma(), _LogNormal(), _Weibull())
FAMILIES: dict[str, Family] = {f.name: f for f in (*PARAMETRIC, _Fixed(), _Empirical())}
FITTED: dict[str, Parametric] = {f.name: f for f in PARAMETRIC}  # fitted by likelihood
