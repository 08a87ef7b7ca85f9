"""Interventions: every operation, purity, combination and clear errors."""

import pytest

import cjsim
from cjsim.errors import InterventionError
from cjsim.interventions import Change, Costs, Intervention, apply, check_interventions, combine
from cjsim.model import CohortArrivals, Exponential, Gamma, Touchpoint
from tests.shops import calm_fashion_file

FASHION = calm_fashion_file()  # FashionFusion without satisfaction (tests/shops.py)


@pytest.fixture(scope="module")
def sc():
    return cjsim.load_scenario(FASHION)


def one(op, **params):
    return Intervention(op, (Change(op, params),))


def test_scale_transition_renormalises_the_row(sc):
    new = apply(sc, one("scale_transition", **{"from": "website", "to": "checkout", "factor": 2.0}))
    old_row, row = sc.transitions["website"], new.transitions["website"]
    assert row["checkout"] == pytest.approx(2 * old_row["checkout"])
    assert sum(row.values()) == pytest.approx(1.0)
    scale = (1 - row["checkout"]) / (1 - old_row["checkout"])
    assert row["lost"] == pytest.approx(old_row["lost"] * scale)
    assert sc.transitions["website"] == old_row, "the baseline is untouched"


def test_set_transition_and_set_transitions(sc):
    new = apply(
        sc, one("set_transition", **{"from": "website", "to": "checkout", "probability": 0.3})
    )
    assert new.transitions["website"]["checkout"] == pytest.approx(0.3)
    new = apply(
        sc, one("set_transitions", **{"from": "review", "row": {"website": 0.5, "rest": "churned"}})
    )
    assert dict(new.transitions["review"]) == {"website": 0.5, "churned": 0.5}


def test_dwell_service_capacity_order_value(sc):
    iv = Intervention(
        "many",
        (
            Change("scale_dwell", {"node": "dormant", "factor": 0.5}),
            Change("set_dwell", {"node": "website", "dwell": Exponential(0.1)}),
            Change("scale_service", {"node": "returns", "factor": 0.4}),
            Change("set_service", {"node": "support_chat", "service": Gamma(0.01, 0.5)}),
            Change("set_capacity", {"node": "returns", "servers": 8}),
            Change("scale_order_value", {"node": "checkout", "factor": 0.95}),
        ),
    )
    new = apply(sc, iv)
    assert new.touchpoints["dormant"].dwell.mean == pytest.approx(
        sc.touchpoints["dormant"].dwell.mean / 2
    )
    assert new.touchpoints["website"].dwell == Exponential(0.1)
    assert new.touchpoints["returns"].service.mean == pytest.approx(
        0.4 * sc.touchpoints["returns"].service.mean
    )
    assert new.touchpoints["returns"].capacity == 8
    assert new.touchpoints["checkout"].order_value.mean == pytest.approx(
        0.95 * sc.touchpoints["checkout"].order_value.mean
    )


def test_arrivals_and_entry(sc):
    new = apply(sc, one("scale_arrivals", factor=1.5))
    assert new.population.arrivals.rates[0][1] == pytest.approx(
        1.5 * sc.population.arrivals.rates[0][1]
    )
    cohort = sc.replace(population=type(sc.population)(CohortArrivals(1000), sc.population.entry))
    assert apply(cohort, one("scale_arrivals", factor=0.5)).population.arrivals.size == 500
    new = apply(sc, one("set_entry", entry={"search": 1.0}))
    assert dict(new.population.entry) == {"search": 1.0}


def test_add_touchpoint_with_its_edges(sc):
    email = Touchpoint("winback_email", "retention", dwell=Exponential(2.0), cost_per_visit=0.02)
    new = apply(
        sc,
        one(
            "add_touchpoint",
            touchpoint=email,
            transitions={"checkout": 0.1, "rest": "churned"},
            inbound={"dormant": 0.2},
        ),
    )
    assert new.transitions["dormant"]["winback_email"] == pytest.approx(0.2)
    assert sum(new.transitions["dormant"].values()) == pytest.approx(1.0)
    assert cjsim.solve_analytic(new, removal=False, elasticity=False)["visits[winback_email]"] > 0


@pytest.mark.parametrize(
    ("iv", "words"),
    [
        (
            one("scale_transition", **{"from": "webiste", "to": "checkout", "factor": 2}),
            ["changes[0] (scale_transition)", "unknown touchpoint 'webiste'", "did you mean"],
        ),
        (
            one("scale_transition", **{"from": "website", "to": "checkout", "factor": 20}),
            ["website->checkout would become", "> 1"],
        ),
        (one("set_capacity", node="checkout", servers=3), ["'checkout' has no capacity"]),
        (one("scale_order_value", node="website", factor=0.9), ["not a purchase"]),
        (Intervention("paid", (), Costs(per_visit={"nowhere": 1.0})), ["costs.per_visit.nowhere"]),
    ],
)
def test_bad_changes_name_the_intervention_and_the_change(sc, iv, words):
    with pytest.raises(InterventionError) as info:
        apply(sc, iv)
    text = str(info.value)
    assert text.startswith(f"interventions[{iv.name}]")
    for w in words:
        assert w in text


def test_combining_equals_applying_in_sequence(sc):
    a = Intervention(
        "a",
        (Change("scale_transition", {"from": "dormant", "to": "checkout", "factor": 1.2}),),
        Costs(fixed=10),
    )
    b = Intervention(
        "b",
        (
            Change("set_capacity", {"node": "returns", "servers": 9}),
            Change("scale_transition", {"from": "dormant", "to": "checkout", "factor": 1.1}),
        ),
        Costs(per_day=2),
    )
    both = combine("a+b", [a, b])
    assert apply(sc, both) == apply(apply(sc, a), b)
    assert both.costs == Costs(fixed=10, per_day=2)
    assert both.parts == ("a", "b")


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            Change("set_capacity", {"node": "returns", "servers": 6}),
            Change("set_capacity", {"node": "returns", "servers": 8}),
        ),
        (
            Change("set_dwell", {"node": "website", "dwell": Exponential(1.0)}),
            Change("scale_dwell", {"node": "website", "factor": 0.5}),
        ),
        (
            Change("set_transitions", {"from": "review", "row": {"rest": "churned"}}),
            Change("scale_transition", {"from": "review", "to": "churned", "factor": 1.1}),
        ),
        (
            Change("set_transition", {"from": "website", "to": "checkout", "probability": 0.2}),
            Change("scale_transition", {"from": "website", "to": "size_guide", "factor": 2.0}),
        ),
        (
            Change(
                "add_touchpoint",
                {
                    "touchpoint": Touchpoint("mail", "retention"),
                    "transitions": {"rest": "churned"},
                    "inbound": {"website": 0.1},
                },
            ),
            Change("set_transitions", {"from": "website", "row": {"rest": "lost"}}),
        ),
    ],
)
def test_conflicting_changes_are_a_clear_error(first, second):
    with pytest.raises(InterventionError, match="both change"):
        combine("clash", [Intervention("x", (first,)), Intervention("y", (second,))])


def test_compatible_changes_combine(sc):
    x = Intervention(
        "x", (Change("scale_transition", {"from": "website", "to": "checkout", "factor": 1.1}),)
    )
    y = Intervention(
        "y", (Change("scale_transition", {"from": "website", "to": "size_guide", "factor": 1.1}),)
    )
    apply(sc, combine("xy", [x, y]))


LOYALTY = Change("scale_transition", {"from": "dormant", "to": "checkout", "factor": 1.6})
NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"costs": Costs(fixed=-1e6)}, ["[x].costs.fixed: is negative (-1,000,000)", "saving"]),
        ({"costs": Costs(per_day=NAN)}, ["[x].costs.per_day: is NaN", "finite amount"]),
        ({"costs": Costs(per_customer=INF)}, ["[x].costs.per_customer: is infinite"]),
        ({"costs": Costs(per_purchase=-INF)}, ["[x].costs.per_purchase: is minus infinite"]),
        ({"costs": Costs(per_visit={"website": -0.5})}, ["[x].costs.per_visit.website: is neg"]),
        ({"name": "baseline"}, ["[baseline].name: 'baseline' is reserved", "rename"]),
        ({"name": "Baseline "}, ["'Baseline ' is reserved"]),
        ({"name": ""}, ["[].name: expected a non-empty name"]),
        (
            {"changes": ({"op": "scale_dwell", "node": "website", "factor": 0.8},)},
            [
                "[x].changes[0]: expected a Change, got dict",
                "write Change('scale_dwell', {'node': 'website', 'factor': 0.8})",
            ],
        ),
        ({"changes": LOYALTY}, []),  # one change, not in a tuple, is fine
        ({"costs": {"fixed": 10.0}}, ["[x].costs: expected Costs, got dict", "Costs(**{'fixed'"]),
        ({"parts": ("a", "a")}, ["[x].parts: 'a' is listed twice", "count twice"]),
        ({"parts": ("x", "a")}, ["[x].parts: 'x' combines itself"]),
    ],
)
def test_interventions_are_checked_when_built(fields, words):
    if not words:
        assert Intervention(**{"name": "x", **fields}).changes == (LOYALTY,)
        return
    with pytest.raises(InterventionError) as info:
        Intervention(**{"name": "x", **fields})
    text = str(info.value)
    assert text.startswith("interventions[") and len(text.splitlines()) == 1, text
    for w in words:
        assert w in text, text


def test_every_problem_of_an_intervention_is_reported_at_once():
    with pytest.raises(ValueError, match="is reserved") as info:  # an InterventionError
        Intervention("baseline", ({"op": "x"},), Costs(fixed=-1.0, per_visit={"a": NAN}))
    lines = str(info.value).splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "interventions[baseline].name",
        "interventions[baseline].changes[0]",
        "interventions[baseline].costs.fixed",
        "interventions[baseline].costs.per_visit.a",
    ]


def test_combine_applies_each_intervention_once():
    a, b = Intervention("a", (LOYALTY,)), Intervention("b", costs=Costs(per_day=1.0))
    c = Intervention("c", costs=Costs(fixed=5.0))
    for name, parts, words in [
        ("aa", [a, a], "interventions[aa].parts: 'a' is listed twice"),
        ("aba", [combine("ab", [a, b]), a], "interventions[aba].parts: 'a' is listed twice"),
        ("a", [a, b], "interventions[a].parts: 'a' combines itself"),
        ("ab", [a, "b"], "expected Interventions, got str 'b' — pass the Intervention objects"),
    ]:
        with pytest.raises(InterventionError) as info:
            combine(name, parts)
        assert words in str(info.value)
    nested = combine("abc", [combine("ab", [a, b]), c])
    assert nested.parts == ("a", "b", "c") and nested.costs == Costs(fixed=5.0, per_day=1.0)
    assert combine("a", [a]).parts == ("a",), "a portfolio of one keeps its part's name"


def test_check_interventions_lists_every_problem_against_the_scenario(sc):
    bad = Intervention("bad", (Change("scale_dwell", {"node": "webiste", "factor": 0.5}),))
    a = Intervention("a", (LOYALTY,))
    with pytest.raises(InterventionError) as info:
        check_interventions(sc, [a, bad, Intervention("a"), combine("bad_a", [bad, a])], source="f")
    lines = str(info.value).splitlines()
    assert len(lines) == 2, "the combination of a failed part is not reported again"
    assert lines[0].startswith("f: interventions[bad].changes[0] (scale_dwell)")
    assert lines[1] == (
        "f: interventions[a]: two variants are named 'a' — give every intervention its own name"
    )


def test_compare_refuses_two_variants_of_one_name(sc):
    twins = [Intervention("a", (LOYALTY,)), Intervention("a", costs=Costs(fixed=1.0))]
    with pytest.raises(InterventionError, match="two variants are named 'a'"):
        cjsim.compare(sc, twins, engine="analytic")
