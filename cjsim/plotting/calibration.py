"""Calibration figures: the holdout check, the drift tests, the dwell fit of a
touchpoint and the transition rows' credible intervals."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cjsim.errors import CalibrationError
from cjsim.plotting._common import axes, title
from cjsim.plotting.labels import name_label

if TYPE_CHECKING:
    from cjsim.calibration.fit import Fit
    from cjsim.calibration.validate import Validation

__all__ = ["drift_tests", "dwell_fit", "fit_spells", "holdout", "transition_intervals"]


def holdout(validation: Validation, ax: Any = None) -> Any:
    """Predicted (mean and 95 % band over replications) against actual cumulative repeat
    purchases, by week of the holdout period."""
    ax = axes(ax)
    c = validation.curve
    ax.fill_between(c["week"], c["low"], c["high"], alpha=0.25, label="predicted, 95 % band")
    ax.plot(c["week"], c["predicted"], label="predicted")
    ax.plot(c["week"], c["actual"], "k--", label="actual")
    ax.set_xlabel(f"week after the cut-off ({validation.cutoff:%Y-%m-%d})")
    ax.set_ylabel("cumulative repeat purchases")
    ax.legend()
    title(ax, f"Holdout check: cumulative repeat purchases (MAPE {validation.curve_mape:.1f} %)")
    return ax


def drift_tests(validation: Validation, ax: Any = None) -> Any:
    """The drift tests of a validation (``validation.drift.table``): per test, the
    evidence as -log10 of the Holm-adjusted p-value, with the level's line; alarms in
    red, each bar labelled with its effect size.

    Returns
    -------
    matplotlib Axes
        One bar container (tests top to bottom in the table's order) and a vertical
        line labelled ``Holm level <alpha>``.
    """
    drift = validation.drift
    if drift is None or drift.table.empty:
        raise CalibrationError("the validation has no drift tests to draw")
    table = drift.table
    ax = axes(ax, figsize=(7.0, 1.0 + 0.3 * len(table)))
    evidence = -np.log10(np.maximum(table["p_adjusted"].to_numpy(dtype=float), 1e-300))
    evidence = np.minimum(evidence, 300.0)
    colours = ["tab:red" if a else "tab:grey" for a in table["alarm"]]
    y = np.arange(len(table))
    ax.barh(y, evidence, color=colours)
    labels = [
        f"{t} {name_label(w)}".strip() + f" ({m} {e:.3g})"
        for t, w, m, e in zip(
            table["test"],
            table["touchpoint"],
            table["effect_measure"],
            table["effect"],
            strict=True,
        )
    ]
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(
        -math.log10(drift.alpha), color="black", linestyle="--", label=f"Holm level {drift.alpha:g}"
    )
    ax.set_xlabel("evidence of drift: -log10 (Holm-adjusted p)")
    ax.set_ylabel("test (effect size)")
    ax.legend(fontsize=8)
    title(ax, f"Drift in the holdout: {len(drift.alarms)} of {len(table)} tests alarm")
    return ax


def fit_spells(fit: Fit, events: pd.DataFrame | str | Path) -> tuple[pd.DataFrame, pd.Index]:
    """The spells ``calibrate`` fitted ``fit`` to, rebuilt from its event log ``events``
    the same way (cut-off, mapping, each log ended at the first outcome).

    Returns
    -------
    spells : DataFrame
        ``customer_id, node, days, target`` (``target`` -1: open at the cut-off).
    customers : Index
        Customer ids in the order of ``fit.mixture.responsibility``'s rows.
    """
    from cjsim.calibration.events import map_events, read_events, until_outcome
    from cjsim.calibration.stages import spells as cut_spells

    spec = fit.mapping
    log = read_events(events, fit.columns)
    before = log[log["time"] < fit.cutoff].reset_index(drop=True)
    before.attrs = log.attrs
    ev, _ = until_outcome(map_events(before, spec).events, set(spec.outcomes))
    targets = (*spec.touchpoints, *spec.outcomes)
    spells = cut_spells(ev, fit.cutoff, targets)
    return spells, pd.Index(ev["customer_id"].unique())


def dwell_fit(
    fit: Fit,
    touchpoint: str,
    events: pd.DataFrame | str | Path | None = None,
    ax: Any = None,
) -> Any:
    """Time to the next event at ``touchpoint``: observed (Kaplan–Meier of the spells,
    open ones censored at the cut-off) against the fitted mixture cure model (an improper
    CDF levelling off at the share that moves on rather than leaving silently).

    Parameters
    ----------
    fit : Fit
        From :func:`cjsim.calibrate` or :func:`cjsim.load_fit`.
    touchpoint : str
        A fitted touchpoint (``fit.exits``).
    events : DataFrame or path, optional
        The event log the fit was made from; without it only the fitted curve is drawn,
        mixed over the class shares.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Lines labelled ``observed (Kaplan–Meier)`` (steps at the event times, height
        1 - survival) and ``fitted``; the title gives the largest gap between them.
    """
    from cjsim.calibration.dwell import kaplan_meier

    mix = fit.mixture
    if mix is None:
        raise CalibrationError(
            "the dwell plot needs the fit from calibrate() itself, not one read from a file"
        )
    fitted = list(fit.exits)
    if touchpoint not in fitted:
        raise ValueError(f"{touchpoint!r} is not a fitted touchpoint; one of {', '.join(fitted)}")
    n = fitted.index(touchpoint)
    ax = axes(ax)
    text = f"{name_label(touchpoint)}: time to the next event"
    if events is None:
        weights = mix.share
        end = 4.0 * fit.exits[touchpoint].dist.mean
    else:
        spells, customers = fit_spells(fit, events)
        s = spells[spells["node"] == touchpoint]
        censored = (s["target"] < 0).to_numpy()
        times, survival = kaplan_meier(np.maximum(s["days"].to_numpy(dtype=float), 1e-6), censored)
        cindex = pd.Series(np.arange(len(customers)), index=customers)
        weights = mix.responsibility[cindex[s["customer_id"]].to_numpy()].mean(axis=0)
        ax.step(times, 1 - survival, where="post", color="black", label="observed (Kaplan–Meier)")
        gap = np.max(np.abs((1 - survival) - mix.next_event_cdf(n, times, weights)))
        text += f" (largest gap {gap:.3f}, {len(s):,} spells)"
        end = float(times.max()) if len(times) else 1.0
    grid = np.linspace(0.0, end, 200)
    ax.plot(grid, mix.next_event_cdf(n, grid, weights), label=f"fitted ({mix.kinds[n]})")
    ax.set_xlabel("days since the visit")
    ax.set_ylabel("P(next event by then)")
    ax.legend(fontsize=8)
    title(ax, text)
    return ax


def transition_intervals(fit: Fit, ax: Any = None) -> Any:
    """Posterior mean and 95 % credible interval of every observed transition
    (``fit.report["transitions"]``: the movers' shares of each row, silent exits aside).

    Returns
    -------
    matplotlib Axes
        One errorbar container; rows top to bottom in the report's order.
    """
    table = fit.report.get("transitions")
    if table is None or table.empty:
        raise CalibrationError("the fit's report has no transitions table")
    ax = axes(ax, figsize=(7.0, 1.0 + 0.28 * len(table)))
    mean = table["mean"].to_numpy(dtype=float)
    low, high = table["low"].to_numpy(dtype=float), table["high"].to_numpy(dtype=float)
    y = np.arange(len(table))
    ax.errorbar(mean, y, xerr=[mean - low, high - mean], fmt="o", capsize=3)
    labels = [
        f"{name_label(source)} → {name_label(target)} (n={count:,.0f})"
        for source, target, count in zip(table["from"], table["to"], table["count"], strict=True)
    ]
    ax.set_yticks(y, labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel("share of the movers (posterior mean, 95 % credible interval)")
    ax.set_ylabel("transition")
    title(ax, "Fitted transitions with 95 % credible intervals")
    return ax
