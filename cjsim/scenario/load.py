"""Read scenario files (TOML) into validated :class:`~cjsim.model.Scenario` objects.

Every problem of a file is reported together, each naming the file, the key
path, what is wrong and a hint.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cjsim.errors import (
    ModelError,
    Problem,
    ScenarioFileError,
    ScenarioFileNotFoundError,
    did_you_mean,
)
from cjsim.model import (
    CohortArrivals,
    Distribution,
    DwellRate,
    Economics,
    ExperienceEffect,
    Feeling,
    Fixed,
    JourneyGoal,
    Outcome,
    PoissonArrivals,
    Population,
    Referrals,
    Satisfaction,
    Scenario,
    Segment,
    Touchpoint,
    WarmStart,
)
from cjsim.model.distributions import distribution_from_dict
from cjsim.model.rows import ROW_TOLERANCE
from cjsim.scenario import schema as S
from cjsim.scenario.errors import problems_from_validation
from cjsim.scenario.files import MAX_TOML_BYTES, FileRefused, inside, read_capped
from cjsim.scenario.warm_start import PATH, locate, read_warm_start_csv

__all__ = [
    "SpecBuilder",
    "distribution_from_spec",
    "load_scenario",
    "read_toml",
    "scenario_from_dict",
]


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, turning every way it can fail into a ScenarioFileError.

    Only a regular file of at most :data:`~cjsim.scenario.files.MAX_TOML_BYTES` is read;
    a leading UTF-8 byte-order mark is ignored.
    """
    src = str(path)
    raw = _toml_bytes(Path(path), src)
    if not raw.strip():
        raise ScenarioFileError(
            [Problem("", "the file is empty", "see scenarios/ for an example scenario")], source=src
        )
    return _parse_toml(raw, src)


def _toml_bytes(p: Path, src: str) -> bytes:
    try:
        return read_capped(p, MAX_TOML_BYTES)
    except FileNotFoundError:
        raise ScenarioFileNotFoundError(
            [Problem("", "file not found", "check the path and the current directory")], source=src
        ) from None
    except IsADirectoryError:
        raise ScenarioFileError("is a directory, not a scenario file", source=src) from None
    except FileRefused as exc:
        raise ScenarioFileError([Problem("", exc.what, exc.hint)], source=src) from None
    except OSError as exc:
        raise ScenarioFileError(
            [Problem("", f"cannot read the file ({exc.strerror})", "check its permissions")],
            source=src,
        ) from None


def _parse_toml(raw: bytes, src: str) -> dict[str, Any]:
    try:
        return tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError:
        raise ScenarioFileError(
            [Problem("", "not a text file (not UTF-8)", "a scenario is a TOML text file")],
            source=src,
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioFileError(
            [Problem("", f"not valid TOML: {exc}", "check quotes, brackets and '=' on that line")],
            source=src,
        ) from None
    except RecursionError:
        raise ScenarioFileError(
            [Problem("", "arrays or tables nested too deeply", "flatten the nesting")],
            source=src,
        ) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file.

    A ``population.warm_start`` CSV is read relative to the file's directory.

    Raises
    ------
    ScenarioFileError
        Naming the file, key path, problem and a hint, for every problem found.
    """
    return scenario_from_dict(read_toml(path), source=str(path))


def scenario_from_dict(data: dict[str, Any], source: str | None = None) -> Scenario:
    """Build a scenario from the parsed TOML structure (see ``SCENARIO_FORMAT``).

    ``population.warm_start`` may be a CSV file name, read relative to the directory of
    ``source`` (the scenario file's path), or an already built
    :class:`~cjsim.model.WarmStart` or DataFrame with its columns.
    """
    data, warm = _take_warm_start(data)
    try:
        spec = S.ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioFileError(
            problems_from_validation(exc, S.ScenarioFile, data), source=source
        ) from None
    builder = SpecBuilder()
    label = spec.population.warm_start
    warm_start = builder.warm_start(label if warm is None else warm, source)
    fields = builder.fields(spec, warm_start)
    try:
        scenario = Scenario(**fields)
    except ModelError as exc:
        found = [locate(p, label) if label else p for p in exc.problems]
        raise ScenarioFileError([*builder.problems, *found], source=source) from None
    if builder.problems:
        raise ScenarioFileError(builder.problems, source=source)
    return scenario


class SpecBuilder:
    """Converts validated specs (:mod:`cjsim.scenario.schema`) to model objects,
    collecting problems in :attr:`problems` instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fields(self, spec: S.ScenarioFile, warm_start: WarmStart | None = None) -> dict[str, Any]:
        head = spec.scenario
        stages = head.stages
        if stages is None:
            stages = list(dict.fromkeys(tp.stage for tp in spec.touchpoints.values()))
        nodes = set(spec.touchpoints) | set(spec.outcomes)
        return {
            "name": head.name,
            "stages": tuple(stages),
            "horizon_days": head.horizon_days,
            "currency": head.currency,
            "description": head.description or "",
            "touchpoints": {k: self.touchpoint(k, v) for k, v in spec.touchpoints.items()},
            "outcomes": {k: Outcome(k, v.description or "") for k, v in spec.outcomes.items()},
            "transitions": {k: self.row(k, v, nodes) for k, v in spec.transitions.items()},
            "population": self.population(spec.population, warm_start),
            "economics": Economics(**spec.economics.model_dump()),
            "journeys": tuple(
                JourneyGoal(j.name, j.targets, j.entry, j.segment, j.start) for j in spec.journeys
            ),
            "satisfaction": _satisfaction(spec.satisfaction),
        }

    def dist(self, path: str, spec: Any, default: Distribution | None = None) -> Any:
        if spec is None:
            return default
        try:
            return distribution_from_spec(spec)
        except ModelError as exc:
            self.problems += [p.under(path) for p in exc.problems]
            return default if default is not None else Fixed(0.0)

    def touchpoint(self, name: str, spec: S.TouchpointSpec) -> Touchpoint:
        at = f"touchpoints.{name}"
        referrals = None
        if spec.referrals is not None:
            r = spec.referrals
            referrals = Referrals(
                r.mean, r.entry, self.dist(f"{at}.referrals.delay", r.delay, Fixed(0.0))
            )
        return Touchpoint(
            name=name,
            stage=spec.stage,
            description=spec.description or "",
            dwell=self.dist(f"{at}.dwell", spec.dwell, Fixed(0.0)),
            purchase=spec.purchase,
            order_value=self.dist(f"{at}.order_value", spec.order_value),
            cost_per_visit=spec.cost_per_visit,
            refund_share=spec.refund_share,
            capacity=spec.capacity,
            service=self.dist(f"{at}.service", spec.service),
            patience=self.dist(f"{at}.patience", spec.patience),
            renege_to=spec.renege_to,
            experience=tuple(
                ExperienceEffect(e.waited_over_days, e.scale) for e in spec.experience
            ),
            referrals=referrals,
            dwell_rate=self.dwell_rate(at, spec.dwell_rate, spec.dwell_rate_period_days),
            memory_of=spec.memory_of,
            feeling=None
            if spec.satisfaction is None
            else Feeling(**spec.satisfaction.model_dump()),
        )

    def row(self, source: str, spec: dict[str, float | str], nodes: set[str]) -> dict[str, Any]:
        at = f"transitions.{source}"
        out: dict[str, Any] = {}
        rest = spec.get("rest")
        for target, p in spec.items():
            if target == "rest":
                continue
            if isinstance(p, str):
                self.problems.append(
                    Problem(
                        f"{at}.{target}",
                        f"expected a probability, got {p!r}",
                        'only rest = "node" takes a name',
                    )
                )
                continue
            out[target] = p
        if rest is None:
            return out
        if not isinstance(rest, str):
            self.problems.append(
                Problem(f"{at}.rest", f"rest must name a node, got {rest!r}", 'e.g. rest = "lost"')
            )
            return out
        if rest not in nodes:
            self.problems.append(
                Problem(f"{at}.rest", f"unknown node {rest!r}", did_you_mean(rest, nodes))
            )
            return out
        numbers = [v for v in out.values() if isinstance(v, int | float)]
        if not all(math.isfinite(v) for v in numbers):
            return out  # the non-finite probability is the one error to report
        remainder = 1.0 - math.fsum(numbers)
        if remainder < -ROW_TOLERANCE:
            self.problems.append(
                Problem(
                    at,
                    f"probabilities sum to {1 - remainder:.10g} before rest, more than 1",
                    "lower them so rest gets a share >= 0",
                )
            )
            return out
        out[rest] = out.get(rest, 0.0) + max(remainder, 0.0)
        return out

    def warm_start(self, value: Any, source: str | None) -> WarmStart | None:
        """The warm start from a CSV name (relative to ``source``), a frame or itself."""
        if value is None or isinstance(value, WarmStart):
            return value
        if not isinstance(value, str):
            try:
                return WarmStart.from_frame(value)
            except ModelError as exc:
                self.problems += exc.problems
                return None
        if source is None:
            self.problems.append(
                Problem(
                    "population.warm_start",
                    f"the warm-start file {value!r} needs the scenario's path to be found",
                    "use load_scenario(path), pass source=path, or give a WarmStart "
                    "or DataFrame instead of a file name",
                )
            )
            return None
        try:
            path = inside(Path(source).parent, value)
        except FileRefused as exc:
            self.problems.append(Problem(PATH, f"{value}: {exc.what}", exc.hint))
            return None
        warm, problems = read_warm_start_csv(path, value)
        self.problems += problems
        return warm

    def population(self, spec: S.PopulationSpec, warm_start: WarmStart | None) -> Population:
        arr = spec.arrivals
        arrivals: CohortArrivals | PoissonArrivals
        if isinstance(arr, S.CohortSpec):
            arrivals = CohortArrivals(arr.size)
        elif isinstance(arr.rate_per_day, list):
            path, example = "population.arrivals.rate_per_day", "[[0, 300], [180, 450]]"
            arrivals = PoissonArrivals(self.pieces(path, arr.rate_per_day, "rate", example))
        else:
            arrivals = PoissonArrivals(((0.0, arr.rate_per_day),))
        segments = tuple(self.segment(i, s) for i, s in enumerate(spec.segments))
        return Population(arrivals, spec.entry, segments, spec.initial, warm_start)

    def dwell_rate(
        self, at: str, given: list[list[float]] | None, period_days: float | None
    ) -> DwellRate | None:
        if given is None:
            if period_days is not None:
                self.problems.append(
                    Problem(
                        f"{at}.dwell_rate_period_days",
                        "a period without a dwell_rate calendar",
                        "add dwell_rate = [[start_day, factor], ...] or drop the period",
                    )
                )
            return None
        pieces = self.pieces(f"{at}.dwell_rate", given, "factor", "[[0, 1.0], [60, 1.3]]")
        return DwellRate(pieces, period_days)

    def pieces(
        self, path: str, given: list[list[float]], what: str, example: str
    ) -> tuple[tuple[float, float], ...]:
        """``[[start_day, value], ...]`` as pairs; a problem for any other shape."""
        pairs = tuple((p[0], p[1]) for p in given if len(p) == 2)
        if len(pairs) != len(given):
            name = path.rsplit(".", 1)[-1]
            self.problems.append(
                Problem(
                    path,
                    f"each piece must be a [start_day, {what}] pair",
                    f"e.g. {name} = {example}",
                )
            )
        return pairs

    def segment(self, index: int, spec: S.SegmentSpec) -> Segment:
        edges: dict[tuple[str, str], float] = {}
        for key, factor in spec.edge_multipliers.items():
            source, sep, target = key.partition("->")
            if not sep or not source or not target:
                self.problems.append(
                    Problem(
                        f"population.segments[{index}].edge_multipliers.{key}",
                        "an edge is written 'from->to'",
                        'e.g. "website->checkout" = 1.2',
                    )
                )
                continue
            edges[(source.strip(), target.strip())] = factor
        at = f"population.segments[{index}]"
        return Segment(
            spec.name,
            spec.share,
            spec.order_value_multiplier,
            edges,
            spec.dwell_multipliers,
            dwell={k: self.dist(f"{at}.dwell.{k}", v) for k, v in spec.dwell.items()},
            order_value={
                k: self.dist(f"{at}.order_value.{k}", v) for k, v in spec.order_value.items()
            },
        )


def _feeling(spec: S.FeelingSpec | None) -> Feeling | None:
    return None if spec is None else Feeling(**spec.model_dump())


def _satisfaction(spec: S.SatisfactionSpec | None) -> Satisfaction | None:
    return None if spec is None else Satisfaction(**spec.model_dump())


def _take_warm_start(data: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """``data`` without a built warm start (WarmStart or DataFrame), and that warm start."""
    pop = data.get("population")
    value = pop.get("warm_start") if isinstance(pop, dict) else None
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return data, None  # absent, a file name, or a mistake the schema reports
    rest = {k: v for k, v in pop.items() if k != "warm_start"}  # type: ignore[union-attr]
    return {**data, "population": rest}, value


def distribution_from_spec(spec: Any) -> Distribution:
    """The distribution of a validated ``DistSpec`` (any registered family, by its
    ``dist`` name; alternative parametrisations are the family's own)."""
    return distribution_from_dict(spec.model_dump())
