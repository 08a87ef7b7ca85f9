"""FashionFusion as the tests use it.

The bundled shop has a satisfaction model, which the analytic engine refuses. Tests of
the analytic engine, and of commands run with it, use :func:`calm_fashion`: the same shop
without its satisfaction model (``Scenario.without_satisfaction``), every choice at its
untilted probability. Tests of satisfaction use the bundled file itself.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

import cjsim
from cjsim.model import Scenario

ROOT = Path(__file__).resolve().parents[1]
FASHION = str(ROOT / "scenarios" / "fashionfusion.toml")
INVESTMENTS = str(ROOT / "scenarios" / "fashionfusion_investments.toml")


def calm_fashion() -> Scenario:
    """FashionFusion without its satisfaction model (a fresh copy each call)."""
    return cjsim.load_scenario(FASHION).without_satisfaction()


@functools.cache
def calm_fashion_file() -> str:
    """The path of :func:`calm_fashion` saved once per test session, for the commands."""
    from cjsim.scenario import save_scenario

    folder = tempfile.mkdtemp(prefix="cjsim-calm-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "fashionfusion.toml"
    save_scenario(calm_fashion(), path)
    return str(path)
