"""Shared inputs of the plotting tests: FashionFusion solved exactly, compared with its
investments by the analytic engine, and a short DES run; the Agg backend; every figure
closed after each test."""

import re
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer, ErrorbarContainer

import cjsim
from cjsim.model import Exponential, Fixed, Gamma
from tests.shops import calm_fashion

SCENARIO = "scenarios/fashionfusion.toml"
INVESTMENTS = "scenarios/fashionfusion_investments.toml"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def sc():
    """FashionFusion without satisfaction: the analytic engine answers it."""
    return calm_fashion()


@pytest.fixture(scope="session")
def tiny():
    """Two touchpoints, a loop between them, no segments."""
    return (
        cjsim.JourneyBuilder("Tiny shop", stages=["awareness", "purchase"], horizon_days=90)
        .touchpoint("ad", "awareness", dwell=Exponential(1.0), cost_per_visit=0.5)
        .touchpoint("checkout", "purchase", purchase=True, order_value=Fixed(50.0))
        .outcome("lost")
        .edges("ad", checkout=0.1, rest="lost")
        .edges("checkout", ad=0.5, rest="lost")
        .poisson(100.0)
        .entry(ad=1.0)
        .build()
    )


@pytest.fixture(scope="session")
def investments():
    return cjsim.load_interventions(INVESTMENTS)


@pytest.fixture(scope="session")
def exact(sc):
    return cjsim.solve_analytic(sc, elasticity=False)


@pytest.fixture(scope="session")
def comparison(sc, investments):
    return cjsim.compare(sc, investments, engine="analytic")


@pytest.fixture(scope="session")
def exact_variants(sc, investments):
    """Each investment applied and solved by the analytic engine on its own."""
    return {
        iv.name: cjsim.solve_analytic(cjsim.apply(sc, iv), removal=False, elasticity=False)
        for iv in investments
    }


@pytest.fixture(scope="session")
def des(sc):
    return cjsim.simulate(sc, engine="des", replications=2, seed=1, horizon_days=60)


SNAKE = re.compile(r"[A-Za-z0-9]_[A-Za-z0-9]")  # two words joined by an underscore


def words_on(figure):
    """Every text a reader sees on a figure once drawn: titles, axis labels, tick
    labels, legends and annotations of all its Axes (colour bars included)."""
    figure.canvas.draw()
    out = []
    for ax in figure.axes:
        out += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        out += ax.get_xticklabels() + ax.get_yticklabels()
        if ax.get_legend() is not None:
            out += ax.get_legend().get_texts()
    return [t for t in out if t.get_visible() and t.get_text().strip()]


def overlaps(a, b) -> bool:
    """Whether two window extents (Bbox) share any area."""
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def inside(inner, outer, slack: float = 1.0) -> bool:
    """Whether Bbox ``inner`` lies within ``outer`` (to ``slack`` pixels)."""
    return (
        inner.x0 >= outer.x0 - slack
        and inner.x1 <= outer.x1 + slack
        and inner.y0 >= outer.y0 - slack
        and inner.y1 <= outer.y1 + slack
    )


def title_problems(figure) -> list[str]:
    """Titles that run into each other or out of the figure, after a draw."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    boxes = [(ax.get_title(), ax.title.get_window_extent(renderer)) for ax in figure.axes]
    boxes = [(t, b) for t, b in boxes if t]
    page = figure.bbox
    bad = [f"{t!r} leaves the figure" for t, b in boxes if not inside(b, page)]
    for i, (t, b) in enumerate(boxes):
        bad += [f"{t!r} overlaps {u!r}" for u, c in boxes[i + 1 :] if overlaps(b, c)]
    return bad


@pytest.fixture
def drawn(tmp_path: Path):
    """Check a figure: it saves as PNG, has a title and both axis labels, no word joined
    by underscores (labels are for people), and titles inside the figure, apart."""

    def check(ax):
        target = tmp_path / "figure.png"
        ax.figure.savefig(target)
        assert target.stat().st_size > 0
        assert ax.get_title().strip()
        assert ax.get_xlabel().strip()
        assert ax.get_ylabel().strip()
        snake = [t.get_text() for t in words_on(ax.figure) if SNAKE.search(t.get_text())]
        assert snake == []
        assert title_problems(ax.figure) == []
        return ax

    return check


@pytest.fixture
def errorbars():
    """(label, centres, lows, highs) of every horizontal errorbar container of an Axes."""

    def read(ax):
        out = []
        for c in ax.containers:
            if isinstance(c, ErrorbarContainer):
                data, _, bars = c.lines
                seg = np.array(bars[0].get_segments())
                out.append(
                    (c.get_label(), np.asarray(data.get_xdata()), seg[:, 0, 0], seg[:, 1, 0])
                )
        return out

    return read


@pytest.fixture
def bars():
    """The bar containers of an Axes."""
    return lambda ax: [c for c in ax.containers if isinstance(c, BarContainer)]


TRUTH = (
    cjsim.JourneyBuilder("truth", stages=["j"], horizon_days=60)
    .touchpoint("browse", "j", dwell=Gamma(3.0, 0.6))
    .touchpoint("cart", "j", dwell=Exponential(2.0))
    .outcome("gone")
    .edges("browse", browse=0.2, cart=0.4, rest="gone")
    .edges("cart", browse=0.3, rest="gone")
    .poisson(20.0)
    .entry(browse=1.0)
    .build()
)


@pytest.fixture(scope="session")
def event_log():
    """A DES event log of ``TRUTH`` (its outcome never logged: every exit is silent)."""
    ev = cjsim.simulate(TRUTH, engine="des", replications=1, seed=3, events=True).events
    return pd.DataFrame(
        {
            "customer_id": ev["customer"],
            "timestamp": pd.Timestamp("2020-01-01") + pd.to_timedelta(ev["time"], unit="D"),
            "event": ev["touchpoint"],
        }
    )


@pytest.fixture(scope="session")
def fit(event_log):
    mapping = {"touchpoints": {t: [t] for t in TRUTH.touchpoints}, "cutoff": "2020-02-15"}
    return cjsim.calibrate(event_log, mapping)
