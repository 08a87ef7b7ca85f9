"""Expected flows along the journey's edges, from the analytic engine's algebra.

>>> import cjsim
>>> sc = cjsim.load_scenario("scenarios/fashionfusion.toml")
>>> table = edge_flows(sc)
>>> list(table.columns)
['source', 'target', 'probability', 'flow']
>>> bool((table["flow"] >= 0).all())
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cjsim.engines._absorbing import edge_flow_matrix
from cjsim.engines._arrays import to_arrays
from cjsim.engines._linalg import one_blas_thread
from cjsim.engines._matrix import edges
from cjsim.engines.analytic import refuse_satisfaction
from cjsim.model import Scenario

__all__ = ["edge_flows"]


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
