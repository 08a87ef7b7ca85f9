"""The discrete families: a fixed value and an empirical distribution (a histogram).

Their log-density is the log of the probability mass at ``x`` and their survival a
step function.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from cjsim.model.distributions.base import Distribution, _finite, _require, register

__all__ = ["Empirical", "Fixed"]


@register
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
        _require(
            self.value <= 1e12,
            "value",
            f"fixed value must be <= 1e+12, got {self.value!r}",
            "totals beyond that are not representable; use smaller units",
        )
        object.__setattr__(self, "mean", float(self.value))

    @property
    def variance(self) -> float:
        return 0.0

    @property
    def is_zero(self) -> bool:
        return self.value == 0

    def scipy(self) -> Any:
        from scipy import stats  # loaded when first needed

        return stats.rv_discrete(values=([self.value], [1.0]))

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return np.full(size, float(self.value))

    def sample_stacked(self, params: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return params[:, 0].copy()

    def quantile(self, u: np.ndarray) -> np.ndarray:
        return np.full(len(u), float(self.mean))

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(x, dtype=float) == self.value, 0.0, -np.inf)

    def logsf(self, x: np.ndarray) -> np.ndarray:
        return np.where(np.asarray(x, dtype=float) < self.value, 0.0, -np.inf)

    def laplace(self, s: float) -> float:
        return math.exp(-s * self.value)

    def remaining(self, elapsed: np.ndarray, u: np.ndarray, *, factor: float = 1.0) -> np.ndarray:
        """``factor * value - elapsed``, and 0 once over."""
        return np.maximum(factor * float(self.mean) - np.asarray(elapsed, dtype=float), 0.0)

    def _scale(self, factor: float) -> dict[str, Any]:
        return {"value": self.value * factor}


@register
@dataclass(frozen=True)
class Empirical(Distribution):
    """Observed ``values`` >= 0 with optional ``weights`` (a histogram).

    Not ``stackable``: each member is sampled on its own.
    """

    values: tuple[float, ...]
    weights: tuple[float, ...] | None = None
    mean: float = field(init=False, repr=False, compare=False)
    kind: ClassVar[str] = "empirical"
    stackable: ClassVar[bool] = False

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

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Empirical:
        _require(
            data.get("values") is not None,
            "values",
            "empirical needs values",
            "e.g. { dist = 'empirical', values = [1.0, 2.0, 7.0] }",
        )
        weights = data.get("weights")
        return cls(tuple(data["values"]), None if weights is None else tuple(weights))

    @property
    def probabilities(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights)
        return w / w.sum()

    @property
    def variance(self) -> float:
        x = np.asarray(self.values)
        return float(np.dot(self.probabilities, (x - self.mean) ** 2))

    def scipy(self) -> Any:
        from scipy import stats  # loaded when first needed

        x, idx = np.unique(np.asarray(self.values), return_inverse=True)
        p = np.bincount(idx, weights=self.probabilities)
        return stats.rv_discrete(values=(x, p))

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), size=size, p=self.probabilities)

    def _mass(self, x: np.ndarray, above: bool) -> np.ndarray:
        """Probability at ``x`` (or strictly above it), summed over equal values."""
        x = np.asarray(x, dtype=float)[..., None]
        v, p = np.asarray(self.values, dtype=float), self.probabilities
        hit = v > x if above else v == x
        with np.errstate(divide="ignore"):
            return np.log(np.minimum((hit * p).sum(axis=-1), 1.0))

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        return self._mass(x, above=False)

    def logsf(self, x: np.ndarray) -> np.ndarray:
        return self._mass(x, above=True)

    def laplace(self, s: float) -> float:
        return float(np.dot(self.probabilities, np.exp(-s * np.asarray(self.values))))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dist": self.kind, "values": list(self.values)}
        if self.weights is not None:
            out["weights"] = list(self.weights)
        return out

    def _scale(self, factor: float) -> dict[str, Any]:
        return {"values": tuple(v * factor for v in self.values)}
