"""Write a :class:`~cjsim.model.Scenario` back to the TOML format.

``load_scenario(save_scenario(sc, path))`` equals ``sc``: probabilities are
written exactly (a row's remainder goes to ``rest`` only when that reproduces
the same float on reading).
"""

from __future__ import annotations

import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from cjsim._io import atomic_write_text
from cjsim.errors import Problem, ScenarioFileError
from cjsim.model import CohortArrivals, Distribution, Scenario, Touchpoint
from cjsim.scenario.toml_writer import format_key, table
from cjsim.scenario.warm_start import warm_start_file_name, write_warm_start_csv

__all__ = ["save_scenario", "scenario_to_dict", "scenario_to_toml", "touchpoint_to_dict"]


def _dist(d: Distribution | None) -> dict[str, Any] | None:
    return None if d is None else d.to_dict()


def touchpoint_to_dict(tp: Touchpoint) -> dict[str, Any]:
    """The touchpoint as its table in the TOML format (None values left out)."""
    out: dict[str, Any] = {"stage": tp.stage}
    if tp.description:
        out["description"] = tp.description
    if not tp.dwell.is_zero:
        out["dwell"] = _dist(tp.dwell)
    if tp.purchase:
        out["purchase"] = True
        out["order_value"] = _dist(tp.order_value)
    if tp.cost_per_visit:
        out["cost_per_visit"] = tp.cost_per_visit
    if tp.refund_share:
        out["refund_share"] = tp.refund_share
    if tp.capacity is not None:
        out["capacity"] = tp.capacity
    out["service"], out["patience"] = _dist(tp.service), _dist(tp.patience)
    out["renege_to"] = tp.renege_to
    if tp.experience:
        out["experience"] = [
            {"waited_over_days": e.waited_over_days, "scale": dict(e.scale)} for e in tp.experience
        ]
    if tp.referrals is not None:
        r = tp.referrals
        out["referrals"] = {"mean": r.mean, "entry": r.entry, "delay": r.delay.to_dict()}
    if tp.dwell_rate is not None:
        out["dwell_rate"] = [list(piece) for piece in tp.dwell_rate.factors]
        out["dwell_rate_period_days"] = tp.dwell_rate.period_days
    out["memory_of"] = tp.memory_of
    if tp.feeling is not None:
        out["satisfaction"] = {k: v for k, v in asdict(tp.feeling).items() if v is not None}
    return {k: v for k, v in out.items() if v is not None}


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v is not None}


def _row(row: dict[str, float], outcomes: list[str]) -> dict[str, Any]:
    """The row with ``rest`` for an outcome whose probability is exactly the remainder."""
    for target in [t for t in row if t in outcomes][::-1]:
        others = {k: v for k, v in row.items() if k != target}
        if 1.0 - math.fsum(others.values()) == row[target]:
            return {**others, "rest": target}
    return dict(row)


def scenario_to_dict(sc: Scenario, warm_start_file: str | None = None) -> dict[str, Any]:
    """The scenario as the nested structure of the TOML format.

    ``population.warm_start`` is ``warm_start_file`` when given, else the
    :class:`~cjsim.model.WarmStart` itself (which :func:`scenario_from_dict` accepts).
    """
    arr = sc.population.arrivals
    if isinstance(arr, CohortArrivals):
        arrivals: dict[str, Any] = {"kind": "cohort", "size": arr.size}
    elif len(arr.rates) == 1:
        arrivals = {"kind": "poisson", "rate_per_day": arr.rates[0][1]}
    else:
        arrivals = {"kind": "poisson", "rate_per_day": [list(r) for r in arr.rates]}
    header = {
        "name": sc.name,
        "horizon_days": sc.horizon_days,
        "currency": sc.currency,
        "stages": list(sc.stages),
        "description": sc.description or None,
    }
    segments = [
        _drop_none(
            {
                "name": s.name,
                "share": s.share,
                "order_value_multiplier": s.order_value_multiplier,
                "edge_multipliers": {f"{a}->{b}": f for (a, b), f in s.edge_multipliers.items()},
                "dwell_multipliers": dict(s.dwell_multipliers) or None,
                "dwell": {k: d.to_dict() for k, d in s.dwell.items()} or None,
                "order_value": {k: d.to_dict() for k, d in s.order_value.items()} or None,
            }
        )
        for s in sc.population.segments
    ]
    e = sc.economics
    return {
        "scenario": {k: v for k, v in header.items() if v is not None},
        "population": {
            "arrivals": arrivals,
            "entry": dict(sc.population.entry),
            "segments": segments,
            "initial": dict(sc.population.initial),
            "warm_start": warm_start_file or sc.population.warm_start,
        },
        "economics": {
            "gross_margin": e.gross_margin,
            "discount_rate": e.discount_rate,
            "fixed_cost_per_day": e.fixed_cost_per_day,
            "cost_per_customer": e.cost_per_customer,
        },
        "touchpoints": {k: touchpoint_to_dict(tp) for k, tp in sc.touchpoints.items()},
        "outcomes": {
            k: ({"description": o.description} if o.description else {})
            for k, o in sc.outcomes.items()
        },
        "transitions": {k: _row(dict(v), list(sc.outcomes)) for k, v in sc.transitions.items()},
        "journeys": [
            _drop_none(
                {
                    "name": j.name,
                    "entry": j.entry,
                    "segment": j.segment,
                    "from": j.start,
                    "targets": dict(j.targets),
                }
            )
            for j in sc.journeys
        ],
        **_satisfaction(sc),
    }


def _satisfaction(sc: Scenario) -> dict[str, Any]:
    """The ``[satisfaction]`` table, or nothing."""
    sat = sc.satisfaction
    if sat is None:
        return {}
    table = {"start": sat.start, "promoter_at": sat.promoter_at, "detractor_at": sat.detractor_at}
    return {"satisfaction": {**table, "link": dict(sat.link)}}


def scenario_to_toml(sc: Scenario, warm_start_file: str | None = None) -> str:
    """The TOML text of ``sc``; a warm start is referred to as ``warm_start_file``.

    Raises
    ------
    ScenarioFileError
        If ``sc`` has a warm start and no ``warm_start_file`` is given.
    """
    if sc.population.warm_start is not None and warm_start_file is None:
        raise ScenarioFileError(
            [
                Problem(
                    "population.warm_start",
                    "the warm start is kept in a CSV file beside the scenario file",
                    "use save_scenario(sc, path), or pass warm_start_file=",
                )
            ]
        )
    d = scenario_to_dict(sc, warm_start_file)
    pop = d["population"]
    head = {"arrivals": pop["arrivals"], "entry": pop["entry"]}
    if pop["initial"]:
        head["initial"] = pop["initial"]
    if warm_start_file is not None:
        head["warm_start"] = warm_start_file
    parts = [
        f"# cjsim scenario: {sc.name}\n",
        table("scenario", d["scenario"]),
        table("population", head),
    ]
    parts += [table("population.segments", s, array=True) for s in pop["segments"]]
    parts.append(table("economics", d["economics"]))
    parts += [table(f"touchpoints.{format_key(k)}", v) for k, v in d["touchpoints"].items()]
    parts.append(table("outcomes", d["outcomes"]))
    parts.append(table("transitions", d["transitions"]))
    if "satisfaction" in d:
        parts.append(table("satisfaction", d["satisfaction"]))
    parts += [table("journeys", j, array=True) for j in d["journeys"]]
    return "\n".join(parts)


def save_scenario(sc: Scenario, path: str | Path) -> None:
    """Write ``sc`` to ``path`` atomically (a temp file renamed into place).

    A warm start goes to ``<stem>.warm_start.csv`` beside it (written first, also
    atomically), named in the TOML relative to it.
    """
    warm_file = None
    if sc.population.warm_start is not None:
        warm_file = warm_start_file_name(path)
        write_warm_start_csv(sc.population.warm_start, Path(path).with_name(warm_file))
    atomic_write_text(path, scenario_to_toml(sc, warm_file))
