"""One dwell per touchpoint, or one per destination: chosen per touchpoint by BIC
(``calibrate(dwell_by_destination="auto")``, the default with one class).

At a touchpoint whose spells end at two or more destinations, two competing-risks
models of the same spells (:mod:`.competing`: silent exit, destination shares, censored
dwells) are fitted:

- **pooled**: one dwell, whatever the destination; the shares are then the completed
  spells' shares (their maximum-likelihood estimate);
- **by destination**: each destination its own dwell.

Both are fitted with the parametric families (lowest AIC, plausible or not: the
``compare`` rule) and scored on the same likelihood, of the spells as a log records
them, to the second (a density times one second; a fixed delay's spells probability 1),
by ``BIC = -2 log L + k log n``: ``n`` the touchpoint's spells (completed and open),
``k`` the silent exit (none when the touchpoint is never silent), the shares
(destinations - 1) and each dwell's parameters (a fixed delay has one).  The lower BIC
wins.

The dwell then used is fitted by the guarded rule (:func:`.competing.fit_competing`):
near-instant steps a fixed delay, else the lowest-AIC family that passes the
goodness-of-fit test (:mod:`.goodness`), else the weighted Kaplan-Meier dwell.  A pooled
dwell of the family the classes' fit chose stays there (as with
``dwell_by_destination=False``); another pooled dwell (a fixed delay, Kaplan-Meier, or a
family the test preferred) is a pooled :class:`~.competing.CompetingFit`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cjsim.calibration.competing import CompetingFit, fit_competing
from cjsim.calibration.families import FAMILIES, PARAMETRIC

__all__ = ["CLASSES", "DwellChoice", "choose_dwell", "n_parameters", "requested", "summary_lines"]

POOLED, BY_DESTINATION = "pooled", "by destination"
CLASSES = "classes or heterogeneity: pooled"  # the reason auto gives one dwell with classes


@dataclass(frozen=True)
class DwellChoice:
    """One touchpoint's dwell: the fit used (None: the classes' pooled dwell) and the
    report row (:attr:`row`: the criterion values and the choice)."""

    fit: CompetingFit | None
    row: dict[str, Any]


def n_parameters(fit: CompetingFit, never_silent: bool) -> int:
    """The free parameters of a competing-risks fit: silent exit, shares, dwells (a
    fixed delay: its value; Kaplan-Meier: its atoms less one; a pooled fit's one dwell
    once)."""
    dwell = 0
    for j, kind in enumerate(fit.kinds[:1] if fit.pooled else fit.kinds):
        family, atoms = FAMILIES[kind], fit.atoms[j] if j < len(fit.atoms) else None
        if family.nonparametric:
            dwell += len(atoms[0]) - 1 if atoms is not None else 0
        else:
            dwell += max(family.n_params, 1)
    return (not never_silent) + len(fit.targets) - 1 + dwell


def _bic(loglik: float, k: int, n: int) -> float:
    return -2 * loglik + k * math.log(max(n, 2))


def _pooled(
    done_days: np.ndarray,
    done_target: np.ndarray,
    open_days: np.ndarray,
    targets: tuple[str, ...],
    families: tuple[str, ...] | None,
    options: dict[str, bool],
) -> CompetingFit:
    """The pooled model as a competing-risks fit over the seen destinations: one dwell
    fitted to all spells, each destination's share its completed spells' share."""
    one = fit_competing(
        done_days, np.zeros(len(done_days), int), open_days, ("*",), families, **options
    )
    seen, counts = np.unique(done_target, return_counts=True)
    probs = counts / counts.sum()
    open_movers = float(one.expected[0] - one.counts[0])
    m = len(seen)
    return dataclasses.replace(
        one,
        targets=tuple(targets[i] for i in seen),
        counts=counts.astype(float),
        expected=counts + open_movers * probs,
        probs=probs,
        kinds=one.kinds * m,
        params=one.params * m,
        atoms=(one.atoms[0] if one.atoms else None,) * m,
        loglik=one.loglik + float(counts @ np.log(probs)),
        loglik_seconds=one.loglik_seconds + float(counts @ np.log(probs)),
        pooled=True,
    )


def _compared(
    spells: tuple[np.ndarray, np.ndarray, np.ndarray],
    targets: tuple[str, ...],
    families: tuple[str, ...],
    never_silent: bool,
) -> tuple[float, float]:
    """BIC of the pooled and the by-destination model (``compare`` rule, to the second)."""
    done_days, done_target, open_days = spells
    n = len(done_days) + len(open_days)
    options = {"never_silent": never_silent, "compare": True}
    pooled = _pooled(done_days, done_target, open_days, targets, families, options)
    by = fit_competing(done_days, done_target, open_days, targets, families, **options)
    return (
        _bic(pooled.loglik_seconds, n_parameters(pooled, never_silent), n),
        _bic(by.loglik_seconds, n_parameters(by, never_silent), n),
    )


def choose_dwell(
    spells: tuple[np.ndarray, np.ndarray, np.ndarray],
    targets: tuple[str, ...],
    families: tuple[str, ...] | None,
    never_silent: bool,
    pooled_kind: str,
) -> DwellChoice:
    """One touchpoint's dwell, pooled or by destination, by BIC (module docstring).

    ``spells`` are the completed spells' days and destination (an index into
    ``targets``) and the open spells' days; ``families`` the requested candidates (None:
    the guarded rule); ``pooled_kind`` the family of the classes' pooled dwell.
    """
    done_days, done_target, open_days = spells
    m = len(np.unique(done_target))
    compare = tuple(f for f in families or () if f in {p.name for p in PARAMETRIC})
    bic = (math.nan, math.nan)
    if m > 1:
        candidates = compare or tuple(p.name for p in PARAMETRIC)
        bic = _compared(spells, targets, candidates, never_silent)
    by_destination = m > 1 and bic[1] < bic[0]
    options = {"never_silent": never_silent}
    if by_destination:
        used = fit_competing(done_days, done_target, open_days, targets, families, **options)
    else:
        used = _pooled(done_days, done_target, open_days, targets, families, options)
    keep = not by_destination and used.kinds[0] == pooled_kind
    row = {
        "destinations": m,
        "bic_pooled": bic[0],
        "bic_by_destination": bic[1],
        "dwell": BY_DESTINATION if by_destination else POOLED,
        "reason": "lower BIC" if m > 1 else "one destination",
        "families": ", ".join(sorted(set(used.kinds))),
    }
    return DwellChoice(None if keep else used, row)


def requested(fit: CompetingFit | None, kind: str, reason: str) -> dict[str, Any]:
    """The report row of a touchpoint whose dwell was requested, not chosen: by
    destination with ``fit``, else pooled of family ``kind``."""
    return {
        "destinations": math.nan if fit is None else len(fit.targets),
        "bic_pooled": math.nan,
        "bic_by_destination": math.nan,
        "dwell": POOLED if fit is None else BY_DESTINATION,
        "reason": reason,
        "families": kind if fit is None else ", ".join(sorted(set(fit.kinds))),
    }


def _days(value: float) -> str:
    return f"{value:.3g} days" if value >= 0.01 else f"{value * 86400:.3g} s"


def summary_lines(choices: pd.DataFrame, competing: dict[str, CompetingFit] | None) -> list[str]:
    """The summary's lines on the dwells used: where each kind was chosen, then each
    competing-risks dwell (family and median per destination)."""
    pooled = choices.loc[choices["dwell"] == POOLED, "touchpoint"].tolist()
    by = choices.loc[choices["dwell"] == BY_DESTINATION, "touchpoint"].tolist()
    reasons = set(choices["reason"])
    how = "chosen by BIC"
    if "requested" in reasons:
        how = "as requested"
    elif CLASSES in reasons:
        how = "one per touchpoint: classes or a continuous heterogeneity carry it"
    parts = [f"by destination at {', '.join(by)}"] * bool(by)
    parts += [f"pooled at {len(pooled)} touchpoint(s)"] * bool(pooled)
    lines = [f"  dwell ({how}): " + "; ".join(parts)]
    for name, cf in (competing or {}).items():
        medians = [float(d.quantile(np.array([0.5]))[0]) for d in cf.dists]
        if cf.pooled:
            lines.append(f"    {name}: pooled {cf.kinds[0]}, median {_days(medians[0])}")
            continue
        each = (
            f"to {t} {k} (median {_days(m)})"
            for t, k, m in zip(cf.targets, cf.kinds, medians, strict=True)
        )
        lines.append(f"    {name}: " + ", ".join(each))
    return lines
