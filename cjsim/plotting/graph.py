"""The journey as a graph: touchpoints in columns by stage, edges as wide as the expected
flow along them, touchpoints coloured by their removal effect."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cjsim.engines.flows import edge_flows as engine_edge_flows
from cjsim.plotting._common import axes, renderer, title
from cjsim.plotting.labels import name_label, plain

if TYPE_CHECKING:
    from cjsim.engines.result import Result
    from cjsim.model import Scenario

__all__ = [
    "MAX_EDGE_WIDTH",
    "MIN_EDGE_WIDTH",
    "edge_flows",
    "edge_widths",
    "journey_graph",
    "keep_inside",
]

MAX_EDGE_WIDTH = 10.0  # points, the edge with the largest expected flow
MIN_EDGE_WIDTH = 0.4  # points, so that rare edges stay visible
NODE_SIZE = 900  # points², a node's marker: about 15 points in radius
LABEL_OFFSET = 17  # points from a node's centre down to the top of its label
PAD = 6  # pixels kept free between a label and the edge of the Axes


def edge_flows(scenario: Scenario, result: Result | None = None) -> pd.DataFrame:
    """Expected transitions per customer along every edge
    (:func:`cjsim.engines.flows.edge_flows`), optionally rescaled to a result's visits.

    Parameters
    ----------
    scenario : Scenario
    result : Result, optional
        A result with ``visits[<touchpoint>]`` KPIs (e.g. a DES run over the horizon):
        each touchpoint's flows are rescaled to its visits there, the routing shares
        staying the analytic ones. For a scenario with satisfaction these are the
        untilted shares (the analytic engine refuses satisfaction), and the table's
        ``attrs["untilted"]`` is True.

    Returns
    -------
    DataFrame
        ``source, target, probability, flow`` (``probability`` is the scenario's edge).
        In a journey with memory the states' edges are added up per original touchpoint
        (``probability``: the share of the original's outflow).
    """
    # the analytic algebra refuses satisfaction: the untilted chain, marked in attrs
    table = _by_original(scenario, engine_edge_flows(scenario.without_satisfaction()))
    table.attrs["untilted"] = scenario.satisfaction is not None
    if result is None:
        return table
    observed = result.per_node("visits")
    exact = table.groupby("source", sort=False)["flow"].sum()
    scale = {
        name: observed[name] / exact[name]
        for name in exact.index
        if name in observed.index and exact[name] > 0
    }
    factor = table["source"].map(scale).fillna(1.0).to_numpy(dtype=float)
    return table.assign(flow=table["flow"].to_numpy(dtype=float) * factor)


def _by_original(scenario: Scenario, table: pd.DataFrame) -> pd.DataFrame:
    """The edges of a journey with memory added up between original touchpoints."""
    original = {name: tp.original for name, tp in scenario.touchpoints.items()}
    if all(k == v for k, v in original.items()):
        return table
    moved = table.assign(
        source=table["source"].map(original), target=table["target"].replace(original)
    )
    out = moved.groupby(["source", "target"], sort=False, as_index=False)["flow"].sum()
    total = out.groupby("source")["flow"].transform("sum")
    return out.assign(probability=out["flow"] / total)[["source", "target", "probability", "flow"]]


def _stages(scenario: Scenario) -> dict[str, str]:
    """Each original touchpoint's stage (its first state's)."""
    return {
        name: scenario.touchpoints[states[0]].stage for name, states in scenario.originals().items()
    }


def edge_widths(flow: np.ndarray | pd.Series) -> np.ndarray:
    """Line widths (points) proportional to ``flow``: the largest gets
    :data:`MAX_EDGE_WIDTH`, none less than :data:`MIN_EDGE_WIDTH`."""
    values = np.asarray(flow, dtype=float)
    top = np.nanmax(values) if len(values) else 0.0
    if not top > 0:
        return np.full(len(values), MIN_EDGE_WIDTH)
    return np.maximum(MAX_EDGE_WIDTH * np.nan_to_num(values) / top, MIN_EDGE_WIDTH)


def _positions(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Column = stage (outcomes last), touchpoints spread top to bottom in each."""
    columns: list[list[str]] = [[] for _ in range(len(scenario.stages) + 1)]
    for name, stage in _stages(scenario).items():
        columns[scenario.stages.index(stage)].append(name)
    columns[-1].extend(scenario.outcomes)
    pos = {}
    for x, names in enumerate(columns):
        for k, name in enumerate(names):
            pos[name] = (float(x), (len(names) - 1) / 2 - k)
    return pos


def _removal_effects(scenario: Scenario, result: Result | None) -> dict[str, float]:
    table = result.tables.get("removal_effects") if result is not None else None
    if table is None:
        from cjsim.engines.analytic import solve

        # the analytic engine refuses satisfaction: the untilted chain, said in the title
        calm = scenario.without_satisfaction()
        table = solve(calm, removal=True, elasticity=False).tables["removal_effects"]
    return dict(zip(table["touchpoint"], table["removal_effect"].astype(float), strict=True))


def _label(name: str, effect: float | None) -> str:
    words = name_label(name)
    if effect is None or not math.isfinite(effect):
        return words
    return f"{words}\n−{effect:.0%}" if effect >= 0.01 else f"{words}\n−{100 * effect:.1g}%"


def _draw_labels(ax: Any, labels: dict[str, str], pos: dict[str, tuple[float, float]]) -> list:
    """Each node's label just below it, a fixed distance in points whatever the scale."""
    return [
        ax.annotate(
            labels[name],
            pos[name],
            xytext=(0, -LABEL_OFFSET),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=7,
            gid=f"label:{name}",
        )
        for name in labels
    ]


def _grown(limits: tuple[float, float], pixels: float, before: float, after: float) -> tuple:
    """``limits`` spanning ``pixels``, widened by ``before`` and ``after`` pixels' worth
    of data."""
    low, high = limits
    per_pixel = (high - low) / pixels
    return low - before * per_pixel, high + after * per_pixel


def keep_inside(ax: Any, texts: list) -> None:
    """Widen the data limits of ``ax`` until every text of ``texts`` lies inside the Axes
    (texts placed at a distance in points do not move with the limits).  The figure is
    laid out first, so a constrained layout's final size is the one measured."""
    measure = renderer(ax.figure)
    if measure is None or not texts:
        return
    for _ in range(4):
        ax.figure.draw_without_rendering()
        box = ax.get_window_extent(measure)
        spans = [t.get_window_extent(measure) for t in texts]
        left = max(0.0, box.x0 + PAD - min(e.x0 for e in spans))
        right = max(0.0, max(e.x1 for e in spans) - box.x1 + PAD)
        below = max(0.0, box.y0 + PAD - min(e.y0 for e in spans))
        above = max(0.0, max(e.y1 for e in spans) - box.y1 + PAD)
        if left + right + below + above == 0:
            return
        ax.set_xlim(*_grown(ax.get_xlim(), box.width, left, right))
        ax.set_ylim(*_grown(ax.get_ylim(), box.height, below, above))


def journey_graph(
    scenario: Scenario, result: Result | None = None, ax: Any = None, removal: bool = True
) -> Any:
    """Draw the journey: touchpoints in columns by stage (outcomes last), each edge as
    wide as its expected flow per customer (:func:`edge_flows`), each touchpoint coloured
    and labelled by its removal effect: the share of conversions lost without it.  A
    journey with memory is drawn by original touchpoint, its states added up.

    Parameters
    ----------
    scenario : Scenario
    result : Result, optional
        Its ``visits[...]`` KPIs scale the flows and its ``removal_effects`` table colours
        the nodes; without it (or without that table) the analytic engine is solved (for a
        scenario with satisfaction, which it refuses, the untilted chain, as the title says).
    ax : matplotlib Axes, optional
    removal : bool
        Colour and label the touchpoints by their removal effect.

    Returns
    -------
    matplotlib Axes
        Edges carry the gid ``edge:<source>-><target>``; the touchpoint nodes' collection
        the gid ``touchpoints`` (its array: the removal effects, in scenario order).
    """
    import matplotlib as mpl
    import networkx as nx

    flows = edge_flows(scenario, result)
    effects = _removal_effects(scenario, result) if removal else {}
    pos = _positions(scenario)
    ax = axes(ax, figsize=(max(8.0, 1.9 * (len(scenario.stages) + 1)), 6.0))
    graph = nx.DiGraph()
    graph.add_nodes_from(pos)
    edgelist = list(zip(flows["source"], flows["target"], strict=True))
    graph.add_edges_from(edgelist)
    tps, outs = list(_stages(scenario)), list(scenario.outcomes)
    colour: dict[str, Any] = {"node_color": "lightsteelblue"}
    if removal:
        colour = {
            "node_color": [effects.get(t, math.nan) for t in tps],
            "cmap": mpl.colormaps["Reds"].with_extremes(bad="lightgrey"),
            "vmin": 0.0,
            "vmax": 1.0,
        }
    nodes = nx.draw_networkx_nodes(
        graph, pos, nodelist=tps, node_size=NODE_SIZE, edgecolors="black", linewidths=0.5,
        ax=ax, **colour,
    )  # fmt: skip
    nodes.set_gid("touchpoints")
    ends = nx.draw_networkx_nodes(
        graph, pos, nodelist=outs, node_color="whitesmoke", node_shape="s", node_size=NODE_SIZE,
        edgecolors="black", linewidths=0.5, ax=ax,
    )  # fmt: skip
    ends.set_gid("outcomes")
    edges = nx.draw_networkx_edges(
        graph, pos, edgelist=edgelist, width=list(edge_widths(flows["flow"])),
        edge_color="steelblue", alpha=0.55, arrows=True, arrowstyle="-|>",
        connectionstyle="arc3,rad=0.12", node_size=NODE_SIZE, ax=ax,
    )  # fmt: skip
    for patch, (u, v) in zip(edges, edgelist, strict=True):
        patch.set_gid(f"edge:{u}->{v}")
    labels = {t: _label(t, effects.get(t)) for t in tps} | {o: name_label(o) for o in outs}
    texts = _draw_labels(ax, labels, pos)
    if removal:
        ax.figure.colorbar(nodes, ax=ax, label="share of conversions lost if removed")
    stages = [name_label(s) for s in scenario.stages]
    ax.set_xticks(range(len(scenario.stages) + 1), [*stages, "outcomes"])
    ax.tick_params(axis="x", bottom=True, labelbottom=True)
    ax.set_yticks([])
    ax.set_xlabel("stage")
    ax.set_ylabel("touchpoints")
    untilted = " (choices untilted by satisfaction)" if scenario.satisfaction else ""
    title(
        ax,
        f"{plain(scenario.name)}: journey by stage, edge width ∝ expected flow per customer"
        + untilted,
    )
    keep_inside(ax, texts)
    return ax
