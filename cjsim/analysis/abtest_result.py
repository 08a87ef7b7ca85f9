"""What an A/B test design returns (:func:`cjsim.analysis.abtest.ab_test_design`)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cjsim.experiment.abtest import SimulatedPower

__all__ = ["ABTestDesign"]


@dataclass(frozen=True)
class ABTestDesign:
    """What a field test needs to confirm one intervention's simulated effect on a KPI.

    Attributes
    ----------
    kpi, variant : str
    test : str
        The test the sizes are for (two-sided, level ``alpha``).
    baseline_value : float
        The KPI of the baseline arm (per customer, within the follow-up).
    effect : tuple of float
        ``(point, ci_low, ci_high, std_err)``: the variant's change of the KPI, 95 %
        t-interval over paired replications.
    sizes : DataFrame
        One row per effect (``point``, ``ci_low``, ``ci_high``): ``effect``,
        ``n_per_arm``, ``customers`` (both arms), ``enrolment_days``, ``duration_days``
        (enrolment plus follow-up); NaN where the effect is zero or of the other sign.
    assurance : float
        The chance the test at the point estimate's size rejects, averaged over the
        effect's uncertainty (a t distribution with the interval's spread).
    check : SimulatedPower
        Simulated field tests at the point estimate's size.
    curve : DataFrame
        ``n_per_arm, effect, power, std_err, source`` for the power curve figure.
    """

    kpi: str
    variant: str
    test: str
    power: float
    alpha: float
    follow_up_days: float
    baseline_value: float
    effect: tuple[float, float, float, float]
    sizes: pd.DataFrame
    assurance: float
    check: SimulatedPower
    curve: pd.DataFrame
    notes: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """A few lines of plain text for people."""
        point, low, high, _ = self.effect
        lines = [
            f"A/B test design: {self.variant} vs baseline on {self.kpi} — {self.test}, "
            f"two-sided alpha {self.alpha:g}, power {self.power:g}",
            f"baseline {self.baseline_value:.6g}; simulated effect {point:+.6g} "
            f"(95 % interval {low:+.6g} to {high:+.6g})",
            f"{'effect':>8} {'value':>12} {'n per arm':>12} {'customers':>12} {'days':>9}",
        ]
        t = self.sizes
        numbers = (t[c].to_numpy(float) for c in ("effect", "n_per_arm", "customers"))
        days = t["duration_days"].to_numpy(float)
        for which, effect, n, customers, d in zip(t["which"], *numbers, days, strict=True):
            lines.append(
                f"{which:>8} {effect:>+12.5g} {_count(n):>12} {_count(customers):>12} "
                f"{_count(d, '.1f'):>9}"
            )
        c = self.check
        lines.append(
            f"simulated {c.tests} field tests at {c.n_per_arm} per arm: power "
            f"{c.power:.3f} ± {c.std_err:.3f} (Monte Carlo error)"
        )
        lines.append(
            f"assurance (power averaged over the effect's uncertainty): {self.assurance:.3f}"
        )
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        from cjsim._io import to_jsonable

        point, low, high, se = self.effect
        return to_jsonable(
            {
                "kpi": self.kpi,
                "variant": self.variant,
                "test": self.test,
                "power": self.power,
                "alpha": self.alpha,
                "follow_up_days": self.follow_up_days,
                "baseline_value": self.baseline_value,
                "effect": {"mean": point, "ci_low": low, "ci_high": high, "std_err": se},
                "sizes": self.sizes.to_dict(orient="records"),
                "assurance": self.assurance,
                "check": vars(self.check),
                "curve": self.curve.to_dict(orient="records"),
                "notes": list(self.notes),
                "meta": self.meta,
            }
        )

    def plot_power(self, *, against: str = "n", ax: Any = None) -> Any:
        """The power curve against the size per arm (``against="n"``) or the effect
        (``"effect"``) (:func:`cjsim.plotting.power_curve`)."""
        from cjsim.plotting import power_curve

        return power_curve(self, against=against, ax=ax)


def _count(value: float, spec: str = ",.0f") -> str:
    return "n/a" if not math.isfinite(value) else format(value, spec)
