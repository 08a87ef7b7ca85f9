"""``cjsim attribution PATHS``: channel attribution of a path table (:mod:`cjsim.channels`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cjsim._io import unwritable
from cjsim.errors import CalibrationError, CJSimError

if TYPE_CHECKING:
    from cjsim.channels import PathColumns

__all__ = ["add_parser", "run"]

EXAMPLE = """examples:
  cjsim attribution paths.csv
  cjsim attribution paths.csv.gz --separator ">" --json
  cjsim attribution paths.parquet --out attribution/ --plot channels.png --scenario paths.toml
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "attribution",
        help="channel attribution of a path table: Markov removal effects and heuristics",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("paths", help="path table: CSV (with a header) or Parquet")
    p.add_argument("--separator", default=">", help='between channels (default ">")')
    p.add_argument("--path-column", default="path", metavar="NAME")
    p.add_argument("--conversions-column", default="total_conversions", metavar="NAME")
    p.add_argument(
        "--value-column",
        default="total_conversion_value",
        metavar="NAME",
        help='conversion value column, or "" for none (default total_conversion_value)',
    )
    p.add_argument(
        "--null-column",
        default="total_null",
        metavar="NAME",
        help='paths without a conversion, or "" for none (default total_null)',
    )
    p.add_argument("--order", type=int, default=1, metavar="K", help="Markov order (1)")
    p.add_argument("--json", action="store_true", help="print the attribution as JSON")
    p.add_argument("--out", metavar="DIR", help="write attribution.csv and attribution.json")
    p.add_argument("--plot", metavar="PNG", help="save the attribution figure here")
    p.add_argument("--scenario", metavar="OUT.toml", help="write the journey for what-ifs")


def _columns(args: argparse.Namespace) -> PathColumns:
    from cjsim.channels import PathColumns  # pandas loads when the command runs

    return PathColumns(
        path=args.path_column,
        conversions=args.conversions_column,
        value=args.value_column or None,
        nulls=args.null_column or None,
        separator=args.separator,
    )


def run(args: argparse.Namespace) -> int:
    """The command: the table (or JSON), then the files asked for."""
    from cjsim.channels import attribution
    from cjsim.scenario import save_scenario

    if args.scenario and Path(args.scenario).suffix.lower() != ".toml":
        raise CJSimError(f"--scenario {args.scenario}: give a .toml file name for the journey")
    for name, option in (("--scenario", args.scenario), ("--plot", args.plot), ("--out", args.out)):
        if option and name != "--out" and not Path(option).parent.exists():
            raise CJSimError(f"{option}: folder {Path(option).parent} does not exist")
        why = unwritable(option) if option else None
        if why:
            raise CJSimError(f"{name} {option}: {why} — choose a place you can write to")
    try:
        result = attribution(args.paths, _columns(args), order=args.order)
    except CalibrationError as exc:  # its line names the file and the column already
        print(exc, file=sys.stderr)
        return 2
    print(result.to_json() if args.json else result.summary())
    written: list[Path] = []
    if args.out:
        written += result.save(args.out)
    if args.scenario:
        save_scenario(result.scenario, args.scenario)
        written.append(Path(args.scenario))
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        ax = result.plot()
        ax.figure.savefig(args.plot, dpi=120, bbox_inches="tight")
        written.append(Path(args.plot))
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return 0
