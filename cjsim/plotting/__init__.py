"""Matplotlib figures of cjsim results.  Each function takes an optional ``ax`` and
returns it.  (Issue 6 adds the journey graph, funnels, flows, deltas, rankings, time
series and tornado charts; the holdout plot of calibration comes first.)"""

from cjsim.plotting.calibration import holdout

__all__ = ["holdout"]
