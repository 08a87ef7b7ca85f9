"""NPV, payback, ROI and break-even against hand-computed cases."""

import math

import pytest

from cjsim.economics import break_even_uplift, discount_factors, npv, payback_day, roi


def test_npv_of_two_cash_flows_by_hand():
    # 1000 on day 0 and 1000 on day 365 at 10 %: 1000 + 1000 / 1.1
    cash = [0.0] * 366
    cash[0] = cash[365] = 1000.0
    assert npv(cash, 0.10) == pytest.approx(1000 + 1000 / 1.1, rel=1e-12)


def test_npv_without_discounting_is_the_sum():
    assert npv([5.0, -2.0, 7.0], 0.0) == pytest.approx(10.0)


def test_discount_factor_after_half_a_year():
    assert discount_factors(200, 0.21)[182] == pytest.approx(1.21 ** (-182 / 365))


def test_payback_day_by_hand():
    # cumulative: -100, -70, -40, +10 -> pays back on day 3
    assert payback_day([-100.0, 30.0, 30.0, 50.0]) == 3
    # dips below zero again later: payback is when it stays above
    assert payback_day([-10.0, 20.0, -30.0, 40.0]) == 3
    assert payback_day([5.0, 1.0]) == 0
    assert math.isnan(payback_day([-10.0, 1.0, 1.0]))


def test_roi_and_break_even_by_hand():
    # cost 200, incremental profit net of cost 50: gross benefit 250
    assert roi(50.0, 200.0) == pytest.approx(0.25)
    assert break_even_uplift(50.0, 200.0) == pytest.approx(200 / 250)
    # a loss: the effect must be 200/150 = 1.33x larger to break even
    assert break_even_uplift(-50.0, 200.0) == pytest.approx(200 / 150)
    assert math.isinf(break_even_uplift(-300.0, 200.0))
    assert math.isnan(roi(10.0, 0.0))
