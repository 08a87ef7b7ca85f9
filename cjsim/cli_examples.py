"""``cjsim examples``: list the bundled example files, or copy them into a folder."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cjsim.scenario.examples import bundled_examples, copy_examples

__all__ = ["add_parser", "run"]

EXAMPLE = """examples:
  cjsim examples
  cjsim examples --copy scenarios
  cjsim compare scenarios/fashionfusion.toml \\
      --interventions scenarios/fashionfusion_investments.toml --seed 1
(every example in cjsim's help and README reads the files from scenarios/)
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "examples",
        help="list the bundled scenario and intervention files, or copy them into a folder",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--copy", metavar="DIR", help="copy every file into DIR (created if missing)")
    p.add_argument(
        "--force", action="store_true", help="with --copy: overwrite files that exist in DIR"
    )


def run(args: argparse.Namespace) -> int:
    if args.force and not args.copy:
        print("cjsim examples: --force needs --copy DIR — nothing to overwrite", file=sys.stderr)
        return 2
    if args.copy:
        for path in copy_examples(args.copy, overwrite=args.force):
            print(f"wrote {path}")
        print(
            f"next: cjsim compare {_join(args.copy, 'fashionfusion.toml')} --interventions "
            f"{_join(args.copy, 'fashionfusion_investments.toml')} --seed 1"
        )
        return 0
    examples = bundled_examples()
    width = max(len(e.name) for e in examples)
    for example in examples:
        print(f"{example.name:<{width}}  {example.description}")
    print("copy them: cjsim examples --copy scenarios (the folder the help's examples use)")
    return 0


def _join(folder: str, name: str) -> str:
    return f"{folder.rstrip('/')}/{name}"
