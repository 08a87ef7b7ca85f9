"""Validation of a population's segments: shares, multipliers and replacement distributions.

Called by :func:`cjsim.model.validation.find_problems`; paths are those of the scenario
format, e.g. ``population.segments[1].dwell.website``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from cjsim.errors import Problem, did_you_mean
from cjsim.model.rows import ROW_TOLERANCE, apply_multipliers
from cjsim.model.validation import _check_dist, _check_range, _number

if TYPE_CHECKING:
    from cjsim.model.journey import Population, Scenario, Segment

__all__ = ["check_segments"]


def check_segments(sc: Scenario, pop: Population) -> list[Problem]:
    """Every problem of the segments of ``pop`` (paths ``population.segments[i]...``)."""
    if not pop.segments:
        return []
    out: list[Problem] = []
    names = [s.name for s in pop.segments]
    if len(set(names)) != len(names):
        out.append(
            Problem(
                "population.segments", "segment names repeat", "give every segment its own name"
            )
        )
    for i, seg in enumerate(pop.segments):
        path = f"population.segments[{i}]"
        out += _check_range(f"{path}.share", seg.share, 0, 1, "share")
        if not (_number(seg.order_value_multiplier) and seg.order_value_multiplier > 0):
            out.append(
                Problem(
                    f"{path}.order_value_multiplier",
                    f"must be > 0, got {seg.order_value_multiplier!r}",
                    "1 leaves order values as they are",
                )
            )
        out += _check_edge_multipliers(sc, path, seg.edge_multipliers)
        out += _check_dwell_multipliers(sc, path, seg.dwell_multipliers)
        out += _check_replacements(sc, path, seg)
    total = math.fsum(s.share for s in pop.segments if _number(s.share))
    if not out and abs(total - 1) > ROW_TOLERANCE:
        out.append(
            Problem(
                "population.segments",
                f"segment shares sum to {total:.10g}, expected 1",
                "make the shares add up to 1",
            )
        )
    return out


def _check_edge_multipliers(
    sc: Scenario, path: str, multipliers: Mapping[tuple[str, str], float]
) -> list[Problem]:
    out: list[Problem] = []
    by_row: dict[str, dict[str, float]] = {}
    for (source, target), factor in multipliers.items():
        key = f"{path}.edge_multipliers.{source}->{target}"
        row = sc.transitions.get(source)
        if row is None or source not in sc.touchpoints:
            out.append(
                Problem(
                    key, f"unknown touchpoint {source!r}", did_you_mean(str(source), sc.touchpoints)
                )
            )
        elif target not in row:
            out.append(
                Problem(
                    key, f"{source!r} has no edge to {target!r}", did_you_mean(str(target), row)
                )
            )
        elif not (_number(factor) and factor >= 0):
            out.append(
                Problem(
                    key, f"multiplier must be >= 0, got {factor!r}", "1 leaves the edge as it is"
                )
            )
        else:
            by_row.setdefault(source, {})[target] = factor
    for source, factors in by_row.items():
        row = sc.transitions[source]
        probs = np.array([row[t] for t in row], dtype=float)
        scale = np.array([factors.get(t, 1.0) for t in row], dtype=float)
        try:
            new = apply_multipliers(probs, scale)
        except ValueError as exc:
            out.append(
                Problem(
                    f"{path}.edge_multipliers",
                    f"row {source!r}: {exc}",
                    "lower the multipliers so the row can still sum to 1",
                )
            )
            continue
        for target, value in zip(row, new, strict=True):
            if value > 1 + ROW_TOLERANCE:
                out.append(
                    Problem(
                        f"{path}.edge_multipliers",
                        f"{source}->{target} becomes {value:.6g} > 1",
                        "lower the multiplier",
                    )
                )
    return out


def _check_dwell_multipliers(
    sc: Scenario, path: str, multipliers: Mapping[str, float]
) -> list[Problem]:
    out: list[Problem] = []
    for name, factor in multipliers.items():
        key = f"{path}.dwell_multipliers.{name}"
        if name not in sc.touchpoints:
            out.append(
                Problem(
                    key, f"unknown touchpoint {name!r}", did_you_mean(str(name), sc.touchpoints)
                )
            )
        if not (_number(factor) and factor > 0):
            out.append(
                Problem(
                    key,
                    f"dwell multiplier must be a finite number > 0, got {factor!r}",
                    "1 leaves the dwell as it is, 0.5 halves it",
                )
            )
    return out


def _check_replacements(sc: Scenario, path: str, seg: Segment) -> list[Problem]:
    """A segment's own dwell and order-value distributions: known touchpoints, real
    distributions, order values only at purchase touchpoints, no dwell multiplier too."""
    out: list[Problem] = []
    for name, dist in seg.dwell.items():
        key = f"{path}.dwell.{name}"
        out += _unknown_touchpoint(sc, key, name) or _check_dist(key, dist, required=True)
        if name in seg.dwell_multipliers:
            out.append(
                Problem(
                    key,
                    f"{name!r} has both a dwell multiplier and a replacement dwell",
                    f"drop dwell_multipliers.{name}, or give the replacement the scaled "
                    "parameters (Distribution.scaled)",
                )
            )
    for name, dist in seg.order_value.items():
        key = f"{path}.order_value.{name}"
        problems = _unknown_touchpoint(sc, key, name) or _check_dist(key, dist, required=True)
        if not problems and not sc.touchpoints[name].purchase:
            problems.append(
                Problem(
                    key,
                    f"{name!r} is not a purchase touchpoint, so it has no order value",
                    f"set purchase = true at {name!r}, or drop this replacement",
                )
            )
        out += problems
    return out


def _unknown_touchpoint(sc: Scenario, key: str, name: str) -> list[Problem]:
    if name in sc.touchpoints:
        return []
    if name in sc.outcomes:
        what = f"{name!r} is an outcome, not a touchpoint: nobody dwells or buys there"
    else:
        what = f"unknown touchpoint {name!r}"
    return [Problem(key, what, did_you_mean(str(name), sc.touchpoints))]
