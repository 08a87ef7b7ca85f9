"""CDNOW: calibrate on weeks 1-39, predict weeks 40-78, compare with what happened and
with BG/NBD fitted in the same run.

A cohort of customers who first bought in Q1 1997: the 1/10 sample (2,357 customers) or
the full file (23,570), both published by P. Fader and B. Hardie.  Weeks start on the
file's first day; purchases on the same day are merged (as in Fader, Hardie & Lee 2005).
Each customer's first purchase is the touchpoint ``first_purchase``, later ones
``repeat_purchase``; nothing else is known, so every exit is silent.  Latent segments
(EM) carry the heterogeneity between customers.

Every actual is computed from the file read.  Printed side by side for cjsim and BG/NBD
(fitted on the same calibration period): cumulative repeat purchases at the end of the
holdout, the weekly cumulative curve's MAPE over the holdout weeks, repeat purchases in
the holdout alone, and holdout purchases by purchase history before the cut-off.

    python calibration/cdnow.py [--file PATH | --data DIR] [--latent K | auto]
                                [--heterogeneity classes|gamma|lognormal]
                                [--replications N] [--plot F.png]

By default the heterogeneity (one to four latent classes with shared or own dwell shapes,
or a continuous gamma or lognormal pace with beta loyalty) is chosen by
``calibrate(latent_segments="auto")``: the held-out log-likelihood of the last quarter
of the calibration weeks, fitted on the rest (:mod:`cjsim.calibration.selection`).  No
setting is tuned on the holdout weeks.

``--file`` reads either published layout: the sample's 5 whitespace-separated columns
without a header (``master_id customer_id yyyymmdd cds dollars``) or the full file's 4
(``customer_id yyyymmdd cds dollars``, with a header line, as in the ``lifetimes`` wheel's
``CDNOW_master.txt``; also accepted without one, as first published).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import find, finish, parser

import cjsim
from cjsim.calibration.baselines import BGNBD, fit_bgnbd, repeat_summary
from cjsim.calibration.holdout import bucket
from cjsim.calibration.stages import HETEROGENEITY
from cjsim.errors import CalibrationError

FILE = "cdnow_sample.txt"
SAMPLE = ["master_id", "customer_id", "date", "cds", "dollars"]
FULL = ["customer_id", "date", "cds", "dollars"]


def cohort_mapping(cutoff: str) -> dict[str, object]:
    """The mapping of a purchase log (:func:`purchase_log`) with the cut-off ``cutoff``."""
    return {
        "touchpoints": {"first_purchase": ["first"], "repeat_purchase": ["repeat"]},
        "purchases": ["first_purchase", "repeat_purchase"],
        "stages": {"first_purchase": "purchase", "repeat_purchase": "retention"},
        "cutoff": cutoff,
        "closed_cohort": True,
    }


# FHL 2005's periods for the published files (the script computes them from the file)
CUTOFF = "1997-10-01"  # after calibration weeks 1-39 from 1997-01-01
END = "1998-07-01"  # after holdout weeks 40-78
MAPPING = cohort_mapping(CUTOFF)


def _numeric(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def layout(path: Path) -> tuple[list[str], bool]:
    """The columns of a CDNOW file and whether its first line is a header."""
    with open(path, encoding="utf-8", errors="replace") as f:
        first = next((line for line in f if line.strip()), "")
    tokens = first.split()
    header = bool(tokens) and not all(_numeric(t) for t in tokens)
    if len(tokens) == 5 and not header:
        return SAMPLE, False
    if len(tokens) == 4:
        return FULL, header
    raise CalibrationError(
        f"{path}: not a CDNOW file — its first line has {len(tokens)} column(s) "
        f"{'(a header) ' if header else ''}{first.strip()[:60]!r}; expected the sample's 5 "
        "columns without a header (master_id customer_id yyyymmdd cds dollars) or the full "
        "file's 4 (customer_id yyyymmdd cds dollars, with or without a header line)"
    )


def read(path: Path) -> tuple[pd.DataFrame, str]:
    """The purchases of a CDNOW file (``customer_id, date, cds, dollars``) and its layout."""
    columns, header = layout(path)
    try:
        raw = pd.read_csv(
            path, sep=r"\s+", header=None, names=columns, skiprows=int(header), dtype=str
        )
    except pd.errors.ParserError as e:
        raise CalibrationError(
            f"{path}: a line has more than {len(columns)} columns ({str(e).strip()}) — every "
            "line must have the layout of the first"
        ) from None
    ids = pd.to_numeric(raw["customer_id"], errors="coerce")
    parsed = pd.DataFrame(
        {
            "customer_id": ids.where(ids == ids.round()),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d", errors="coerce"),
            "cds": pd.to_numeric(raw["cds"], errors="coerce"),
            "dollars": pd.to_numeric(raw["dollars"], errors="coerce"),
        }
    )
    bad = parsed.isna().any(axis=1)
    if bad.any() or parsed.empty:
        row = int(np.flatnonzero(bad)[0]) if bad.any() else 0
        raise CalibrationError(
            f"{path}: {int(bad.sum())} line(s) without a whole-number customer id, a "
            f"yyyymmdd date, a number of CDs and dollars (the first: line "
            f"{row + 1 + int(header)}, "
            f"{' '.join(raw.iloc[row].dropna().astype(str)) if len(raw) else 'empty file'}) "
            "— fix or remove them"
        )
    parsed["customer_id"] = parsed["customer_id"].astype("int64")
    kind = "sample layout, 5 columns" if len(columns) == 5 else "full-file layout, 4 columns"
    return parsed, f"{kind}{', with a header' if header else ''}"


def purchase_log(raw: pd.DataFrame) -> pd.DataFrame:
    """The purchases as an event log: one row per customer and day, ``first`` or
    ``repeat``, with the day's dollars as its value."""
    log = raw.groupby(["customer_id", "date"], as_index=False).agg(value=("dollars", "sum"))
    log = log.rename(columns={"date": "timestamp"})
    log["event"] = np.where(log["customer_id"].duplicated(), "repeat", "first")
    return log


def load(path: str | Path) -> pd.DataFrame:
    """The purchase log of a CDNOW file in either layout (:func:`read`,
    :func:`purchase_log`)."""
    return purchase_log(read(Path(path))[0])


@dataclass(frozen=True)
class Periods:
    """Weeks from the file's first day: calibration weeks ``1..calibration``, holdout
    weeks ``calibration+1 .. calibration+holdout`` (through the last purchase's week)."""

    start: pd.Timestamp
    calibration: int
    holdout: int

    @classmethod
    def of(cls, log: pd.DataFrame, calibration_weeks: int) -> Periods:
        start = log["timestamp"].min().normalize()
        last_day = (log["timestamp"].max() - start).days
        holdout = math.ceil((last_day + 1) / 7) - calibration_weeks
        if calibration_weeks < 1 or holdout < 1:
            raise CalibrationError(
                f"--calibration-weeks {calibration_weeks}: the file spans "
                f"{math.ceil((last_day + 1) / 7)} weeks — leave at least one for the holdout"
            )
        return cls(start, calibration_weeks, holdout)

    def day(self, weeks: int) -> pd.Timestamp:
        return self.start + pd.Timedelta(days=7 * weeks)

    @property
    def last(self) -> int:
        return self.calibration + self.holdout


@dataclass(frozen=True)
class Forecast:
    """One model's cumulative repeat purchases at the end of holdout weeks 1, 2, …, and
    at the cut-off (``start``), and holdout purchases by history bucket (``None`` for the
    unconditional curve)."""

    curve: np.ndarray
    start: float
    by_history: pd.Series | None


def actuals(log: pd.DataFrame, periods: Periods) -> tuple[pd.DataFrame, Forecast]:
    """Each customer's ``x, t_x, T, holdout`` (weeks; FHL 2005's convention: T to the
    last calibration day) and what happened, all computed from the log."""
    day = (log["timestamp"] - periods.start).dt.days.to_numpy()
    summary = repeat_summary(
        log["customer_id"].to_numpy(),
        day,
        calibration_end=7 * periods.calibration - 1,
        holdout_end=7 * periods.last - 1,
    )
    repeat = (log["event"] == "repeat").to_numpy()
    offset = int((repeat & (day < 7 * periods.calibration)).sum())
    weeks = day[repeat & (day >= 7 * periods.calibration)] // 7 - periods.calibration
    curve = offset + np.cumsum(np.bincount(weeks, minlength=periods.holdout)[: periods.holdout])
    by = summary["holdout"].groupby(history(summary)).sum().astype(float)
    by = by.loc[sorted(by.index, key=lambda label: int(label.split("-")[0].rstrip("+")))]
    return summary, Forecast(curve.astype(float), offset, by)


def history(summary: pd.DataFrame) -> pd.Series:
    """Each customer's history bucket, by purchases before the cut-off (as in
    :func:`cjsim.validate`)."""
    return bucket(summary["x"] + 1)


def repeats_label(purchases: str) -> str:
    """``"1"`` (purchases before the cut-off) as ``"0"`` (repeat purchases), ``"5-6"`` as
    ``"4-5"``, ``"10+"`` as ``"9+"``."""
    low, _, high = purchases.rstrip("+").partition("-")
    text = str(int(low) - 1) + (f"-{int(high) - 1}" if high else "")
    return text + ("+" if purchases.endswith("+") else "")


def bgnbd_forecasts(
    model: BGNBD, summary: pd.DataFrame, periods: Periods, offset: float
) -> tuple[Forecast, Forecast]:
    """BG/NBD conditional on each customer's history (what a warm start knows), and
    unconditional from each first purchase (FHL 2005's tracking curve)."""
    x, t_x, T = summary["x"], summary["t_x"], summary["T"]
    weeks = np.arange(1, periods.holdout + 1)
    cond = offset + np.array([model.conditional(w, x, t_x, T).sum() for w in weeks])
    first = summary["first_day"].to_numpy()
    ends = 7 * (periods.calibration + weeks)
    uncond = [model.expected(np.maximum(e - first, 0) / 7).sum() for e in [ends[0] - 7, *ends]]
    per_customer = pd.Series(model.conditional(periods.holdout, x, t_x, T), index=summary.index)
    by = per_customer.groupby(history(summary)).sum()
    return Forecast(cond, offset, by), Forecast(np.array(uncond[1:]), uncond[0], None)


def _cell(predicted: float, actual: float) -> str:
    return f"{predicted:,.0f} ({predicted / actual - 1:+.1%})" if actual else f"{predicted:,.0f}"


def _mape(curve: np.ndarray, actual: np.ndarray) -> float:
    keep = actual > 0
    return float(100 * np.mean(np.abs(curve[keep] / actual[keep] - 1)))


def _rows(header: list[str], rows: list[list[str]]) -> str:
    """A plain table with at least two spaces between columns."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows]]
    return "\n".join(line.rstrip() for line in lines)


def figures(models: dict[str, Forecast], actual: Forecast, periods: Periods) -> str:
    """The side-by-side figures: end of the holdout, the weekly curve, the increment."""
    a = actual.curve
    weeks = f"weeks {periods.calibration + 1}-{periods.last}"
    rows = [
        [f"week-{periods.last} cumulative repeat purchases", f"{a[-1]:,.0f}"]
        + [_cell(m.curve[-1], a[-1]) for m in models.values()],
        [f"weekly cumulative curve, {weeks}: MAPE", ""]
        + [f"{_mape(m.curve, a):.2f} %" for m in models.values()],
        [f"repeat purchases in the holdout ({weeks})", f"{a[-1] - actual.start:,.0f}"]
        + [_cell(m.curve[-1] - m.start, a[-1] - actual.start) for m in models.values()],
    ]
    return _rows(["figure", "actual", *models], rows)


def by_history(models: dict[str, Forecast], actual: Forecast, customers: pd.Series) -> str:
    """Holdout purchases by repeat purchases before the cut-off, side by side."""
    assert actual.by_history is not None
    rows = []
    for label, act in actual.by_history.items():
        cells = [
            _cell(float(m.by_history.get(label, 0.0)), act)
            for m in models.values()
            if m.by_history is not None
        ]
        rows.append([repeats_label(str(label)), f"{customers[label]:,}", f"{act:,.0f}", *cells])
    names = [k for k, m in models.items() if m.by_history is not None]
    return _rows(["repeats before the cut-off", "customers", "actual", *names], rows)


def fit_cjsim(
    args: argparse.Namespace, log: pd.DataFrame, periods: Periods
) -> tuple[cjsim.calibration.Fit, cjsim.calibration.Validation, Forecast]:
    """cjsim's fit on the calibration weeks and its holdout simulation."""
    mapping = cohort_mapping(f"{periods.day(periods.calibration):%Y-%m-%d}")
    if args.alive_after_first:
        mapping["never_silent"] = ["first_purchase"]
    t0 = time.perf_counter()
    continuous = args.heterogeneity != "classes"
    fit = cjsim.calibrate(
        log,
        mapping,
        latent_segments=None if continuous else args.latent,
        horizon_days=7 * periods.holdout,
        seed=0,
        class_shapes=args.class_shapes,
        heterogeneity=args.heterogeneity,
    )
    print(fit.summary())
    if "selection" in fit.report:
        print(fit.report["selection"].round(3).to_string(index=False))
    print(
        f"  fit took {time.perf_counter() - t0:.1f} s; log-likelihood "
        f"{fit.mixture.loglik:,.1f}, BIC {fit.mixture.bic:,.1f}"
    )
    if fit.mixture.mixing is None:
        print(fit.report["segments"].round(3).to_string(index=False))
    end = periods.day(periods.last)
    v = cjsim.validate(fit, log, end=end, replications=args.replications, seed=args.seed)
    print(f"\n{v.summary()}")
    hist = v.by_history.set_index("purchases_before")["predicted"]
    return fit, v, Forecast(v.curve["predicted"].to_numpy(), v.offset, hist)


def fit_baseline(summary: pd.DataFrame, periods: Periods) -> BGNBD:
    t0 = time.perf_counter()
    model = fit_bgnbd(summary["x"], summary["t_x"], summary["T"])
    p = ", ".join(f"{k} = {v:.3f}" for k, v in model.params.items())
    print(
        f"\nBG/NBD (Fader, Hardie & Lee 2005) on weeks 1-{periods.calibration}: {p}; "
        f"log-likelihood {model.loglik:,.1f}; fit took {time.perf_counter() - t0:.2f} s"
    )
    return model


def describe(path: Path, kind: str, raw: pd.DataFrame, log: pd.DataFrame, p: Periods) -> None:
    print(
        f"{path} ({kind}): {len(raw):,} purchases, {len(log):,} customer-days, "
        f"{log['customer_id'].nunique():,} customers\n"
        f"weeks from {p.start:%Y-%m-%d}: calibration 1-{p.calibration} (to "
        f"{p.day(p.calibration) - pd.Timedelta(days=1):%Y-%m-%d}), holdout "
        f"{p.calibration + 1}-{p.last} (to {p.day(p.last) - pd.Timedelta(days=1):%Y-%m-%d})\n"
    )


def open_file(args: argparse.Namespace) -> tuple[Path, str, pd.DataFrame] | None:
    """The file ``--file`` or ``--data`` names, read; None when the data folder lacks it."""
    path = Path(args.file) if args.file else find(args.data, FILE)
    if path is None:
        return None
    if not path.is_file():
        raise CalibrationError(f"--file {path}: no such file — give the path of a CDNOW file")
    raw, kind = read(path)
    return path, kind, raw


def _latent(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number or auto") from None


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--file", metavar="PATH", help="a CDNOW file (sample or full layout)")
    p.add_argument(
        "--latent",
        type=_latent,
        default="auto",
        help="latent segments, or auto: chosen with the heterogeneity on the held-out end "
        "of the calibration weeks (default auto)",
    )
    p.add_argument(
        "--class-shapes",
        choices=("shared", "own"),
        default="shared",
        help="with --latent K: each latent class's own dwell shape, or one shared",
    )
    p.add_argument(
        "--heterogeneity",
        choices=HETEROGENEITY,
        default="classes",
        help="free latent classes (--latent), or a continuous pace with beta loyalty",
    )
    p.add_argument("--calibration-weeks", type=int, default=39, help="(default 39)")
    p.add_argument(
        "--alive-after-first",
        action="store_true",
        help="BG/NBD's assumption: nobody leaves silently after the first purchase",
    )
    args = p.parse_args(argv)
    try:
        loaded = open_file(args)
        if loaded is None:
            return 0
        path, kind, raw = loaded
        log = purchase_log(raw)
        periods = Periods.of(log, args.calibration_weeks)
    except CalibrationError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    describe(path, kind, raw, log, periods)
    summary, actual = actuals(log, periods)
    fit, v, ours = fit_cjsim(args, log, periods)
    model = fit_baseline(summary, periods)
    cond, uncond = bgnbd_forecasts(model, summary, periods, actual.start)
    models = {"cjsim": ours, "BG/NBD": cond, "BG/NBD unconditional": uncond}
    print(f"\nCDNOW: cjsim and BG/NBD against the actual (computed from {path.name})")
    print(figures(models, actual, periods))
    print(f"\nholdout purchases by purchase history before week {periods.calibration + 1}")
    print(by_history(models, actual, history(summary).value_counts()))
    print(
        "\nBG/NBD: conditional on each customer's history, like cjsim's warm start; "
        "unconditional: expected repeat purchases from each first purchase (FHL 2005's "
        "tracking curve)"
    )
    return finish(args, fit, v)


if __name__ == "__main__":
    sys.exit(main())
