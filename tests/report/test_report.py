"""``cjsim report``: one self-contained HTML page, rendered in a real headless Chromium.

The report of the bundled comparison (small: 2 replications over 60 days) with a budget of
12,000 must load with no console errors and show every figure: an inline script marks
``<body data-images="loaded/total">`` once the images are in, and Chromium's DOM dump is
read back.  Its text has no ``nan`` and no ``e+0``, it opens with the recommendation, and
its KPI table's change of profit is the ranking's incremental profit for every variant.
A screenshot is saved beside the report (tmp_path) for a human to look at.  Without
Chromium the browser test is skipped locally, and fails on CI (``.ci/run`` installs
Debian's chromium).
"""

import html
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cjsim.cli import main
from tests.shops import calm_fashion_file

ROOT = Path(__file__).resolve().parents[2]
FASHION = calm_fashion_file()  # FashionFusion without satisfaction (tests/shops.py)
INVESTMENTS = str(ROOT / "scenarios" / "fashionfusion_investments.toml")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    code = main(
        [
            "report",
            FASHION,
            "--interventions",
            INVESTMENTS,
            "--out",
            str(out),
            "--replications",
            "2",
            "--horizon",
            "60",
            "--seed",
            "1",
            "--workers",
            "1",
            "--quiet",
            "--budget",
            "12000",
        ]
    )
    assert code == 0
    return out


class _Tables(HTMLParser):
    """Every ``<table>`` of a page as rows of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _table(page: str, first_header: str, column: str) -> dict[str, str]:
    """Column ``column`` of the table whose first header is ``first_header``, by row name."""
    parser = _Tables()
    parser.feed(page)
    for rows in parser.tables:
        if rows and rows[0] and rows[0][0] == first_header and column in rows[0]:
            at = rows[0].index(column)
            return {row[0]: row[at] for row in rows[1:]}
    raise AssertionError(f"no table with {first_header!r} and {column!r}")


def _text(page: str) -> str:
    """What a reader sees: the page without its tags, style, script and image data."""
    body = re.sub(r"<(style|script)>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def _readable(page: str) -> None:
    """No undefined number and no scientific notation in the text; the recommendation first."""
    text = _text(page)
    assert not re.search(r"\bnan\b", text, re.I), re.search(r".{40}\bnan\b.{40}", text, re.I)
    assert not re.search(r"\de[+-]\d", text), re.search(r".{40}\de[+-]\d.{20}", text)
    assert re.findall(r"<h2[^>]*>([^<]+)</h2>", page)[0] == "Recommendation"


def test_the_report_leads_with_the_recommendation_and_its_money_agrees(report):
    page = report.read_text()
    headings = re.findall(r"<h2>([^<]+)</h2>", page)
    assert headings[0] == "Recommendation"
    assert "Portfolio within a budget of 12,000 EUR" in headings
    assert "What the engine cannot see" in headings
    _readable(page)
    ranked = _table(page, "investment", "incremental profit, net of cost (EUR) [95 % interval]")
    changes = _table(page, "investment", "profit (net of cost) (EUR)")
    assert list(changes) == list(ranked)  # rows follow the ranking
    assert len(ranked) == 5 and changes == ranked
    for name, gain in ranked.items():
        assert re.fullmatch(r"[+-]?[\d,]+ \[[+-]?[\d,]+, [+-]?[\d,]+\]", gain), (name, gain)
    advice = _text(page).split("Recommendation", 1)[1].split("Ranking", 1)[0]
    assert "within the budget of 12,000 EUR" in advice and "best choice in" in advice


def test_the_page_is_self_contained_with_every_figure_and_the_assumptions(report):
    page = report.read_text()
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', page)
    assert images == [
        "journey success scores",  # FashionFusion's [[journeys]], in their own section
        "investment ranking",
        "KPI changes",
        "stage funnel",
        "journey",
        "customers per stage",
        "cumulative profit",
    ]
    assert not re.search(r'(src|href)="(http|//|file:)', page)  # nothing fetched from outside
    for text in ("better_size_guide", "seed 1", "60 days", "gross margin", "Notes"):
        assert text in page


def _chromium():
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_the_report_renders_in_headless_chromium(report, tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing on CI — .ci/run should have installed it")
        pytest.skip("chromium not installed (apt-get install chromium)")
    profile = tmp_path / "profile"
    url = report.resolve().as_uri()
    dom = subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    loaded = re.search(r'data-images="(\d+)/(\d+)"', dom.stdout)
    assert loaded, "the page's load script did not run"
    assert loaded.group(1) == loaded.group(2) == "7"
    _readable(dom.stdout)  # what Chromium shows, after its scripts ran
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line]
    errors = [line for line in console if re.search(r"error|uncaught", line, re.I)]
    assert not errors, errors
    shot = report.with_name("report.png")
    subprocess.run(
        [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={shot}",
            "--window-size=1200,3000",
            url,
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.stat().st_size > 10_000


def test_bad_output_name_is_refused(tmp_path, capsys):
    code = main(
        ["report", FASHION, "--interventions", INVESTMENTS, "--out", str(tmp_path / "r.pdf")]
    )
    assert code == 2
    assert ".html" in capsys.readouterr().err
