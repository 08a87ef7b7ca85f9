"""The base class of the distribution families, their registry and the file reader.

A family registers itself with :func:`register` under its ``kind``;
:func:`distribution_from_dict` reads any registered family from its file form.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import numpy as np

from cjsim.errors import ModelError, Problem

__all__ = ["DISTRIBUTIONS", "Distribution", "distribution_from_dict", "register"]


def _require(ok: bool, param: str, message: str, hint: str) -> None:
    if not ok:
        raise ModelError([Problem(param, message, hint)])


def _finite(x: float) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


class Distribution:
    """Base class: each family is a frozen dataclass subclass with a ``kind`` name.

    A family overrides what it knows in closed form; the defaults go through
    :meth:`scipy`.  ``stackable`` says whether members of the family can be sampled in
    one numpy call from their stacked :attr:`numpy_params` (:meth:`sample_stacked`).
    """

    kind: ClassVar[str] = ""
    stackable: ClassVar[bool] = True

    mean: float  # expected value; a field or computed in __post_init__

    @property
    def variance(self) -> float:
        """Variance."""
        raise NotImplementedError

    def scipy(self) -> Any:
        """The equivalent frozen ``scipy.stats`` distribution."""
        raise NotImplementedError

    @property
    def numpy_params(self) -> tuple[float, float]:
        """The two numbers of this member that :meth:`sample_stacked` reads."""
        return float(self.mean), 0.0

    @property
    def is_zero(self) -> bool:
        """Whether every value is exactly 0 (no time passes)."""
        return False

    def sample(self, rng: np.random.Generator, size: int | tuple[int, ...] = 1) -> np.ndarray:
        """Draw ``size`` values with ``rng``."""
        return np.asarray(self.scipy().rvs(size=size, random_state=rng), dtype=float)

    def sample_stacked(self, params: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One draw for each row of ``params`` (shape ``(m, 2)``: the :attr:`numpy_params`
        of members of this family), in one numpy call.

        A family that is not ``stackable`` draws ``m`` values of this member.
        """
        return self.sample(rng, len(params))

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The values at probabilities ``u`` in (0, 1) (inverse CDF)."""
        return np.asarray(self.scipy().ppf(u), dtype=float)

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """Log density at ``x`` (days or money)."""
        return np.asarray(self.scipy().logpdf(x), dtype=float)

    def logsf(self, x: np.ndarray) -> np.ndarray:
        """Log survival ``log P(X > x)``."""
        return np.asarray(self.scipy().logsf(x), dtype=float)

    def density(self) -> Callable[[float], float]:
        """The density as a function of one value (for quadrature); the scipy
        distribution's, frozen once, unless the family writes its own."""
        pdf = self.scipy().pdf
        return lambda x: float(pdf(x))

    def laplace(self, s: float) -> float:
        """``E[exp(-s X)]`` for ``s >= 0`` (used to discount cash flows)."""
        from scipy import integrate  # loaded when first needed

        pdf = self.scipy().pdf  # frozen once: building it costs more than the integrand
        value, _ = integrate.quad(
            lambda x: math.exp(-s * x) * float(pdf(x)), 0, math.inf, limit=200
        )
        return float(value)

    def remaining(self, elapsed: np.ndarray, u: np.ndarray, *, factor: float = 1.0) -> np.ndarray:
        """Days left of ``D = factor * X`` after ``elapsed`` days: ``D - e`` given ``D > e``,
        by inversion of the conditional survival with ``u`` in (0, 1]:
        ``c * isf(u * sf(e / c)) - e``, exact in the tails where ``1 - F`` rounds to 1.

        Past the end of a bounded support nothing is left.  Where the survival function
        underflows to 0 in an unbounded tail, the rest is exponential with the local
        hazard ``-d/dx log f(x)`` (the tail's limit; exact for gamma's exponential tail).
        """
        elapsed = np.asarray(elapsed, dtype=float)
        x = elapsed / factor
        sd = self.scipy()
        u = np.minimum(u, 1.0 - 1e-12)  # u = 1 would be x itself, below a discrete support
        with np.errstate(all="ignore"):
            s = np.asarray(sd.sf(x), dtype=float)
            y = np.asarray(sd.isf(u * s), dtype=float)
        ok = (s > 0) & np.isfinite(y)
        out = np.where(ok, factor * (y - x), 0.0)
        if not ok.all():
            out[~ok] = factor * _tail(sd, x[~ok], u[~ok])
        return np.maximum(out, 0.0)

    def to_dict(self) -> dict[str, Any]:
        """The scenario-file form, e.g. ``{"dist": "exponential", "mean": 2.0}``."""
        fields = (f.name for f in dataclasses.fields(self) if f.init)  # type: ignore[arg-type]
        return {"dist": self.kind, **{name: getattr(self, name) for name in fields}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Distribution:
        """The member written as ``data`` (the file form without ``dist``)."""
        names = [f.name for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
        missing = [n for n in names if data.get(n) is None]
        _require(
            not missing,
            missing[0] if missing else "",
            f"{cls.kind} needs {' and '.join(names)}; {', '.join(missing)} missing",
            f"e.g. {{ dist = {cls.kind!r}, {', '.join(f'{n} = ...' for n in names)} }}",
        )
        return cls(**{n: data[n] for n in names})

    def scaled(self, factor: float) -> Distribution:
        """The distribution of ``factor * X`` (same kind; ``factor`` > 0)."""
        _require(
            _finite(factor) and factor > 0,
            "factor",
            f"a scale factor must be > 0, got {factor!r}",
            "e.g. 0.5 halves every value",
        )
        return dataclasses.replace(self, **self._scale(factor))  # type: ignore[type-var]

    def _scale(self, factor: float) -> dict[str, Any]:
        """The changed fields of ``factor * X`` (the hook of :meth:`scaled`)."""
        raise NotImplementedError


def _tail(sd: Any, x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Remaining time where the survival function underflows (see
    :meth:`Distribution.remaining`)."""
    upper = float(sd.support()[1])
    out = np.zeros(len(x))
    inside = x < upper
    logpdf = getattr(sd, "logpdf", None)
    if logpdf is None or not inside.any() or not math.isinf(upper):
        return out
    xi = x[inside]
    step = 1e-6 * np.maximum(xi, 1.0)
    with np.errstate(all="ignore"):
        hazard = -(logpdf(xi + step) - logpdf(xi - step)) / (2 * step)
        rest = np.where(np.isfinite(hazard) & (hazard > 0), -np.log(u[inside]) / hazard, 0.0)
    out[inside] = rest
    return out


DISTRIBUTIONS: dict[str, type[Distribution]] = {}


def register(cls: type[Distribution]) -> type[Distribution]:
    """Class decorator: make ``cls`` readable from files by its ``kind``."""
    DISTRIBUTIONS[cls.kind] = cls
    return cls


def distribution_from_dict(data: Mapping[str, Any]) -> Distribution:
    """The distribution written as ``data``, e.g. ``{"dist": "exponential", "mean": 2.0}``;
    keys that are None count as absent.

    Raises
    ------
    ModelError
        For an unknown ``dist``, missing or conflicting parameters, or impossible values.
    """
    kind = data.get("dist")
    _require(
        kind in DISTRIBUTIONS,
        "dist",
        f"unknown distribution {kind!r}",
        f"one of {', '.join(DISTRIBUTIONS)}",
    )
    given = {k: v for k, v in data.items() if k != "dist" and v is not None}
    return DISTRIBUTIONS[str(kind)].from_dict(given)


@functools.lru_cache(maxsize=1024)
def _laplace_by_quadrature(dist: Distribution, s: float) -> float:
    """``E[exp(-s X)]`` by quadrature of the density."""
    from scipy import integrate  # loaded when first needed

    pdf = dist.density()
    value, _ = integrate.quad(lambda x: math.exp(-s * x) * pdf(x), 0, math.inf, limit=200)
    return float(value)
