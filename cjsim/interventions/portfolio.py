"""The best portfolio of interventions under a budget, simulated together so that
interactions count."""

from __future__ import annotations

import itertools

import pandas as pd

from cjsim.errors import InterventionError, SimulationError
from cjsim.experiment import RunOptions
from cjsim.interventions.compare import compare
from cjsim.interventions.intervention import Intervention, combine
from cjsim.model import Scenario

__all__ = ["MAX_PORTFOLIOS", "portfolio"]

MAX_PORTFOLIOS = 31  # every combination of 5 interventions; more are pruned by size


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


def portfolio(
    scenario: Scenario,
    interventions: list[Intervention] | tuple[Intervention, ...],
    budget: float,
    *,
    options: RunOptions | None = None,
) -> pd.DataFrame:
    """Rank every affordable combination of the (non-combined) interventions.

    Each combination is simulated as one variant (changes in sequence, costs summed) with
    the baseline's random numbers; a combination is within budget when its expected
    intervention cost over the horizon is at most ``budget``.  ``DataFrame.attrs["notes"]``
    says what was skipped or pruned.  ``options`` are :func:`compare`'s run options.
    """
    if budget < 0:
        raise SimulationError(f"budget must be >= 0, got {budget!r}")
    singles = [iv for iv in interventions if not iv.parts]
    options = (options or RunOptions()).resolve(scenario, need_horizon=True)
    horizon = options.horizon_days
    assert horizon is not None
    combos, notes = _candidates(singles, budget, horizon)
    if not combos:
        table = pd.DataFrame(
            columns=[
                "portfolio",
                "size",
                "intervention_cost",
                "incremental_profit",
                "within_budget",
            ]
        )
        table.attrs["notes"] = [*notes, "no combination fits the budget"]
        return table
    ranking = compare(scenario, combos, options=options).ranking
    table = ranking.rename(columns={"variant": "portfolio"})
    table.insert(1, "size", table["portfolio"].str.count(r"\+") + 1)
    table["within_budget"] = table["intervention_cost"] <= budget
    table = table.sort_values(
        ["within_budget", "incremental_profit"], ascending=[False, False], ignore_index=True
    )
    table.attrs["notes"] = notes
    return table
