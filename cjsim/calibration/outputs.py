"""What the assembling stage of calibration derives from the fitted stages besides the
journey itself (:mod:`.assembler` builds that):

- :func:`fit_order_values`: order values per purchase touchpoint (gamma or lognormal by
  AIC) and each class's multiplier;
- :func:`customer_state`: every customer's state at the cut-off (what validation needs);
- :func:`warm_start_frame`: each open customer's alternatives at the cut-off, with the
  posterior probability of each class and of not having silently left;
- :func:`fit_report`: the tables of :attr:`Fit.report <cjsim.calibration.Fit.report>`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from cjsim.calibration.arrivals import ArrivalFit
from cjsim.calibration.assembler import OrderValues, dwell_distribution
from cjsim.calibration.competing import CompetingFit
from cjsim.calibration.dwell import kaplan_meier
from cjsim.calibration.families import INSTANT
from cjsim.calibration.mixture import Mixture
from cjsim.calibration.stages import PooledExits, PreparedLog
from cjsim.calibration.transitions import RowPosterior
from cjsim.model import Distribution, Fixed, Gamma, LogNormal

__all__ = [
    "MIN_PROBABILITY",
    "customer_state",
    "fit_order_values",
    "fit_report",
    "warm_start_frame",
]

MIN_PROBABILITY = 1e-6  # warm-start alternatives less likely than this are dropped


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


def fit_order_values(log: PreparedLog, mix: Mixture) -> OrderValues:
    """Each purchase touchpoint's order value (1 without a value column) and each
    class's mean order value relative to the overall mean."""
    ev, purchases = log.events, log.mapping.purchases
    mult = np.ones(mix.k)
    if "value" not in ev.columns:
        return OrderValues({p: Fixed(1.0) for p in purchases}, mult)
    bought = ev[ev["node"].isin(purchases) & ev["value"].notna() & (ev["value"] > 0)]
    dist = {
        p: _order_value(bought.loc[bought["node"] == p, "value"].to_numpy(dtype=float))
        for p in purchases
    }
    if mix.k > 1 and len(bought):
        w = mix.responsibility[log.customers[bought["customer_id"]].to_numpy()]  # (events, K)
        v = bought["value"].to_numpy(dtype=float)
        per_class = (w * v[:, None]).sum(axis=0) / np.maximum(w.sum(axis=0), 1e-12)
        mult = per_class / v.mean()
    return OrderValues(dist, mult)


def customer_state(log: PreparedLog, mix: Mixture) -> pd.DataFrame:
    """One row per customer: ``customer_id, first_time, node`` (the last one),
    ``elapsed_days`` there at the cut-off, ``purchases``, ``closed`` (at an outcome) and,
    with several classes, the most likely ``segment``."""
    ev, spec = log.events, log.mapping
    g = ev.groupby("customer_id", sort=False)
    last = g.last()
    bought = ev["node"].isin(spec.purchases)
    state = pd.DataFrame(
        {
            "customer_id": last.index,
            "first_time": g["time"].first().to_numpy(),
            "node": last["node"].to_numpy(),
            "elapsed_days": ((log.cutoff - last["time"]).dt.total_seconds() / 86400.0).to_numpy(),
            "purchases": bought.groupby(ev["customer_id"], sort=False).sum().to_numpy(),
            "closed": last["node"].isin(spec.outcomes).to_numpy(),
        }
    )
    if log.office is not None:  # elapsed on the touchpoint's office clock
        state["elapsed_days"] = log.office.elapsed(
            state["node"].to_numpy(), last["time"].to_numpy(), log.cutoff
        )
    resp = mix.responsibility[log.customers[state["customer_id"]].to_numpy()]
    if mix.k > 1:
        state["segment"] = np.asarray(mix.names)[resp.argmax(axis=1)]
    return state.reset_index(drop=True)


def _heading_frames(
    state: pd.DataFrame, sel: np.ndarray, name: str, cf: CompetingFit
) -> list[pd.DataFrame]:
    """Dwell by destination: per target, P(on the way there | quiet so long); with a
    pooled dwell, P(still moving on | quiet so long) at the touchpoint itself."""
    elapsed = state["elapsed_days"].to_numpy()[sel]
    heading = cf.heading(elapsed)
    if cf.pooled:
        frame = pd.DataFrame(
            {
                "customer": state["customer_id"].to_numpy()[sel],
                "touchpoint": name,
                "elapsed_days": elapsed,
                "segment": "",
                "probability": heading.sum(axis=0),
            }
        )
        return [frame]
    return [
        pd.DataFrame(
            {
                "customer": state["customer_id"].to_numpy()[sel],
                "touchpoint": f"{name}_to_{target}",
                "elapsed_days": elapsed,
                "segment": "",
                "probability": heading[j],
            }
        )
        for j, target in enumerate(cf.targets)
    ]


def _class_frames(
    state: pd.DataFrame, sel: np.ndarray, name: str, mix: Mixture, n: int
) -> list[pd.DataFrame]:
    """Per class: P(class, still at the touchpoint | history)."""
    here = mix.still_here(n, state["elapsed_days"].to_numpy()[sel])  # (K, m)
    prob = mix.responsibility[sel].T * here  # (K, m)
    return [
        pd.DataFrame(
            {
                "customer": state["customer_id"].to_numpy()[sel],
                "touchpoint": name,
                "elapsed_days": state["elapsed_days"].to_numpy()[sel],
                "segment": mix.names[k] if mix.k > 1 else "",
                "probability": prob[k],
            }
        )
        for k in range(mix.k)
    ]


def warm_start_frame(
    state: pd.DataFrame,
    mix: Mixture,
    fitted: tuple[str, ...],
    competing: dict[str, CompetingFit] | None,
) -> pd.DataFrame | None:
    """The warm start's rows (``customer, touchpoint, elapsed_days, segment,
    probability``) for the customers open at a fitted touchpoint; None when none is."""
    frames = []
    for n, name in enumerate(fitted):
        sel = np.flatnonzero((state["node"] == name).to_numpy())
        if not len(sel):
            continue
        if competing is not None and name in competing:
            frames += _heading_frames(state, sel, name, competing[name])
        else:
            frames += _class_frames(state, sel, name, mix, n)
    if not frames:
        return None
    warm = pd.concat(frames, ignore_index=True)
    warm = warm[warm["probability"] >= MIN_PROBABILITY]
    warm["probability"] = warm["probability"].clip(upper=1.0)
    return warm.sort_values(["customer", "segment", "touchpoint"], kind="stable", ignore_index=True)


def _class_table(mix: Mixture, fitted: tuple[str, ...]) -> pd.DataFrame:
    rows = []
    for j, cname in enumerate(mix.names):
        for n, name in enumerate(fitted):
            dist = dwell_distribution(mix.kinds[n], float(mix.scale[j, n]), mix.class_shape(j, n))
            rows.append(
                {
                    "segment": cname,
                    "touchpoint": name,
                    "exit_probability": mix.q[j, n],
                    "exit_se": mix.q_se[j, n],
                    "dwell": mix.kinds[n],
                    "dwell_mean_days": dist.mean,
                }
            )
    shares = dict(zip(mix.names, mix.share, strict=True))
    return pd.DataFrame(rows).assign(share=lambda d: d["segment"].map(shares))


def destination_table(competing: dict[str, CompetingFit]) -> pd.DataFrame:
    """Per touchpoint and destination: the movers' share, the dwell family, its mean and
    median (days), whether it is the touchpoint's one (pooled) dwell, and the
    touchpoint's silent exit — what the scenario simulates."""
    rows = []
    for name, cf in competing.items():
        for target, share, kind, dist in zip(cf.targets, cf.probs, cf.kinds, cf.dists, strict=True):
            rows.append(
                {
                    "touchpoint": name,
                    "destination": target,
                    "share_of_movers": float(share),
                    "dwell": kind,
                    "dwell_mean_days": float(dist.mean),
                    "dwell_median_days": float(dist.quantile(np.array([0.5]))[0]),
                    "pooled": cf.pooled,
                    "exit_probability": cf.exit_probability,
                }
            )
    return pd.DataFrame(rows)


def _next_event_distance(log: PreparedLog, name: str, cf: CompetingFit) -> float:
    """The largest gap between the Kaplan-Meier time to the next event at ``name`` and
    the competing-risks fit's, ``(1 - q) sum_m p_m F_m`` (a fixed delay's step taken
    where its spells are, within a second of it)."""
    s = log.at(name)
    days, censored = s["days"].to_numpy(dtype=float), (s["target"] < 0).to_numpy()
    times, survival = kaplan_meier(np.maximum(days, 1e-6), censored)
    if not len(times):
        return math.nan
    logs = cf._logsf(times)
    fixed = np.array([kind == Fixed.kind for kind in cf.kinds])
    logs[fixed] = cf._logsf(times + INSTANT)[fixed]
    moved = cf.probs @ (1 - np.exp(logs))
    return float(np.max(np.abs((1 - survival) - (1 - cf.exit_probability) * moved)))


def _used_exits(
    table: pd.DataFrame, competing: dict[str, CompetingFit], log: PreparedLog
) -> pd.DataFrame:
    """The exit table with the competing-risks fit where it replaced the classes' fit:
    ``dwell`` reads ``by destination`` (or the pooled fixed or Kaplan-Meier family),
    with its silent exit, mean dwell and Kaplan-Meier distance."""
    out = table.copy()
    for name, cf in competing.items():
        at = out["touchpoint"] == name
        means = np.array([d.mean for d in cf.dists])
        out.loc[at, "dwell"] = cf.kinds[0] if cf.pooled else "by destination"
        out.loc[at, "exit_probability"] = cf.exit_probability
        out.loc[at, "exit_se"] = cf.exit_se
        out.loc[at, "dwell_mean_days"] = float(cf.probs @ means)
        out.loc[at, "aic"] = math.nan
        out.loc[at, "ks_distance"] = _next_event_distance(log, name, cf)
    return out


def _exit_table(log: PreparedLog, exits: PooledExits, mix: Mixture) -> pd.DataFrame:
    rows = []
    for n, (name, f) in enumerate(exits.fits.items()):
        s = log.at(name)
        days, censored = s["days"].to_numpy(dtype=float), (s["target"] < 0).to_numpy()
        times, survival = kaplan_meier(np.maximum(days, 1e-6), censored)
        weights = mix.responsibility[log.customers[s["customer_id"]].to_numpy()].mean(axis=0)
        model = mix.next_event_cdf(n, times, weights)
        rows.append(
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
    return pd.DataFrame(rows)


def _value_table(values: OrderValues) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "touchpoint": k,
                "mean": v.mean,
                "cv": math.sqrt(v.variance) / v.mean if v.mean else math.nan,
            }
            for k, v in values.dist.items()
        ]
    )


def fit_report(
    log: PreparedLog,
    exits: PooledExits,
    mix: Mixture,
    rows: dict[str, RowPosterior],
    arrivals: ArrivalFit,
    values: OrderValues,
    competing: dict[str, CompetingFit] | None = None,
    choices: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The report tables: ``transitions`` (credible intervals), ``exits`` (pooled fits
    with the Kaplan-Meier distance), ``segments``, ``arrivals`` and ``order_values``;
    ``dwell_choice`` (per touchpoint pooled or by destination, why, and the BIC values of
    :mod:`.dwellchoice`); where a touchpoint's dwell is a competing-risks fit also
    ``destinations`` (the dwells the scenario uses), and ``exits`` then says ``by
    destination`` (or the pooled dwell's family) with that fit's silent exit."""
    exit_table = _exit_table(log, exits, mix)
    extra = {} if choices is None else {"dwell_choice": choices}
    if competing:
        extra["destinations"] = destination_table(competing)
        exit_table = _used_exits(exit_table, competing, log)
    return {
        **extra,
        "transitions": pd.concat([r.interval() for r in rows.values()], ignore_index=True),
        "exits": exit_table,
        "segments": _class_table(mix, exits.fitted),
        "arrivals": arrivals.tests.assign(
            rate_per_day=arrivals.rate_per_day, rate_se=arrivals.rate_se
        ),
        "order_values": _value_table(values),
    }
