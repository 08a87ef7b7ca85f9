"""A/B test design: how many customers, and how many days, a field test needs to confirm
a simulated effect.

:func:`ab_test_design` simulates the baseline and one intervention with common random
numbers and the per-customer event log, turns each customer into one outcome (converted
or not, revenue, or profit within ``follow_up_days`` of arriving), and hands them to
:mod:`cjsim.experiment.abtest`: the closed form for a rate, simulated Welch t-tests for a
mean per customer.  The effect's uncertainty comes from the replications (a paired
t-interval); the size is given for the effect's point estimate and the ends of its 95 %
interval, and the assurance averages the power over the effect's uncertainty.

How cohorts are handled: the field test enrols customers as they arrive at the
scenario's arrival rate (from day 0 of its calendar, both arms together), splits them at
random into equal arms, and follows each for ``follow_up_days``; so it lasts the days
needed to enrol ``arms × n`` customers plus the follow-up of the last one.  The simulated
outcomes use the same rule: only customers who arrived at least ``follow_up_days``
before the horizon count, each with what happened in their first ``follow_up_days``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from cjsim.analysis.abtest_outcomes import KPIS, check_kpi, customer_outcomes, enrolment_days
from cjsim.analysis.abtest_result import ABTestDesign
from cjsim.economics import Costs
from cjsim.engines.base import Engine
from cjsim.errors import OptionError
from cjsim.experiment import RunOptions, run_replications
from cjsim.experiment import abtest as stats_ab
from cjsim.intervals import interval
from cjsim.interventions.intervention import Intervention, apply, check_interventions
from cjsim.model import Population, Scenario

__all__ = ["KPIS", "ABTestDesign", "ab_test_design", "customer_outcomes", "enrolment_days"]

_WHICH = ("point", "ci_low", "ci_high")


def _arm_outcomes(
    scenario: Scenario, intervention: Intervention, opts: RunOptions, kpi: str, follow_up: float
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per replication, the per-customer outcomes of the baseline and the variant."""
    variant = apply(scenario, intervention)
    outputs = run_replications([scenario, variant], opts, names=["baseline", intervention.name])
    horizon = float(opts.horizon_days or 0.0)
    arms: list[list[np.ndarray]] = [[], []]
    for k, (sc, costs) in enumerate(((scenario, Costs()), (variant, intervention.costs))):
        for out in outputs[k]:
            assert out.events is not None  # asked for with events=True
            arms[k].append(
                customer_outcomes(
                    out.events,
                    sc,
                    kpi=kpi,
                    follow_up_days=follow_up,
                    horizon_days=horizon,
                    costs=costs,
                )
            )
    return arms[0], arms[1]


def _resolve(scenario: Scenario, options: RunOptions, follow_up_days: float) -> RunOptions:
    """The run options with the event log, checked for a simulation engine and a horizon
    longer than the follow-up."""
    opts = options.replace(events=True).resolve(scenario, need_horizon=True)
    engine: Engine = opts.engine_object
    if engine.exact:
        raise OptionError(
            f"engine {engine.name!r} gives no per-customer outcomes — an A/B test design "
            "draws customers from a simulation: use engine='des' or 'vectorized'"
        )
    if opts.replications < 2:
        raise OptionError(
            "replications must be at least 2 for the effect's interval — e.g. replications=10"
        )
    horizon = float(opts.horizon_days or 0.0)
    if not 0 < follow_up_days < horizon:
        raise OptionError(
            f"follow_up_days (--follow-up-days) must be > 0 and shorter than the horizon "
            f"({horizon:g} days), got {follow_up_days!r} — customers are followed that long "
            "after arriving: choose fewer days, or a longer horizon (--horizon)"
        )
    return opts


def _same_sign(effect: float, point: float) -> bool:
    return math.isfinite(effect) and effect != 0 and (effect > 0) == (point > 0)


def _sizes_table(
    effects: dict[str, float], sizes: dict[str, float], population: Population, follow_up: float
) -> pd.DataFrame:
    rows = []
    for which in _WHICH:
        n = sizes.get(which, math.nan)
        enrol = enrolment_days(population, 2 * n) if math.isfinite(n) else math.nan
        rows.append((which, effects[which], n, 2 * n, enrol, enrol + follow_up))
    columns = ["which", "effect", "n_per_arm", "customers", "enrolment_days", "duration_days"]
    return pd.DataFrame(rows, columns=columns)


def _effect_draws(effect: tuple[float, float, float, float], df: int, seed: int) -> np.ndarray:
    """Draws of the effect for the assurance: its mean plus its standard error times a
    Student t with the replications' degrees of freedom (the interval's own shape)."""
    point, _, _, se = effect
    rng = np.random.default_rng([seed, 2])
    return point + (se if math.isfinite(se) else 0.0) * rng.standard_t(df, size=20_000)


@contextlib.contextmanager
def _end_may_fail(which: str) -> Iterator[None]:
    """An end of the interval too small to confirm gets no size (n/a, with a note); the
    point estimate's error stops the design."""
    try:
        yield
    except OptionError:
        if which == "point":
            raise


def _rate_design(
    p0: float,
    effect: tuple[float, float, float, float],
    *,
    power: float,
    alpha: float,
    tests: int,
    seed: int,
    df: int,
) -> tuple[dict[str, float], stats_ab.SimulatedPower, float, pd.DataFrame]:
    """Sizes (closed form), simulated check, assurance and curve of a rate."""
    point = effect[0]
    sizes = {}
    for which, e in zip(_WHICH, effect[:3], strict=True):
        if which == "point" or (_same_sign(e, point) and 0 < p0 + e < 1):
            with _end_may_fail(which):
                sizes[which] = float(
                    stats_ab.sample_size_two_proportions(
                        baseline_rate=p0, variant_rate=p0 + e, power=power, alpha=alpha
                    )
                )
    n = int(sizes["point"])
    check = stats_ab.simulate_two_proportion_tests(
        baseline_rate=p0,
        variant_rate=p0 + point,
        n_per_arm=n,
        alpha=alpha,
        tests=tests,
        seed=np.random.default_rng([seed, 3]),
    )
    draws = _effect_draws(effect, df, seed)
    assurance = stats_ab.assurance_two_proportions(
        baseline_rate=p0, effect_draws=draws, n_per_arm=n, alpha=alpha
    )
    ns = np.unique(np.geomspace(max(2, n / 10), 3 * max(sizes.values()), 80).round())
    rows = []
    for which, e in zip(_WHICH, effect[:3], strict=True):
        if 0 < p0 + e < 1:
            for m, pw in zip(ns, stats_ab.rate_powers(p0, p0 + e, ns, alpha), strict=True):
                rows.append(("n", which, m, e, pw, 0.0, "closed form"))
    effects = np.linspace(effect[1], effect[2], 41)
    effects = effects[(p0 + effects > 0) & (p0 + effects < 1)]
    for e, pw in zip(effects, stats_ab.rate_powers(p0, p0 + effects, n, alpha), strict=True):
        rows.append(("effect", "point", n, e, pw, 0.0, "closed form"))
    return sizes, check, assurance, _curve(rows)


def _curve(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    columns = ["panel", "which", "n_per_arm", "effect", "power", "std_err", "source"]
    return pd.DataFrame(rows, columns=columns)


def _mean_design(
    base: stats_ab.EmpiricalOutcomes,
    var: stats_ab.EmpiricalOutcomes,
    effect: tuple[float, float, float, float],
    *,
    power: float,
    alpha: float,
    tests: int,
    seed: int,
    df: int,
) -> tuple[dict[str, float], stats_ab.SimulatedPower, float, pd.DataFrame]:
    """Sizes (simulated Welch tests), check, assurance and curve of a mean per customer."""
    point, pooled = effect[0], var.mean - base.mean
    searches, rows = {}, []
    for which, e in zip(_WHICH, effect[:3], strict=True):
        if which == "point" or _same_sign(e, point):
            with _end_may_fail(which):
                searches[which] = stats_ab.sample_size_simulated(
                    baseline=base,
                    variant=var,
                    power=power,
                    alpha=alpha,
                    tests=tests,
                    seed=seed,
                    shift=e - pooled,
                )
        if which in searches:
            found = searches[which]
            rows += [
                ("n", which, g.n_per_arm, e, g.power, g.std_err, "simulated") for g in found.grid
            ]
    n = searches["point"].n_per_arm
    draws = _effect_draws(effect, df, seed)[:tests]
    assurance = stats_ab.simulate_welch_tests(
        baseline=base,
        variant=var,
        n_per_arm=n,
        alpha=alpha,
        tests=tests,
        seed=np.random.default_rng([seed, 4]),
        shift=draws - pooled,
    ).power
    effects = np.linspace(effect[1], effect[2], 9)
    each = max(50, tests // len(effects))
    rejected = stats_ab.welch_rejections(
        baseline=base,
        variant=var,
        n_per_arm=n,
        alpha=alpha,
        tests=each * len(effects),
        seed=np.random.default_rng([seed, 5]),
        shift=np.repeat(effects - pooled, each),
    ).reshape(len(effects), each)
    for e, r in zip(effects, rejected, strict=True):
        got = stats_ab.SimulatedPower.of(n, r)
        rows.append(("effect", "point", n, e, got.power, got.std_err, "simulated"))
    sizes = {w: float(s.n_per_arm) for w, s in searches.items()}
    return sizes, searches["point"].check, assurance, _curve(rows)


def _notes(scenario: Scenario, intervention: Intervention, kpi: str) -> list[str]:
    notes = [
        "duration = days to enrol both arms at the scenario's arrival rate from day 0 of its "
        "calendar, plus the follow-up of the last customer enrolled",
        "both arms draw from the baseline's arrivals: a field test splits the same "
        "customers, so an intervention's change of arrival volume is not part of the effect",
    ]
    if kpi == "profit_per_customer" and (intervention.costs.fixed or intervention.costs.per_day):
        notes.append(
            "profit per customer carries the intervention's per-customer, per-purchase and "
            "per-visit costs; its fixed and daily costs are not per customer and stay out"
        )
    if any(tp.capacity is not None for tp in scenario.touchpoints.values()):
        notes.append(
            "each arm was simulated with the whole arrival stream: in a field test both arms "
            "share the queues, so capacity effects may be smaller than simulated"
        )
    return notes


def _design(
    kpi: str,
    b_all: np.ndarray,
    v_all: np.ndarray,
    effect: tuple[float, float, float, float],
    levels: dict[str, Any],
    *,
    seed: int,
    df: int,
) -> tuple[dict[str, float], stats_ab.SimulatedPower, float, pd.DataFrame]:
    """The closed form for a rate, simulated field tests for a mean per customer."""
    if kpi == "conversion_rate":
        return _rate_design(float(b_all.mean()), effect, **levels, seed=seed, df=df)
    base_pool, var_pool = (stats_ab.EmpiricalOutcomes.of(x) for x in (b_all, v_all))
    return _mean_design(base_pool, var_pool, effect, **levels, seed=seed, df=df)


def ab_test_design(
    scenario: Scenario,
    intervention: Intervention,
    *,
    kpi: str = "conversion_rate",
    power: float = 0.8,
    alpha: float = 0.05,
    follow_up_days: float = 30.0,
    tests: int = 2000,
    engine: str | Engine = "des",
    replications: int = 10,
    seed: int | None = None,
    workers: int = 1,
    horizon_days: float | None = None,
    ignore_capacity: bool = False,
    options: RunOptions | None = None,
) -> ABTestDesign:
    """The sample size and duration of a field test to confirm ``intervention``'s effect.

    Parameters
    ----------
    scenario : Scenario
        The baseline.
    intervention : Intervention
        The variant to test against the baseline.
    kpi : {"conversion_rate", "revenue_per_customer", "profit_per_customer"}
        What the field test measures per customer within ``follow_up_days``.
    power, alpha : float
        The chance to confirm the effect, and the two-sided level; both in (0, 1).
    follow_up_days : float
        Days each customer is observed after arriving (> 0, shorter than the horizon).
    tests : int
        Simulated field tests per power estimate (Monte Carlo error about
        ``sqrt(0.16 / tests)`` at power 0.8).
    engine, replications, seed, workers, horizon_days, ignore_capacity, options :
        As in :func:`cjsim.simulate`; a simulation engine, at least 2 replications.

    Returns
    -------
    ABTestDesign

    Raises
    ------
    OptionError
        For a bad option, or a simulated effect of zero (no sample size confirms it).
    """
    check_kpi(kpi)
    stats_ab.check_levels(power=power, alpha=alpha)
    if isinstance(tests, bool) or not isinstance(tests, int) or tests < 100:
        raise OptionError(f"tests must be a whole number >= 100, got {tests!r}")
    check_interventions(scenario, [intervention])
    given = RunOptions(
        engine=engine,
        replications=replications,
        seed=seed,
        workers=workers,
        horizon_days=horizon_days,
        ignore_capacity=ignore_capacity,
    )
    opts = _resolve(scenario, given.unless(options), follow_up_days)
    base, var = _arm_outcomes(scenario, intervention, opts, kpi, follow_up_days)
    per_rep = np.array([v.mean() - b.mean() for b, v in zip(base, var, strict=True)])
    effect = interval(per_rep)
    b_all, v_all = np.concatenate(base), np.concatenate(var)
    levels = {"power": power, "alpha": alpha, "tests": tests}
    design = _design(kpi, b_all, v_all, effect, levels, seed=int(opts.seed or 0), df=len(base) - 1)
    sizes, check, assurance, curve = design
    effects = dict(zip(_WHICH, effect[:3], strict=True))
    table = _sizes_table(effects, sizes, scenario.population, follow_up_days)
    notes = _notes(scenario, intervention, kpi)
    for which in table.loc[table["n_per_arm"].isna(), "which"]:
        notes.append(
            f"the effect's {which} is zero, of the other sign or too small: no practical "
            "sample size confirms it (n/a) — more replications narrow the interval"
        )
    numbers = (power, alpha, follow_up_days, float(b_all.mean()), effect, table, assurance)
    meta = _meta(opts, tests, int(b_all.size), scenario.currency)
    return ABTestDesign(
        kpi, intervention.name, KPIS[kpi], *numbers, check, curve, tuple(notes), meta
    )


def _meta(opts: RunOptions, tests: int, customers: int, currency: str | None) -> dict[str, Any]:
    return {
        "engine": opts.engine_object.name,
        "replications": opts.replications,
        "seed": opts.seed,
        "horizon_days": opts.horizon_days,
        "tests": tests,
        "customers_per_arm_simulated": customers,
        "currency": currency,
    }
