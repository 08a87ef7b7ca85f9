"""The power curve of an A/B test design."""

from __future__ import annotations

import pytest

import cjsim
from cjsim.plotting import power_curve

RUN = {
    "engine": "vectorized",
    "replications": 3,
    "seed": 1,
    "horizon_days": 90.0,
    "ignore_capacity": True,
    "tests": 200,
}


@pytest.fixture(scope="module")
def designs():
    sc = cjsim.load_scenario("scenarios/fashionfusion.toml")
    ivs = {
        iv.name: iv for iv in cjsim.load_interventions("scenarios/fashionfusion_investments.toml")
    }
    iv = ivs["better_size_guide"]
    return {
        kpi: cjsim.ab_test_design(sc, iv, kpi=kpi, **RUN)
        for kpi in ("conversion_rate", "profit_per_customer")
    }


def test_power_against_size_marks_the_target_and_each_size(designs) -> None:
    design = designs["conversion_rate"]
    ax = power_curve(design)
    assert ax.get_xlabel() == "customers per arm" and ax.get_xscale() == "log"
    assert ax.get_ylabel().startswith("power")
    labels = ax.get_legend_handles_labels()[1]
    assert labels[0] == "simulated effect" and "target power 0.8" in labels
    finite = design.sizes["n_per_arm"].notna().sum()
    assert len(ax.lines) == len(labels) + finite  # curves, target, one mark per size


def test_simulated_points_carry_error_bars(designs) -> None:
    from matplotlib.container import ErrorbarContainer

    ax = designs["profit_per_customer"].plot_power(against="effect")
    assert any(isinstance(c, ErrorbarContainer) for c in ax.containers)
    assert ax.get_xlabel().startswith("effect on profit per customer")


def test_an_unknown_axis_is_refused(designs) -> None:
    with pytest.raises(ValueError, match="against must be 'n' or 'effect'"):
        power_curve(designs["conversion_rate"], against="days")
