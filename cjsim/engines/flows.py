"""Expected flows along the journey's edges, from the analytic engine's algebra.

>>> import cjsim
>>> sc = cjsim.load_scenario("scenarios/saas_trial.toml")
>>> table = edge_flows(sc)
>>> list(table.columns)
['source', 'target', 'probability', 'flow']
>>> bool((table["flow"] >= 0).all())
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cjsim.engines._absorbing import _reach, edge_flow_matrix
from cjsim.engines._arrays import to_arrays
from cjsim.engines._linalg import one_blas_thread
from cjsim.engines._matrix import edges, is_sparse
from cjsim.engines.analytic import refuse_satisfaction
from cjsim.model import Scenario

__all__ = ["edge_flows", "touchpoint_reach"]


def edge_flows(scenario: Scenario) -> pd.DataFrame:
    """Expected transitions per customer along every edge of ``scenario``.

    The flow along ``i -> j`` is the expected visits to ``i`` times the probability of
    ``i -> j``, summed over segments with their own visits and rows and weighted by their
    shares, so the flows out of a touchpoint add up to its ``visits[i]`` KPI and the flows
    into an outcome to its ``absorption[o]`` KPI.  Customers are arriving and referred ones
    alike (the analytic engine's per-customer basis).

    Returns
    -------
    DataFrame
        ``source, target, probability, flow``, one row per edge with a probability
        above 0 (``probability`` is the scenario's edge, ``flow`` per customer).

    Raises
    ------
    SimulationError
        For a scenario with satisfaction, as the analytic engine
        (:func:`~cjsim.engines.analytic.refuse_satisfaction`).
    """
    refuse_satisfaction(scenario)
    with one_blas_thread():
        a = to_arrays(scenario)
        flow = edge_flow_matrix(a)
    nodes = (*a.touchpoints, *a.outcomes)
    sources, targets, probability = edges(a.base)
    return pd.DataFrame(
        {
            "source": [a.touchpoints[i] for i in sources],
            "target": [nodes[j] for j in targets],
            "probability": probability,
            "flow": np.asarray(flow[sources, targets]).ravel(),
        }
    )


def touchpoint_reach(scenario: Scenario, touchpoint: str) -> dict[str, float]:
    """Per segment, the probability that an arriving customer ever visits ``touchpoint``:
    the hitting probability of the absorbing chain from the entry mix.

    Raises
    ------
    SimulationError
        For a scenario with satisfaction, as the analytic engine.
    """
    refuse_satisfaction(scenario)
    with one_blas_thread():
        a = to_arrays(scenario)
        target = np.zeros(a.n)
        target[a.touchpoints.index(touchpoint)] = 1.0
        rest = np.flatnonzero(target == 0.0)
        out = {}
        for seg in a.segments:
            q = a.segment_rows(a.base, seg)[:, : a.n]
            hit = _reach(q, target, rest, is_sparse(q))
            out[seg.name] = float(np.clip(a.entry @ hit, 0.0, 1.0))
    return out
