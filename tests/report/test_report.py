"""``cjsim report``: one self-contained HTML page, rendered in a real headless Chromium.

The page must load with no console errors and show every figure: an inline script marks
``<body data-images="loaded/total">`` once the images are in, and Chromium's DOM dump is
read back.  A screenshot is saved beside the report (tmp_path) for a human to look at.
Without Chromium the browser test is skipped locally, and fails on CI (``.ci/run``
installs Debian's chromium).
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cjsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
FASHION = str(ROOT / "scenarios" / "fashionfusion.toml")
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
        ]
    )
    assert code == 0
    return out


def test_the_page_is_self_contained_with_every_figure_and_the_assumptions(report):
    page = report.read_text()
    images = re.findall(r'<img alt="([^"]+)" src="data:image/png;base64,', page)
    assert images == [
        "investment ranking",
        "KPI changes",
        "stage funnel",
        "journey",
        "customers per stage",
        "cumulative profit",
    ]
    assert not re.search(r'(src|href)="(http|//|file:)', page)  # nothing fetched from outside
    for text in ("better_size_guide", "seed 1", "60.0 days", "gross margin", "Notes"):
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
    assert loaded.group(1) == loaded.group(2) == "6"
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
