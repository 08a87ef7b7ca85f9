"""The stage flow diagram: bands as thick as the expected customers moving between
stages, which are the edge flows summed, which end in the engine's absorption."""

import pytest

from cjsim.plotting import edge_flows, flows, stage_flows


def test_stage_flows_are_the_edge_flows_summed_between_stages(sc):
    stage = {name: tp.stage for name, tp in sc.touchpoints.items()}
    edges = edge_flows(sc)
    table = stage_flows(sc)
    for r in table.itertuples():
        between = edges["source"].map(stage).eq(r.source) & edges["target"].map(
            lambda t: stage.get(t, t)
        ).eq(r.target)
        assert r.flow == pytest.approx(edges.loc[between, "flow"].sum(), rel=1e-12)
    assert not (table["source"] == table["target"]).any()  # moves within a stage left out


def test_flows_into_the_outcomes_match_the_engine(sc, exact):
    table = stage_flows(sc)
    for name in sc.outcomes:
        into = table.loc[table["target"] == name, "flow"].sum()
        assert into == pytest.approx(exact[f"absorption[{name}]"], rel=1e-9)


def _thickness(patch):
    v = patch.get_path().vertices
    return v[0, 1] - v[7, 1], v[3, 1] - v[4, 1]  # at the source, at the target


def test_bands_are_as_thick_as_the_expected_customers(sc, exact, drawn):
    ax = drawn(flows(exact, sc))
    table = stage_flows(sc, exact)
    bands = {p.get_gid(): p for p in ax.patches if str(p.get_gid()).startswith("flow:")}
    assert len(bands) == len(table)
    for r in table.itertuples():
        customers = r.flow * exact["customers"]
        at_source, at_target = _thickness(bands[f"flow:{r.source}->{r.target}"])
        assert at_source == pytest.approx(customers, rel=1e-9)
        assert at_target == pytest.approx(customers, rel=1e-9)
    assert ax.get_ylabel() == "expected customers"
    assert [t.get_text() for t in ax.get_xticklabels()] == [*sc.stages, "outcomes"]


def test_each_box_is_as_tall_as_its_fuller_side(sc, exact):
    ax = flows(exact, sc)
    boxes = {
        p.get_gid()[len("node:") :]: p for p in ax.patches if str(p.get_gid()).startswith("node:")
    }
    column = {s: i for i, s in enumerate(sc.stages)} | dict.fromkeys(sc.outcomes, len(sc.stages))
    left = dict.fromkeys(column, 0.0)
    right = dict.fromkeys(column, 0.0)
    for r in stage_flows(sc, exact).itertuples():
        onward = column[r.target] > column[r.source]  # onward: out on the right, in on the left
        (right if onward else left)[r.source] += r.flow * exact["customers"]
        (left if onward else right)[r.target] += r.flow * exact["customers"]
    for name in column:
        expected = max(left[name], right[name])
        assert boxes[name].get_height() == pytest.approx(expected, rel=1e-12), name
