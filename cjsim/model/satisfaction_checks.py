"""Validation of the satisfaction model and the touchpoints' feelings.

Called by :func:`cjsim.model.validation.find_problems`; paths are those of the scenario
format, e.g. ``satisfaction.link.churned`` or ``touchpoints.returns.satisfaction.wait``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cjsim.errors import Problem, did_you_mean
from cjsim.model.validation import _number

if TYPE_CHECKING:
    from cjsim.model.journey import Scenario, Touchpoint

__all__ = ["check_satisfaction"]

LIMIT = 50.0  # |beta| per point; beyond this one point makes a row degenerate
POINTS = 1e6  # |start| and |effect| in points: far beyond any scale, and s stays finite


def check_satisfaction(sc: Scenario) -> list[Problem]:
    """Every problem of ``sc.satisfaction`` and of the touchpoints' ``feeling``."""
    out: list[Problem] = []
    for name, tp in sc.touchpoints.items():
        if tp.feeling is not None:
            out += [p.under(f"touchpoints.{name}.satisfaction") for p in _check_feeling(tp)]
            if sc.satisfaction is None and not tp.feeling.is_zero:
                out.append(
                    Problem(
                        f"touchpoints.{name}.satisfaction",
                        "a satisfaction effect, but the scenario has no satisfaction model",
                        "add a [satisfaction] table (start, promoter_at, detractor_at, link)",
                    )
                )
    if sc.satisfaction is not None:
        out += _check_model(sc)
    return out


def _check_model(sc: Scenario) -> list[Problem]:
    sat = sc.satisfaction
    assert sat is not None
    out: list[Problem] = []
    for key in ("start", "promoter_at", "detractor_at"):
        out += _points(f"satisfaction.{key}", getattr(sat, key), "e.g. 0")
    ordered = _number(sat.promoter_at) and _number(sat.detractor_at)
    if ordered and not sat.detractor_at < sat.promoter_at:
        out.append(
            Problem(
                "satisfaction.detractor_at",
                f"must be below promoter_at ({sat.promoter_at:g}), got {sat.detractor_at:g}",
                "e.g. promoter_at = 1, detractor_at = -1",
            )
        )
    for node, beta in sat.link.items():
        path = f"satisfaction.link.{node}"
        if not (node in sc.touchpoints or node in sc.outcomes):
            out.append(Problem(path, f"{node!r} is not a node", did_you_mean(node, sc.nodes)))
        if not (_number(beta) and abs(beta) <= LIMIT):
            out.append(
                Problem(
                    path,
                    f"beta must be a finite number within ±{LIMIT:g}, got {beta!r}",
                    "beta is the change of the edge's log-odds per point of satisfaction",
                )
            )
    return out


def _points(path: str, value: Any, hint: str) -> list[Problem]:
    """A value in points: finite and within ±:data:`POINTS`."""
    if _number(value) and abs(value) <= POINTS:
        return []
    return [
        Problem(path, f"must be a finite number within ±{POINTS:g} points, got {value!r}", hint)
    ]


def _check_feeling(tp: Touchpoint) -> list[Problem]:
    f = tp.feeling
    assert f is not None
    out: list[Problem] = []
    for key in ("visit", "wait", "renege", "refund"):
        out += _points(key, getattr(f, key), "e.g. -0.5")
    if f.wait and (tp.capacity is None or f.wait_over_days is None):
        out.append(
            Problem(
                "wait",
                "a wait effect needs a desk (capacity) and wait_over_days",
                "set capacity on the touchpoint and e.g. wait_over_days = 3",
            )
        )
    if f.wait_over_days is not None and not (_number(f.wait_over_days) and f.wait_over_days >= 0):
        out.append(
            Problem("wait_over_days", f"must be >= 0 days, got {f.wait_over_days!r}", "e.g. 3")
        )
    if f.renege and tp.patience is None:
        out.append(
            Problem(
                "renege",
                "a renege effect needs patience at a desk",
                "give the touchpoint capacity, patience and renege_to",
            )
        )
    if f.refund and not tp.refund_share:
        out.append(
            Problem(
                "refund",
                "a refund effect needs refund_share > 0",
                "set refund_share on the touchpoint, or drop the effect",
            )
        )
    return out
