"""Calibration figures: the holdout check."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cjsim.calibration.validate import Validation

__all__ = ["holdout"]


def holdout(validation: Validation, ax: Any = None) -> Any:
    """Predicted (mean and 95 % band over replications) against actual cumulative repeat
    purchases, by week of the holdout period."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    c = validation.curve
    ax.fill_between(c["week"], c["low"], c["high"], alpha=0.25, label="predicted, 95 % band")
    ax.plot(c["week"], c["predicted"], label="predicted")
    ax.plot(c["week"], c["actual"], "k--", label="actual")
    ax.set_title(f"Holdout check: cumulative repeat purchases (MAPE {validation.curve_mape:.1f} %)")
    ax.set_xlabel(f"week after the cut-off ({validation.cutoff:%Y-%m-%d})")
    ax.set_ylabel("cumulative repeat purchases")
    ax.legend()
    return ax
