"""The power curve of an A/B test design (:func:`cjsim.analysis.abtest.ab_test_design`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from cjsim.plotting._common import NEUTRAL, axes, title
from cjsim.plotting.labels import kpi_label

if TYPE_CHECKING:
    from cjsim.analysis.abtest import ABTestDesign

__all__ = ["power_curve"]

_STYLE = {  # effect -> (colour, line style, words)
    "point": ("black", "-", "simulated effect"),
    "ci_low": (NEUTRAL, "--", "low end of its 95 % interval"),
    "ci_high": (NEUTRAL, ":", "high end of its 95 % interval"),
}


def compact(count: float) -> str:
    """A count in few characters, for crowded axes.

    >>> compact(20_000), compact(1_500_000), compact(500)
    ('20k', '1.5M', '500')
    """
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(count) >= size:
            return f"{count / size:g}{suffix}"
    return f"{count:g}"


def power_curve(design: ABTestDesign, *, against: str = "n", ax: Any = None) -> Any:
    """Power of the field test against customers per arm, or against the effect.

    Parameters
    ----------
    design : ABTestDesign
    against : {"n", "effect"}
        ``"n"``: one curve per effect (the simulated one and the ends of its interval),
        with the target power and the sizes found marked; ``"effect"``: the power at the
        recommended size across the effect's interval.  Simulated points carry error bars
        of two Monte Carlo standard errors.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    if against not in ("n", "effect"):
        raise ValueError(f"against must be 'n' or 'effect', got {against!r}")
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax = axes(ax)
    curve = design.curve[design.curve["panel"] == against]
    for which, part in curve.groupby("which", sort=False):
        colour, line, words = _STYLE[str(which)]
        x = part["n_per_arm"] if against == "n" else part["effect"]
        if (part["source"] == "simulated").any():
            ax.errorbar(
                x,
                part["power"],
                yerr=2 * part["std_err"],
                fmt="o" + line,
                color=colour,
                label=words,
                capsize=2,
                markersize=3,
            )
        else:
            ax.plot(x, part["power"], line, color=colour, label=words)
    ax.axhline(
        design.power, color="indianred", linewidth=0.8, label=f"target power {design.power:g}"
    )
    if against == "n":
        sizes = design.sizes
        for which, n in zip(sizes["which"], sizes["n_per_arm"].to_numpy(float), strict=True):
            if np.isfinite(n):
                ax.axvline(
                    n,
                    color=_STYLE[str(which)][0],
                    linestyle=_STYLE[str(which)][1],
                    linewidth=0.6,
                )
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: compact(v)))
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("customers per arm")
    else:
        ax.axvline(design.effect[0], color="black", linewidth=0.6)
        ax.set_xlabel(f"effect on {kpi_label(design.kpi)}")
    ax.set_ylabel("power (chance the test confirms the effect)")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize="small", loc="lower right")
    n = int(design.sizes["n_per_arm"].iloc[0])
    what = "size" if against == "n" else f"effect, at {n:,} customers per arm"
    title(ax, f"A/B test of {design.variant} on {kpi_label(design.kpi)}: power against {what}")
    return ax
