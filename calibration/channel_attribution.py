"""ChannelAttribution's 10,000-path sample: cjsim's Markov attribution, checked against an
exact absorbing-chain computation written independently (``tests/channels/reference.py``),
at order 1 and order 2 (the last two channels set the next step).

The sample ships in ChannelAttribution's sdist and in the ``mta`` wheel on PyPI as
``mta/data/data.csv.gz`` (columns ``path, total_conversions, total_conversion_value,
total_null``).  ``--file PATH`` reads it from disk; without it the script downloads the
``mta`` wheel with pip into ``--cache DIR`` (default ``~/.cache/cjsim``) and reads the file
from inside it; without a network it says so and stops.

    python calibration/channel_attribution.py [--file PATH] [--cache DIR]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import cjsim  # noqa: E402
from cjsim.channels import read_paths  # noqa: E402
from tests.channels.reference import exact_order  # noqa: E402

WHEEL = "mta==0.0.9"
MEMBER = "mta/data/data.csv.gz"


def fetch(cache: Path) -> pd.DataFrame | None:
    """The sample from the ``mta`` wheel (downloaded once into ``cache``), or None."""
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("mta-*.whl"))
    if not wheels:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", WHEEL, "-d", str(cache)]
        if subprocess.run(cmd, capture_output=True).returncode != 0:
            print(f"skipped: could not download {WHEEL} — pass --file PATH", file=sys.stderr)
            return None
        wheels = sorted(cache.glob("mta-*.whl"))
    with zipfile.ZipFile(wheels[-1]) as wheel:
        return pd.read_csv(io.BytesIO(wheel.read(MEMBER)), compression="gzip")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--file", metavar="PATH", help="the path table (CSV, CSV.gz or Parquet)")
    p.add_argument("--cache", metavar="DIR", default=str(Path.home() / ".cache" / "cjsim"))
    args = p.parse_args(argv)
    source = args.file or fetch(Path(args.cache))
    if source is None:
        return 0
    try:
        table = read_paths(source)
    except cjsim.CalibrationError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    results = {order: cjsim.attribution(source, order=order) for order in (1, 2)}
    for result in results.values():
        print(result.summary(), end="\n\n")
    for order, got in results.items():
        base = exact_order(table, order)
        effects = got.table.set_index("channel")["removal_effect"]
        gaps = [abs(effects[c] - (1 - exact_order(table, order, c) / base)) for c in table.channels]
        print(
            f"order {order}: {len(got.scenario.touchpoints) - 1} states; exact absorbing "
            f"chain: conversion {base:.6f} per path (cjsim {got.conversion_rate:.6f}); largest "
            f"removal-effect difference {max(gaps):.1e} (target 1e-6)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
