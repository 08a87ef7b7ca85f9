"""The last stage of calibration: a scenario from fitted or drawn parameters.

- :class:`Parameters`: what the posterior draws (class shares, silent exits, dwell scales,
  movers' rows, and with dwell by destination the competing-risks fits);
- :class:`Assembler`: a frozen, picklable record of everything else a scenario needs
  (mapping, dwell families and shapes, order values, entry mix, arrival rates, warm start,
  horizon); calling it with :class:`Parameters` builds the scenario;
- :func:`draw_parameters`: one posterior draw from a fitted :class:`~.mixture.Mixture`.

Each class's rows become segments with edge and dwell multipliers on a share-weighted
base journey; a silent exit goes to the outcome :data:`SILENT_EXIT`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from cjsim.calibration.competing import CompetingFit
from cjsim.calibration.events import Mapping
from cjsim.calibration.families import FAMILIES
from cjsim.calibration.mixture import Mixture
from cjsim.errors import CalibrationError, ModelError
from cjsim.model import (
    Distribution,
    DwellRate,
    Exponential,
    Fixed,
    JourneyBuilder,
    Scenario,
    WarmStart,
)

__all__ = [
    "SILENT_EXIT",
    "Assembler",
    "OrderValues",
    "Parameters",
    "draw_parameters",
    "dwell_distribution",
]

SILENT_EXIT = "left_silently"


@dataclass(frozen=True, eq=False)
class Parameters:
    """The parameters a posterior draw changes (K classes, ``nodes`` fitted touchpoints)."""

    share: np.ndarray  # (K,) class shares
    q: np.ndarray  # (K, nodes) silent-exit probabilities
    scale: np.ndarray  # (K, nodes) dwell scales
    rows: np.ndarray  # (K, nodes, targets) movers' rows
    competing: dict[str, CompetingFit] | None = None  # dwell by destination, one class

    @classmethod
    def fitted(cls, mixture: Mixture, competing: dict[str, CompetingFit] | None) -> Parameters:
        """The fitted values (posterior modes and EM estimates)."""
        return cls(mixture.share, mixture.q, mixture.scale, mixture.rows(), competing)


@dataclass(frozen=True, eq=False)
class OrderValues:
    """Order value per purchase touchpoint and each class's multiplier."""

    dist: dict[str, Distribution]
    multiplier: np.ndarray  # (K,)


def dwell_distribution(kind: str, scale: float, shape: float) -> Distribution:
    """The model distribution of a fitted dwell (``shape`` unused by one-parameter
    families)."""
    return FAMILIES[kind].build(scale, shape)


def _full_row(movers: np.ndarray, q: float, targets: tuple[str, ...]) -> dict[str, float]:
    row = {t: float(p) * (1 - q) for t, p in zip(targets, movers, strict=True) if p > 0}
    if q > 0:
        row[SILENT_EXIT] = row.get(SILENT_EXIT, 0.0) + q
    total = sum(row.values())
    return {k: v / total for k, v in row.items()}


def _transit(
    b: JourneyBuilder, name: str, stage: str, cf: CompetingFit, calendar: DwellRate | None
) -> dict[str, float]:
    """Add one transit touchpoint per destination (on the touchpoint's calendar, which
    carries its dwell); the row into them."""
    q = cf.exit_probability
    row = {SILENT_EXIT: q} if q > 0 else {}
    for target, p, dist in zip(cf.targets, cf.probs, cf.dists, strict=True):
        via = f"{name}_to_{target}"
        row[via] = float(p) * (1 - q)
        b.touchpoint(via, stage, dwell=dist, dwell_rate=calendar)
        b.edges(via, **{target: 1.0})
    return row


@dataclass(frozen=True)
class _Draft:
    """What adding the touchpoints leaves for the edges and segments."""

    class_rows: dict[str, list[dict[str, float]]]  # touchpoint -> each class's full row
    base_scale: dict[str, float]  # touchpoint -> share-weighted geometric mean scale
    transit: dict[str, dict[str, float]]  # touchpoint -> row into its transit touchpoints


@dataclass(frozen=True, eq=False)
class Assembler:
    """Builds the calibrated scenario from :class:`Parameters` (picklable; saved with a
    fit, so a fit read back from its files draws scenarios too).

    Attributes
    ----------
    mapping : Mapping
        Touchpoints, outcomes, purchases and stages.
    fitted : tuple of str
        Touchpoints with a fitted dwell, in the order of the parameters' ``nodes`` axis.
    classes : tuple of str
        Class (segment) names.
    kinds, shape : tuple
        Each fitted touchpoint's dwell family and shared shape (NaN: none); with own
        shapes, the base journey's shape (each segment replaces the dwell).
    values : OrderValues
    entry : dict of str to float
        Entry touchpoint shares.
    rates : tuple of (start_day, rate_per_day)
        Piecewise Poisson arrival rates.
    warm : WarmStart or None
    horizon_days : float
    class_shape : tuple of tuple of float, optional
        Own shapes: each class's shape per fitted touchpoint; each segment then carries
        its own dwell distribution instead of a dwell multiplier.
    calendars : dict of str to DwellRate, optional
        A calendar of the pace of moving on per touchpoint (month of the year,
        :mod:`.behaviour`; hour of the week, :mod:`.office`), its ``dwell_rate`` (with
        dwell by destination, its transit touchpoints').
    """

    mapping: Mapping
    fitted: tuple[str, ...]
    classes: tuple[str, ...]
    kinds: tuple[str, ...]
    shape: tuple[float, ...]
    values: OrderValues
    entry: dict[str, float]
    rates: tuple[tuple[float, float], ...]
    warm: WarmStart | None
    horizon_days: float
    class_shape: tuple[tuple[float, ...], ...] | None = None
    calendars: dict[str, DwellRate] | None = None

    @property
    def targets(self) -> tuple[str, ...]:
        return (*self.mapping.touchpoints, *self.mapping.outcomes)

    def __call__(self, parameters: Parameters) -> Scenario:
        """The scenario with these parameters.

        Raises
        ------
        CalibrationError
            When the journey built is not valid.
        """
        share = parameters.share / parameters.share.sum()
        b = JourneyBuilder(
            "calibrated",
            stages=sorted(set(self.mapping.stages.values())) or ["journey"],
            horizon_days=self.horizon_days,
        )
        draft = self._touchpoints(b, parameters, share)
        for name in [*self.mapping.outcomes, SILENT_EXIT]:
            b.outcome(name)
        base_rows = self._edges(b, draft, share)
        if len(share) > 1:
            self._segments(b, parameters, share, draft, base_rows)
        b.entry(**self.entry)
        b.poisson(list(self.rates) if len(self.rates) > 1 else self.rates[0][1])
        if self.warm is not None:
            b.warm_start(self.warm)
        try:
            return b.build()
        except ModelError as exc:
            raise CalibrationError(f"the fitted journey is not valid: {exc}") from None

    def _touchpoints(self, b: JourneyBuilder, p: Parameters, share: np.ndarray) -> _Draft:
        draft = _Draft({}, {}, {})
        for name in self.mapping.touchpoints:
            fields: dict[str, Any] = {"dwell": Exponential(1.0)}
            stage = self.mapping.stages.get(name, "journey")
            calendar = (self.calendars or {}).get(name)
            cf = None if p.competing is None else p.competing.get(name)
            pooled = cf is not None and cf.pooled
            if cf is not None and pooled:  # one dwell: no transit touchpoints
                fields["dwell"] = cf.dists[0]
                draft.transit[name] = _full_row(cf.probs, cf.exit_probability, cf.targets)
            elif cf is not None:
                fields["dwell"] = Fixed(0.0)
                draft.transit[name] = _transit(b, name, stage, cf, calendar)
            elif name in self.fitted:
                n = self.fitted.index(name)
                scale = float(np.exp(share @ np.log(p.scale[:, n])))
                draft.base_scale[name] = scale
                fields["dwell"] = dwell_distribution(self.kinds[n], scale, float(self.shape[n]))
                draft.class_rows[name] = [
                    _full_row(p.rows[j, n], float(p.q[j, n]), self.targets)
                    for j in range(len(share))
                ]
            if name in self.mapping.purchases:
                fields |= {"purchase": True, "order_value": self.values.dist[name]}
            if calendar is not None and (pooled or name not in draft.transit):
                fields["dwell_rate"] = calendar
            history = self.mapping.memory.get(name, [name])
            if len(history) > 1:
                fields["memory_of"] = history[-1]
            b.touchpoint(name, stage, **fields)
        return draft

    def _edges(
        self, b: JourneyBuilder, draft: _Draft, share: np.ndarray
    ) -> dict[str, dict[str, float]]:
        """Rows of the base journey: transit, share-weighted class rows, then the
        touchpoints without a fit (every customer leaves silently)."""
        base_rows: dict[str, dict[str, float]] = {}
        for name in self.mapping.touchpoints:
            if name in draft.transit:
                b.edges(name, **draft.transit[name])
            elif name in draft.class_rows:
                rows = draft.class_rows[name]
                keys = sorted({t for r in rows for t in r})
                base_rows[name] = {
                    t: float(sum(share[j] * rows[j].get(t, 0.0) for j in range(len(share))))
                    for t in keys
                }
                b.edges(name, **base_rows[name])
        for name in self.mapping.touchpoints:
            if name not in draft.class_rows and name not in draft.transit:
                base_rows[name] = {SILENT_EXIT: 1.0}
                b.edges(name, **base_rows[name])
        return base_rows

    def _segments(
        self,
        b: JourneyBuilder,
        p: Parameters,
        share: np.ndarray,
        draft: _Draft,
        base_rows: dict[str, dict[str, float]],
    ) -> None:
        """One segment per class: edge multipliers against the base rows (all but the
        base row's largest entry, which takes the remainder) and dwell multipliers, or
        with own shapes each class's own dwell distribution."""
        for j, segment in enumerate(self.classes):
            edges: dict[str, float] = {}
            dwell: dict[str, float] = {}
            own: dict[str, Distribution] = {}
            for name, rows in draft.class_rows.items():
                base = base_rows[name]
                rest = max(base, key=lambda t: base[t])
                for t, prob in base.items():
                    if t != rest and prob > 0:
                        edges[f"{name}->{t}"] = rows[j].get(t, 0.0) / prob
                n = self.fitted.index(name)
                if self.class_shape is None:
                    dwell[name] = float(p.scale[j, n] / draft.base_scale[name])
                else:
                    shape = self.class_shape[j][n]
                    own[name] = dwell_distribution(self.kinds[n], float(p.scale[j, n]), shape)
            b.segment(
                segment,
                float(share[j]),
                order_value_multiplier=float(self.values.multiplier[j]),
                edge_multipliers=edges,
                dwell_multipliers=dwell,
                dwell=own or None,
            )


def _draw_q(rng: np.random.Generator, q: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Silent-exit draws on the logit scale (normal approximation, delta method), so a
    small q stays positive; without a standard error q stays at its estimate."""
    q = np.clip(np.asarray(q, dtype=float), 1e-9, 1 - 1e-9)
    se = np.where(np.isfinite(se), se, 0.0)
    logit = np.log(q / (1 - q))
    return 1 / (1 + np.exp(-(logit + rng.normal(0.0, 1.0, q.shape) * se / (q * (1 - q)))))


def _draw_rows(rng: np.random.Generator, mix: Mixture) -> np.ndarray:
    """Every class's movers' rows from their Dirichlet, on the targets ever seen; a
    continuous mixture's classes share one row (pooled counts), so one draw serves all."""
    seen = mix.counts.sum(axis=0) > 0
    rows = np.zeros_like(mix.counts)
    for k in range(1 if mix.mixing is not None else mix.k):
        for node in range(mix.counts.shape[1]):
            support = np.flatnonzero(seen[node])
            if len(support):
                rows[k, node, support] = rng.dirichlet(mix.counts[k, node, support] + mix.prior)
    if mix.mixing is not None:
        rows[1:] = rows[0]
    return rows


def draw_parameters(
    rng: np.random.Generator, mix: Mixture, competing: dict[str, CompetingFit] | None = None
) -> Parameters:
    """One posterior draw: rows and class shares from their Dirichlet posteriors, silent
    exits from their normal approximation on the logit scale; with dwell by destination
    each touchpoint's shares and silent exit likewise.  Dwell shapes and scales stay at
    their fitted values, and so do a continuous mixture's classes (its shares are
    quadrature weights, its exits beta quantiles: :mod:`.mixing`)."""
    rows = _draw_rows(rng, mix)
    q = _draw_q(rng, mix.q, mix.q_se)
    n_eff = mix.responsibility.sum(axis=0)
    share = rng.dirichlet(n_eff + 0.5) if mix.k > 1 and mix.mixing is None else mix.share
    drawn = None
    if competing:
        drawn = {
            name: dataclasses.replace(
                cf,
                probs=rng.dirichlet(cf.expected + mix.prior),
                exit_probability=float(
                    _draw_q(rng, np.array(cf.exit_probability), np.array(cf.exit_se))
                ),
            )
            for name, cf in competing.items()
        }
    return Parameters(share, q, mix.scale, rows, drawn)
