"""What the engine tests compare simulations with: the exact engine and z-scores."""

import numpy as np

import cjsim


def exact(sc: cjsim.Scenario) -> cjsim.Result:
    """The analytic engine's KPIs (no removal effects or elasticities)."""
    return cjsim.solve_analytic(sc, removal=False, elasticity=False)


def z_scores(table, reference, kpis):
    """|simulated mean - reference| / standard error of the mean, per KPI."""
    out = {}
    for kpi in kpis:
        values = table[kpi].to_numpy(dtype=float)
        se = values.std(ddof=1) / np.sqrt(len(values))
        out[kpi] = abs(values.mean() - reference[kpi]) / max(se, 1e-15)
    return out
