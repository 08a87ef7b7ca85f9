"""A Sankey-style diagram of expected customers moving between stages."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from cjsim.plotting._common import axes, title
from cjsim.plotting.graph import edge_flows
from cjsim.plotting.labels import name_label

if TYPE_CHECKING:
    from cjsim.engines.result import Result
    from cjsim.model import Scenario

__all__ = ["flows", "stage_flows"]

NODE_WIDTH = 0.12  # of the distance between two columns


def stage_flows(scenario: Scenario, result: Result | None = None) -> pd.DataFrame:
    """Expected moves per customer from one stage to another stage or to an outcome:
    :func:`~cjsim.plotting.graph.edge_flows` summed over the edges between them (moves
    within a stage are left out).

    Returns
    -------
    DataFrame
        ``source, target, flow``; ``target`` is a stage or an outcome.
    """
    edges = edge_flows(scenario, result)
    stage = {name: tp.stage for name, tp in scenario.touchpoints.items()}
    total: dict[tuple[str, str], float] = {}
    for source, target, flow in _rows(edges):
        pair = (stage[source], stage.get(target, target))
        if pair[0] != pair[1]:
            total[pair] = total.get(pair, 0.0) + flow
    order = {name: i for i, name in enumerate((*scenario.stages, *scenario.outcomes))}
    pairs = sorted(total, key=lambda p: (order[p[0]], order[p[1]]))
    return pd.DataFrame(
        {
            "source": [p[0] for p in pairs],
            "target": [p[1] for p in pairs],
            "flow": [total[p] for p in pairs],
        }
    )


def _rows(table: pd.DataFrame) -> list[tuple[str, str, float]]:
    """``(source, target, flow)`` of each row."""
    return [
        (str(s), str(t), float(f))
        for s, t, f in zip(table["source"], table["target"], table["flow"], strict=True)
    ]


@dataclass
class _Node:
    """A box; each side fills onward bands from the top down and backward ones from the
    bottom up."""

    x: float
    bottom: float
    height: float
    used: dict[str, float] = field(default_factory=dict)

    def take(self, side: str, flow: float) -> float:
        """The top of the next band of ``flow`` on ``side``."""
        done = self.used.get(side, 0.0)
        self.used[side] = done + flow
        if side.startswith("back"):
            return self.bottom + done + flow
        return self.bottom + self.height - done


def _layout(scenario: Scenario, table: pd.DataFrame) -> dict[str, _Node]:
    """One box per stage (its own column) and per outcome (stacked in the last column),
    standing on 0 and as tall as the larger of its two sides."""
    column = {s: float(i) for i, s in enumerate(scenario.stages)}
    column |= dict.fromkeys(scenario.outcomes, float(len(scenario.stages)))
    left = dict.fromkeys(column, 0.0)
    right = dict.fromkeys(column, 0.0)
    for source, target, flow in _rows(table):
        forward = column[target] > column[source]
        (right if forward else left)[source] += flow
        (left if forward else right)[target] += flow
    height = {n: max(left[n], right[n]) for n in column}
    nodes = {s: _Node(column[s], 0.0, height[s]) for s in scenario.stages}
    gap = 0.05 * max(height.values(), default=1.0)
    y = 0.0
    for o in reversed(list(scenario.outcomes)):
        nodes[o] = _Node(column[o], y, height[o])
        y += height[o] + gap
    return nodes


def _band(x0: float, y0: float, x1: float, y1: float, flow: float) -> Any:
    """A ribbon of thickness ``flow`` from (x0, y0 top) to (x1, y1 top)."""
    from matplotlib.path import Path

    xm = (x0 + x1) / 2
    vertices = [
        (x0, y0), (xm, y0), (xm, y1), (x1, y1),
        (x1, y1 - flow), (xm, y1 - flow), (xm, y0 - flow), (x0, y0 - flow),
        (x0, y0),
    ]  # fmt: skip
    codes = [Path.MOVETO, *[Path.CURVE4] * 3, Path.LINETO, *[Path.CURVE4] * 3, Path.CLOSEPOLY]
    return Path(vertices, codes)


def _draw_bands(ax: Any, nodes: dict[str, _Node], table: pd.DataFrame) -> None:
    from matplotlib.patches import PathPatch

    w = NODE_WIDTH
    for source, target, flow in _rows(table):
        s, t = nodes[source], nodes[target]
        forward = t.x > s.x
        if forward:  # out of the source's right side, into the target's left
            x0, x1 = s.x + w / 2, t.x - w / 2
            y0, y1 = s.take("right", flow), t.take("left", flow)
        else:  # back to an earlier stage: out of the left side, into the right
            x0, x1 = s.x - w / 2, t.x + w / 2
            y0, y1 = s.take("back left", flow), t.take("back right", flow)
        patch = PathPatch(
            _band(x0, y0, x1, y1, flow),
            facecolor="steelblue" if forward else "darkorange",
            alpha=0.45,
            linewidth=0,
            gid=f"flow:{source}->{target}",
        )
        ax.add_patch(patch)


def flows(result: Result, scenario: Scenario, ax: Any = None) -> Any:
    """Sankey-style diagram: expected customers moving between stages and into the
    outcomes, each band as thick as the flow (:func:`stage_flows`, scaled to the
    result's ``customers`` when it has them); moves back to an earlier stage in orange.

    Parameters
    ----------
    result : Result
        Scales the flows: its ``visits[...]`` KPIs and, when present, ``customers``.
    scenario : Scenario
        The journey the result came from.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Each band is a ``PathPatch`` with gid ``flow:<source>-><target>``.
    """
    from matplotlib.patches import Patch, Rectangle

    table = stage_flows(scenario, result)
    customers = float(result.kpis.set_index("kpi")["mean"].get("customers", math.nan))
    scaled = math.isfinite(customers)
    if scaled:
        table["flow"] *= customers
    nodes = _layout(scenario, table)
    ax = axes(ax, figsize=(max(8.0, 1.7 * (len(scenario.stages) + 1)), 5.0))
    for name, node in nodes.items():
        ax.add_patch(
            Rectangle(
                (node.x - NODE_WIDTH / 2, node.bottom), NODE_WIDTH, node.height,
                facecolor="dimgrey", gid=f"node:{name}",
            )
        )  # fmt: skip
        top = (node.x, node.bottom + node.height)
        ax.annotate(name_label(name), top, ha="center", va="bottom", fontsize=8)
    _draw_bands(ax, nodes, table)
    ax.autoscale_view()
    stages = [name_label(s) for s in scenario.stages]
    ax.set_xticks(range(len(scenario.stages) + 1), [*stages, "outcomes"])
    ax.set_xlabel("stage")
    what = "expected customers" if scaled else "expected customers per arriving customer"
    ax.set_ylabel(what)
    ax.legend(
        handles=[
            Patch(color="steelblue", alpha=0.45, label="onward"),
            Patch(color="darkorange", alpha=0.45, label="back to an earlier stage"),
        ],
        loc="upper center",
        fontsize=8,
    )
    untilted = " (routing untilted by satisfaction)" if scenario.satisfaction else ""
    title(ax, f"{result.scenario}: {what} moving between stages{untilted}")
    return ax
