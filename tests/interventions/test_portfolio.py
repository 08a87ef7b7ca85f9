"""The budget portfolio reuses the comparison's runs and simulates only the new
combinations, paired with the baseline by common random numbers.

The pairing check: a combination of an investment with a no-op (no change, no cost),
simulated later in its own call, must give exactly the investment's per-replication
deltas.  Its foil: the same combination simulated with another seed does not.
"""

import dataclasses

import numpy as np
import pandas as pd
import pytest

import cjsim
import cjsim.interventions.compare as compare_module
from cjsim.experiment import RunOptions
from cjsim.interventions import Change, Costs, Intervention, load_interventions
from cjsim.interventions.compare import compare
from cjsim.interventions.portfolio import portfolio, with_budget
from tests.shops import calm_fashion

OPTIONS = RunOptions(engine="vectorized", replications=3, seed=5, ignore_capacity=True)
NOOP = Intervention(
    "noop", (Change("scale_transition", {"from": "website", "to": "checkout", "factor": 1.0}),)
)


@pytest.fixture(scope="module")
def sc():
    return calm_fashion().replace(horizon_days=60.0)


@pytest.fixture(scope="module")
def investments():
    return {iv.name: iv for iv in load_interventions("scenarios/fashionfusion_investments.toml")}


def _counting(monkeypatch):
    calls = []
    run = compare_module.run_replications

    def counted(scenarios, *args, **kwargs):
        calls.append(len(scenarios))
        return run(scenarios, *args, **kwargs)

    monkeypatch.setattr(compare_module, "run_replications", counted)
    return calls


def test_only_new_combinations_are_simulated(sc, investments, monkeypatch):
    cmp = compare(sc, list(investments.values()), options=OPTIONS)
    calls = _counting(monkeypatch)
    budgeted = with_budget(cmp, 12000.0)
    table = budgeted.portfolio.set_index("portfolio")
    # affordable by fixed and daily costs over 60 days: the 4 singles, loyalty + returns
    # (run already as loyalty_plus_returns), loyalty + guide, returns + guide, and
    # loyalty + returns + guide; support (2,700) goes with each
    assert calls == [len(table) - 5]  # one submission: the combinations not run before
    ranking = cmp.ranking.set_index("variant")
    for name in investments:
        if name in table.index:
            assert table.loc[name, "incremental_profit"] == ranking.loc[name, "incremental_profit"]
    pair = table.loc["loyalty_program+faster_returns"]
    assert pair["incremental_profit"] == ranking.loc["loyalty_plus_returns", "incremental_profit"]
    assert any("loyalty_plus_returns reused" in n for n in budgeted.portfolio.attrs["notes"])


def _deltas(table_of, name):
    return table_of[(table_of["variant"] == name)].set_index(["replication", "kpi"])["delta"]


def test_combinations_are_paired_with_the_baseline(sc, investments):
    guide = investments["better_size_guide"]
    cmp = compare(sc, [guide, NOOP], options=OPTIONS)
    runs = cmp.runs
    table = portfolio(sc, [guide, NOOP], budget=1e9, comparison=cmp)
    combo = table.set_index("portfolio").loc["better_size_guide+noop"]
    single = cmp.ranking.set_index("variant").loc["better_size_guide"]
    assert combo["incremental_profit"] == pytest.approx(single["incremental_profit"], rel=1e-12)
    assert combo["incremental_profit_ci_high"] == pytest.approx(
        single["incremental_profit_ci_high"], rel=1e-12
    )
    reseeded = dataclasses.replace(
        cmp, runs=dataclasses.replace(runs, options=runs.options.replace(seed=6))
    )
    unpaired = portfolio(sc, [guide, NOOP], budget=1e9, comparison=reseeded)
    other = unpaired.set_index("portfolio").loc["better_size_guide+noop"]
    assert other["incremental_profit"] != pytest.approx(single["incremental_profit"], rel=1e-6)


def test_p_best_is_among_the_portfolios_within_the_budget(sc, investments):
    cmp = compare(sc, list(investments.values()), engine="analytic")
    table = with_budget(cmp, 12000.0).portfolio
    fits = table[table["within_budget"]]
    over = table[~table["within_budget"]]
    assert not over.empty and over["p_best"].isna().all()
    assert fits["p_best"].sum() <= 1.0 + 1e-12  # the rest: doing nothing is best
    assert (fits.loc[fits["p_beats_baseline"] == 0, "p_best"].fillna(0) == 0).all()


def test_a_comparison_without_runs_is_refused(sc, investments):
    cmp = compare(sc, [investments["loyalty_program"]], engine="analytic")
    with pytest.raises(cjsim.SimulationError, match="kept no runs"):
        with_budget(dataclasses.replace(cmp, runs=None), 1000.0)


def test_without_a_comparison_the_singles_run_first(sc, investments):
    cheap = Intervention("cheap", investments["loyalty_program"].changes, Costs(fixed=10.0))
    table = portfolio(sc, [cheap, NOOP], budget=100.0, options=OPTIONS)
    assert set(table["portfolio"]) == {"cheap", "noop", "cheap+noop"}
    assert isinstance(table, pd.DataFrame) and np.isfinite(table["incremental_profit"]).all()
