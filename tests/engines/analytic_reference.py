"""The analytic engine's former removal effects and elasticities: one refactorised chain
per touchpoint, and one complex-step evaluation per edge.

Kept as the reference the fast methods (adjoint sensitivities, low-rank updates) must
equal to 1e-10; slow, so only for small chains.
"""

import math

import numpy as np
import pandas as pd

from cjsim.engines._absorbing import evaluate
from cjsim.engines.analytic import ELASTICITY_KPIS, _scalar_kpis

STEP = 1e-20  # complex-step size: no cancellation, so tiny is exact


def _run(sc, a, base, **kw):
    return evaluate(a, base, sc.economics.gross_margin, sc.economics.cost_per_customer, **kw)


def removal_effects(sc, a, ev):
    """Each touchpoint's removal effect, by refactorising the chain without it."""
    conversions = float(np.real(ev["conversion"] * ev["multiplier"]))
    rows = []
    index = {name: i for i, name in enumerate(a.touchpoints)}
    for name, states in sc.originals().items():
        mask = np.zeros(a.n, dtype=bool)
        mask[[index[s] for s in states]] = True
        removed = _run(sc, a, a.base, removed=mask, stages=False)
        without = float(np.real(removed["conversion"] * removed["multiplier"]))
        effect = 1 - without / conversions if conversions > 0 else math.nan
        rows.append({"touchpoint": name, "conversions_without": without, "removal_effect": effect})
    table = pd.DataFrame(rows)
    total = table["removal_effect"].sum()
    table["attribution_share"] = table["removal_effect"] / total if total > 0 else math.nan
    return table


def elasticities(sc, a, ev):
    """Every edge's derivatives by complex step: one evaluation of the whole chain each."""
    base_kpis = _scalar_kpis(ev)
    rows = []
    nodes = (*a.touchpoints, *a.outcomes)
    for i, j in zip(*np.nonzero(a.base), strict=True):
        p = a.base[i, j]
        record = {"from": a.touchpoints[i], "to": nodes[j], "probability": p}
        if p >= 1:
            derivs = dict.fromkeys(ELASTICITY_KPIS, math.nan)
        else:
            direction = -a.base[i] / (1 - p)
            direction[j] = 1.0
            moved = a.base.astype(complex)
            moved[i] += 1j * STEP * direction
            kpis = _scalar_kpis(_run(sc, a, moved, stages=False))
            derivs = {k: float(np.imag(kpis[k])) / STEP for k in ELASTICITY_KPIS}
        for kpi, d in derivs.items():
            level = float(np.real(base_kpis[kpi]))
            rows.append(
                {
                    **record,
                    "kpi": kpi,
                    "derivative": d,
                    "elasticity": d * p / level if level else math.nan,
                }
            )
    return pd.DataFrame(rows)
