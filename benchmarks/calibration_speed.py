"""Time to fit a customer base: ``cjsim.calibrate`` against a BG/NBD fit of the same data,
measured in the same run.

Prints, on this machine (each figure the best of ``--repeats`` runs; the machine's speed
drifts from day to day, so the ratio is the figure to compare):
- ``cjsim.calibrate`` on the CDNOW 1/10 sample (weeks 1-39, K = 3 latent segments, the
  mapping of ``calibration/cdnow.py``) — target <= 3 s;
- the reference: BG/NBD fitted to the same purchases (``lifetimes.BetaGeoFitter`` when
  ``lifetimes`` is installed — ``pip install cjsim[benchmarks]`` — else the BG/NBD
  fit of :func:`cjsim.calibration.fit_bgnbd`), and the ratio;
- the continuous mixture (``heterogeneity="gamma"``) and the automatic choice of the
  heterogeneity (``latent_segments="auto"``), which :mod:`calibration/cdnow.py` uses by
  default (reported, no target);
- with ``--full FILE``: the same on the full CDNOW file (23,570 customers, 4 columns with
  a header; shipped in the ``lifetimes`` wheel as ``datasets/CDNOW_master.txt``) — target
  <= 30 s.

The data folder is ``--data DIR``, else ``$CJSIM_DATA``, else ``../shared/data``; without
the sample the script says so and stops.  ``--small`` fits a simulated cohort of 400
customers at K = 2 once (a quick run for the smoke test; no data needed).

Usage: python benchmarks/calibration_speed.py [--small] [--repeats N] [--full FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

import cjsim
from cjsim.calibration import fit_bgnbd

ROOT = Path(__file__).resolve().parents[1]
CUTOFF = pd.Timestamp("1997-10-01")
MAPPING = {  # as calibration/cdnow.py
    "touchpoints": {"first_purchase": ["first"], "repeat_purchase": ["repeat"]},
    "purchases": ["first_purchase", "repeat_purchase"],
    "stages": {"first_purchase": "purchase", "repeat_purchase": "retention"},
    "cutoff": str(CUTOFF.date()),
    "closed_cohort": True,
}


def read_cdnow(path: Path) -> pd.DataFrame:
    """Either published layout (the sample's 5 columns, or the full file's 4 with a
    header) as an event log: one row per customer and day, ``first`` then ``repeat``."""
    first = path.read_text().split("\n", 1)[0]
    if any(c.isalpha() for c in first):
        raw = pd.read_csv(path, sep=r"\s+", header=0, names=["customer_id", "date", "cds", "usd"])
    else:
        raw = pd.read_csv(
            path, sep=r"\s+", header=None, names=["m", "customer_id", "date", "cds", "usd"]
        )
    raw["timestamp"] = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    log = raw.groupby(["customer_id", "timestamp"], as_index=False).agg(value=("usd", "sum"))
    log["event"] = np.where(log["customer_id"].duplicated(), "repeat", "first")
    return log


def simulated(customers: int, seed: int = 0) -> pd.DataFrame:
    """A closed cohort buying like BG/NBD's customers: gamma purchase rates, a chance
    to drop out after each purchase; first purchases in the first 12 weeks."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        day, rate, p = rng.uniform(0, 84), rng.gamma(0.5, 0.05), rng.beta(1.0, 3.0)
        while day < 545:
            rows.append((c, CUTOFF - pd.Timedelta(days=273) + pd.Timedelta(days=int(day)), 10.0))
            if rng.random() < p:
                break
            day += rng.exponential(1 / rate)
    log = pd.DataFrame(rows, columns=["customer_id", "timestamp", "value"])
    log = log.drop_duplicates(["customer_id", "timestamp"]).reset_index(drop=True)
    log["event"] = np.where(log["customer_id"].duplicated(), "repeat", "first")
    return log


def rfm(log: pd.DataFrame) -> pd.DataFrame:
    """BG/NBD's inputs in weeks: repeat purchases, time of the last one since the first,
    and time watched since the first, all before the cut-off."""
    cal = log[log["timestamp"] < CUTOFF]
    g = cal.groupby("customer_id")["timestamp"]
    first, last = g.min(), g.max()
    return pd.DataFrame(
        {
            "frequency": g.count() - 1,
            "recency": (last - first).dt.days / 7.0,
            "T": (CUTOFF - first).dt.days / 7.0,
        }
    )


def bgnbd_cjsim(data: pd.DataFrame) -> object:
    """(r, alpha, a, b) by :func:`cjsim.calibration.fit_bgnbd` (the project's own BG/NBD)."""
    return fit_bgnbd(data["frequency"], data["recency"], data["T"])


def reference() -> tuple[str, Callable[[pd.DataFrame], object]]:
    """The BG/NBD fit to time: ``lifetimes`` when it imports, else :func:`bgnbd_cjsim`."""
    try:
        from lifetimes import BetaGeoFitter
    except ImportError:
        return "BG/NBD (cjsim.calibration.fit_bgnbd; lifetimes not installed)", bgnbd_cjsim

    def fit(data: pd.DataFrame) -> object:
        return BetaGeoFitter().fit(data["frequency"], data["recency"], data["T"]).params_

    return "lifetimes BetaGeoFitter", fit


def best_of(repeats: int, run: Callable[[], object]) -> tuple[float, float]:
    """(fastest, median) wall seconds of ``repeats`` runs."""
    took = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        took.append(time.perf_counter() - start)
    return min(took), statistics.median(took)


Variant = tuple[str, dict[str, object], float | None]  # label, calibrate options, target


def variants(latent: int, target: float | None, every: bool) -> list[Variant]:
    """K latent segments (with the target), and with ``every`` the continuous mixture
    and the automatic choice (no target: they are reported)."""
    out: list[Variant] = [(f"K = {latent}", {"latent_segments": latent}, target)]
    if every:
        out += [
            ("continuous gamma pace", {"heterogeneity": "gamma"}, None),
            ("latent_segments='auto' (9 candidates + refit)", {"latent_segments": "auto"}, None),
        ]
    return out


def measure(label: str, log: pd.DataFrame, fits: list[Variant], repeats: int) -> None:
    name, ref = reference()
    data = rfm(log)
    theirs, theirs_median = best_of(repeats, lambda: ref(data))
    print(f"{label}: {log['customer_id'].nunique():,} customers, {len(log):,} purchase days")
    print(f"  {name}: {theirs:.3f} s (median {theirs_median:.3f} s)")
    for what, options, target in fits:
        fit = lambda o=options: cjsim.calibrate(log, MAPPING, horizon_days=273, seed=0, **o)  # noqa: E731
        ours, ours_median = best_of(repeats, fit)
        goal = (
            f" (target <= {target:g} s: {'met' if ours <= target else 'NOT met'})" if target else ""
        )
        print(f"  cjsim.calibrate, {what}: {ours:.2f} s (median {ours_median:.2f} s){goal}")
        print(f"    ratio cjsim / BG/NBD: {ours / theirs:,.0f}x (best of {repeats} runs each)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick run (CI smoke test)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per figure (default 3)")
    parser.add_argument("--data", metavar="DIR", help="folder holding cdnow_sample.txt")
    parser.add_argument("--full", metavar="FILE", help="also time the full CDNOW file")
    args = parser.parse_args(argv)
    print(f"{os.cpu_count()} cores; numpy {np.__version__}, pandas {pd.__version__}")
    if args.small:
        measure("simulated cohort", simulated(400), variants(2, None, False), 1)
        return 0
    folder = Path(args.data or os.environ.get("CJSIM_DATA") or ROOT.parent / "shared" / "data")
    sample = folder / "cdnow_sample.txt"
    if not sample.exists():
        print(f"skipped: {sample} not found — pass --data DIR or set CJSIM_DATA", file=sys.stderr)
        return 0
    measure("CDNOW 1/10 sample", read_cdnow(sample), variants(3, 3.0, True), args.repeats)
    if args.full:
        full = read_cdnow(Path(args.full))
        measure("CDNOW full file", full, variants(3, 30.0, True), args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
