"""Choosing the heterogeneity of a fit — how many latent classes, with shared or own
dwell shapes, or a continuous pace and loyalty — by a rule fixed before any holdout is
seen: the **held-out log-likelihood of the last part of the calibration period**.

The rule (``calibrate(latent_segments="auto")``):

1. cut the calibration period at ``inner``, :data:`HELD_OUT` of the way back from its
   cut-off (by time, from the log's first event);
2. fit every candidate (:data:`CANDIDATES`) on the events before ``inner``;
3. score each by the log-likelihood of what happened between ``inner`` and the cut-off
   given what happened before: the marginal log-likelihood of the spells cut at the
   cut-off minus that of the spells cut at ``inner``, both under the parameters fitted
   before ``inner`` (a customer first seen after ``inner`` contributes their whole
   likelihood);
4. among the candidates whose score is within ``z`` standard errors of the best (the
   standard error of the paired difference of the customers' held-out
   log-likelihoods), the one with the fewest parameters wins (ties: the higher score),
   and is fitted again on the whole calibration period.  ``z`` is the one-sided
   Bonferroni bound for :data:`LEVEL` over the comparisons with the best (2.5 for nine
   candidates): a richer model must beat a simpler one by more than chance over all the
   comparisons made.  (A one-standard-error rule chose a richer model on logs with
   nothing to find: among nine candidates one often wins by a standard error.)

This is the likelihood a forecast is judged by, on data the fit has not seen, without
touching the real holdout; BIC on the whole period is shown beside it.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from cjsim.calibration.checks import MIN_CUSTOMERS_PER_CLASS
from cjsim.calibration.mixing import PACES
from cjsim.calibration.stages import (
    CalibrationOptions,
    PooledExits,
    PreparedLog,
    fit_exits,
    fitted_mixture,
    spell_arrays,
)
from cjsim.errors import CalibrationError

__all__ = ["CANDIDATES", "HELD_OUT", "Candidate", "Selection", "select"]

HELD_OUT = 0.25  # the last quarter of the calibration period is held out
LEVEL = 0.05  # familywise level of the comparisons with the best candidate
MAX_CLASSES = 4  # latent classes tried, at most


@dataclass(frozen=True)
class Candidate:
    """One way to model heterogeneity: ``latent`` free classes (shared or own dwell
    shapes), or a continuous pace (``heterogeneity`` a pace name) with beta loyalty."""

    heterogeneity: str = "classes"
    latent: int | None = None
    class_shapes: str = "shared"

    @property
    def label(self) -> str:
        if self.heterogeneity != "classes":
            return f"continuous, {self.heterogeneity} pace and beta loyalty"
        if not self.latent or self.latent == 1:
            return "one class"
        return f"{self.latent} classes, {self.class_shapes} dwell shapes"

    def options(self, base: CalibrationOptions) -> CalibrationOptions:
        return dataclasses.replace(
            base,
            latent_segments=self.latent,
            class_shapes=self.class_shapes,
            heterogeneity=self.heterogeneity,
        )


CANDIDATES: tuple[Candidate, ...] = (
    Candidate(latent=1),
    *(
        Candidate(latent=k, class_shapes=s)
        for s in ("shared", "own")
        for k in range(2, MAX_CLASSES + 1)
    ),
    *(Candidate(heterogeneity=name) for name in PACES),
)


@dataclass(frozen=True)
class Selection:
    """The candidate chosen and every candidate's score (``table``: label, parameters,
    held-out log-likelihood per customer, total, and whether chosen)."""

    chosen: Candidate
    inner_cutoff: pd.Timestamp
    table: pd.DataFrame


def _inner(log: PreparedLog) -> PreparedLog:
    """The log cut :data:`HELD_OUT` of the way back from its cut-off."""
    inner = log.cutoff - HELD_OUT * (log.cutoff - log.data_start)
    return log.until(inner)


def select(
    log: PreparedLog,
    options: CalibrationOptions,
    candidates: tuple[Candidate, ...] = CANDIDATES,
) -> Selection:
    """Score ``candidates`` by the rule of the module and return the best.

    Raises
    ------
    CalibrationError
        When the calibration period before the inner cut-off is too short to fit.
    """
    inner = _inner(log)
    try:
        exits = fit_exits(inner, options)
    except CalibrationError as e:
        raise CalibrationError(
            f"latent_segments='auto' holds out the last {HELD_OUT:.0%} of the calibration "
            f"period (from {inner.cutoff:%Y-%m-%d}), and before it {e} — give a number of "
            "latent segments instead"
        ) from None
    tried = _identifiable(candidates, inner)
    scored = [_score(c, log, inner, exits, options) for c in tried]
    per_customer = np.stack([contributions for _, contributions in scored])
    table = pd.DataFrame([row for row, _ in scored])
    best = int(table["held_out_loglik"].to_numpy().argmax())
    diff = per_customer[best][None] - per_customer  # (candidates, customers)
    table["se_of_gap"] = diff.std(axis=1, ddof=1) * math.sqrt(per_customer.shape[1])
    gap = table["held_out_loglik"].iloc[best] - table["held_out_loglik"]
    z = float(stats.norm.isf(LEVEL / max(len(tried) - 1, 1)))
    near = table[gap <= z * table["se_of_gap"]]
    order = near.sort_values(["parameters", "held_out_loglik"], ascending=[True, False])
    pick = int(order.index[0])
    table["chosen"] = table.index == pick
    return Selection(tried[pick], inner.cutoff, table.drop(columns="candidate"))


def _identifiable(candidates: tuple[Candidate, ...], log: PreparedLog) -> list[Candidate]:
    most = max(len(log.customers) // MIN_CUSTOMERS_PER_CLASS, 1)
    return [c for c in candidates if (c.latent or 1) <= most]


def _score(
    candidate: Candidate,
    log: PreparedLog,
    inner: PreparedLog,
    exits: PooledExits,
    options: CalibrationOptions,
) -> tuple[dict[str, object], np.ndarray]:
    """A candidate's row of the table and each customer's held-out log-likelihood."""
    mix = fitted_mixture(inner, exits, candidate.options(options))
    whole = mix.score(spell_arrays(log, exits.fitted))  # by log.customers
    before = np.zeros_like(whole)
    at = log.customers[inner.customers.index].to_numpy()
    before[at] = mix.score(spell_arrays(inner, exits.fitted))
    contributions = whole - before
    return {
        "candidate": candidate,
        "heterogeneity": candidate.label,
        "parameters": mix.n_parameters,
        "held_out_loglik": float(contributions.sum()),
        "per_customer": float(contributions.mean()),
        "bic_before": mix.bic,
    }, contributions
