"""Segment replacement distributions in the model: the fields, the builder and the
validation problems (each names its path, what is wrong and a hint)."""

import pytest

from cjsim.errors import ModelError
from cjsim.model import Exponential, Fixed, Gamma, JourneyBuilder, LogNormal, Segment


def builder(**segment: object) -> JourneyBuilder:
    return (
        JourneyBuilder("seg", stages=["aware", "buy"], horizon_days=100)
        .touchpoint("site", "aware", dwell=Gamma(2.0, 0.5))
        .touchpoint("checkout", "buy", purchase=True, order_value=Gamma(50.0, 0.4))
        .outcome("lost")
        .edges("site", checkout=0.3, rest="lost")
        .edges("checkout", rest="lost")
        .cohort(10)
        .entry(site=1.0)
        .segment("own", 0.5, **segment)  # type: ignore[arg-type]
        .segment("plain", 0.5)
    )


def problems(**segment: object) -> list:
    with pytest.raises(ModelError) as err:
        builder(**segment).build()
    return err.value.problems


def test_the_builder_passes_replacements_to_the_segment():
    own = LogNormal(3.0, 1.5)
    sc = builder(dwell={"site": own}, order_value={"checkout": Gamma(90.0, 0.2)}).build()
    seg = sc.population.segments[0]
    assert seg.dwell == {"site": own}
    assert seg.dwell_at(sc.touchpoints["site"]) is own
    assert seg.dwell_at(sc.touchpoints["checkout"]) == sc.touchpoints["checkout"].dwell
    assert seg.order_value_at(sc.touchpoints["checkout"]) == Gamma(90.0, 0.2)
    assert sc.population.segments[1].order_value_at(sc.touchpoints["site"]) is None


def test_segments_are_frozen_and_hashable_with_replacements():
    a = Segment("a", 1.0, dwell={"site": Exponential(1.0)})
    b = Segment("a", 1.0, dwell={"site": Exponential(1.0)})
    assert a == b and hash(a) == hash(b)
    assert a != Segment("a", 1.0, dwell={"site": Exponential(2.0)})
    with pytest.raises(TypeError):
        a.dwell["site"] = Fixed(0.0)  # type: ignore[index]


def test_unknown_touchpoint_is_named_with_a_suggestion():
    (p,) = problems(dwell={"stie": Exponential(1.0)})
    assert p.path == "population.segments[0].dwell.stie"
    assert "unknown touchpoint" in p.message and "site" in p.hint


def test_an_outcome_has_no_dwell_to_replace():
    (p,) = problems(order_value={"lost": Exponential(1.0)})
    assert p.path == "population.segments[0].order_value.lost"
    assert "outcome" in p.message


def test_an_order_value_needs_a_purchase_touchpoint():
    (p,) = problems(order_value={"site": Gamma(10.0, 0.5)})
    assert p.path == "population.segments[0].order_value.site"
    assert "not a purchase touchpoint" in p.message and "purchase = true" in p.hint


def test_a_multiplier_and_a_replacement_for_one_touchpoint_are_refused():
    (p,) = problems(dwell_multipliers={"site": 2.0}, dwell={"site": Exponential(1.0)})
    assert p.path == "population.segments[0].dwell.site"
    assert "both" in p.message and "scaled" in p.hint


def test_a_replacement_must_be_a_distribution():
    (p,) = problems(dwell={"site": 3.0})
    assert p.path == "population.segments[0].dwell.site"
    assert "expected a distribution" in p.message


def test_a_multiplier_elsewhere_is_fine():
    sc = builder(dwell_multipliers={"checkout": 2.0}, dwell={"site": Exponential(1.0)}).build()
    assert sc.population.segments[0].dwell_multipliers == {"checkout": 2.0}
