"""The continuous families: exponential, gamma, lognormal, Weibull and uniform.

Each knows its sampler (one member, or many members at once from stacked numpy
parameters, see :meth:`~cjsim.model.distributions.base.Distribution.sample_stacked`),
moments, log-density and log-survival in closed form, and its file form.  The
``log_pdf_sf`` static methods take the family's native parameters as numpy arrays that
broadcast against ``x``, so calibration can evaluate many members at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from cjsim.errors import ModelError, Problem
from cjsim.model.distributions.base import Distribution, _finite, _require, register

__all__ = ["Exponential", "Gamma", "LogNormal", "Uniform", "Weibull"]

Arrays = tuple[np.ndarray, np.ndarray]


@register
@dataclass(frozen=True)
class Exponential(Distribution):
    """Exponential with ``mean`` > 0 (days or money)."""

    mean: float
    kind: ClassVar[str] = "exponential"

    def __post_init__(self) -> None:
        _require(
            _finite(self.mean) and self.mean > 0,
            "mean",
            f"exponential mean must be > 0, got {self.mean!r}",
            "use a positive number of days, or dist = 'fixed' with value = 0",
        )
        _require(
            self.mean <= MAX_MEAN,
            "mean",
            f"exponential mean must be <= {MAX_MEAN:g}, got {self.mean!r}",
            "totals beyond that are not representable; use smaller units",
        )

    @property
    def variance(self) -> float:
        return float(self.mean) ** 2

    def scipy(self) -> Any:
        from scipy import stats  # loaded when first needed

        return stats.expon(scale=self.mean)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return rng.exponential(self.mean, size)

    def sample_stacked(self, params: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.exponential(params[:, 0])

    @staticmethod
    def log_pdf_sf(x: np.ndarray, mean: np.ndarray) -> Arrays:
        """Log density and log survival at ``x`` for ``mean`` (broadcast)."""
        z = x / mean
        return -np.log(mean) - z, -z

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        return self.log_pdf_sf(np.asarray(x, dtype=float), np.asarray(self.mean))[0]

    def logsf(self, x: np.ndarray) -> np.ndarray:
        return self.log_pdf_sf(np.asarray(x, dtype=float), np.asarray(self.mean))[1]

    def laplace(self, s: float) -> float:
        return 1.0 / (1.0 + s * self.mean)

    def remaining(self, elapsed: np.ndarray, u: np.ndarray, *, factor: float = 1.0) -> np.ndarray:
        """Memoryless: a fresh draw ``-factor * mean * log(u)`` whatever has elapsed."""
        return -factor * float(self.mean) * np.log(u)

    def _scale(self, factor: float) -> dict[str, Any]:
        return {"mean": self.mean * factor}


MIN_CV = 1e-4
MAX_CV = 1e3
MAX_MEAN = 1e12
MIN_WEIBULL_SHAPE = 0.1
MAX_LOGNORMAL_SIGMA = 3.7


def _check_mean_cv(kind: str, mean: float, cv: float) -> None:
    _require(
        _finite(mean) and mean > 0,
        "mean",
        f"{kind} mean must be > 0, got {mean!r}",
        "use a positive number",
    )
    _require(
        _finite(cv) and cv > 0,
        "cv",
        f"{kind} cv (std/mean) must be > 0, got {cv!r}",
        "use dist = 'fixed' for a value without spread",
    )
    _require(
        mean <= MAX_MEAN,
        "mean",
        f"{kind} mean must be <= {MAX_MEAN:g}, got {mean!r}",
        "totals beyond that are not representable; use smaller units",
    )
    _require(
        MIN_CV <= cv <= MAX_CV,
        "cv",
        f"{kind} cv must be between {MIN_CV:g} and {MAX_CV:g}, got {cv!r}",
        "use dist = 'fixed' for (almost) no spread; a larger cv is numerically meaningless",
    )


def _mean_cv_or(cls: Any, data: Mapping[str, Any], alt: tuple[str, str], native: Any) -> Any:
    """A family written by mean and cv, or by the two ``alt`` parameters (``native``)."""
    given = set(data) & {"mean", "cv", *alt}
    if given == {"mean", "cv"}:
        return cls(data["mean"], data["cv"])
    if given == set(alt):
        return native(data[alt[0]], data[alt[1]])
    raise ModelError(
        [
            Problem(
                "",
                f"{cls.kind} needs either mean and cv, or {alt[0]} and "
                f"{alt[1]}; got {', '.join(sorted(given)) or 'none'}",
                f'e.g. {{ dist = "{cls.kind}", mean = 2.0, cv = 0.5 }}',
            )
        ]
    )


@register
@dataclass(frozen=True)
class Gamma(Distribution):
    """Gamma written by ``mean`` > 0 and coefficient of variation ``cv`` > 0, or by
    ``shape`` and ``scale`` in a file."""

    mean: float
    cv: float
    kind: ClassVar[str] = "gamma"

    def __post_init__(self) -> None:
        _check_mean_cv(self.kind, self.mean, self.cv)

    @classmethod
    def from_shape_scale(cls, shape: float, scale: float) -> Gamma:
        """Gamma with native ``shape`` (k) and ``scale`` (theta)."""
        _require(
            _finite(shape) and shape > 0,
            "shape",
            f"gamma shape must be > 0, got {shape!r}",
            "shape = 1 is the exponential",
        )
        _require(
            _finite(scale) and scale > 0,
            "scale",
            f"gamma scale must be > 0, got {scale!r}",
            "use a positive number",
        )
        return cls(shape * scale, 1.0 / math.sqrt(shape))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Gamma:
        gamma: Gamma = _mean_cv_or(cls, data, ("shape", "scale"), cls.from_shape_scale)
        return gamma

    @property
    def shape(self) -> float:
        return 1.0 / self.cv**2

    @property
    def scale(self) -> float:
        return self.mean * self.cv**2

    @property
    def variance(self) -> float:
        return (self.mean * self.cv) ** 2

    @property
    def numpy_params(self) -> tuple[float, float]:
        return self.shape, self.scale

    def scipy(self) -> Any:
        from scipy import stats  # loaded when first needed

        return stats.gamma(self.shape, scale=self.scale)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, size)

    def sample_stacked(self, params: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.gamma(params[:, 0], params[:, 1])

    @staticmethod
    def log_pdf_sf(x: np.ndarray, shape: float, scale: np.ndarray) -> Arrays:
        """Log density and log survival at ``x`` (``scale`` broadcasts; the survival is
        floored at 1e-300 so far tails stay finite)."""
        from scipy import special  # loaded when first needed

        z = x / scale
        logpdf = (shape - 1) * np.log(z) - z - special.gammaln(shape) - np.log(scale)
        return logpdf, np.log(np.maximum(special.gammaincc(shape, z), 1e-300))

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        return self.log_pdf_sf(np.asarray(x, dtype=float), self.shape, np.asarray(self.scale))[0]

    def logsf(self, x: np.ndarray) -> np.ndarray:
        return self.log_pdf_sf(np.asarray(x, dtype=float), self.shape, np.asarray(self.scale))[1]

    def laplace(self, s: float) -> float:
        return float((1.0 + s * self.scale) ** (-self.shape))

    def _scale(self, factor: float) -> dict[str, Any]:
        return {"mean": self.mean * factor}


@register
@dataclass(frozen=True)
class LogNormal(Distribution):
    """Lognormal written by ``mean`` > 0 and ``cv`` > 0, or by ``median`` and log-scale
    ``sigma`` in a file."""

    mean: float
    cv: float
    kind: ClassVar[str] = "lognormal"

    def __post_init__(self) -> None:
        _check_mean_cv(self.kind, self.mean, self.cv)

    @classmethod
    def from_median_sigma(cls, median: float, sigma: float) -> LogNormal:
        """Lognormal with ``median`` = exp(mu) and log-scale ``sigma``."""
        _require(
            _finite(median) and median > 0,
            "median",
            f"lognormal median must be > 0, got {median!r}",
            "use a positive number",
        )
        _require(
            _finite(sigma) and sigma > 0,
            "sigma",
            f"lognormal sigma must be > 0, got {sigma!r}",
            "use a positive number",
        )
        _require(
            sigma <= MAX_LOGNORMAL_SIGMA,
            "sigma",
            f"lognormal sigma must be <= {MAX_LOGNORMAL_SIGMA:g}, got {sigma!r}",
            "a larger sigma overflows the mean and variance (cv above 1e3)",
        )
        return cls(median * math.exp(sigma**2 / 2), math.sqrt(math.expm1(sigma**2)))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogNormal:
        lognormal: LogNormal = _mean_cv_or(cls, data, ("median", "sigma"), cls.from_median_sigma)
        return lognormal

    @property
    def sigma(self) -> float:
        return math.sqrt(math.log1p(self.cv**2))

    @property
    def mu(self) -> float:
        return math.log(self.mean) - self.sigma**2 / 2

    @property
    def variance(self) -> float:
        return (self.mean * self.cv) ** 2

    @property
    def numpy_params(self) -> tuple[float, float]:
        return self.mu, self.sigma

    def scipy(self) -> Any:
        from scipy import stats  # loaded when first needed

        return stats.lognorm(self.sigma, scale=math.exp(self.mu))

    def density(self) -> Callable[[float], float]:
        mu, sigma = self.mu, self.sigma
        norm = 1.0 / (sigma * math.sqrt(2.0 * math.pi))

        def pdf(x: float) -> float:
            if x <= 0.0:
                return 0.0
            z = (math.log(x) - mu) / sigma
            return norm * math.exp(-0.5 * z * z) / x

        return pdf

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, size)

    def sample_stacked(self, params: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.lognormal(params[:, 0], params[:, 1])

    @staticmethod
    def log_pdf_sf(x: np.ndarray, sigma: float, median: np.ndarray) -> Arrays:
        """Log density and log survival at ``x`` (``median`` broadcasts)."""
        from scipy import special  # loaded when first needed

        z = (np.log(x) - np.log(median)) / sigma
        logpdf = -np.log(x * sigma * math.sqrt(2 * math.pi)) - z * z / 2
        return logpdf, special.log_ndtr(-z)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        median = np.asarray(math.exp(self.mu))
        return self.log_pdf_sf(np.asarray(x, dtype=float), self.sigma, median)[0]

    def logsf(self, x: np.ndarray) -> np.ndarray:
        median = np.asarray(math.exp(self.mu))
        return self.log_pdf_sf(np.asarray(x, dtype=float), self.sigma, median)[1]

    def _scale(self, factor: float) -> dict[str, Any]:
        return {"mean": self.mean * factor}


@register
@dataclass(frozen=True)
class Weibull(Distribution):
    """Weibull with ``shape`` > 0 and ``scale`` > 0."""

    shape: float
    scale: float
    mean: float = field(init=False, repr=False, compare=False)
    kind: ClassVar[str] = "weibull"

    def __post_init__(self) -> None:
        for name in ("shape", "scale"):
            value = getattr(self, name)
            _require(
                _finite(value) and value > 0,
                name,
                f"weibull {name} must be > 0, got {value!r}",
                "use a positive number",
            )
        _require(
            self.shape >= MIN_WEIBULL_SHAPE,
            "shape",
            f"weibull shape must be >= {MIN_WEIBULL_SHAPE:g}, got {self.shape!r}",
            "a smaller shape gives an astronomically heavy tail; use a lognormal",
        )
        object.__setattr__(self, "mean", self.scale * math.gamma(1 + 1 / self.shape))
        _require(
            self.mean <= MAX_MEAN,
            "scale",
            f"weibull mean must be <= {MAX_MEAN:g}, got {self.mean:g}",
            "totals beyond that are not representable; use smaller units",
        )

    @property
    def variance(self) -> float:
        g1 = math.gamma(1 + 1 / self.shape)
        return self.scale**2 * (math.gamma(1 + 2 / self.shape) - g1**2)

    @property
    def numpy_params(self) -> tuple[float, float]:
        return self.shape, self.scale

    def scipy(self) -> Any:
        from scipy import stats  # loaded when first needed

        return stats.weibull_min(self.shape, scale=self.scale)

    def density(self) -> Callable[[float], float]:
        k, lam = self.shape, self.scale

        def pdf(x: float) -> float:
            if x < 0.0 or (x == 0.0 and k != 1.0):
                return 0.0 if x < 0.0 or k > 1.0 else math.inf
            z = x / lam
            return k / lam * z ** (k - 1.0) * math.exp(-(z**k))

        return pdf

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, size)

    def sample_stacked(self, params: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return params[:, 1] * rng.weibull(params[:, 0])

    @staticmethod
    def log_pdf_sf(x: np.ndarray, shape: float, scale: np.ndarray) -> Arrays:
        """Log density and log survival at ``x`` (``scale`` broadcasts)."""
        z = x / scale
        with np.errstate(over="ignore"):  # an optimiser's far trial point: -inf, refused later
            zc = z**shape
        return math.log(shape) - np.log(scale) + (shape - 1) * np.log(z) - zc, -zc

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        return self.log_pdf_sf(np.asarray(x, dtype=float), self.shape, np.asarray(self.scale))[0]

    def logsf(self, x: np.ndarray) -> np.ndarray:
        return self.log_pdf_sf(np.asarray(x, dtype=float), self.shape, np.asarray(self.scale))[1]

    def _scale(self, factor: float) -> dict[str, Any]:
        return {"scale": self.scale * factor}


@register
@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on [``low``, ``high``] with 0 <= low < high."""

    low: float
    high: float
    mean: float = field(init=False, repr=False, compare=False)
    kind: ClassVar[str] = "uniform"

    def __post_init__(self) -> None:
        _require(
            _finite(self.low) and self.low >= 0,
            "low",
            f"uniform low must be >= 0, got {self.low!r}",
            "times and money are not negative",
        )
        _require(
            _finite(self.high) and self.high > self.low,
            "high",
            f"uniform high must be > low ({self.low!r}), got {self.high!r}",
            "swap low and high, or use dist = 'fixed'",
        )
        _require(
            self.high <= MAX_MEAN,
            "high",
            f"uniform high must be <= {MAX_MEAN:g}, got {self.high!r}",
            "totals beyond that are not representable; use smaller units",
        )
        object.__setattr__(self, "mean", (self.low + self.high) / 2)

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    @property
    def numpy_params(self) -> tuple[float, float]:
        return self.low, self.high

    def scipy(self) -> Any:
        from scipy import stats  # loaded when first needed

        return stats.uniform(self.low, self.high - self.low)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def sample_stacked(self, params: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return rng.uniform(params[:, 0], params[:, 1])

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        inside = (x >= self.low) & (x <= self.high)
        return np.where(inside, -math.log(self.high - self.low), -np.inf)

    def logsf(self, x: np.ndarray) -> np.ndarray:
        share = (self.high - np.asarray(x, dtype=float)) / (self.high - self.low)
        with np.errstate(divide="ignore"):
            return np.log(np.clip(share, 0.0, 1.0))

    def laplace(self, s: float) -> float:
        if s == 0:
            return 1.0
        return (math.exp(-s * self.low) - math.exp(-s * self.high)) / (s * (self.high - self.low))

    def _scale(self, factor: float) -> dict[str, Any]:
        return {"low": self.low * factor, "high": self.high * factor}
