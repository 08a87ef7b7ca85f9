"""``calibrate``: a scenario fitted to an event log, with a report, a warm start and
posterior draws.

From the mapped log before the cut-off (each customer's log ends at their first outcome):

- **spells**: every visit of a touchpoint lasts until the customer's next event, or is
  still open at the cut-off (right-censored);
- **silent exits and dwell**: per touchpoint the mixture cure model (:mod:`.exits`)
  estimates the probability ``q`` of leaving without a trace together with the movers'
  dwell; the family (exponential, gamma, lognormal, Weibull) is chosen by AIC;
- **transition rows** from counts with Dirichlet posteriors (:mod:`.transitions`), scaled
  by ``1 - q``, with ``q`` going to the outcome ``left_silently``;
- **segments**: from the log's segment column, or ``latent_segments=K`` classes fitted by
  EM (:mod:`.mixture`); each class has its own exits, dwell scales and rows, written as
  segments with edge and dwell multipliers on a share-weighted base journey;
- **order values** (gamma or lognormal by AIC; per-segment multipliers);
- **arrivals**: a Poisson rate with weekly / monthly seasonality when the data show it
  (:mod:`.arrivals`), or none for a closed cohort;
- **warm start**: every customer still open at the cut-off, at their touchpoint with the
  days already spent there, with the posterior probability of each segment and of not
  having silently left (:class:`~cjsim.model.WarmStart`).
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
from scipy import stats

from cjsim._io import atomic_write_text
from cjsim.calibration.arrivals import ArrivalFit, fit_arrivals
from cjsim.calibration.competing import CompetingFit, fit_competing
from cjsim.calibration.dwell import _CANDIDATES, _to_model, kaplan_meier
from cjsim.calibration.events import (
    EventColumns,
    MappedLog,
    Mapping,
    load_mapping,
    map_events,
    read_events,
    timestamp,
    until_outcome,
)
from cjsim.calibration.exits import ExitFit, fit_exit
from cjsim.calibration.mixture import Mixture, Spells, fit_mixture
from cjsim.calibration.transitions import RowPosterior, count_transitions
from cjsim.errors import CalibrationError, ModelError
from cjsim.model import (
    Distribution,
    Exponential,
    Fixed,
    Gamma,
    JourneyBuilder,
    LogNormal,
    Scenario,
)

__all__ = ["SILENT_EXIT", "Fit", "calibrate", "calibration_file", "load_fit"]

SILENT_EXIT = "left_silently"
MIN_PROBABILITY = 1e-6  # warm-start alternatives less likely than this are dropped


@dataclass(frozen=True)
class _Parts:
    """Everything the scenario is assembled from (drawn anew by the posterior)."""

    share: np.ndarray  # (K,)
    q: np.ndarray  # (K, nodes)
    scale: np.ndarray  # (K, nodes)
    rows: np.ndarray  # (K, nodes, targets) movers' rows
    competing: dict[str, CompetingFit] | None = None  # dwell by destination, one class


@dataclass(frozen=True)
class Fit:
    """A fitted scenario, how it was fitted, the state of every customer at the cut-off
    and the posterior.  ``fit.save(path)`` writes the scenario (and its warm start)."""

    scenario: Scenario
    rows: dict[str, RowPosterior]
    exits: dict[str, ExitFit]
    mixture: Mixture | None  # None for a fit read back by load_fit
    arrivals: ArrivalFit | None
    customers: pd.DataFrame  # one row per customer: state at the cut-off
    cutoff: pd.Timestamp
    mapping: Mapping
    columns: EventColumns
    warnings: tuple[str, ...] = ()
    report: dict[str, pd.DataFrame] = field(default_factory=dict)
    _assemble: Any = None  # (parts) -> Scenario
    _competing: dict[str, CompetingFit] | None = None

    def sample_scenarios(self, n: int, seed: int) -> list[Scenario]:
        """``n`` scenarios from the posterior: every class's rows from their Dirichlet,
        every silent-exit probability from its normal approximation and the class shares
        from their Dirichlet (with dwell by destination: each touchpoint's shares from
        their Dirichlet and its silent exit from its normal approximation).  Dwell shapes
        and scales and the warm start stay at their fitted values."""
        mix = self.mixture
        if mix is None or self._assemble is None:
            raise CalibrationError(
                "posterior draws need the fit from calibrate() itself, not one read from a file"
            )
        rng = np.random.default_rng(seed)
        seen = mix.counts.sum(axis=0) > 0
        out = []
        for _ in range(n):
            rows = np.zeros_like(mix.counts)
            for k in range(mix.k):
                for node in range(mix.counts.shape[1]):
                    support = np.flatnonzero(seen[node])
                    if len(support):
                        rows[k, node, support] = rng.dirichlet(
                            mix.counts[k, node, support] + mix.prior
                        )
            q = _draw_q(rng, mix.q, mix.q_se)
            n_eff = mix.responsibility.sum(axis=0)
            share = rng.dirichlet(n_eff + 0.5) if mix.k > 1 else np.ones(1)
            competing = None
            if self._competing:
                competing = {
                    name: dataclasses.replace(
                        cf,
                        probs=rng.dirichlet(cf.expected + mix.prior),
                        exit_probability=float(
                            _draw_q(rng, np.array(cf.exit_probability), np.array(cf.exit_se))
                        ),
                    )
                    for name, cf in self._competing.items()
                }
            out.append(self._assemble(_Parts(share, q, mix.scale, rows, competing)))
        return out

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

    def save(self, path: str | Path) -> list[Path]:
        """Write the fitted scenario as TOML, its warm start beside it
        (``<stem>.warm_start.csv``) and what :func:`validate` needs besides
        (``<stem>.calibration.json``: cut-off, mapping, columns, each customer's state
        at the cut-off, the report).  Every file is written atomically."""
        from cjsim.scenario import save_scenario
        from cjsim.scenario.save import warm_start_file_name

        target = Path(path)
        save_scenario(self.scenario, target)
        state = self.customers.copy()
        state["first_time"] = state["first_time"].dt.strftime("%Y-%m-%dT%H:%M:%S")
        doc = {
            "cjsim_calibration": 1,
            "cutoff": self.cutoff.isoformat(),
            "mapping": self.mapping.model_dump(),
            "columns": dataclasses.asdict(self.columns),
            "warnings": list(self.warnings),
            "customers": state.to_dict(orient="list"),
            "report": {k: json.loads(v.to_json(orient="records")) for k, v in self.report.items()},
        }
        side = calibration_file(target)
        atomic_write_text(side, json.dumps(doc, default=str))
        written = [target, side]
        if self.scenario.population.warm_start is not None:
            written.insert(1, target.with_name(warm_start_file_name(target)))
        return written

    def _classes(self) -> tuple[tuple[str, ...], np.ndarray]:
        if self.mixture is None:
            return ("(from file)",), np.ones(1)
        return self.mixture.names, self.mixture.share

    def summary(self) -> str:
        """A few lines for a terminal."""
        sc = self.scenario
        lines = [
            f"calibrated on {len(self.customers):,} customers up to {self.cutoff:%Y-%m-%d}",
        ]
        names, shares = self._classes()
        if len(names) > 1:
            parts = (f"{n} {s:.0%}" for n, s in zip(names, shares, strict=True))
            lines.append("  segments: " + ", ".join(parts))
        if self.arrivals is not None:
            lines.append(
                f"  arrivals: {self.arrivals.rate_per_day:.3g} per day"
                + (" with a weekly pattern" if self.arrivals.weekly else "")
                + (" with a monthly pattern" if self.arrivals.monthly else "")
                + (" (closed cohort: none simulated)" if self.mapping.closed_cohort else "")
            )
        if sc.population.warm_start is not None:
            ws = sc.population.warm_start
            lines.append(
                f"  warm start: {len(ws):,} customers open at the cut-off, "
                f"{ws.expected_customers:,.0f} expected still in the journey"
            )
        for w in self.warnings:
            lines.append(f"  warning: {w}")
        return "\n".join(lines)


def _draw_q(rng: np.random.Generator, q: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Silent-exit draws on the logit scale (normal approximation, delta method), so a
    small q stays positive; without a standard error q stays at its estimate."""
    q = np.clip(np.asarray(q, dtype=float), 1e-9, 1 - 1e-9)
    se = np.where(np.isfinite(se), se, 0.0)
    logit = np.log(q / (1 - q))
    return 1 / (1 + np.exp(-(logit + rng.normal(0.0, 1.0, q.shape) * se / (q * (1 - q)))))


def calibration_file(scenario_path: str | Path) -> Path:
    """``<stem>.calibration.json`` beside a fitted scenario file."""
    p = Path(scenario_path)
    return p.with_name(f"{p.stem}.calibration.json")


def load_fit(path: str | Path) -> Fit:
    """A fit saved by :meth:`Fit.save`: the scenario and what :func:`validate` needs.
    (Posterior draws need the fit itself: ``sample_scenarios`` is not available.)

    Raises
    ------
    CalibrationError
        When the side file is missing or not a cjsim calibration file.
    """
    from cjsim.scenario import load_scenario

    scenario = load_scenario(path)
    side = calibration_file(path)
    if not side.exists():
        raise CalibrationError(
            f"{path}: no {side.name} beside it — validate needs a scenario written by "
            "`cjsim calibrate` (or Fit.save), which keeps the customers' state there"
        )
    try:
        doc = json.loads(side.read_text(encoding="utf-8"))
        if doc.get("cjsim_calibration") != 1:
            raise ValueError("not a cjsim calibration file (key cjsim_calibration)")
        state = pd.DataFrame(doc["customers"])
        state["customer_id"] = state["customer_id"].astype(str)
        state["first_time"] = pd.to_datetime(state["first_time"])
        spec = Mapping.model_validate(doc["mapping"])
        cols = EventColumns(**doc["columns"])
        cutoff = pd.Timestamp(doc["cutoff"])
        report = {k: pd.DataFrame(v) for k, v in doc.get("report", {}).items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise CalibrationError(
            f"{side}: cannot read it ({exc}) — write it again with `cjsim calibrate`"
        ) from None
    return Fit(
        scenario,
        {},
        {},
        None,
        None,
        state,
        cutoff,
        spec,
        cols,
        tuple(doc.get("warnings", ())),
        report,
    )


def _order_value(values: np.ndarray) -> Distribution:
    x = values[np.isfinite(values) & (values > 0)]
    if len(x) < 2 or np.ptp(x) <= 1e-9 * x.mean():  # too few, or all the same amount
        return Fixed(float(x.mean()) if len(x) else 1.0)
    best: tuple[float, Distribution] | None = None
    for family, make in (
        (stats.gamma, lambda p: Gamma.from_shape_scale(p[0], p[2])),
        (stats.lognorm, lambda p: LogNormal.from_median_sigma(p[2], p[0])),
    ):
        params = family.fit(x, floc=0)
        aic = 4 - 2 * float(family.logpdf(x, *params).sum())
        if best is None or aic < best[0]:
            best = (aic, make(params))
    assert best is not None
    return best[1]


def _spells(ev: pd.DataFrame, cutoff: pd.Timestamp, index: dict[str, int]) -> pd.DataFrame:
    """One row per touchpoint visit: days to the next event, or open at the cut-off."""
    same = ev["customer_id"].shift(-1).eq(ev["customer_id"])
    nxt_time = ev["time"].shift(-1).where(same)
    nxt_node = ev["node"].shift(-1).where(same)
    out = pd.DataFrame(
        {
            "customer_id": ev["customer_id"],
            "node": ev["node"],
            "days": (nxt_time.fillna(cutoff) - ev["time"]).dt.total_seconds() / 86400.0,
            "target": nxt_node.map(index).fillna(-1).astype(int),
        }
    )
    return out


def _classes(
    ev: pd.DataFrame, customers: pd.Index, warnings: list[str]
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Each customer's segment from the column (their most frequent value)."""
    seg = ev["segment"].fillna("unknown").replace("", "unknown")
    counts = pd.crosstab(ev["customer_id"], seg)
    several = int((counts > 0).sum(axis=1).gt(1).sum())
    if several:
        warnings.append(
            f"{several} customers have more than one segment value; "
            "each is given their most frequent one"
        )
    mode = counts.idxmax(axis=1).reindex(customers)
    names = tuple(sorted(mode.unique()))
    return mode.map({n: i for i, n in enumerate(names)}).to_numpy(dtype=int), names


def calibrate(
    events: pd.DataFrame | str | Path,
    mapping: Mapping | dict[str, Any] | str | Path,
    columns: EventColumns | None = None,
    *,
    prior: float = 0.5,
    latent_segments: int | None = None,
    seasonality: str = "auto",
    horizon_days: float = 365.0,
    dwell_families: tuple[str, ...] | None = None,
    dwell_by_destination: bool = False,
    seed: int = 0,
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
        Symmetric Dirichlet concentration of every transition row (0.5 = Jeffreys).
    latent_segments : int, optional
        Fit this many latent classes by EM (not with a segment column).
    seasonality : {"auto", "none", "weekly", "monthly", "both"}
        Arrival seasonality; ``"auto"`` uses a pattern when its test is significant.
    horizon_days : float
        Horizon of the fitted scenario (the arrival pattern is written over it).
    dwell_families : tuple of str, optional
        Candidate dwell families (default all four: exponential, gamma, lognormal,
        weibull); e.g. ``("exponential",)`` with latent segments is a latent-class
        Pareto/NBD.  ``("empirical",)`` with ``dwell_by_destination`` gives each
        destination a nonparametric (weighted Kaplan-Meier) dwell.
    dwell_by_destination : bool
        Let the dwell depend on where the customer goes next (a competing-risks cure
        model, :mod:`.competing`): each touchpoint hands over to one transit touchpoint
        ``<touchpoint>_to_<target>`` per target, which carries that target's dwell.
        One class only (no segments).
    seed : int
        Seeds the EM's random starts.

    Raises
    ------
    CalibrationError
        For an unusable log or mapping, or a journey that cannot be fitted.
    """
    spec = load_mapping(mapping)
    cols = columns or EventColumns()
    log = read_events(events, cols)
    cutoff = timestamp(spec.cutoff) if spec.cutoff else log["time"].max()
    before = log[log["time"] < cutoff].reset_index(drop=True)
    if before.empty:
        raise CalibrationError(
            f"no event before the cut-off {cutoff} — the log starts at {log['time'].min()}"
        )
    before.attrs = log.attrs
    mapped = map_events(before, spec)
    warnings = list(mapped.warnings)
    ev, late = until_outcome(mapped.events, set(spec.outcomes))
    if late:
        warnings.append(f"{late} events after a customer's outcome were ignored")
    touchpoints = list(spec.touchpoints)
    targets = (*touchpoints, *spec.outcomes)
    index = {name: i for i, name in enumerate(targets)}
    spells = _spells(ev, cutoff, index)
    spells = spells[spells["node"].isin(touchpoints)].reset_index(drop=True)

    # pooled cure fits choose each touchpoint's dwell family and seed the classes
    pooled_families = tuple(f for f in dwell_families or () if f != "empirical") or None
    if dwell_families and "empirical" in dwell_families and not dwell_by_destination:
        raise CalibrationError(
            'dwell_families=("empirical",) (Kaplan-Meier dwell) needs dwell_by_destination=True'
        )
    exits: dict[str, ExitFit] = {}
    for name in touchpoints:
        s = spells[spells["node"] == name]
        done, open_ = s.loc[s["target"] >= 0, "days"], s.loc[s["target"] < 0, "days"]
        if len(done) >= 2:
            exits[name] = fit_exit(done.to_numpy(), open_.to_numpy(), pooled_families)
        else:
            warnings.append(
                f"{name}: {len(done)} completed spell(s) — too few to fit; every customer "
                "there leaves silently after 1 day"
            )
    fitted = [n for n in touchpoints if n in exits]
    if not fitted:
        raise CalibrationError(
            "no touchpoint has two completed spells — the log is too short to fit a journey"
        )
    customers = pd.Index(ev["customer_id"].unique())
    cindex = pd.Series(np.arange(len(customers)), index=customers)
    sp_fit = spells[spells["node"].isin(fitted)]
    sp = Spells(
        cindex[sp_fit["customer_id"]].to_numpy(),
        sp_fit["node"].map({n: i for i, n in enumerate(fitted)}).to_numpy(),
        sp_fit["days"].to_numpy(dtype=float),
        sp_fit["target"].to_numpy(),
        len(customers),
        tuple(fitted),
        targets,
    )
    kinds = tuple(exits[n].kind for n in fitted)
    start = _start_values(exits, fitted)
    quiet = frozenset(spec.never_silent)
    families = pooled_families or tuple(_CANDIDATES)
    has_column = "segment" in ev.columns and ev["segment"].notna().any()
    if latent_segments is not None and has_column:
        raise CalibrationError(
            "the log has a segment column and latent_segments was given — choose one: "
            "drop the column (EventColumns(segment=None)) or latent_segments"
        )
    if has_column:
        classes, names = _classes(ev, customers, warnings)
        mix = fit_mixture(
            sp,
            kinds,
            start,
            classes=classes,
            names=names,
            prior=prior,
            never_silent=quiet,
            families=families,
        )
    else:
        mix = fit_mixture(
            sp,
            kinds,
            start,
            latent=latent_segments or 1,
            prior=prior,
            seed=seed,
            never_silent=quiet,
            families=families,
        )

    competing = None
    if dwell_by_destination:
        if mix.k > 1:
            raise CalibrationError(
                "dwell_by_destination works with one class: drop latent_segments or the "
                "segment column (EventColumns(segment=None))"
            )
        competing = {}
        for name in fitted:
            s_ = spells[spells["node"] == name]
            finished = s_[s_["target"] >= 0]
            competing[name] = fit_competing(
                finished["days"].to_numpy(dtype=float),
                finished["target"].to_numpy(),
                s_.loc[s_["target"] < 0, "days"].to_numpy(dtype=float),
                targets,
                dwell_families,
                never_silent=name in quiet,
            )
            clash = {f"{name}_to_{t}" for t in competing[name].targets} & set(targets)
            if clash:
                raise CalibrationError(
                    f"transit touchpoint {sorted(clash)[0]!r} clashes with a mapped name — "
                    "rename that touchpoint"
                )
    values = _order_values(ev, spec.purchases, cindex, mix)
    first = ev.groupby("customer_id", sort=False).first()
    first = first[first["node"].isin(touchpoints)]  # a journey starts at a touchpoint
    entry = first["node"].value_counts(normalize=True)
    data_start = log["time"].min()
    arrivals = fit_arrivals(
        pd.Series(first["time"].to_numpy()), data_start, cutoff, seasonality=seasonality
    )
    rates = [(0.0, 0.0)] if spec.closed_cohort else arrivals.piecewise(cutoff, horizon_days)
    state = _customer_state(ev, cutoff, spec, cindex, mix)
    warm = _warm_start(state, mix, fitted, competing)

    def assemble(parts: _Parts) -> Scenario:
        return _build(
            spec,
            touchpoints,
            fitted,
            targets,
            mix,
            parts,
            values,
            entry,
            rates,
            warm,
            horizon_days,
        )

    parts = _Parts(mix.share, mix.q, mix.scale, mix.rows(), competing)
    scenario = assemble(parts)
    rows = count_transitions(MappedLog(ev), prior)
    report = _report(rows, exits, mix, fitted, spells, cindex, arrivals, values)
    return Fit(
        scenario,
        rows,
        exits,
        mix,
        arrivals,
        state,
        cutoff,
        spec,
        cols,
        tuple(warnings),
        report,
        assemble,
        competing,
    )


def _start_values(
    exits: dict[str, ExitFit], fitted: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    q, scale, shape = [], [], []
    for name in fitted:
        f = exits[name]
        params = f.native
        q.append(f.exit_probability)
        scale.append(params[-1])
        shape.append(params[0] if _CANDIDATES[f.kind][1] == 2 else math.nan)
    return np.array(q), np.array(scale), np.array(shape)


@dataclass(frozen=True)
class _Values:
    dist: dict[str, Distribution]
    multiplier: np.ndarray  # (K,)


def _order_values(
    ev: pd.DataFrame, purchases: list[str], cindex: pd.Series, mix: Mixture
) -> _Values:
    dist: dict[str, Distribution] = {}
    mult = np.ones(mix.k)
    if "value" not in ev.columns:
        return _Values({p: Fixed(1.0) for p in purchases}, mult)
    bought = ev[ev["node"].isin(purchases) & ev["value"].notna() & (ev["value"] > 0)]
    for p in purchases:
        dist[p] = _order_value(bought.loc[bought["node"] == p, "value"].to_numpy(dtype=float))
    if mix.k > 1 and len(bought):
        w = mix.responsibility[cindex[bought["customer_id"]].to_numpy()]  # (events, K)
        v = bought["value"].to_numpy(dtype=float)
        per_class = (w * v[:, None]).sum(axis=0) / np.maximum(w.sum(axis=0), 1e-12)
        mult = per_class / v.mean()
    return _Values(dist, mult)


def _customer_state(
    ev: pd.DataFrame, cutoff: pd.Timestamp, spec: Mapping, cindex: pd.Series, mix: Mixture
) -> pd.DataFrame:
    g = ev.groupby("customer_id", sort=False)
    last = g.last()
    bought = ev["node"].isin(spec.purchases)
    state = pd.DataFrame(
        {
            "customer_id": last.index,
            "first_time": g["time"].first().to_numpy(),
            "node": last["node"].to_numpy(),
            "elapsed_days": ((cutoff - last["time"]).dt.total_seconds() / 86400.0).to_numpy(),
            "purchases": bought.groupby(ev["customer_id"], sort=False).sum().to_numpy(),
            "closed": last["node"].isin(spec.outcomes).to_numpy(),
        }
    )
    resp = mix.responsibility[cindex[state["customer_id"]].to_numpy()]
    if mix.k > 1:
        state["segment"] = np.asarray(mix.names)[resp.argmax(axis=1)]
    return state.reset_index(drop=True)


def _warm_start(
    state: pd.DataFrame,
    mix: Mixture,
    fitted: list[str],
    competing: dict[str, CompetingFit] | None,
) -> pd.DataFrame | None:
    """Per open customer and class: P(class, still at the touchpoint | history); with
    dwell by destination, per target: P(on the way there | quiet so long)."""
    frames = []
    resp_all = mix.responsibility
    for n, name in enumerate(fitted):
        sel = np.flatnonzero((state["node"] == name).to_numpy())
        if not len(sel):
            continue
        if competing is not None:
            cf = competing[name]
            elapsed = state["elapsed_days"].to_numpy()[sel]
            heading = cf.heading(elapsed)
            for j, target in enumerate(cf.targets):
                frames.append(
                    pd.DataFrame(
                        {
                            "customer": state["customer_id"].to_numpy()[sel],
                            "touchpoint": f"{name}_to_{target}",
                            "elapsed_days": elapsed,
                            "segment": "",
                            "probability": heading[j],
                        }
                    )
                )
            continue
        here = mix.still_here(n, state["elapsed_days"].to_numpy()[sel])  # (K, m)
        prob = resp_all[sel].T * here  # (K, m)
        for k in range(mix.k):
            frames.append(
                pd.DataFrame(
                    {
                        "customer": state["customer_id"].to_numpy()[sel],
                        "touchpoint": name,
                        "elapsed_days": state["elapsed_days"].to_numpy()[sel],
                        "segment": mix.names[k] if mix.k > 1 else "",
                        "probability": prob[k],
                    }
                )
            )
    if not frames:
        return None
    warm = pd.concat(frames, ignore_index=True)
    warm = warm[warm["probability"] >= MIN_PROBABILITY]
    warm["probability"] = warm["probability"].clip(upper=1.0)
    return warm.sort_values(["customer", "segment", "touchpoint"], kind="stable", ignore_index=True)


def _dwell(kind: str, scale: float, shape: float) -> Distribution:
    native = (shape, 0.0, scale) if _CANDIDATES[kind][1] == 2 else (0.0, scale)
    return _to_model(kind, native)


def _full_row(movers: np.ndarray, q: float, targets: tuple[str, ...]) -> dict[str, float]:
    row = {t: float(p) * (1 - q) for t, p in zip(targets, movers, strict=True) if p > 0}
    if q > 0:
        row[SILENT_EXIT] = row.get(SILENT_EXIT, 0.0) + q
    total = sum(row.values())
    return {k: v / total for k, v in row.items()}


def _build(
    spec: Mapping,
    touchpoints: list[str],
    fitted: list[str],
    targets: tuple[str, ...],
    mix: Mixture,
    parts: _Parts,
    values: _Values,
    entry: pd.Series,
    rates: list[tuple[float, float]],
    warm: pd.DataFrame | None,
    horizon_days: float,
) -> Scenario:
    k = len(parts.share)
    share = parts.share / parts.share.sum()
    b = JourneyBuilder(
        "calibrated",
        stages=sorted(set(spec.stages.values())) or ["journey"],
        horizon_days=horizon_days,
    )
    class_rows: dict[str, list[dict[str, float]]] = {}
    base_scale: dict[str, float] = {}
    transit: dict[str, dict[str, float]] = {}
    for name in touchpoints:
        fields: dict[str, Any] = {"dwell": Exponential(1.0)}
        stage = spec.stages.get(name, "journey")
        if parts.competing is not None and name in parts.competing:
            cf = parts.competing[name]
            fields["dwell"] = Fixed(0.0)
            q = cf.exit_probability
            transit[name] = {SILENT_EXIT: q} if q > 0 else {}
            for target, p, dist in zip(cf.targets, cf.probs, cf.dists, strict=True):
                via = f"{name}_to_{target}"
                transit[name][via] = float(p) * (1 - q)
                b.touchpoint(via, stage, dwell=dist)
                b.edges(via, **{target: 1.0})
        elif name in fitted:
            n = fitted.index(name)
            log_scale = np.log(parts.scale[:, n])
            base_scale[name] = float(np.exp(share @ log_scale))
            fields["dwell"] = _dwell(mix.kinds[n], base_scale[name], float(mix.shape[n]))
            class_rows[name] = [
                _full_row(parts.rows[j, n], float(parts.q[j, n]), targets) for j in range(k)
            ]
        if name in spec.purchases:
            fields |= {"purchase": True, "order_value": values.dist[name]}
        b.touchpoint(name, stage, **fields)
    for name in [*spec.outcomes, SILENT_EXIT]:
        b.outcome(name)
    base_rows: dict[str, dict[str, float]] = {}
    for name in touchpoints:
        if name in transit:
            b.edges(name, **transit[name])
            continue
        if name not in class_rows:
            base_rows[name] = {SILENT_EXIT: 1.0}
            continue
        keys = sorted({t for r in class_rows[name] for t in r})
        base_rows[name] = {
            t: float(sum(share[j] * class_rows[name][j].get(t, 0.0) for j in range(k)))
            for t in keys
        }
        b.edges(name, **base_rows[name])
    for name in touchpoints:
        if name not in class_rows and name not in transit:
            b.edges(name, **base_rows[name])
    if k > 1:
        for j in range(k):
            edges: dict[str, float] = {}
            dwell: dict[str, float] = {}
            for name, rows in class_rows.items():
                base = base_rows[name]
                rest = max(base, key=lambda t: base[t])
                for t, p in base.items():
                    if t != rest and p > 0:
                        edges[f"{name}->{t}"] = rows[j].get(t, 0.0) / p
                n = fitted.index(name)
                dwell[name] = float(parts.scale[j, n] / base_scale[name])
            b.segment(
                mix.names[j],
                float(share[j]),
                order_value_multiplier=float(values.multiplier[j]),
                edge_multipliers=edges,
                dwell_multipliers=dwell,
            )
    b.entry(**{str(t): float(v) for t, v in entry.items()})
    b.poisson(rates if len(rates) > 1 else rates[0][1])
    if warm is not None:
        b.warm_start(warm)
    try:
        return b.build()
    except ModelError as exc:
        raise CalibrationError(f"the fitted journey is not valid: {exc}") from None


def _report(
    rows: dict[str, RowPosterior],
    exits: dict[str, ExitFit],
    mix: Mixture,
    fitted: list[str],
    spells: pd.DataFrame,
    cindex: pd.Series,
    arrivals: ArrivalFit,
    values: _Values,
) -> dict[str, pd.DataFrame]:
    classes = []
    for j, cname in enumerate(mix.names):
        for n, name in enumerate(fitted):
            dist = _dwell(mix.kinds[n], float(mix.scale[j, n]), float(mix.shape[n]))
            classes.append(
                {
                    "segment": cname,
                    "touchpoint": name,
                    "exit_probability": mix.q[j, n],
                    "exit_se": mix.q_se[j, n],
                    "dwell": mix.kinds[n],
                    "dwell_mean_days": dist.mean,
                }
            )
    fits = []
    for n, name in enumerate(fitted):
        s = spells[spells["node"] == name]
        days, censored = s["days"].to_numpy(dtype=float), (s["target"] < 0).to_numpy()
        times, survival = kaplan_meier(np.maximum(days, 1e-6), censored)
        weights = mix.responsibility[cindex[s["customer_id"]].to_numpy()].mean(axis=0)
        model = mix.next_event_cdf(n, times, weights)
        f = exits[name]
        fits.append(
            {
                "touchpoint": name,
                "spells": len(s),
                "open_at_cutoff": int(censored.sum()),
                "dwell": f.kind,
                "exit_probability": f.exit_probability,
                "exit_se": f.exit_se,
                "dwell_mean_days": f.dist.mean,
                "aic": f.aic,
                "ks_distance": float(np.max(np.abs((1 - survival) - model)))
                if len(times)
                else math.nan,
            }
        )
    return {
        "transitions": pd.concat([r.interval() for r in rows.values()], ignore_index=True),
        "exits": pd.DataFrame(fits),
        "segments": pd.DataFrame(classes).assign(
            share=lambda d: d["segment"].map(dict(zip(mix.names, mix.share, strict=True)))
        ),
        "arrivals": arrivals.tests.assign(
            rate_per_day=arrivals.rate_per_day, rate_se=arrivals.rate_se
        ),
        "order_values": pd.DataFrame(
            [
                {
                    "touchpoint": k,
                    "mean": v.mean,
                    "cv": math.sqrt(v.variance) / v.mean if v.mean else math.nan,
                }
                for k, v in values.dist.items()
            ]
        ),
    }
