"""``calibrate``: a scenario fitted to an event log, with a report, a warm start and
posterior draws; :class:`Fit`, the result, and :func:`load_fit`, which reads one back.

From the mapped log before the cut-off (each customer's log ends at their first outcome):

- **spells**: every visit of a touchpoint lasts until the customer's next event, or is
  still open at the cut-off (right-censored);
- **silent exits and dwell**: per touchpoint the mixture cure model (:mod:`.exits`)
  estimates the probability ``q`` of leaving without a trace together with the movers'
  dwell; the family (exponential, gamma, lognormal, Weibull) is chosen by AIC;
- **transition rows** from counts with Dirichlet posteriors (:mod:`.transitions`), scaled
  by ``1 - q``, with ``q`` going to the outcome ``left_silently``;
- **memory**: with ``order=k`` each visit's state is its last ``k`` touchpoints where the
  log has enough of them (:mod:`.memory`), and everything below is fitted per state;
- **segments**: from the log's segment column, or ``latent_segments=K`` classes fitted by
  EM (:mod:`.mixture`); each class has its own exits, dwell scales and rows, written as
  segments with edge and dwell multipliers on a share-weighted base journey;
- **order values** (gamma or lognormal by AIC; per-segment multipliers);
- **arrivals**: a Poisson rate with weekly / monthly seasonality when the data show it
  (:mod:`.arrivals`), or none for a closed cohort;
- **behaviour**: a month-of-year pace of moving on per touchpoint when its test passes
  (:mod:`.behaviour`), written as the touchpoint's ``dwell_rate``;
- **office hours**: an hour-of-week pace of moving on per touchpoint when its test passes
  (:mod:`.office`; a log with times of day), written as a weekly ``dwell_rate``; the
  touchpoint's spells are measured on that clock before any dwell is fitted, so its dwell
  is in office days;
- **warm start**: every customer still open at the cut-off, at their touchpoint with the
  days already spent there, with the posterior probability of each segment and of not
  having silently left (:class:`~cjsim.model.WarmStart`).

Where the work is done — :func:`calibrate` only runs the stages in order:

=========================  =====================================================
stage                      module
=========================  =====================================================
1. prepare the log         :func:`.stages.prepare_log` → ``PreparedLog``
1b. memory (order k)       :func:`.stages.with_memory` (:mod:`.memory`)
1c. office hours           :func:`.office.with_office_hours` (the spells' clock)
2. exits (pooled)          :func:`.stages.fit_exits` → ``PooledExits``
3. classes                 :func:`.stages.fit_classes` → ``Classes``
4. destinations            :func:`.stages.fit_destinations` → ``Destinations``
5. assemble                :func:`assemble` with :mod:`.outputs` and :mod:`.assembler`
save / load                :mod:`.saved`
=========================  =====================================================
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cjsim.calibration.arrivals import ArrivalFit, fit_arrivals
from cjsim.calibration.assembler import SILENT_EXIT, Assembler, Parameters, draw_parameters
from cjsim.calibration.behaviour import BehaviourFit, fit_behaviour
from cjsim.calibration.behaviour import summary_line as behaviour_summary
from cjsim.calibration.checks import numerical_warnings
from cjsim.calibration.competing import CompetingFit
from cjsim.calibration.dwellchoice import summary_lines as dwell_summary
from cjsim.calibration.economics import NO_MARGIN, FitEconomics, read_economics, with_economics
from cjsim.calibration.events import EventColumns, MappedLog, Mapping, load_mapping
from cjsim.calibration.exits import ExitFit
from cjsim.calibration.memory import OrderChoice, choose_order
from cjsim.calibration.mixture import Mixture
from cjsim.calibration.office import office_tests, with_office_hours
from cjsim.calibration.outputs import (
    customer_state,
    fit_order_values,
    fit_report,
    warm_start_frame,
)
from cjsim.calibration.saved import calibration_file, json_ready, read_fit, write_fit
from cjsim.calibration.selection import Selection, select
from cjsim.calibration.stages import (
    CalibrationOptions,
    Classes,
    Destinations,
    PooledExits,
    PreparedLog,
    fit_classes,
    fit_destinations,
    fit_exits,
    prepare_log,
    with_memory,
)
from cjsim.calibration.transitions import RowPosterior, count_transitions
from cjsim.errors import CalibrationError
from cjsim.model import DwellRate, Scenario, WarmStart

__all__ = ["SILENT_EXIT", "Fit", "assemble", "calibrate", "calibration_file", "load_fit"]


@dataclass(frozen=True)
class Fit:
    """A fitted scenario, how it was fitted, the state of every customer at the cut-off
    and the posterior; picklable, and whole again after :meth:`save` and
    :func:`load_fit`.

    Like :class:`~cjsim.Result` and :class:`~cjsim.calibration.Validation` it has
    :meth:`to_dict`, :meth:`to_json`, :meth:`save` and :meth:`summary`.
    """

    scenario: Scenario
    rows: dict[str, RowPosterior]  # transition counts per touchpoint
    exits: dict[str, ExitFit]  # pooled cure fit per fitted touchpoint
    mixture: Mixture  # the classes' fit (one class without segments)
    arrivals: ArrivalFit
    customers: pd.DataFrame  # one row per customer: state at the cut-off
    cutoff: pd.Timestamp
    mapping: Mapping
    columns: EventColumns
    assembler: Assembler  # builds a scenario from drawn parameters
    competing: dict[str, CompetingFit] | None = None  # dwell by destination
    warnings: tuple[str, ...] = ()
    report: dict[str, pd.DataFrame] = field(default_factory=dict)

    def sample_scenarios(self, n: int, *, seed: int) -> list[Scenario]:
        """``n`` scenarios from the posterior (:func:`.assembler.draw_parameters`):
        every class's rows and the class shares from their Dirichlet, every silent-exit
        probability from its normal approximation (with dwell by destination: each
        touchpoint's shares and silent exit likewise).  Dwell shapes and scales and the
        warm start stay at their fitted values."""
        rng = np.random.default_rng(seed)
        economics = self.mapping.economics
        return [
            with_economics(
                self.assembler(draw_parameters(rng, self.mixture, self.competing)), economics
            )
            for _ in range(n)
        ]

    def plot_transitions(self, ax: Any = None) -> Any:
        """Posterior means and 95 % credible intervals of the transitions
        (:func:`cjsim.plotting.transition_intervals`)."""
        from cjsim.plotting import transition_intervals

        return transition_intervals(self, ax=ax)

    def plot_dwell(
        self, touchpoint: str, events: pd.DataFrame | str | Path | None = None, ax: Any = None
    ) -> Any:
        """Observed (Kaplan-Meier, from ``events``: the log fitted) against fitted time to
        the next event at ``touchpoint`` (:func:`cjsim.plotting.dwell_fit`)."""
        from cjsim.plotting import dwell_fit

        return dwell_fit(self, touchpoint, events, ax=ax)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: scenario name, cut-off, number of customers, segment
        shares, mapping, columns, warnings and the report tables (as records)."""
        shares = dict(zip(self.mixture.names, self.mixture.share, strict=True))
        return json_ready(
            {
                "scenario": self.scenario.name,
                "cutoff": self.cutoff.isoformat(),
                "n_customers": len(self.customers),
                "segments": shares,
                "mapping": self.mapping.model_dump(),
                "columns": dataclasses.asdict(self.columns),
                "warnings": list(self.warnings),
                "report": {
                    k: json.loads(v.to_json(orient="records")) for k, v in self.report.items()
                },
            }
        )

    def to_json(self) -> str:
        """:meth:`to_dict` as JSON text (NaN written as null)."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    def save(self, target: str | Path) -> list[Path]:
        """Write the fitted scenario as TOML, its warm start beside it
        (``<stem>.warm_start.csv``) and the rest of the fit (``<stem>.calibration.json``:
        :meth:`to_dict`, each customer's state at the cut-off, the fitted model and the
        digests of the other two files); see :mod:`.saved`.

        ``target`` is the scenario file (a path ending in ``.toml``, as
        ``cjsim calibrate --out`` gives) or, like :meth:`Result.save
        <cjsim.Result.save>`, a directory (created when missing) that receives
        ``fitted.toml`` and its companions.  Every file is written atomically.
        Returns the paths written.
        """
        return write_fit(self, target)

    def summary(self) -> str:
        """A few lines for a terminal."""
        lines = [f"calibrated on {len(self.customers):,} customers up to {self.cutoff:%Y-%m-%d}"]
        mix = self.mixture
        if "selection" in self.report:
            chosen = self.report["selection"].query("chosen")["heterogeneity"].iloc[0]
            lines.append(f"  heterogeneity chosen on the held-out end of the period: {chosen}")
        if mix.mixing is not None:
            m = mix.mixing
            lines.append(
                f"  continuous heterogeneity: {m.pace} pace ({m.parameter_name} "
                f"{m.parameter:.3g}) and beta loyalty, as {mix.k} classes"
            )
        elif mix.k > 1:
            parts = (f"{n} {s:.0%}" for n, s in zip(mix.names, mix.share, strict=True))
            lines.append("  segments: " + ", ".join(parts))
        a = self.arrivals
        lines.append(
            f"  arrivals: {a.rate_per_day:.3g} per day"
            + (" with an hour-of-week pattern" if a.hourly else "")
            + (" with a weekly pattern" if a.weekly and not a.hourly else "")
            + (" with a monthly pattern" if a.monthly else "")
            + (" (closed cohort: none simulated)" if self.mapping.closed_cohort else "")
        )
        if self.mapping.order > 1:
            memory = self.report.get("memory")
            lines.append(
                OrderChoice(memory, self.mapping.order).summary_line()
                if memory is not None
                else f"  memory: order {self.mapping.order}"
            )
            lines[-1] += f", {len(self.mapping.memory)} states"
        choices = self.report.get("dwell_choice")
        if choices is not None and len(choices):
            lines += dwell_summary(choices, self.competing)
        behaviour = self.report.get("behaviour_seasonality")
        if behaviour is not None and len(behaviour):
            lines.append("  " + behaviour_summary(behaviour))
        office = self.report.get("office_hours")
        if office is not None and office["used"].any():
            names = ", ".join(office.loc[office["used"], "touchpoint"])
            lines.append(f"  office hours (an hour-of-week pace of moving on) at {names}")
        ws = self.scenario.population.warm_start
        if ws is not None:
            lines.append(
                f"  warm start: {len(ws):,} customers open at the cut-off, "
                f"{ws.expected_customers:,.0f} expected still in the journey"
            )
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def calibrate(
    events: pd.DataFrame | str | Path,
    mapping: Mapping | dict[str, Any] | str | Path,
    columns: EventColumns | None = None,
    *,
    prior: float = 0.5,
    latent_segments: int | str | None = None,
    seasonality: str = "auto",
    horizon_days: float = 365.0,
    dwell_families: tuple[str, ...] | None = None,
    dwell_by_destination: bool | str = "auto",
    seed: int = 0,
    economics: FitEconomics | dict[str, float] | None = None,
    class_shapes: str = "shared",
    heterogeneity: str = "classes",
    order: int | str = 1,
) -> Fit:
    """Fit a scenario to ``events`` up to the mapping's cut-off (default: the data's end).

    Parameters
    ----------
    events : DataFrame or path to CSV / Parquet
        One row per event (customer id, timestamp, event name, optional value and segment).
    mapping : Mapping, dict or TOML path
        Events to touchpoints and outcomes, purchases, stages, cut-off, closed cohort.
    columns : EventColumns, optional
        The log's column names.
    prior : float
        Dirichlet concentration of every transition row (0.5 = Jeffreys).
    latent_segments : int or "auto", optional
        Fit this many latent classes by EM (not with a segment column).  ``"auto"``
        chooses among one to four classes (shared or own dwell shapes) and the continuous
        mixtures by the held-out log-likelihood of the last quarter of the calibration
        period (:mod:`.selection`); the scores are ``Fit.report["selection"]``.
    seasonality : {"auto", "none", "weekly", "monthly", "both"}
        Arrival seasonality (``"auto"``: when its test is significant); the pace of
        moving on by month (:mod:`.behaviour`) only when its test is; ``"none"``: neither.
    horizon_days : float
        Horizon of the fitted scenario in days (the arrival pattern is written over it).
    dwell_families : tuple of str, optional
        Candidate dwell families, an override (default: by AIC, guarded: :mod:`.dwellchoice`);
        ``("empirical",)``: weighted Kaplan-Meier dwells.
    dwell_by_destination : {"auto", "yes", "no"} or bool
        Dwell by next touchpoint (competing risks; transit touchpoints ``<tp>_to_<target>``):
        chosen per touchpoint by BIC (``"auto"``, one class: :mod:`.dwellchoice`), or forced.
    seed : int
        Seeds the EM's random starts.
    class_shapes : {"shared", "own"}
        Classes share each dwell shape (segment dwell multipliers), or each has its own
        (each segment's own dwell distribution).  Standard errors: ``mixture.dwell_se``.
    heterogeneity : {"classes", "gamma", "lognormal"}
        Free latent classes, or a continuous pace (gamma or lognormal) with a beta
        loyalty, discretised into segments (:mod:`.mixing`; ``Fit.mixture.mixing``).
    order : int or "auto"
        Memory: the next step depends on the last ``order`` touchpoints (1 to 3), as
        states (:mod:`.memory`); ``"auto"``: lowest BIC (``Fit.report["memory"]``).
    economics : FitEconomics or dict, optional
        Gross margin, discount rate (annual), fixed cost per day and cost per customer of
        the fitted scenario, over the mapping's ``[economics]`` table field by field.

    Raises
    ------
    CalibrationError
        For an unusable log or mapping (:mod:`.checks`), or a journey that cannot be fitted.
    """
    options = CalibrationOptions(
        prior=prior,
        latent_segments=latent_segments,
        seasonality=seasonality,
        horizon_days=horizon_days,
        dwell_families=dwell_families,
        dwell_by_destination=dwell_by_destination,
        seed=seed,
        class_shapes=class_shapes,
        heterogeneity=heterogeneity,
        order=order,
    )
    log = prepare_log(events, _with_economics(load_mapping(mapping), economics), columns)
    return _fit_stages(log, options)


def _fit_stages(log: PreparedLog, options: CalibrationOptions) -> Fit:
    """Stages 1b to 5 on the prepared log (with ``order="auto"`` the order and with
    ``latent_segments="auto"`` the heterogeneity chosen first), numpy's warnings counted."""
    choice = choose_order(log.events, log.touchpoints) if options.order == "auto" else None
    log = with_memory(log, choice.chosen if choice is not None else int(options.order))
    numerical: list[str] = []
    with numerical_warnings(numerical):
        log = with_office_hours(log, options.seasonality)
        exits = fit_exits(log, options)
        selection = _selection(log, options)
        if selection is not None:
            options = selection.chosen.options(options)
        classes = fit_classes(log, exits, options)
        destinations = fit_destinations(log, exits, classes, options)
        fit = assemble(log, exits, classes, destinations, options)
    report = dict(fit.report)
    if selection is not None:
        report["selection"] = selection.table
    if choice is not None:
        report["memory"] = choice.table
    return dataclasses.replace(fit, warnings=(*fit.warnings, *numerical), report=report)


def _selection(log: PreparedLog, options: CalibrationOptions) -> Selection | None:
    """With ``latent_segments="auto"``, the heterogeneity chosen by :func:`.selection.select`."""
    if options.latent_segments != "auto":
        return None
    if log.has_segments:
        raise CalibrationError(
            "the log has a segment column and latent_segments='auto' was given — choose "
            "one: drop the column (EventColumns(segment=None)) or latent_segments"
        )
    return select(log, options)


def _with_economics(mapping: Mapping, economics: FitEconomics | dict[str, float] | None) -> Mapping:
    """The mapping with ``economics``' fields over its ``[economics]`` table."""
    if economics is None:
        return mapping
    given = read_economics(economics).over(mapping.economics)
    return mapping.model_copy(update={"economics": given})


def _arrivals(
    log: PreparedLog, options: CalibrationOptions
) -> tuple[ArrivalFit, dict[str, float], tuple[tuple[float, float], ...]]:
    """The arrival fit, the entry shares and the piecewise rates over the horizon (none
    for a closed cohort), from each journey's first event at a touchpoint."""
    first = log.events.groupby("customer_id", sort=False).first()
    first = first[first["node"].isin(list(log.touchpoints))]  # a journey starts at one
    entry = first["node"].value_counts(normalize=True)
    arrivals = fit_arrivals(
        pd.Series(first["time"].to_numpy()),
        log.data_start,
        log.cutoff,
        seasonality=options.seasonality,
    )
    closed = log.mapping.closed_cohort
    rates = [(0.0, 0.0)] if closed else arrivals.piecewise(log.cutoff, options.horizon_days)
    return (
        arrivals,
        {str(t): float(v) for t, v in entry.items()},
        tuple((float(s), float(r)) for s, r in rates),
    )


def _calendar(
    log: PreparedLog, behaviour: BehaviourFit, name: str, horizon_days: float
) -> DwellRate | None:
    """A touchpoint's calendar from the cut-off: weekly office hours, a month-of-year
    season, or both multiplied (written out over the horizon by the hour)."""
    season = behaviour.calendar(name, log.cutoff, horizon_days)
    week = None if log.office is None else log.office.calendar(name, log.cutoff)
    if week is None:
        return None if season is None else DwellRate(season)
    if season is None:
        return week
    hours = np.arange(math.ceil(24 * horizon_days) + 1) / 24
    factor = np.ones(len(hours) - 1)
    for cal in (DwellRate(season), week):  # each one's mean factor over every hour
        factor *= 24 * (cal.clock(hours[1:]) - cal.clock(hours[:-1]))
    pieces: list[tuple[float, float]] = []
    for h, f in zip(hours[:-1].tolist(), np.round(factor, 9).tolist(), strict=True):
        if not pieces or pieces[-1][1] != f:
            pieces.append((h, f))
    return DwellRate(tuple(pieces))


def assemble(
    log: PreparedLog,
    exits: PooledExits,
    classes: Classes,
    destinations: Destinations,
    options: CalibrationOptions,
) -> Fit:
    """Stage 5: order values, arrivals, each customer's state and the warm start at the
    cut-off, the scenario (through an :class:`~.assembler.Assembler`) and the report."""
    mix, competing = classes.mixture, destinations.fits
    arrivals, entry, rates = _arrivals(log, options)
    behaviour = fit_behaviour(
        log.spells, exits.fits, log.data_start, log.cutoff, seasonality=options.seasonality
    )
    calendars = {
        name: cal
        for name in exits.fitted
        if (cal := _calendar(log, behaviour, name, options.horizon_days)) is not None
    }
    state = customer_state(log, mix)
    warm = warm_start_frame(state, mix, exits.fitted, competing)
    values = fit_order_values(log, mix)
    assembler = Assembler(
        log.mapping,
        exits.fitted,
        mix.names,
        mix.kinds,
        mix.base_shapes(),
        values,
        entry,
        rates,
        None if warm is None else WarmStart.from_frame(warm),
        options.horizon_days,
        mix.class_shapes(),
        calendars or None,
    )
    rows = count_transitions(MappedLog(log.events), options.prior)
    economics = log.mapping.economics
    no_margin = () if economics and economics.gross_margin is not None else (NO_MARGIN,)
    return Fit(
        scenario=with_economics(assembler(Parameters.fitted(mix, competing)), economics),
        rows=rows,
        exits=exits.fits,
        mixture=mix,
        arrivals=arrivals,
        customers=state,
        cutoff=log.cutoff,
        mapping=log.mapping,
        columns=log.columns,
        assembler=assembler,
        competing=competing,
        warnings=(*log.warnings, *exits.warnings, *classes.warnings, *no_margin),
        report={
            **fit_report(log, exits, mix, rows, arrivals, values, competing, destinations.choices),
            "behaviour_seasonality": behaviour.tests,
            "office_hours": office_tests(log.office),
        },
    )


def load_fit(path: str | Path) -> Fit:
    """The fit :meth:`Fit.save` wrote at ``path`` (the ``.toml`` file or the directory),
    whole: ``sample_scenarios``, the plots and :func:`validate` work on it as on the fit
    from :func:`calibrate`.

    Raises
    ------
    CalibrationError
        When the ``.calibration.json`` file is missing, unreadable or of another
        version, or when the scenario or warm-start file beside it is not the one it was
        written with.
    """
    return Fit(**read_fit(path))
