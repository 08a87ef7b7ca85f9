"""Which investment is best, with a guaranteed chance of being right: a comparison's
variants, doing nothing included, put through ranking and selection
(:func:`cjsim.experiment.select_best`, procedure KN).

The objective is each variant's profit over the horizon net of its intervention's cost —
the figure the ranking orders by.  The comparison's own replications are the first
stage; later stages simulate the variants still in contention with the comparison's seed
and the next replication numbers, so every variant sees the same customers (common
random numbers) and nothing is simulated twice.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence

import numpy as np

from cjsim.errors import SimulationError
from cjsim.experiment.selection import Selection, select_best
from cjsim.interventions.compare import run_variants
from cjsim.interventions.comparison import Comparison, Runs

__all__ = ["OBJECTIVE", "with_selection"]

OBJECTIVE = "profit"  # over the horizon, net of the intervention's cost


def _profits(outcome_kpis: list[list[dict[str, float]]]) -> np.ndarray:
    """``replications x variants`` of the objective."""
    return np.array([[kpis[OBJECTIVE] for kpis in variant] for variant in outcome_kpis]).T


def _sampler(runs: Runs) -> Callable[[int, int, Sequence[int]], np.ndarray]:
    """Replications ``first .. first + count - 1`` of some variants (0 is the baseline)."""
    options = dataclasses.replace(runs.options, progress=False)

    def sample(first: int, count: int, systems: Sequence[int]) -> np.ndarray:
        ivs = [runs.interventions[s - 1] for s in systems if s > 0]
        stage = dataclasses.replace(options, replications=count)
        outcomes, _ = run_variants([runs.draws[0]], ivs, stage, baseline=0 in systems, first=first)
        return _profits(outcomes[0].kpis)

    return sample


def with_selection(
    comparison: Comparison,
    *,
    pcs: float = 0.95,
    indifference: float,
    max_replications: int = 1000,
) -> Comparison:
    """``comparison`` with the best variant selected by procedure KN.

    Parameters
    ----------
    comparison : Comparison
        A comparison by a simulation engine with one set of parameters; its
        replications are the first stage.
    pcs : float
        Probability of correct selection, in ``(1/k, 1)`` for ``k`` variants (the
        baseline counts: doing nothing may be best).
    indifference : float
        Money over the horizon: profits closer than this are not worth telling apart.
    max_replications : int
        Most replications of any one variant; the selection stops there unfinished.

    Returns
    -------
    Comparison
        With :attr:`~Comparison.selection` set; its ranking and deltas stay those of the
        first stage (every variant paired over the same replications).
    """
    runs = comparison.runs
    if comparison.exact:
        raise SimulationError(
            "selection is for a simulation engine — the analytic engine's figures are "
            "exact, so its best needs no replications: use --engine des or vectorized"
        )
    if runs is None or len(runs.draws) != 1:
        raise SimulationError(
            "selection needs a comparison with one set of parameters and its runs kept "
            "(compare without scenario_draws)"
        )
    names = ["baseline", *(iv.name for iv in runs.interventions)]
    first = _profits(runs.outcomes[0].kpis)
    workers = runs.options.workers if runs.options.executor != "serial" else 1
    found: Selection = select_best(
        _sampler(runs),
        names,
        pcs=pcs,
        indifference=indifference,
        first_stage=first.shape[0],
        max_replications=max_replications,
        step=max(1, math.ceil(workers / 2)),
        first=first,
    )
    return comparison.with_selection(found)
