"""Structural validation of a :class:`~cjsim.model.journey.Scenario`.

:func:`validate` returns every :class:`~cjsim.errors.Problem` it finds (errors
and warnings) so the user can fix a file in one go.  Paths are dotted key
paths of the scenario format, e.g. ``transitions.website.checkout``.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import networkx as nx

from cjsim.errors import Problem, did_you_mean
from cjsim.model.distributions import Distribution
from cjsim.model.rows import ROW_TOLERANCE
from cjsim.model.warm import WarmStart, check_warm_start

if TYPE_CHECKING:
    from cjsim.model.journey import Population, Scenario, Touchpoint

__all__ = ["NAME_PATTERN", "find_problems", "size_problems", "to_networkx"]

NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _is_node(sc: Scenario, name: Any) -> bool:
    """Whether ``name`` is a touchpoint or outcome: two dict look-ups, so validation stays
    linear (``sc.nodes`` builds a new tuple on every call)."""
    try:
        return name in sc.touchpoints or name in sc.outcomes
    except TypeError:  # an unhashable name is no node
        return False


def _check_range(path: str, value: Any, low: float, high: float, what: str) -> list[Problem]:
    if _number(value) and low <= value <= high:
        return []
    upper = "" if high == math.inf else f" and <= {high:g}"
    return [
        Problem(
            path,
            f"{what} must be >= {low:g}{upper}, got {value!r}",
            f"use a number in [{low:g}, {high:g}]" if upper else "use a number >= 0",
        )
    ]


def find_problems(sc: Scenario) -> list[Problem]:
    """Every problem of ``sc``, errors first-found-first."""
    problems = _check_header(sc) + _check_names(sc)
    for name, tp in sc.touchpoints.items():
        problems += [p.under(f"touchpoints.{name}") for p in _check_touchpoint(sc, tp)]
    problems += _check_transitions(sc)
    problems += _check_population(sc, sc.population)
    problems += _check_economics(sc)
    problems += _check_journeys(sc)
    problems += _check_satisfaction(sc)
    if not any(p.severity == "error" for p in problems):
        problems += _check_graph(sc)
    return problems


def _check_satisfaction(sc: Scenario) -> list[Problem]:
    from cjsim.model.satisfaction_checks import check_satisfaction

    return check_satisfaction(sc)


def _check_header(sc: Scenario) -> list[Problem]:
    out: list[Problem] = []
    if not isinstance(sc.name, str) or not sc.name.strip():
        out.append(Problem("scenario.name", "the scenario has no name", 'add name = "My shop"'))
    if sc.horizon_days is not None and not (_number(sc.horizon_days) and sc.horizon_days > 0):
        out.append(
            Problem(
                "scenario.horizon_days",
                f"horizon must be > 0 days, got {sc.horizon_days!r}",
                "e.g. horizon_days = 365",
            )
        )
    if not sc.stages:
        out.append(
            Problem(
                "scenario.stages",
                "no stages are defined",
                'e.g. stages = ["awareness", "purchase"]',
            )
        )
    seen: set[str] = set()
    for stage in sc.stages:
        if stage in seen:
            out.append(
                Problem(
                    "scenario.stages",
                    f"stage {stage!r} is listed twice",
                    "list each stage once, in journey order",
                )
            )
        seen.add(stage)
    return out


def _check_names(sc: Scenario) -> list[Problem]:
    out: list[Problem] = []
    kinds: list[tuple[str, Mapping[str, Any]]] = [
        ("touchpoints", sc.touchpoints),
        ("outcomes", sc.outcomes),
    ]
    for kind, items in kinds:
        for key, item in items.items():
            if not isinstance(key, str) or not NAME_PATTERN.match(key):
                out.append(
                    Problem(
                        f"{kind}.{key!r}",
                        f"{key!r} is not a valid name",
                        "use letters, digits and _ and start with a letter, e.g. size_guide",
                    )
                )
            elif item.name != key:
                out.append(
                    Problem(
                        f"{kind}.{key}",
                        f"is keyed {key!r} but named {item.name!r}",
                        "use the same name for both",
                    )
                )
    for name in set(sc.touchpoints) & set(sc.outcomes):
        out.append(
            Problem(
                f"outcomes.{name}",
                f"{name!r} is both a touchpoint and an outcome",
                "rename one of them",
            )
        )
    if not sc.touchpoints:
        out.append(
            Problem("touchpoints", "no touchpoints are defined", "add a [touchpoints.NAME] table")
        )
    if not sc.outcomes:
        out.append(
            Problem(
                "outcomes",
                "no outcomes are defined",
                "add an absorbing outcome, e.g. [outcomes] lost = {}",
            )
        )
    return out


def _check_dist(path: str, value: Any, required: bool = False) -> list[Problem]:
    if value is None:
        return [Problem(path, "is missing", "give a distribution")] if required else []
    if not isinstance(value, Distribution):
        return [
            Problem(
                path,
                f"expected a distribution, got {value!r}",
                'e.g. { dist = "exponential", mean = 2.0 }',
            )
        ]
    return []


def _check_touchpoint(sc: Scenario, tp: Touchpoint) -> list[Problem]:
    out = _check_dist("dwell", tp.dwell, required=True)
    if tp.stage not in sc.stages:
        out.append(
            Problem(
                "stage",
                f"unknown stage {tp.stage!r}",
                did_you_mean(str(tp.stage), sc.stages) + " (stages come from scenario.stages)",
            )
        )
    if tp.purchase and tp.order_value is None:
        out.append(
            Problem(
                "order_value",
                "a purchase touchpoint needs an order_value",
                'e.g. order_value = { dist = "gamma", mean = 85.0, cv = 0.6 }',
            )
        )
    if not tp.purchase and tp.order_value is not None:
        out.append(
            Problem(
                "order_value",
                "order_value is given but purchase is not true",
                "add purchase = true or remove order_value",
            )
        )
    out += _check_dist("order_value", tp.order_value)
    out += _check_range("cost_per_visit", tp.cost_per_visit, 0, math.inf, "cost_per_visit")
    out += _check_range("refund_share", tp.refund_share, 0, 1, "refund_share")
    if tp.purchase and tp.refund_share:
        out.append(
            Problem(
                "refund_share",
                "a purchase touchpoint cannot also refund",
                "model the return as its own touchpoint",
            )
        )
    out += _check_capacity(sc, tp)
    out += _check_referrals(sc, tp)
    if tp.dwell_rate is not None:
        out += _check_pieces(
            "dwell_rate", tp.dwell_rate.factors, "factor", "dwell_rate", positive=True
        )
        out += _check_period(tp.dwell_rate.factors, tp.dwell_rate.period_days)
    return out + _check_memory(sc, tp)


def _check_memory(sc: Scenario, tp: Touchpoint) -> list[Problem]:
    """``memory_of`` names an original touchpoint: a valid name, not an outcome, and not
    a touchpoint that is itself a state of another."""
    name = tp.memory_of
    if name is None:
        return []
    hint = "name the original touchpoint this state stands for, or drop memory_of"
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        return [Problem("memory_of", f"{name!r} is not a valid name", hint)]
    if name in sc.outcomes:
        return [Problem("memory_of", f"{name!r} is an outcome, not a touchpoint", hint)]
    other = sc.touchpoints.get(name)
    if other is not None and other.memory_of is not None:
        return [
            Problem(
                "memory_of",
                f"{name!r} is itself a state of {other.memory_of!r}",
                f'use memory_of = "{other.memory_of}"',
            )
        ]
    return []


def _check_period(pieces: tuple[tuple[float, float], ...], period: float | None) -> list[Problem]:
    """A periodic calendar: a finite period > 0 that every piece starts within."""
    if period is None:
        return []
    path = "dwell_rate_period_days"
    if not (math.isfinite(period) and period > 0):
        return [Problem(path, f"must be finite and > 0, got {period!r}", "e.g. 7 for a week")]
    late = [s for s, _ in pieces if s >= period]
    if late:
        return [
            Problem(
                path,
                f"{len(late)} piece(s) start at or after the period of {period:g} days "
                f"(first at day {late[0]:g})",
                "start every [day, factor] pair within [0, period_days)",
            )
        ]
    return []


def _check_capacity(sc: Scenario, tp: Touchpoint) -> list[Problem]:
    return [*_check_servers(tp), *_check_reneging(sc, tp), *_check_experience(sc, tp)]


def _check_servers(tp: Touchpoint) -> list[Problem]:
    out: list[Problem] = []
    has_capacity = tp.capacity is not None
    if has_capacity and not (
        isinstance(tp.capacity, int) and not isinstance(tp.capacity, bool) and tp.capacity >= 1
    ):
        out.append(
            Problem(
                "capacity",
                f"capacity must be a whole number >= 1, got {tp.capacity!r}",
                "the number of servers, e.g. capacity = 5",
            )
        )
    if has_capacity and tp.service is None:
        out.append(
            Problem(
                "service",
                "a touchpoint with capacity needs a service time",
                'e.g. service = { dist = "gamma", mean = 1.0, cv = 0.5 }',
            )
        )
    for key, value in (("service", tp.service), ("patience", tp.patience)):
        out += _check_dist(key, value)
        if value is not None and not has_capacity:
            out.append(
                Problem(
                    key,
                    f"{key} is given but the touchpoint has no capacity",
                    "add capacity = N servers, or remove it",
                )
            )
    return out


def _check_reneging(sc: Scenario, tp: Touchpoint) -> list[Problem]:
    out: list[Problem] = []
    if tp.patience is not None and tp.renege_to is None:
        out.append(
            Problem(
                "renege_to",
                "patience is given without renege_to",
                'say where impatient customers go, e.g. renege_to = "lost"',
            )
        )
    if tp.renege_to is not None:
        if tp.patience is None:
            out.append(
                Problem(
                    "patience",
                    "renege_to is given without patience",
                    'e.g. patience = { dist = "exponential", mean = 2.0 }',
                )
            )
        if not _is_node(sc, tp.renege_to):
            out.append(
                Problem(
                    "renege_to",
                    f"unknown node {tp.renege_to!r}",
                    did_you_mean(str(tp.renege_to), sc.nodes),
                )
            )
    return out


def _check_experience(sc: Scenario, tp: Touchpoint) -> list[Problem]:
    out: list[Problem] = []
    if tp.experience and tp.capacity is None:
        out.append(
            Problem(
                "experience",
                "experience effects need a capacity touchpoint",
                "waiting only happens in a queue: add capacity and service",
            )
        )
    row = sc.transitions.get(tp.name, {})
    for i, effect in enumerate(tp.experience):
        out += _check_range(
            f"experience[{i}].waited_over_days",
            effect.waited_over_days,
            0,
            math.inf,
            "waited_over_days",
        )
        for target, factor in effect.scale.items():
            path = f"experience[{i}].scale.{target}"
            if target not in row:
                out.append(
                    Problem(
                        path,
                        f"{target!r} is not an edge of {tp.name!r}",
                        did_you_mean(str(target), row),
                    )
                )
            out += _check_range(path, factor, 0, math.inf, "scale")
    return out


def _check_referrals(sc: Scenario, tp: Touchpoint) -> list[Problem]:
    ref = tp.referrals
    if ref is None:
        return []
    out = _check_range("referrals.mean", ref.mean, 0, math.inf, "referrals mean")
    out += _check_dist("referrals.delay", ref.delay, required=True)
    if ref.entry not in sc.touchpoints:
        out.append(
            Problem(
                "referrals.entry",
                f"unknown entry touchpoint {ref.entry!r}",
                did_you_mean(str(ref.entry), sc.touchpoints),
            )
        )
    return out


def _check_transitions(sc: Scenario) -> list[Problem]:
    out: list[Problem] = []
    for source, row in sc.transitions.items():
        path = f"transitions.{source}"
        if source in sc.outcomes:
            out.append(
                Problem(
                    path,
                    f"{source!r} is an outcome and cannot have edges",
                    "outcomes are absorbing: remove this row, or make it a touchpoint",
                )
            )
            continue
        if source not in sc.touchpoints:
            out.append(
                Problem(path, f"unknown node {source!r}", did_you_mean(str(source), sc.touchpoints))
            )
            continue
        out += _check_row(sc, path, row)
    for name in sc.touchpoints:
        if name not in sc.transitions:
            out.append(
                Problem(
                    f"transitions.{name}",
                    f"touchpoint {name!r} has no transitions",
                    f'add {name} = {{ rest = "lost" }} or its real next steps',
                )
            )
    return out


def _check_row(sc: Scenario, path: str, row: Mapping[str, float]) -> list[Problem]:
    out: list[Problem] = []
    valid = True
    for target, p in row.items():
        if not _is_node(sc, target):
            out.append(
                Problem(
                    f"{path}.{target}",
                    f"unknown node {target!r}",
                    did_you_mean(str(target), sc.nodes),
                )
            )
            valid = False
        if not (_number(p) and 0 <= p <= 1):
            out.append(
                Problem(
                    f"{path}.{target}",
                    f"probability must be in [0, 1], got {p!r}",
                    "write probabilities as shares, e.g. 0.25 for 25 %",
                )
            )
            valid = False
    if not row:
        out.append(Problem(path, "the row has no edges", 'add rest = "lost"'))
    elif valid:
        total = math.fsum(row.values())
        if abs(total - 1) > ROW_TOLERANCE:
            hint = (
                f'add rest = "lost" to send the remaining {1 - total:.6g} somewhere'
                if total < 1
                else f"reduce the probabilities by {total - 1:.6g} in all"
            )
            out.append(Problem(path, f"probabilities sum to {total:.10g}, expected 1", hint))
    return out


def _check_population(sc: Scenario, pop: Population) -> list[Problem]:
    from cjsim.model.journey import CohortArrivals
    from cjsim.model.segment_checks import check_segments

    out: list[Problem] = []
    arr = pop.arrivals
    if isinstance(arr, CohortArrivals):
        if not (isinstance(arr.size, int) and not isinstance(arr.size, bool) and arr.size >= 1):
            out.append(
                Problem(
                    "population.arrivals.size",
                    f"cohort size must be a whole number >= 1, got {arr.size!r}",
                    "e.g. size = 10000",
                )
            )
    else:
        out += _check_rates(arr.rates)
    out += _check_shares("population.entry", pop.entry, sc.touchpoints, "entry touchpoint")
    out += check_segments(sc, pop)
    out += _check_initial(sc, pop)
    if not out:
        out += _check_size(sc, pop)
    if pop.warm_start is not None:
        segments = [s.name for s in pop.effective_segments]
        out += check_warm_start(pop.warm_start, list(sc.touchpoints), list(sc.outcomes), segments)
    return out


def _check_size(sc: Scenario, pop: Population) -> list[Problem]:
    return size_problems(pop, sc.horizon_days if _number(sc.horizon_days) else None)


def size_problems(pop: Population, horizon: float | None) -> list[Problem]:
    """At most MAX_CUSTOMERS customers expected over ``horizon`` days, so that every
    total stays finite (checked with the file, and again for a horizon given to a run)."""
    from cjsim.model.journey import MAX_CUSTOMERS, CohortArrivals

    expected = pop.expected_customers(horizon)
    if math.isnan(expected) or expected <= MAX_CUSTOMERS:
        return []
    cohort = isinstance(pop.arrivals, CohortArrivals)
    return [
        Problem(
            "population.arrivals." + ("size" if cohort else "rate_per_day"),
            (f"about {expected:.3g}" if math.isfinite(expected) else "an overflowing number of")
            + " customers expected"
            + ("" if cohort else f" over horizon_days = {horizon:g}")
            + f", more than the {MAX_CUSTOMERS:.0e} cjsim can total exactly",
            "model a representative sample and scale the totals"
            + ("" if cohort else ", or shorten horizon_days"),
        )
    ]


def _check_initial(sc: Scenario, pop: Population) -> list[Problem]:
    out: list[Problem] = []
    for name, count in pop.initial.items():
        path = f"population.initial.{name}"
        if name not in sc.touchpoints:
            out.append(
                Problem(
                    path, f"unknown touchpoint {name!r}", did_you_mean(str(name), sc.touchpoints)
                )
            )
        if not (isinstance(count, int) and not isinstance(count, bool) and count >= 0):
            out.append(
                Problem(
                    path,
                    f"must be a whole number >= 0, got {count!r}",
                    "the number of customers at that touchpoint at day 0",
                )
            )
    return out


def _check_rates(rates: tuple[tuple[float, float], ...]) -> list[Problem]:
    return _check_pieces("population.arrivals.rate_per_day", rates, "rate", "rate_per_day")


def _check_pieces(
    path: str,
    pieces: tuple[tuple[float, float], ...],
    what: str,
    name: str,
    *,
    positive: bool = False,
) -> list[Problem]:
    """Piecewise-constant values ``[(start_day, value), ...]``: the first at day 0,
    starts finite and increasing, values finite and >= 0 (> 0 when ``positive``)."""
    if not pieces:
        return [Problem(path, f"no {what}s given", f"e.g. {name} = [[0, 1.0], [180, 1.5]]")]
    out: list[Problem] = []
    starts = [s for s, _ in pieces]
    if starts[0] != 0:
        out.append(
            Problem(
                path,
                f"the first piece starts at day {starts[0]:g}, not 0",
                f"start the first [day, {what}] pair at day 0",
            )
        )
    if any(not math.isfinite(s) for s in starts):
        out.append(Problem(path, "start days must be finite", "use days from the start"))
    elif any(b <= a for a, b in itertools.pairwise(starts)):
        out.append(Problem(path, "start days must increase", f"sort the [day, {what}] pairs"))
    for _, value in pieces:
        if positive and not (math.isfinite(value) and value > 0):
            out.append(
                Problem(path, f"{name} must be finite and > 0, got {value!r}", "use a factor > 0")
            )
        elif not positive:
            out += _check_range(path, value, 0, math.inf, name)
    return out


def _check_shares(
    path: str, shares: Mapping[str, float], known: Iterable[str], what: str
) -> list[Problem]:
    known = list(known)
    out: list[Problem] = []
    if not shares:
        return [Problem(path, f"no {what} is given", "e.g. entry = { website = 1.0 }")]
    for key, value in shares.items():
        if key not in known:
            out.append(
                Problem(f"{path}.{key}", f"unknown {what} {key!r}", did_you_mean(str(key), known))
            )
        out += _check_range(f"{path}.{key}", value, 0, 1, "a share")
    if not out and abs(math.fsum(shares.values()) - 1) > ROW_TOLERANCE:
        out.append(
            Problem(
                path,
                f"shares sum to {math.fsum(shares.values()):.10g}, expected 1",
                "make the shares add up to 1",
            )
        )
    return out


def _check_economics(sc: Scenario) -> list[Problem]:
    e = sc.economics
    return (
        _check_range("economics.gross_margin", e.gross_margin, 0, 1, "gross_margin")
        + _check_range("economics.discount_rate", e.discount_rate, 0, math.inf, "discount_rate")
        + _check_range(
            "economics.fixed_cost_per_day", e.fixed_cost_per_day, 0, math.inf, "fixed_cost_per_day"
        )
        + _check_range(
            "economics.cost_per_customer", e.cost_per_customer, 0, math.inf, "cost_per_customer"
        )
    )


def to_networkx(sc: Scenario) -> nx.DiGraph:
    """The journey as a directed graph; edges carry ``probability``, nodes ``kind``."""
    g = nx.DiGraph()
    for name, tp in sc.touchpoints.items():
        g.add_node(name, kind="touchpoint", stage=tp.stage)
    for name in sc.outcomes:
        g.add_node(name, kind="outcome")
    for source, row in sc.transitions.items():
        for target, p in row.items():
            if p > 0:
                g.add_edge(source, target, probability=p)
    return g


def _check_graph(sc: Scenario) -> list[Problem]:
    g = to_networkx(sc)
    can_end: set[str] = set(sc.outcomes)
    for outcome in sc.outcomes:
        can_end |= nx.ancestors(g, outcome)
    out: list[Problem] = []
    for name in sc.touchpoints:
        if name not in can_end:
            trapped = sorted(nx.descendants(g, name) | {name})
            out.append(
                Problem(
                    f"transitions.{name}",
                    f"customers at {name!r} can never reach "
                    f"an outcome (trapped among {', '.join(trapped)})",
                    'add an edge to an outcome, e.g. rest = "lost"',
                )
            )
    starts = set(sc.population.entry) | set(sc.population.initial)
    if isinstance(sc.population.warm_start, WarmStart):
        starts |= set(sc.population.warm_start.touchpoint.tolist())
    starts |= {tp.referrals.entry for tp in sc.touchpoints.values() if tp.referrals}
    reached = set(starts)
    for start in starts:
        reached |= nx.descendants(g, start)
    for name in sc.touchpoints:
        if name not in reached:
            out.append(
                Problem(
                    f"touchpoints.{name}",
                    f"{name!r} cannot be reached from any entry touchpoint",
                    "add an edge into it, or remove it",
                    severity="warning",
                )
            )
    return out


def _check_journeys(sc: Scenario) -> list[Problem]:
    """``[[journeys]]``: unique names, one selector that exists, targets on per-customer
    KPIs whose better direction is known, finite values."""
    out: list[Problem] = []
    seen: set[str] = set()
    segments = [s.name for s in sc.population.effective_segments]
    for k, goal in enumerate(sc.journeys):
        at = f"journeys[{k}]"
        if not isinstance(goal.name, str) or not goal.name.strip() or goal.name in seen:
            out.append(
                Problem(
                    f"{at}.name",
                    f"journey name {goal.name!r} is empty or repeated",
                    "give each journey its own name",
                )
            )
        seen.add(goal.name)
        out += _journey_selector(sc, goal, at, segments)
        if not goal.targets:
            out.append(
                Problem(f"{at}.targets", "no targets", "e.g. targets = { conversion_rate = 0.05 }")
            )
        for kpi, value in goal.targets.items():
            out += _journey_target(kpi, value, f"{at}.targets.{kpi}", sc)
    return out


def _journey_selector(sc: Scenario, goal: Any, at: str, segments: list[str]) -> list[Problem]:
    chosen = [x is not None for x in (goal.entry, goal.segment, goal.start)]
    if sum(chosen) != 1:
        return [
            Problem(
                at,
                "a journey needs exactly one of entry, segment or from",
                'e.g. entry = "search", segment = "trend_seeker" or from = "returns"',
            )
        ]
    if goal.start is not None:
        if goal.start in sc.touchpoints:
            return []
        states = [n for n, tp in sc.touchpoints.items() if tp.memory_of == goal.start]
        if goal.start in sc.outcomes:
            what, hint = (
                "is an outcome, not a touchpoint",
                "name the touchpoint a sub-path starts at",
            )
        elif states:
            what = "is remembered as states, each its own touchpoint"
            hint = "name the state the sub-path starts at: " + ", ".join(states)
        else:
            hint = did_you_mean(str(goal.start), sc.touchpoints)
            return [Problem(f"{at}.from", f"unknown touchpoint {goal.start!r}", hint)]
        return [Problem(f"{at}.from", f"{goal.start!r} {what}", hint)]
    if goal.entry is not None:
        if goal.entry not in sc.touchpoints:
            return [
                Problem(
                    f"{at}.entry",
                    f"unknown touchpoint {goal.entry!r}",
                    did_you_mean(goal.entry, list(sc.touchpoints)),
                )
            ]
        if not sc.population.entry.get(goal.entry):
            return [
                Problem(  # a warning: an intervention may reroute the entry
                    f"{at}.entry",
                    f"no customer enters at {goal.entry!r} (its population.entry share is 0); "
                    "the journey is not scored",
                    "score a touchpoint listed in population.entry",
                    "warning",
                )
            ]
    elif goal.segment not in segments:
        return [
            Problem(  # a warning: the population may be replaced without it
                f"{at}.segment",
                f"unknown segment {goal.segment!r}; the journey is not scored",
                did_you_mean(str(goal.segment), segments),
                "warning",
            )
        ]
    return []


def _journey_target(kpi: str, value: Any, at: str, sc: Scenario) -> list[Problem]:
    from cjsim.kpis import lookup

    found = lookup(kpi)
    if found is not None and found.kind == "satisfaction" and sc.satisfaction is None:
        return [
            Problem(
                at,
                f"{kpi!r} needs a satisfaction model, and the scenario has none",
                "add a [satisfaction] table, or target another KPI",
            )
        ]
    if (
        found is None
        or found.higher_is_better is None
        or found.kind == "count"
        or found.family not in (None, "stage", "outcome")
    ):
        return [
            Problem(
                at,
                f"{kpi!r} cannot be a journey target",
                "use a per-customer KPI with a better direction, e.g. conversion_rate, "
                "repeat_rate, revenue_per_customer, profit_per_customer, cost_per_customer, "
                "stage_reach[purchase]",
            )
        ]
    if not _number(value):
        return [Problem(at, f"target must be a finite number, got {value!r}", "e.g. 0.05")]
    return []
