"""The economics of a fitted scenario: from the mapping's ``[economics]`` table and
``calibrate(economics=...)``, kept through save and load and in posterior draws; without a
gross margin the fit says so, and so does ``compare`` (issue 11, item 7)."""

import pytest

import cjsim
from cjsim.calibration.economics import NO_MARGIN, FitEconomics, read_economics
from cjsim.errors import CalibrationError
from cjsim.interventions import Change, Intervention


@pytest.fixture(scope="module")
def log(small_log):
    return small_log.drop(columns="segment")


@pytest.fixture(scope="module")
def priced(log, small_mapping):
    """A fit with a margin and a discount rate in the mapping, a cost per customer given."""
    mapping = {**small_mapping, "economics": {"gross_margin": 0.45, "discount_rate": 0.08}}
    return cjsim.calibrate(log, mapping, economics={"cost_per_customer": 2})


def test_the_mapping_table_and_the_option_set_the_scenario_economics(priced):
    e = priced.scenario.economics
    assert (e.gross_margin, e.discount_rate, e.cost_per_customer) == (0.45, 0.08, 2.0)
    assert e.fixed_cost_per_day == 0.0
    assert NO_MARGIN not in priced.warnings
    assert priced.mapping.economics == FitEconomics(
        gross_margin=0.45, discount_rate=0.08, cost_per_customer=2.0
    )


def test_the_option_overrides_the_table_field_by_field(log, small_mapping):
    mapping = {**small_mapping, "economics": {"gross_margin": 0.45, "discount_rate": 0.08}}
    fit = cjsim.calibrate(log, mapping, economics={"gross_margin": 0.3})
    assert (fit.scenario.economics.gross_margin, fit.scenario.economics.discount_rate) == (
        0.3,
        0.08,
    )


def test_draws_and_a_saved_fit_keep_the_economics(priced, tmp_path):
    for scenario in priced.sample_scenarios(2, seed=1):
        assert scenario.economics == priced.scenario.economics
    priced.save(tmp_path / "fit.toml")
    back = cjsim.load_fit(tmp_path / "fit.toml")
    assert back.scenario.economics == priced.scenario.economics
    assert back.mapping.economics == priced.mapping.economics
    assert back.sample_scenarios(1, seed=1)[0].economics.gross_margin == 0.45


def test_without_a_margin_the_fit_warns(segment_fit):
    assert segment_fit.scenario.economics.gross_margin == 1.0
    assert NO_MARGIN in segment_fit.warnings
    assert "no gross margin given" in segment_fit.summary()


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ({"gross_margn": 0.4}, "gross_margn: unknown key — did you mean 'gross_margin'"),
        ({"gross_margin": 1.5}, "gross_margin: Input should be less than or equal to 1"),
        ({"discount_rate": -0.1}, "discount_rate: Input should be greater than or equal to 0"),
    ],
)
def test_bad_economics_are_refused_by_name(given, words):
    with pytest.raises(CalibrationError, match=f"economics: {words}"):
        read_economics(given)


def test_compare_notes_a_margin_of_100_percent(segment_fit, priced):
    more = Intervention("more", (Change("scale_order_value", {"node": "shop", "factor": 1.1}),))
    notes = {
        name: " ".join(cjsim.compare(fit.scenario, [more], engine="analytic").notes)
        for name, fit in (("default", segment_fit), ("priced", priced))
    }
    assert "gross margin is 100 %" in notes["default"]
    assert "gross margin is 100 %" not in notes["priced"]
