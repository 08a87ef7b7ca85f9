"""The fitting stages of :func:`~cjsim.calibration.calibrate`, each a function from frozen
records to a frozen record:

1. :func:`prepare_log` (log, mapping, columns) → :class:`PreparedLog`: the mapped events
   before the cut-off, each customer's log ended at their first outcome, and the spells;
   with ``order`` above 1, :func:`with_memory` puts each visit in its state (:mod:`.memory`);
2. :func:`fit_exits` → :class:`PooledExits`: per touchpoint a pooled mixture cure fit
   (:mod:`.exits`) that chooses the dwell family and seeds the classes;
3. :func:`fit_classes` → :class:`Classes`: segments from the log's column, or latent
   classes by EM (:mod:`.mixture`);
4. :func:`fit_destinations` → :class:`Destinations`: per touchpoint one dwell or one
   per destination (a competing-risks fit, :mod:`.competing`), as requested or chosen
   by BIC (:mod:`.dwellchoice`).

The fifth stage, assembling the scenario, lives in :mod:`.assembler` (the scenario from
parameters) and :mod:`.outputs` (order values, arrivals, warm start, report).  The options
of every stage are one :class:`CalibrationOptions` record.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cjsim.calibration.checks import check_cutoff, check_latent_segments, check_order_values
from cjsim.calibration.choices import BY_DESTINATION, CLASS_SHAPES, HETEROGENEITY
from cjsim.calibration.competing import CompetingFit, fit_competing
from cjsim.calibration.dwellchoice import CLASSES, DwellChoice, choose_dwell, requested
from cjsim.calibration.events import (
    EventColumns,
    Mapping,
    load_mapping,
    map_events,
    read_events,
    timestamp,
    until_outcome,
)
from cjsim.calibration.exits import ExitFit, fit_exit
from cjsim.calibration.families import FAMILIES, PARAMETRIC
from cjsim.calibration.memory import assign, check_order, expanded_mapping, histories
from cjsim.calibration.mixing import fit_mixing
from cjsim.calibration.mixture import Mixture, Spells, fit_mixture
from cjsim.errors import CalibrationError

if TYPE_CHECKING:
    from cjsim.calibration.office import OfficeFit

__all__ = [
    "CalibrationOptions",
    "Classes",
    "Destinations",
    "PooledExits",
    "PreparedLog",
    "fit_classes",
    "fit_destinations",
    "fit_exits",
    "fitted_mixture",
    "prepare_log",
    "spell_arrays",
    "spells",
    "with_memory",
]


@dataclass(frozen=True)
class CalibrationOptions:
    """The options of :func:`~cjsim.calibration.calibrate` (see there), checked once."""

    prior: float = 0.5
    latent_segments: int | str | None = None  # "auto": chosen by :mod:`.selection`
    seasonality: str = "auto"
    horizon_days: float = 365.0
    dwell_families: tuple[str, ...] | None = None
    dwell_by_destination: bool | str = "auto"
    seed: int = 0
    class_shapes: str = "shared"
    heterogeneity: str = "classes"
    order: int | str = 1  # "auto": chosen by :func:`.memory.choose_order`

    def __post_init__(self) -> None:
        check_order(self.order)
        auto = self.latent_segments == "auto"
        if isinstance(self.latent_segments, str) and not auto:
            raise CalibrationError(
                f"calibrate: latent_segments must be a whole number or 'auto', got "
                f"{self.latent_segments!r}"
            )
        if self.heterogeneity != "classes" and self.latent_segments is not None and not auto:
            raise CalibrationError(
                f"calibrate: heterogeneity={self.heterogeneity!r} is a continuous mixture — "
                "drop latent_segments (its classes are the mixture's grid)"
            )
        if self.heterogeneity not in HETEROGENEITY:
            raise CalibrationError(
                f"calibrate: heterogeneity must be one of {HETEROGENEITY}, got "
                f"{self.heterogeneity!r} (hint: 'gamma' or 'lognormal' mixes a continuous "
                "pace with a beta loyalty; 'classes' fits latent_segments free classes)"
            )
        if self.class_shapes not in CLASS_SHAPES:
            raise CalibrationError(
                f"calibrate: class_shapes must be one of {CLASS_SHAPES}, got "
                f"{self.class_shapes!r} (hint: 'own' gives each class its own dwell shape)"
            )
        if not isinstance(self.dwell_by_destination, bool) and (
            self.dwell_by_destination not in BY_DESTINATION
        ):
            raise CalibrationError(
                f"calibrate: dwell_by_destination must be one of {BY_DESTINATION} or a "
                f"bool, got {self.dwell_by_destination!r} (hint: 'auto' chooses per "
                "touchpoint by BIC)"
            )
        kaplan_meier = [f for f in self.dwell_families or () if _nonparametric(f)]
        if kaplan_meier and self.by_destination == "no":
            raise CalibrationError(
                f'dwell_families=("{kaplan_meier[0]}",) (Kaplan-Meier dwell) needs '
                'dwell_by_destination=True (or "auto")'
            )

    @property
    def by_destination(self) -> str:
        """``dwell_by_destination`` as ``"auto"``, ``"yes"`` (True) or ``"no"`` (False)."""
        value = self.dwell_by_destination
        if isinstance(value, bool):
            return "yes" if value else "no"
        return value

    @property
    def one_class(self) -> bool:
        """Whether no latent classes and no continuous heterogeneity are asked for."""
        return self.latent_segments is None and self.heterogeneity == "classes"

    @property
    def pooled_families(self) -> tuple[str, ...] | None:
        """The parametric candidates of the pooled and class fits (None: all)."""
        return tuple(f for f in self.dwell_families or () if not _nonparametric(f)) or None


def _nonparametric(name: str) -> bool:
    family = FAMILIES.get(name)
    return family is not None and family.nonparametric


@dataclass(frozen=True)
class PreparedLog:
    """Stage 1's output: the calibration period's events in the mapping's names."""

    mapping: Mapping
    columns: EventColumns
    cutoff: pd.Timestamp
    data_start: pd.Timestamp  # the log's first event
    events: pd.DataFrame  # customer_id, time, event, node[, value][, segment]
    spells: pd.DataFrame  # at touchpoints: customer_id, node, days, target (-1: open)
    customers: pd.Series  # customer id -> row of the mixture's responsibilities
    warnings: tuple[str, ...] = ()
    office: OfficeFit | None = None  # hour-of-week calendars: the spells are on their clock

    @property
    def touchpoints(self) -> tuple[str, ...]:
        return tuple(self.mapping.touchpoints)

    @property
    def targets(self) -> tuple[str, ...]:
        """Where a spell can end: touchpoints, then outcomes."""
        return (*self.mapping.touchpoints, *self.mapping.outcomes)

    @property
    def has_segments(self) -> bool:
        """Whether the log has a segment column with a value."""
        return "segment" in self.events.columns and bool(self.events["segment"].notna().any())

    def until(self, cutoff: pd.Timestamp) -> PreparedLog:
        """This log as if cut off at ``cutoff`` (earlier than its own): the events
        before it and their spells."""
        ev = self.events[self.events["time"] < cutoff].reset_index(drop=True)
        sp = spells(ev, cutoff, self.targets)
        sp = sp[sp["node"].isin(list(self.touchpoints))].reset_index(drop=True)
        if self.office is not None:
            sp = self.office.operational(sp)
        ids = pd.Index(ev["customer_id"].unique())
        customers = pd.Series(np.arange(len(ids)), index=ids)
        return dataclasses.replace(self, cutoff=cutoff, events=ev, spells=sp, customers=customers)

    def at(self, touchpoint: str) -> pd.DataFrame:
        """The spells at one touchpoint."""
        return self.spells[self.spells["node"] == touchpoint]


def spells(events: pd.DataFrame, cutoff: pd.Timestamp, targets: tuple[str, ...]) -> pd.DataFrame:
    """One row per visit in ``events`` (sorted by customer and time): ``customer_id,
    time`` (the visit's start), ``node, days`` to the next event (or to ``cutoff``)
    and ``target``, the index of the next node in ``targets`` (-1: still open at the
    cut-off)."""
    index = {name: i for i, name in enumerate(targets)}
    same = events["customer_id"].shift(-1).eq(events["customer_id"])
    nxt_time = events["time"].shift(-1).where(same)
    nxt_node = events["node"].shift(-1).where(same)
    return pd.DataFrame(
        {
            "customer_id": events["customer_id"],
            "time": events["time"],
            "node": events["node"],
            "days": (nxt_time.fillna(cutoff) - events["time"]).dt.total_seconds() / 86400.0,
            "target": nxt_node.map(index).fillna(-1).astype(int),
        }
    )


def prepare_log(
    events: pd.DataFrame | str | Path,
    mapping: Mapping | dict[str, object] | str | Path,
    columns: EventColumns | None = None,
) -> PreparedLog:
    """Stage 1: read and map the log, keep what happened before the cut-off (default:
    the data's end) up to each customer's first outcome, and cut it into spells.

    Raises
    ------
    CalibrationError
        For an unreadable log or mapping, no event before the cut-off, a cut-off long
        after the log's end, or negative order values.
    """
    spec = load_mapping(mapping)
    cols = columns or EventColumns()
    log = read_events(events, cols)
    first, last = log["time"].min(), log["time"].max()
    cutoff = timestamp(spec.cutoff) if spec.cutoff else last
    if cutoff <= first:
        raise CalibrationError(
            f"mapping: no event before the cut-off {cutoff:%Y-%m-%d %H:%M} — the log "
            f"starts at {first:%Y-%m-%d %H:%M}; set cutoff within the data"
        )
    check_cutoff(cutoff, first, last)
    before = log[log["time"] < cutoff].reset_index(drop=True)
    before.attrs = log.attrs
    mapped = map_events(before, spec)
    warnings = list(mapped.warnings)
    warnings += check_order_values(
        mapped.events, spec.purchases, str(log.attrs.get("source", "events")), str(cols.value)
    )
    if spec.purchases and "value" not in mapped.events.columns:
        warnings.append(
            "no order values (no value column): every purchase is worth 1 — name the "
            "column with EventColumns(value=...) or --value-column"
        )
    ev, late = until_outcome(mapped.events, set(spec.outcomes))
    if late:
        warnings.append(f"{late} events after a customer's outcome were ignored")
    sp = spells(ev, cutoff, (*spec.touchpoints, *spec.outcomes))
    sp = sp[sp["node"].isin(list(spec.touchpoints))].reset_index(drop=True)
    ids = pd.Index(ev["customer_id"].unique())  # in the order of their first event
    customers = pd.Series(np.arange(len(ids)), index=ids)
    return PreparedLog(spec, cols, cutoff, log["time"].min(), ev, sp, customers, tuple(warnings))


def with_memory(log: PreparedLog, order: int) -> PreparedLog:
    """Stage 1b: the log's visits in their states of order ``order`` (:mod:`.memory`),
    the mapping expanded to the states, and the spells cut again."""
    if order == 1:
        return log
    hist = histories(log.events, log.touchpoints, order)
    spec = log.mapping.model_copy(update=expanded_mapping(log.mapping, hist, order))
    events = log.events.assign(node=assign(log.events, spec.memory, order))
    sp = spells(events, log.cutoff, (*spec.touchpoints, *spec.outcomes))
    sp = sp[sp["node"].isin(list(spec.touchpoints))].reset_index(drop=True)
    return dataclasses.replace(log, mapping=spec, events=events, spells=sp)


@dataclass(frozen=True)
class PooledExits:
    """Stage 2's output: a pooled cure fit per touchpoint with two completed spells."""

    fits: dict[str, ExitFit]
    warnings: tuple[str, ...] = ()

    @property
    def fitted(self) -> tuple[str, ...]:
        """The fitted touchpoints, in the mapping's order."""
        return tuple(self.fits)


def fit_exits(log: PreparedLog, options: CalibrationOptions) -> PooledExits:
    """Stage 2: each touchpoint's silent exits and dwell from its pooled spells.

    Raises
    ------
    CalibrationError
        When no touchpoint has two completed spells.
    """
    fits: dict[str, ExitFit] = {}
    warnings = []
    for name in log.touchpoints:
        s = log.at(name)
        done, open_ = s.loc[s["target"] >= 0, "days"], s.loc[s["target"] < 0, "days"]
        if len(done) >= 2:
            fits[name] = _pooled_fit(name, done.to_numpy(), open_.to_numpy(), options)
        else:
            warnings.append(
                f"{name}: {len(done)} completed spell(s) — too few to fit; every customer "
                "there leaves silently after 1 day"
            )
    if not fits:
        raise CalibrationError(
            "no touchpoint has two completed spells — the log is too short to fit a journey"
        )
    return PooledExits(fits, tuple(warnings))


def _pooled_fit(
    name: str, done: np.ndarray, open_: np.ndarray, options: CalibrationOptions
) -> ExitFit:
    """One touchpoint's pooled fit among the requested families.  With dwell by
    destination it only seeds the per-destination fits (which fall back to Kaplan-Meier
    where no requested family is plausible), so every family may seed it then.

    Raises
    ------
    CalibrationError
        Naming the touchpoint, when no requested family gives a plausible dwell.
    """
    try:
        return fit_exit(done, open_, options.pooled_families)
    except CalibrationError as e:
        if options.by_destination != "no" and options.pooled_families:
            return fit_exit(done, open_, None)
        raise CalibrationError(f"touchpoint {name!r}: {e}") from None


@dataclass(frozen=True)
class Classes:
    """Stage 3's output: the classes (one, segments or latent) and their fit."""

    mixture: Mixture
    warnings: tuple[str, ...] = ()


def spell_arrays(log: PreparedLog, fitted: tuple[str, ...]) -> Spells:
    sp = log.spells[log.spells["node"].isin(list(fitted))]
    cindex = log.customers
    return Spells(
        cindex[sp["customer_id"]].to_numpy(),
        sp["node"].map({n: i for i, n in enumerate(fitted)}).to_numpy(),
        sp["days"].to_numpy(dtype=float),
        sp["target"].to_numpy(),
        len(cindex),
        fitted,
        log.targets,
    )


def _start_values(exits: PooledExits) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pooled fits' q, scale and shape (NaN for one-parameter families)."""
    q, scale, shape = [], [], []
    for f in exits.fits.values():
        q.append(f.exit_probability)
        scale.append(f.native[-1])
        shape.append(f.native[0] if FAMILIES[f.kind].has_shape else np.nan)
    return np.array(q), np.array(scale), np.array(shape)


def _column_classes(log: PreparedLog) -> tuple[np.ndarray, tuple[str, ...], tuple[str, ...]]:
    """Each customer's segment from the column (their most frequent value), the names
    and a warning when some customers have several."""
    ev = log.events
    seg = ev["segment"].fillna("unknown").replace("", "unknown")
    counts = pd.crosstab(ev["customer_id"], seg)
    several = int((counts > 0).sum(axis=1).gt(1).sum())
    warnings: tuple[str, ...] = ()
    if several:
        warnings = (
            f"{several} customers have more than one segment value; "
            "each is given their most frequent one",
        )
    mode = counts.idxmax(axis=1).reindex(log.customers.index)
    names = tuple(sorted(mode.unique()))
    classes = mode.map({n: i for i, n in enumerate(names)}).to_numpy(dtype=int)
    return classes, names, warnings


def fit_classes(log: PreparedLog, exits: PooledExits, options: CalibrationOptions) -> Classes:
    """Stage 3: the classes' exits, dwell scales and rows — segments from the log's
    column, else ``options.latent_segments`` latent classes by EM (default one).

    Raises
    ------
    CalibrationError
        When the log has a segment column and latent segments were asked for too, or
        more latent segments than the customers can identify
        (:func:`.checks.check_latent_segments`).
    """
    has_column = log.has_segments
    latent = options.latent_segments
    if isinstance(latent, int) and not has_column:
        check_latent_segments(latent, len(log.customers))
    if (latent is not None or options.heterogeneity != "classes") and has_column:
        raise CalibrationError(
            "the log has a segment column and latent segments (or a continuous "
            "heterogeneity) were asked for — choose one: drop the column "
            "(EventColumns(segment=None)) or latent_segments / heterogeneity"
        )
    if has_column:
        classes, names, warnings = _column_classes(log)
        return Classes(fitted_mixture(log, exits, options, classes, names), warnings)
    return Classes(fitted_mixture(log, exits, options))


def fitted_mixture(
    log: PreparedLog,
    exits: PooledExits,
    options: CalibrationOptions,
    classes: np.ndarray | None = None,
    names: tuple[str, ...] = (),
) -> Mixture:
    """The EM fit: given ``classes`` (one per customer), else latent ones."""
    sp = spell_arrays(log, exits.fitted)
    kinds = tuple(f.kind for f in exits.fits.values())
    start = _start_values(exits)
    quiet = frozenset(log.mapping.never_silent)
    families = options.pooled_families or tuple(f.name for f in PARAMETRIC)
    if classes is None and options.heterogeneity != "classes":
        return fit_mixing(
            sp, kinds, start, prior=options.prior, never_silent=quiet, pace=options.heterogeneity
        )
    if classes is not None:
        return fit_mixture(
            sp,
            kinds,
            start,
            classes=classes,
            names=names,
            prior=options.prior,
            never_silent=quiet,
            families=families,
            own_shapes=options.class_shapes == "own",
        )
    return fit_mixture(
        sp,
        kinds,
        start,
        latent=int(options.latent_segments or 1),
        prior=options.prior,
        seed=options.seed,
        never_silent=quiet,
        families=families,
        own_shapes=options.class_shapes == "own",
    )


@dataclass(frozen=True)
class Destinations:
    """Stage 4's output: the touchpoints whose dwell is a competing-risks fit (by
    destination, or a pooled fixed delay or Kaplan-Meier dwell; None: none is) and each
    fitted touchpoint's choice (:mod:`.dwellchoice`: pooled or by destination, why, the
    BIC values)."""

    fits: dict[str, CompetingFit] | None = None
    choices: pd.DataFrame | None = None


def fit_destinations(
    log: PreparedLog, exits: PooledExits, classes: Classes, options: CalibrationOptions
) -> Destinations:
    """Stage 4: each fitted touchpoint's dwell, pooled or by destination (competing
    risks), as ``options.dwell_by_destination`` asks or, with ``"auto"`` and one class,
    as BIC chooses (:func:`.dwellchoice.choose_dwell`).  With latent classes, a segment
    column or a continuous heterogeneity ``"auto"`` means pooled.

    Raises
    ------
    CalibrationError
        By destination with more than one class (or Kaplan-Meier dwells without one), or
        a transit touchpoint that clashes with a name.
    """
    mode, mix = options.by_destination, classes.mixture
    one_class = options.one_class and not log.has_segments and mix.k == 1
    if mode == "yes" and mix.k > 1:
        raise CalibrationError(
            "dwell_by_destination works with one class: drop latent_segments or the "
            "segment column (EventColumns(segment=None))"
        )
    if mode == "no" or (mode == "auto" and not one_class):
        if any(_nonparametric(f) for f in options.dwell_families or ()):
            raise CalibrationError(
                "Kaplan-Meier dwells (dwell_families) need dwell by destination, which "
                "works with one class: drop latent_segments, heterogeneity or the segment "
                "column, or the empirical family"
            )
        reason = "requested" if mode == "no" else CLASSES
        rows = {n: requested(None, k, reason) for n, k in zip(exits.fitted, mix.kinds, strict=True)}
        return Destinations(None, _choice_table(log, rows))
    choices = {
        name: _dwell_choice(log, name, kind, options)
        for name, kind in zip(exits.fitted, mix.kinds, strict=True)
    }
    fits = {name: c.fit for name, c in choices.items() if c.fit is not None}
    for name, cf in fits.items():
        clash = {f"{name}_to_{t}" for t in cf.targets} & set(log.targets)
        if clash and not cf.pooled:
            raise CalibrationError(
                f"transit touchpoint {sorted(clash)[0]!r} clashes with a mapped name — "
                "rename that touchpoint"
            )
    rows = {name: c.row for name, c in choices.items()}
    return Destinations(fits or None, _choice_table(log, rows))


def _dwell_choice(
    log: PreparedLog, name: str, kind: str, options: CalibrationOptions
) -> DwellChoice:
    """One touchpoint's dwell: by destination when asked, else chosen by BIC."""
    s = log.at(name)
    done = s["target"] >= 0
    spells = (
        s.loc[done, "days"].to_numpy(dtype=float),
        s.loc[done, "target"].to_numpy(),
        s.loc[~done, "days"].to_numpy(dtype=float),
    )
    quiet = name in set(log.mapping.never_silent)
    if options.by_destination == "yes":
        fit = fit_competing(*spells, log.targets, options.dwell_families, never_silent=quiet)
        return DwellChoice(fit, requested(fit, kind, "requested"))
    return choose_dwell(spells, log.targets, options.dwell_families, quiet, kind)


def _choice_table(log: PreparedLog, rows: dict[str, dict[str, object]]) -> pd.DataFrame:
    """The report's ``dwell_choice`` table: one row per fitted touchpoint."""
    spells = log.spells["node"].value_counts()
    return pd.DataFrame(
        [{"touchpoint": n, "spells": int(spells.get(n, 0)), **r} for n, r in rows.items()]
    )
