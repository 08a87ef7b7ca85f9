"""The ``plot_*`` methods draw the same figures as the functions; importing cjsim (its
engines and calibration included) does not import matplotlib."""

import subprocess
import sys

from matplotlib.container import BarContainer

import cjsim.plotting as plotting


def test_result_shortcuts(sc, exact, des):
    assert exact.plot_graph(sc).get_title() == plotting.journey_graph(sc, exact).get_title()
    assert (
        des.plot_timeseries("profit").get_title() == plotting.timeseries(des, "profit").get_title()
    )
    ax = exact.plot_funnel()
    assert [c.get_label() for c in ax.containers if isinstance(c, BarContainer)] == [sc.name]


def test_comparison_shortcuts(comparison):
    ax = comparison.plot_deltas(["profit"])
    assert ax.get_title() == plotting.deltas(comparison, ["profit"]).get_title()
    assert (
        comparison.plot_ranking("roi").get_xlabel()
        == plotting.ranking(comparison, "roi").get_xlabel()
    )
    assert comparison.plot_funnel().get_title() == plotting.funnel(comparison).get_title()


def test_fit_shortcuts(fit, event_log):
    assert fit.plot_transitions().get_title() == plotting.transition_intervals(fit).get_title()
    ax = fit.plot_dwell("cart", event_log)
    assert ax.get_title() == plotting.dwell_fit(fit, "cart", event_log).get_title()


def test_importing_cjsim_does_not_import_matplotlib():
    code = (
        "import sys, cjsim, cjsim.engines, cjsim.calibration, cjsim.plotting; "
        "sys.exit('matplotlib' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
