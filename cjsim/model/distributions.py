"""Probability distributions of times (days) and money.

Each distribution is an immutable value that knows its mean, variance and
Laplace transform, samples from a caller's :class:`numpy.random.Generator`
(never global state) and converts to ``scipy.stats``.  Parameters are checked
on construction; a bad one raises :class:`~cjsim.errors.ModelError` naming
the parameter and its value.

>>> import numpy as np
>>> d = Gamma(mean=85.0, cv=0.6)
>>> round(d.variance, 2)
2601.0
>>> d.sample(np.random.default_rng(1), 3).shape
(3,)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from scipy import integrate, stats

from cjsim.errors import ModelError, Problem

__all__ = [
    "DISTRIBUTIONS",
    "Distribution",
    "Empirical",
    "Exponential",
    "Fixed",
    "Gamma",
    "LogNormal",
    "Uniform",
    "Weibull",
]


def _require(ok: bool, param: str, message: str, hint: str) -> None:
    if not ok:
        raise ModelError([Problem(param, message, hint)])


def _finite(x: float) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


class Distribution:
    """Base class: subclasses are frozen dataclasses with a ``kind`` name."""

    kind: ClassVar[str] = ""

    mean: float  # expected value; a field or computed in __post_init__

    @property
    def variance(self) -> float:
        """Variance."""
        raise NotImplementedError

    def scipy(self) -> Any:
        """The equivalent frozen ``scipy.stats`` distribution."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        """Draw ``size`` values with ``rng``."""
        return np.asarray(self.scipy().rvs(size=size, random_state=rng), dtype=float)

    def laplace(self, s: float) -> float:
        """``E[exp(-s X)]`` for ``s >= 0`` (used to discount cash flows)."""
        value, _ = integrate.quad(
            lambda x: math.exp(-s * x) * float(self.scipy().pdf(x)), 0, math.inf, limit=200
        )
        return float(value)

    def to_dict(self) -> dict[str, Any]:
        """The scenario-file form, e.g. ``{"dist": "exponential", "mean": 2.0}``."""
        raise NotImplementedError

    def scaled(self, factor: float) -> Distribution:
        """The distribution of ``factor * X`` (same kind; ``factor`` > 0)."""
        import dataclasses

        _require(
            _finite(factor) and factor > 0,
            "factor",
            f"a scale factor must be > 0, got {factor!r}",
            "e.g. 0.5 halves every value",
        )
        fields = {
            "exponential": ("mean",),
            "gamma": ("mean",),
            "lognormal": ("mean",),
            "weibull": ("scale",),
            "uniform": ("low", "high"),
            "fixed": ("value",),
        }
        if self.kind == "empirical":
            values = tuple(v * factor for v in self.values)  # type: ignore[attr-defined]
            return dataclasses.replace(self, values=values)  # type: ignore[type-var]
        changes = {k: getattr(self, k) * factor for k in fields[self.kind]}
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]


@dataclass(frozen=True)
class Exponential(Distribution):
    """Exponential with ``mean`` > 0."""

    mean: float
    kind: ClassVar[str] = "exponential"

    def __post_init__(self) -> None:
        _require(
            _finite(self.mean) and self.mean > 0,
            "mean",
            f"exponential mean must be > 0, got {self.mean!r}",
            "use a positive number of days, or dist = 'fixed' with value = 0",
        )

    @property
    def variance(self) -> float:
        return float(self.mean) ** 2

    def scipy(self) -> Any:
        return stats.expon(scale=self.mean)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return rng.exponential(self.mean, size)

    def laplace(self, s: float) -> float:
        return 1.0 / (1.0 + s * self.mean)

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.kind, "mean": self.mean}


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


@dataclass(frozen=True)
class Gamma(Distribution):
    """Gamma written by ``mean`` > 0 and coefficient of variation ``cv`` > 0."""

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

    @property
    def shape(self) -> float:
        return 1.0 / self.cv**2

    @property
    def scale(self) -> float:
        return self.mean * self.cv**2

    @property
    def variance(self) -> float:
        return (self.mean * self.cv) ** 2

    def scipy(self) -> Any:
        return stats.gamma(self.shape, scale=self.scale)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, size)

    def laplace(self, s: float) -> float:
        return float((1.0 + s * self.scale) ** (-self.shape))

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.kind, "mean": self.mean, "cv": self.cv}


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Lognormal written by ``mean`` > 0 and ``cv`` > 0."""

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
        return cls(median * math.exp(sigma**2 / 2), math.sqrt(math.expm1(sigma**2)))

    @property
    def sigma(self) -> float:
        return math.sqrt(math.log1p(self.cv**2))

    @property
    def mu(self) -> float:
        return math.log(self.mean) - self.sigma**2 / 2

    @property
    def variance(self) -> float:
        return (self.mean * self.cv) ** 2

    def scipy(self) -> Any:
        return stats.lognorm(self.sigma, scale=math.exp(self.mu))

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, size)

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.kind, "mean": self.mean, "cv": self.cv}


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
        object.__setattr__(self, "mean", self.scale * math.gamma(1 + 1 / self.shape))

    @property
    def variance(self) -> float:
        g1 = math.gamma(1 + 1 / self.shape)
        return self.scale**2 * (math.gamma(1 + 2 / self.shape) - g1**2)

    def scipy(self) -> Any:
        return stats.weibull_min(self.shape, scale=self.scale)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, size)

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.kind, "shape": self.shape, "scale": self.scale}


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
        object.__setattr__(self, "mean", (self.low + self.high) / 2)

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12

    def scipy(self) -> Any:
        return stats.uniform(self.low, self.high - self.low)

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def laplace(self, s: float) -> float:
        if s == 0:
            return 1.0
        return (math.exp(-s * self.low) - math.exp(-s * self.high)) / (s * (self.high - self.low))

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.kind, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Fixed(Distribution):
    """A constant ``value`` >= 0."""

    value: float
    mean: float = field(init=False, repr=False, compare=False)
    kind: ClassVar[str] = "fixed"

    def __post_init__(self) -> None:
        _require(
            _finite(self.value) and self.value >= 0,
            "value",
            f"fixed value must be >= 0, got {self.value!r}",
            "times and money are not negative",
        )
        object.__setattr__(self, "mean", float(self.value))

    @property
    def variance(self) -> float:
        return 0.0

    def scipy(self) -> Any:
        return stats.rv_discrete(values=([self.value], [1.0]))

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return np.full(size, float(self.value))

    def laplace(self, s: float) -> float:
        return math.exp(-s * self.value)

    def to_dict(self) -> dict[str, Any]:
        return {"dist": self.kind, "value": self.value}


@dataclass(frozen=True)
class Empirical(Distribution):
    """Observed ``values`` >= 0 with optional ``weights`` (a histogram)."""

    values: tuple[float, ...]
    weights: tuple[float, ...] | None = None
    mean: float = field(init=False, repr=False, compare=False)
    kind: ClassVar[str] = "empirical"

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))
        if self.weights is not None:
            object.__setattr__(self, "weights", tuple(self.weights))
        _require(
            len(self.values) > 0,
            "values",
            "empirical values are empty",
            "give at least one observed value",
        )
        _require(
            all(_finite(v) and v >= 0 for v in self.values),
            "values",
            "empirical values must be finite and >= 0",
            "remove negative or missing values",
        )
        if self.weights is not None:
            self._check_weights()
        object.__setattr__(self, "mean", float(np.dot(self.probabilities, self.values)))

    def _check_weights(self) -> None:
        assert self.weights is not None
        _require(
            len(self.weights) == len(self.values),
            "weights",
            f"empirical has {len(self.values)} values but {len(self.weights)} weights",
            "give one weight per value, or no weights",
        )
        _require(
            all(_finite(w) and w >= 0 for w in self.weights) and sum(self.weights) > 0,
            "weights",
            "empirical weights must be >= 0 with a positive sum",
            "weights are relative frequencies",
        )

    @property
    def probabilities(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        return w / w.sum()

    @property
    def variance(self) -> float:
        x = np.asarray(self.values)
        return float(np.dot(self.probabilities, (x - self.mean) ** 2))

    def scipy(self) -> Any:
        x, idx = np.unique(np.asarray(self.values), return_inverse=True)
        p = np.bincount(idx, weights=self.probabilities)
        return stats.rv_discrete(values=(x, p))

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size=size, p=self.probabilities)

    def laplace(self, s: float) -> float:
        return float(np.dot(self.probabilities, np.exp(-s * np.asarray(self.values))))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dist": self.kind, "values": list(self.values)}
        if self.weights is not None:
            out["weights"] = list(self.weights)
        return out


DISTRIBUTIONS: dict[str, type[Distribution]] = {
    cls.kind: cls for cls in (Exponential, Gamma, LogNormal, Weibull, Uniform, Fixed, Empirical)
}
