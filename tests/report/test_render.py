"""The report is drawn from one comparison: the baseline is simulated once, inside
``compare``, and its time-series figures come from ``Comparison.baseline``."""

import re

import pytest

import cjsim
import cjsim.interventions.compare as compare_module
from cjsim.experiment import RunOptions
from cjsim.interventions import load_interventions
from cjsim.interventions.portfolio import with_budget
from cjsim.report import build_report, render_report
from tests.shops import calm_fashion


@pytest.fixture(scope="module")
def sc():
    return calm_fashion().replace(horizon_days=20.0)


@pytest.fixture(scope="module")
def ivs():
    return load_interventions("scenarios/fashionfusion_investments.toml")[:2]


def _images(page):
    return re.findall(r'<img alt="([^"]+)"', page)


def test_the_baseline_is_simulated_once(sc, ivs, monkeypatch):
    calls = []
    run = compare_module.run_replications

    def counted(scenarios, *args, **kwargs):
        calls.append(len(scenarios))
        return run(scenarios, *args, **kwargs)

    monkeypatch.setattr(compare_module, "run_replications", counted)
    opts = RunOptions(engine="vectorized", replications=2, seed=3, ignore_capacity=True)
    page = build_report(sc, ivs, options=opts)
    assert calls == [1 + len(ivs)]  # one submission: the baseline and the variants together
    assert "customers per stage" in _images(page) and "cumulative profit" in _images(page)


def test_an_exact_comparison_has_no_time_series_figures(sc, ivs):
    cmp = cjsim.compare(sc, ivs, engine="analytic")
    page = render_report(sc, cmp, source="fashionfusion.toml")
    assert _images(page) == ["investment ranking", "KPI changes", "stage funnel", "journey"]
    assert "analytic engine, exact expectations (no replications)," in page
    assert "<th>runs</th><td>exact expectations (no replications)</td>" in page
    assert not re.search(r"\d+ (paired )?replications?\b", page)  # header and table agree


def test_an_analytic_report_with_a_budget_reads_cleanly(sc):
    """Blind variants (NaN figures) and exact intervals: no nan, no scientific notation,
    no interval of zero width, and the recommendation first."""
    every = load_interventions("scenarios/fashionfusion_investments.toml")
    cmp = with_budget(cjsim.compare(sc, every, engine="analytic"), 12000.0)
    page = render_report(sc, cmp, source="fashionfusion.toml")
    body = re.sub(r'src="data:[^"]+"', "", page)
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|script)>.*?</\1>", " ", body, flags=re.S))
    assert not re.search(r"\bnan\b", text, re.I)
    assert not re.search(r"\de[+-]\d", text)
    assert not re.search(r"\[([^,\]]+), \1\]", text)  # exact: no [x, x]
    assert re.findall(r"<h2[^>]*>([^<]+)</h2>", page)[0] == "Recommendation"
    assert "faster_returns: the analytic engine cannot see all of its effect" in text


def test_the_report_ranks_fashionfusions_journeys_by_the_value_at_stake(sc, ivs):
    """FashionFusion's [[journeys]]: the report's success-score section lists them in the
    order of the value at stake that success_scores computes, with its figure."""
    from cjsim.analysis.success import success_scores

    page = build_report(sc, ivs, options=RunOptions(engine="analytic"), source="ff.toml")
    section = page[page.index('<section id="journeys">') :]
    section = section[: section.index("</section>")]
    want = list(success_scores(sc).scores["journey"])
    found = [name for name in re.findall(r"<td>([^<]+)</td>", section) if name in want]
    assert found == want and len(want) == 6
    assert "journey success scores" in _images(page)


def test_the_bundled_shop_with_satisfaction_reports_its_journeys_and_emotional_curve():
    """FashionFusion itself (with satisfaction, which the analytic engine refuses): the
    success scores come from the comparison's engine and seed, the emotional curve is
    drawn, and the journey figure says its chain is untilted."""
    shop = cjsim.load_scenario("scenarios/fashionfusion.toml").replace(horizon_days=20.0)
    ivs = load_interventions("scenarios/fashionfusion_investments.toml")[:1]
    options = cjsim.RunOptions(engine="des", replications=2, seed=None, workers=1, progress=False)
    page = build_report(shop, ivs, options=options, source="fashionfusion.toml")
    text = re.sub(r"<[^>]+>", " ", page)
    assert "Journey success scores" in text
    (seed,) = re.findall(r"des engine, 2 replications per journey, seed (\d+)", text)
    assert re.search(rf"seed\s+{seed}\b", text[text.index("Assumptions") :])  # one seed
    assert 'alt="emotional curve"' in page
    assert "every choice untilted by satisfaction" in text
