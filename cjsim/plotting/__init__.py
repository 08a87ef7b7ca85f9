"""Matplotlib figures of cjsim results.

Every figure function takes an optional ``ax`` (a new figure is made without one),
returns the Axes, and gives it a title and axis labels.  Labels are words for people
(:mod:`cjsim.plotting.labels`, built on the KPI registry), titles wrap to fit their Axes,
and green and red mean better and worse where the registry says which way is better.
Importing this package does not import matplotlib; drawing does.

>>> import matplotlib
>>> matplotlib.use("Agg")
>>> import cjsim
>>> from cjsim import plotting
>>> sc = cjsim.load_scenario("scenarios/fashionfusion.toml")
>>> ax = plotting.journey_graph(sc)
>>> ax.get_xlabel(), ax.get_ylabel()
('stage', 'touchpoints')
>>> ax.figure.savefig("journey.png")  # doctest: +SKIP
>>> matplotlib.pyplot.close(ax.figure)
"""

from cjsim.plotting.abtest import power_curve
from cjsim.plotting.attribution import attribution
from cjsim.plotting.calibration import drift_tests, dwell_fit, holdout, transition_intervals
from cjsim.plotting.comparison import deltas, ranking
from cjsim.plotting.funnel import funnel, stage_changes, stage_reach
from cjsim.plotting.graph import edge_flows, journey_graph
from cjsim.plotting.optimize import optimum
from cjsim.plotting.sankey import flows, stage_flows
from cjsim.plotting.satisfaction import emotional_curve
from cjsim.plotting.sensitivity import tornado
from cjsim.plotting.series import timeseries
from cjsim.plotting.success import success

__all__ = [
    "attribution",
    "deltas",
    "drift_tests",
    "dwell_fit",
    "edge_flows",
    "emotional_curve",
    "flows",
    "funnel",
    "holdout",
    "journey_graph",
    "optimum",
    "power_curve",
    "ranking",
    "stage_changes",
    "stage_flows",
    "stage_reach",
    "success",
    "timeseries",
    "tornado",
    "transition_intervals",
]
