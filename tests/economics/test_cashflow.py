"""Costs per time bin, net cash, NPV over bins wider than a day, and the one profit formula,
against hand-computed cases."""

import math

import numpy as np
import pytest

import cjsim.interventions
from cjsim.economics import (
    Costs,
    DaySeries,
    cash_flows,
    cost_series,
    npv,
    payback_day,
    profit,
    replication_economics,
    roi,
)


def _week(**figures):
    return DaySeries.of_days(arrivals=np.array([10.0, 0.0, 5.0]), **figures)


def test_costs_live_in_economics_and_interventions_reexport_them():
    assert cjsim.interventions.Costs is Costs
    both = Costs(fixed=10, per_visit={"a": 1.0}) + Costs(per_day=2, per_visit={"a": 0.5})
    assert both == Costs(fixed=10, per_day=2, per_visit={"a": 1.5})
    assert hash(both) == hash(Costs(fixed=10, per_day=2, per_visit={"a": 1.5}))


def test_cost_series_by_hand():
    series = _week(purchases=np.array([2.0, 1.0, 0.0]), visits={"desk": np.array([4.0, 0, 1])})
    costs = Costs(
        fixed=100.0, per_day=3.0, per_customer=0.5, per_purchase=2.0, per_visit={"desk": 1.5}
    )
    spend = cost_series(costs, series)
    # day 0: 100 + 3 + 5 + 4 + 6 ; day 1: 3 + 2 ; day 2: 3 + 2.5 + 1.5
    np.testing.assert_allclose(spend, [118.0, 5.0, 7.0])


def test_the_last_bin_pays_per_day_only_for_its_width():
    series = DaySeries(
        np.array([0.0, 7.0]), np.array([7.0, 3.5]), np.zeros(2), np.zeros(2), np.zeros(2),
        np.zeros(2),
    )  # fmt: skip
    np.testing.assert_allclose(cost_series(Costs(per_day=2.0), series), [14.0, 7.0])


def test_net_cash_sums_to_net_profit_without_discounting():
    series = _week(revenue=np.array([100.0, 50.0, 20.0]), cost=np.array([10.0, 10.0, 10.0]))
    kpis = {"profit": profit(0.4, 170.0, 30.0)}
    out, cash = replication_economics(kpis, series, Costs(fixed=5.0), margin=0.4, annual_rate=0.0)
    assert out["intervention_cost"] == 5.0
    assert out["gross_profit"] == pytest.approx(38.0)
    assert out["profit"] == pytest.approx(38.0 - 5.0)
    assert cash.sum() == pytest.approx(out["profit"])
    assert out["npv"] == pytest.approx(out["profit"])


def test_a_lifetime_series_is_what_the_npv_discounts():
    series = _week(revenue=np.array([100.0, 0.0, 0.0]))
    booked = DaySeries(**{**series.__dict__, "lifetime": np.array([0.0, 0.0, 365.0])})
    flows = cash_flows(booked, Costs(), margin=1.0)
    np.testing.assert_allclose(flows.cash, [100.0, 0.0, 0.0])  # payback reads the cash
    np.testing.assert_allclose(flows.valued, [0.0, 0.0, 365.0])
    _, cash = replication_economics({"profit": 100.0}, booked, Costs(), margin=1.0, annual_rate=0.0)
    np.testing.assert_allclose(cash, flows.cash)


def test_npv_and_payback_over_weekly_bins():
    cash, starts = [-100.0, 60.0, 60.0], [0.0, 7.0, 14.0]
    assert npv(cash, 0.1, days=starts) == pytest.approx(
        -100 + 60 * 1.1 ** (-7 / 365) + 60 * 1.1 ** (-14 / 365), rel=1e-12
    )
    assert npv(cash, 0.1) != pytest.approx(npv(cash, 0.1, days=starts))  # wrong offsets differ
    assert payback_day(cash, starts) == 14.0
    assert payback_day(cash) == 2.0
    assert math.isnan(payback_day([-1.0, 0.5], [0.0, 7.0]))


def test_roi_elementwise_and_the_profit_formula():
    np.testing.assert_allclose(roi(np.array([50.0, 10.0]), np.array([200.0, 0.0])), [0.25, np.nan])
    assert profit(0.5, 100.0, 20.0) == 30.0
    assert profit(0.5, 100.0 + 1e-20j, 20.0).imag == pytest.approx(0.5e-20)  # complex-step safe
