"""Titles fit their Axes: side by side, as notebooks 01 and 04 draw them, they neither
run into each other nor out of the figure (measured after a draw with the Agg renderer)."""

import matplotlib.pyplot as plt

from cjsim.plotting import dwell_fit, timeseries
from cjsim.plotting._common import SHORTEST_LINE, title

from .conftest import title_problems


def _pair():
    return plt.subplots(1, 2, figsize=(12, 4), layout="constrained")


def test_notebook_01_time_series_side_by_side(des):
    fig, (left, right) = _pair()
    timeseries(des, kind="stages", ax=left)
    timeseries(des, kind="profit", ax=right)
    assert title_problems(fig) == []


def test_notebook_04_dwell_fits_side_by_side(fit, event_log):
    fig, (left, right) = _pair()
    dwell_fit(fit, "browse", events=event_log, ax=left)
    dwell_fit(fit, "cart", events=event_log, ax=right)
    assert title_problems(fig) == []
    assert all("\n" in ax.get_title() for ax in (left, right))  # wrapped, not cut


def test_the_check_sees_titles_that_collide():
    fig, (left, right) = _pair()
    long = "FashionFusion: customers per stage (DES engine, mean of 10 replications) " * 2
    left.set_title(long)
    right.set_title(long)
    assert any("overlaps" in p for p in title_problems(fig))


def test_a_title_is_wrapped_only_when_too_wide():
    _, (left, right) = _pair()
    title(left, "short")
    assert left.get_title() == "short"
    text = "a title of many words " * 6
    title(right, text)
    lines = right.get_title().split("\n")
    assert len(lines) > 1 and " ".join(lines) == text.strip()
    assert all(len(line) >= SHORTEST_LINE or line is lines[-1] for line in lines)
