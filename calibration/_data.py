"""Where the real data live: ``--data DIR``, else ``$CJSIM_DATA``, else ``../shared/data``
beside the project.  A missing file is reported in one line and the script skips."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT = PROJECT.parent / "shared" / "data"


def data_dir(arg: str | None) -> Path:
    return Path(arg or os.environ.get("CJSIM_DATA") or DEFAULT)


def find(arg: str | None, name: str) -> Path | None:
    """The data file, or None (after saying why) when it is absent."""
    path = data_dir(arg) / name
    if not path.exists():
        print(
            f"skipped: {path} not found — pass --data DIR or set CJSIM_DATA to the folder "
            f"holding {name}",
            file=sys.stderr,
        )
        return None
    return path


def finish(args: argparse.Namespace, fit: Any, validation: Any) -> int:
    """Write what ``--plot`` and ``--out`` ask for; the script's exit code."""
    if args.plot:
        print(f"wrote {validation.save_plot(args.plot)}")
    if args.out:
        for written in fit.save(args.out):
            print(f"wrote {written}")
    return 0


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--data", metavar="DIR", help=f"data folder (default $CJSIM_DATA or {DEFAULT})")
    p.add_argument("--replications", type=int, default=20, help="holdout simulations")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--plot", metavar="PNG", help="save the holdout plot here")
    p.add_argument("--out", metavar="TOML", help="also write the fitted scenario here")
    return p
