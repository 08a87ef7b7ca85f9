"""``cjsim new``: write a journey template (:mod:`cjsim.templates`) as a new scenario file."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from cjsim.templates import templates, write_template

__all__ = ["add_parser", "run"]

EXAMPLE = """examples:
  cjsim new --list
  cjsim new --template mckinsey_loop journey.toml
  cjsim check journey.toml
  cjsim run journey.toml --engine des --replications 10 --seed 1
(the templates are described in docs/templates.md)
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "new",
        help="start a scenario from a journey template (five stages, McKinsey loop, RACE, "
        "lifecycle)",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("out", nargs="?", metavar="OUT.toml", help="the scenario file to write")
    p.add_argument("--template", metavar="NAME", help="the template to start from (see --list)")
    p.add_argument("--list", action="store_true", help="list the templates with a description")
    p.add_argument("--force", action="store_true", help="overwrite OUT.toml if it exists")


def run(args: argparse.Namespace) -> int:
    if args.list:
        return _list()
    if not args.template or not args.out:
        missing = "--template NAME" if not args.template else "OUT.toml"
        names = ", ".join(t.name for t in templates())
        print(
            f"cjsim new: {missing} is missing — e.g. cjsim new --template five_stages "
            f"journey.toml (templates: {names})",
            file=sys.stderr,
        )
        return 2
    path = write_template(args.template, args.out, overwrite=args.force)
    print(f"wrote {path} (template {args.template})")
    print(f"next: cjsim check {path}, then replace the numbers marked REPLACE with your own")
    return 0


def _list() -> int:
    found = templates()
    width = max(len(t.name) for t in found)
    for template in found:
        print(f"{template.name:<{width}}  {template.description}")
    print("start from one: cjsim new --template NAME OUT.toml")
    return 0
