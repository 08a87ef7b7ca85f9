"""``calibrate``: a scenario fitted to an event log, with a report and posterior draws.

From the mapped log before the cut-off:
- the entry mix (each customer's first touchpoint) and a constant arrival rate;
- per touchpoint, completed spells (the time to the customer's next event) and spells
  still open at the cut-off, from which the mixture cure model (:func:`fit_exit`)
  estimates the probability of leaving silently and the movers' dwell distribution;
- transition rows from counts with Dirichlet posteriors (:func:`count_transitions`),
  scaled by ``1 - q`` with the silent exit ``q`` going to the outcome ``left_silently``;
- order values of the purchase touchpoints (gamma or lognormal by AIC).

Not yet here (issue 5): seasonal arrivals, segments and latent segments, the warm start
from the cut-off, holdout validation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cjsim.calibration.events import (
    EventColumns,
    Mapping,
    load_mapping,
    map_events,
    read_events,
)
from cjsim.calibration.exits import ExitFit, fit_exit
from cjsim.calibration.transitions import RowPosterior, count_transitions
from cjsim.errors import CalibrationError, ModelError
from cjsim.model import (
    Distribution,
    Exponential,
    Fixed,
    Gamma,
    JourneyBuilder,
    LogNormal,
    Scenario,
)

__all__ = ["SILENT_EXIT", "Fit", "calibrate"]

SILENT_EXIT = "left_silently"


@dataclass(frozen=True)
class Fit:
    """A fitted scenario, how it was fitted, and its posterior."""

    scenario: Scenario
    rows: dict[str, RowPosterior]
    exits: dict[str, ExitFit]
    warnings: tuple[str, ...] = ()
    report: dict[str, pd.DataFrame] = field(default_factory=dict)

    def sample_scenarios(self, n: int, seed: int) -> list[Scenario]:
        """``n`` scenarios with every row drawn from its Dirichlet posterior and every
        silent-exit probability from its normal approximation."""
        rng = np.random.default_rng(seed)
        out = []
        for _ in range(n):
            transitions = {}
            for source, row in self.rows.items():
                moved = row.sample(rng, 1)[0]
                q = self._draw_q(source, rng)
                transitions[source] = _row(row.targets, moved, q)
            out.append(
                self.scenario.replace(transitions={**self.scenario.transitions, **transitions})
            )
        return out

    def _draw_q(self, source: str, rng: np.random.Generator) -> float:
        fit = self.exits.get(source)
        if fit is None or not np.isfinite(fit.exit_se):
            return fit.exit_probability if fit else 0.0
        return float(np.clip(rng.normal(fit.exit_probability, fit.exit_se), 0.0, 0.999))


def _row(targets: tuple[str, ...], probs: np.ndarray, q: float) -> dict[str, float]:
    row = {t: float(p) * (1 - q) for t, p in zip(targets, probs, strict=True)}
    if q > 0:
        row[SILENT_EXIT] = row.get(SILENT_EXIT, 0.0) + q
    total = sum(row.values())
    return {k: v / total for k, v in row.items()}


def _spells(events: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """One row per visit of a touchpoint: duration to the next event, or open at cut-off."""
    nxt = events.groupby("customer_id")["time"].shift(-1)
    out = pd.DataFrame(
        {
            "node": events["node"],
            "open": nxt.isna(),
            "days": (nxt.fillna(cutoff) - events["time"]).dt.total_seconds() / 86400.0,
        }
    )
    return out


def _order_value(values: pd.Series) -> Distribution:
    x = values.dropna().to_numpy(dtype=float)
    x = x[x > 0]
    if len(x) < 2:
        return Fixed(float(x.mean()) if len(x) else 1.0)
    best: tuple[float, Distribution] | None = None
    for family, make in (
        (stats.gamma, lambda p: Gamma.from_shape_scale(p[0], p[2])),
        (stats.lognorm, lambda p: LogNormal.from_median_sigma(p[2], p[0])),
    ):
        params = family.fit(x, floc=0)
        aic = 4 - 2 * float(family.logpdf(x, *params).sum())
        if best is None or aic < best[0]:
            best = (aic, make(params))
    assert best is not None
    return best[1]


def calibrate(
    events: pd.DataFrame | str | Path,
    mapping: Mapping | dict[str, Any] | str | Path,
    columns: EventColumns | None = None,
    prior: float = 0.5,
) -> Fit:
    """Fit a scenario to ``events`` before the mapping's cut-off.

    Raises
    ------
    CalibrationError
        For an unusable log or mapping, or a touchpoint with too few completed spells.
    """
    spec = load_mapping(mapping)
    log = read_events(events, columns)
    cutoff = pd.Timestamp(spec.cutoff) if spec.cutoff else log["time"].max()
    mapped = map_events(log[log["time"] <= cutoff].reset_index(drop=True), spec)
    ev = mapped.events
    is_touchpoint = ev["node"].isin(list(spec.touchpoints))
    rows = count_transitions(mapped, prior)
    spells = _spells(ev, cutoff)[is_touchpoint.to_numpy()]
    exits, warnings = {}, list(mapped.warnings)
    b = JourneyBuilder("calibrated", stages=sorted(set(spec.stages.values())) or ["journey"])
    for name in spec.touchpoints:
        s = spells[spells["node"] == name]
        done, open_ = s.loc[~s["open"], "days"].to_numpy(), s.loc[s["open"], "days"].to_numpy()
        if len(done) >= 2:
            exits[name] = fit_exit(done, open_)
            dwell: Distribution = exits[name].dist
        else:
            warnings.append(f"{name}: {len(done)} completed spell(s); dwell set to 1 day")
            dwell = Exponential(1.0)
        fields: dict[str, Any] = {"dwell": dwell}
        if name in spec.purchases:
            values = ev.loc[ev["node"] == name, "value"] if "value" in ev else pd.Series([])
            fields |= {"purchase": True, "order_value": _order_value(values)}
        b.touchpoint(name, spec.stages.get(name, "journey"), **fields)
    outcomes = [*spec.outcomes, SILENT_EXIT]
    for name in outcomes:
        b.outcome(name)
    for name in spec.touchpoints:
        q = exits[name].exit_probability if name in exits else 1.0
        row = rows.get(name)
        b.edges(
            name,
            **(
                _row(row.targets, np.array(list(row.mean.values())), q)
                if row
                else {SILENT_EXIT: 1.0}
            ),
        )
    first = ev[is_touchpoint].groupby("customer_id")["node"].first()
    entry = first.value_counts(normalize=True)
    span = max((cutoff - ev["time"].min()).total_seconds() / 86400.0, 1.0)
    b.entry(**{str(k): float(v) for k, v in entry.items()})
    b.poisson(float(len(first)) / span)
    try:
        scenario = b.build()
    except ModelError as exc:
        raise CalibrationError(f"the fitted journey is not valid: {exc}") from None
    report = {
        "transitions": pd.concat([r.interval() for r in rows.values()], ignore_index=True),
        "exits": pd.DataFrame(
            [
                {
                    "touchpoint": k,
                    "exit_probability": f.exit_probability,
                    "exit_se": f.exit_se,
                    "dwell": f.kind,
                    "dwell_mean_days": f.dist.mean,
                    "aic": f.aic,
                }
                for k, f in exits.items()
            ]
        ),
    }
    return Fit(scenario.replace(horizon_days=365.0), rows, exits, tuple(warnings), report)
