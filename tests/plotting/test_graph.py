"""The journey graph: expected edge flows against the analytic engine's KPIs, edge widths
proportional to them, touchpoints coloured by their removal effect."""

import numpy as np
import pytest

from cjsim.plotting import edge_flows, journey_graph
from cjsim.plotting.graph import MAX_EDGE_WIDTH, MIN_EDGE_WIDTH


def test_flows_out_of_each_touchpoint_add_up_to_its_visits(sc, exact):
    out = edge_flows(sc).groupby("source")["flow"].sum()
    for name in sc.touchpoints:
        assert out[name] == pytest.approx(exact[f"visits[{name}]"], rel=1e-9), name


def test_flows_into_the_outcomes_are_the_absorption_probabilities(sc, exact):
    flows = edge_flows(sc)
    for name in sc.outcomes:
        into = flows.loc[flows["target"] == name, "flow"].sum()
        assert into == pytest.approx(exact[f"absorption[{name}]"], rel=1e-9), name


def test_visits_times_the_base_row_would_miss_the_segments(sc, exact):
    # the wrong model: FashionFusion's segments have their own rows, so one shared row
    # mixed by visits does not reproduce the absorption the engine reports
    flows = edge_flows(sc)
    naive = flows["probability"] * flows["source"].map(lambda s: exact[f"visits[{s}]"])
    into_lost = naive[flows["target"] == "lost"].sum()
    assert abs(into_lost - exact["absorption[lost]"]) > 1e-5


def test_a_simulated_result_rescales_the_flows_to_its_visits(sc, des):
    out = edge_flows(sc, des).groupby("source")["flow"].sum()
    for name in sc.touchpoints:
        assert out[name] == pytest.approx(des[f"visits[{name}]"], rel=1e-9), name


def test_edges_are_as_wide_as_their_expected_flow(sc, exact, drawn):
    ax = drawn(journey_graph(sc, exact))
    flows = edge_flows(sc, exact)
    patches = {p.get_gid(): p for p in ax.patches if str(p.get_gid()).startswith("edge:")}
    assert len(patches) == len(flows)
    pairs = zip(flows["source"], flows["target"], strict=True)
    width = np.array([patches[f"edge:{s}->{t}"].get_linewidth() for s, t in pairs])
    order = np.argsort(flows["flow"].to_numpy(), kind="stable")
    assert np.all(np.diff(width[order]) >= 0)
    assert width[order[-1]] == pytest.approx(MAX_EDGE_WIDTH)
    expected = np.maximum(MAX_EDGE_WIDTH * flows["flow"] / flows["flow"].max(), MIN_EDGE_WIDTH)
    np.testing.assert_allclose(width, expected, rtol=1e-9)


def test_touchpoints_are_coloured_and_labelled_by_their_removal_effect(sc, exact, drawn):
    ax = drawn(journey_graph(sc, exact))
    nodes = next(c for c in ax.collections if c.get_gid() == "touchpoints")
    effects = exact.tables["removal_effects"].set_index("touchpoint")["removal_effect"]
    np.testing.assert_allclose(nodes.get_array(), effects[list(sc.touchpoints)])
    texts = {t.get_text() for t in ax.texts}
    assert f"search\n−{effects['search']:.0%}" in texts
    assert [t.get_text() for t in ax.get_xticklabels()] == [*sc.stages, "outcomes"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("stage", "touchpoints")


def test_without_a_result_the_graph_solves_the_scenario_itself(sc, drawn):
    ax = drawn(journey_graph(sc))
    widths = [p.get_linewidth() for p in ax.patches if str(p.get_gid()).startswith("edge:")]
    assert max(widths) == pytest.approx(MAX_EDGE_WIDTH)
    assert len(ax.figure.axes) == 2  # and the colour bar of the removal effects
    plain = drawn(journey_graph(sc, removal=False))
    assert len(plain.figure.axes) == 1


def test_the_graph_draws_into_a_given_axes(sc, exact):
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert journey_graph(sc, exact, ax=ax, removal=False) is ax


def test_a_tiny_journey_without_segments(tiny, drawn):
    flows = edge_flows(tiny).set_index(["source", "target"])["flow"]
    visits_ad = 1 / (1 - 0.1 * 0.5)  # geometric number of rounds through the ad
    assert flows[("ad", "checkout")] == pytest.approx(0.1 * visits_ad)
    assert flows[("checkout", "ad")] == pytest.approx(0.05 * visits_ad)
    drawn(journey_graph(tiny))


def _trial_app():
    """Notebook 05's journey: few touchpoints per stage, a self-loop, a queue."""
    from cjsim.model import Exponential, Fixed, Gamma, JourneyBuilder

    return (
        JourneyBuilder("Trial app", stages=["awareness", "trial", "paid"], horizon_days=180)
        .touchpoint("ad", "awareness", dwell=Exponential(1.0), cost_per_visit=0.5)
        .touchpoint("trial", "trial", dwell=Gamma(7.0, 0.3))
        .touchpoint(
            "onboarding_call",
            "trial",
            dwell=Fixed(0.0),
            capacity=2,
            service=Exponential(0.5),
            patience=Exponential(2.0),
            renege_to="lost",
        )
        .touchpoint("subscribe", "paid", purchase=True, order_value=Gamma(30.0, 0.2))
        .outcome("lost")
        .outcome("churned")
        .edges("ad", trial=0.2, rest="lost")
        .edges("trial", onboarding_call=0.3, subscribe=0.15, rest="lost")
        .edges("onboarding_call", subscribe=0.4, rest="lost")
        .edges("subscribe", subscribe=0.85, rest="churned")
        .poisson(40.0)
        .entry(ad=1.0)
        .build()
    )


def _labels_outside(ax):
    """Names of the nodes whose label is not inside the Axes once drawn."""
    from .conftest import inside

    ax.figure.canvas.draw()
    renderer = ax.figure.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    labels = {t.get_gid(): t for t in ax.texts if str(t.get_gid()).startswith("label:")}
    return [g for g, t in labels.items() if not inside(t.get_window_extent(renderer), box)]


@pytest.mark.parametrize("journey", ["fashionfusion", "trial app", "tiny"])
def test_every_node_has_its_label_inside_the_axes(journey, sc, tiny, drawn):
    scenario = {"fashionfusion": sc, "trial app": _trial_app(), "tiny": tiny}[journey]
    ax = drawn(journey_graph(scenario))
    gids = {t.get_gid() for t in ax.texts}
    assert gids == {f"label:{n}" for n in [*scenario.touchpoints, *scenario.outcomes]}
    assert _labels_outside(ax) == []


def test_without_growing_the_limits_the_bottom_labels_fall_out(monkeypatch):
    # the wrong model: labels placed below the nodes with the limits left to autoscale
    import cjsim.plotting.graph as graph

    monkeypatch.setattr(graph, "keep_inside", lambda ax, texts: None)
    ax = graph.journey_graph(_trial_app())
    assert _labels_outside(ax) != []


def test_the_graph_labels_read_as_words(sc, drawn):
    ax = drawn(journey_graph(sc))
    texts = {t.get_text().split("\n")[0] for t in ax.texts}
    assert {"social ad", "size guide", "support chat", "referral link"} <= texts
