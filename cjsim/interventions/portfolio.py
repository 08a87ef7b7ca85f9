"""The best portfolio of interventions under a budget, each combination simulated as one
variant so that interactions count.

A portfolio reuses what a comparison already simulated: its baseline, its single
interventions and any combined variant with the same parts.  Only the other combinations
are simulated, with the comparison's seed and replication numbers, so they see the same
customers as the baseline (common random numbers) and their deltas are paired with it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pandas as pd

from cjsim.economics import Outcome, delta_table, paired_deltas, rank_variants
from cjsim.errors import InterventionError, SimulationError
from cjsim.experiment import RunOptions
from cjsim.interventions.compare import blindness_notes, compare, run_variants
from cjsim.interventions.comparison import Comparison, Runs
from cjsim.interventions.intervention import Intervention, combine
from cjsim.model import Scenario

__all__ = ["MAX_PORTFOLIOS", "portfolio", "with_budget"]

MAX_PORTFOLIOS = 31  # every combination of 5 interventions; more are pruned by size
COLUMNS = ["portfolio", "size", "intervention_cost", "incremental_profit", "within_budget"]


def _candidates(
    singles: list[Intervention], budget: float, horizon: float
) -> tuple[list[Intervention], list[str]]:
    notes: list[str] = []
    combos: list[Intervention] = []
    for size in range(1, len(singles) + 1):
        for subset in itertools.combinations(singles, size):
            floor = sum(iv.costs.fixed + iv.costs.per_day * horizon for iv in subset)
            if floor > budget:  # fixed and daily costs alone exceed the budget
                continue
            try:
                combos.append(combine("+".join(iv.name for iv in subset), subset))
            except InterventionError as exc:
                notes.append(
                    f"skipped {' + '.join(iv.name for iv in subset)}: {exc.problems[0].message}"
                )
            if len(combos) == MAX_PORTFOLIOS:
                notes.append(
                    f"pruned: only the first {MAX_PORTFOLIOS} affordable "
                    f"combinations (smallest first) were simulated"
                )
                return combos, notes
    return combos, notes


def _same(a: Intervention, b: Intervention) -> bool:
    """Whether two variants make the same changes (in any order) at the same cost."""
    return a.costs == b.costs and sorted(map(repr, a.changes)) == sorted(map(repr, b.changes))


def _ran(combo: Intervention, runs: Runs) -> int | None:
    """The index (baseline 0) of a variant of ``runs`` that is ``combo``, if any."""
    for v, iv in enumerate(runs.interventions, start=1):
        if _same(iv, combo):
            return v
    return None


def _outcomes(combos: list[Intervention], runs: Runs) -> tuple[list[Outcome], list[str]]:
    """Per draw, the baseline and every combination: reused where the comparison ran the
    same variant, simulated otherwise (with the comparison's seed and replications)."""
    reused = {i: _ran(c, runs) for i, c in enumerate(combos)}
    todo = [c for i, c in enumerate(combos) if reused[i] is None]
    fresh: list[Outcome] = []
    if todo:
        fresh, _ = run_variants(list(runs.draws), todo, runs.options, baseline=False)
    notes = [
        f"{c.name}: the comparison's runs of {runs.interventions[v - 1].name} reused"
        for c, v in ((combos[i], v) for i, v in reused.items() if v is not None)
        if runs.interventions[v - 1].name != c.name
    ]
    outcomes = []
    for d, old in enumerate(runs.outcomes):
        kpis, cash, k = [old.kpis[0]], [old.cash[0]], 0
        for i in range(len(combos)):
            v = reused[i]
            if v is None:
                kpis.append(fresh[d].kpis[k])
                cash.append(fresh[d].cash[k])
                k += 1
            else:
                kpis.append(old.kpis[v])
                cash.append(old.cash[v])
        outcomes.append(Outcome(kpis, cash, old.day))
    simulated = f"simulated {len(todo)} combination{'' if len(todo) == 1 else 's'}"
    return outcomes, [*notes, f"{simulated}; the others reused the comparison's runs"]


def _rank(combos: list[Intervention], runs: Runs, budget: float) -> pd.DataFrame:
    """The combinations ranked, those within the budget first; P(best) among those."""
    outcomes, notes = _outcomes(combos, runs)
    names = [c.name for c in combos]
    deltas = paired_deltas(outcomes, names)
    table = delta_table(deltas, len(outcomes))
    spent = deltas[deltas["kpi"] == "intervention_cost"].groupby("variant")["value"].mean()
    within = [bool(spent[name] <= budget) for name in names]
    ranking = rank_variants(deltas, outcomes, names, table, candidates=within)
    engine = runs.options.engine_object
    ignore = runs.options.ignore_capacity
    notes += blindness_notes(engine, combos, ranking, table, ignore_capacity=ignore)
    ranking = ranking.rename(columns={"variant": "portfolio"})
    ranking.insert(1, "size", ranking["portfolio"].map({c.name: len(c.parts) for c in combos}))
    ranking["within_budget"] = ranking["portfolio"].map(dict(zip(names, within, strict=True)))
    ranking = ranking.sort_values(
        ["within_budget", "incremental_profit"],
        ascending=[False, False],
        ignore_index=True,
        na_position="last",
    )
    ranking.attrs["notes"] = notes
    return ranking


def portfolio(
    scenario: Scenario,
    interventions: Sequence[Intervention],
    budget: float,
    *,
    options: RunOptions | None = None,
    comparison: Comparison | None = None,
) -> pd.DataFrame:
    """Rank every affordable combination of the (non-combined) interventions.

    Each combination is one variant (changes in sequence, costs summed) paired with the
    baseline's random numbers; it is within budget when its expected intervention cost
    over the horizon is at most ``budget``.  P(best) is the chance of being the best
    choice among the combinations within the budget and doing nothing (NaN for the others).

    Parameters
    ----------
    scenario : Scenario
        The baseline.
    interventions : sequence of Intervention
        The candidates; combined ones are left out (their parts are combined here).
    budget : float
        Money over the horizon, >= 0.
    options : RunOptions, optional
        :func:`compare`'s run options, when there is no ``comparison``.
    comparison : Comparison, optional
        A comparison of ``scenario`` that ran (at least) the single interventions: its
        runs are reused, and only the other combinations are simulated, with its options.

    Returns
    -------
    DataFrame
        ``portfolio, size`` and the ranking's columns, then ``within_budget``;
        ``DataFrame.attrs["notes"]`` says what was skipped, pruned, reused or simulated.
    """
    if not budget >= 0:
        raise SimulationError(f"budget must be >= 0, got {budget!r}")
    singles = [iv for iv in interventions if not iv.parts]
    runs = comparison.runs if comparison is not None else None
    if runs is None:
        runs = compare(scenario, singles, options=options or RunOptions()).runs
        assert runs is not None
    horizon = runs.options.horizon_days
    assert horizon is not None
    combos, notes = _candidates(singles, budget, horizon)
    if not combos:
        table = pd.DataFrame(columns=COLUMNS)
        table.attrs["notes"] = [*notes, "no combination fits the budget"]
        return table
    table = _rank(combos, runs, budget)
    table.attrs["notes"] = [*notes, *table.attrs["notes"]]
    return table


def with_budget(comparison: Comparison, budget: float) -> Comparison:
    """``comparison`` with the best portfolio of its single interventions within
    ``budget`` (:func:`portfolio`, its runs reused; only new combinations simulated).

    Raises
    ------
    SimulationError
        If the comparison kept no runs to reuse.
    """
    runs = comparison.runs
    if runs is None:
        raise SimulationError(
            "this comparison kept no runs to reuse — call portfolio(scenario, "
            "interventions, budget) instead"
        )
    table = portfolio(runs.draws[0], runs.interventions, budget, comparison=comparison)
    return comparison.with_portfolio(table, budget)
