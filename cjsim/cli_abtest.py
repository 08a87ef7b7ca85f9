"""``cjsim abtest FILE --interventions FILE2 --variant NAME``: the sample size and duration
of a field test that confirms a simulated effect (:mod:`cjsim.analysis.abtest`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import cjsim.cli_types as cli_types
from cjsim._io import unwritable
from cjsim.errors import CJSimError, did_you_mean

__all__ = ["add_parser", "run"]

KPI_CHOICES = ("conversion_rate", "revenue_per_customer", "profit_per_customer")

EXAMPLE = """examples:
  cjsim abtest scenarios/fashionfusion.toml \\
      --interventions scenarios/fashionfusion_investments.toml --variant better_size_guide
  cjsim abtest scenarios/fashionfusion.toml \\
      --interventions scenarios/fashionfusion_investments.toml --variant better_size_guide \\
      --kpi revenue_per_customer --power 0.9 --seed 1 --plot power.png
"""


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "abtest",
        help="sample size and duration of a field A/B test that confirms a simulated effect",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", help="scenario TOML file (the baseline)")
    p.add_argument("--interventions", required=True, metavar="FILE2", help="intervention TOML file")
    p.add_argument("--variant", required=True, metavar="NAME", help="the intervention to test")
    p.add_argument(
        "--kpi",
        choices=KPI_CHOICES,
        default="conversion_rate",
        help="what the test measures per customer (default conversion_rate)",
    )
    p.add_argument(
        "--power",
        type=cli_types.probability("--power", "0.8"),
        default=0.8,
        help="chance to confirm the effect (default 0.8)",
    )
    p.add_argument(
        "--alpha",
        type=cli_types.probability("--alpha", "0.05"),
        default=0.05,
        help="two-sided level of the test (default 0.05)",
    )
    p.add_argument(
        "--follow-up-days",
        type=cli_types.days,
        default=30.0,
        metavar="DAYS",
        help="days each customer is observed after arriving (default 30)",
    )
    p.add_argument(
        "--tests",
        type=cli_types.whole(100),
        default=2000,
        metavar="T",
        help="simulated field tests per power estimate (default 2000)",
    )
    p.add_argument(
        "--engine",
        choices=("des", "vectorized"),
        default="des",
        help="simulation engine of the per-customer outcomes (default des)",
    )
    p.add_argument(
        "--replications",
        type=cli_types.whole(2),
        default=10,
        metavar="R",
        help="paired replications for the effect's interval (default 10)",
    )
    p.add_argument(
        "--seed",
        type=cli_types.whole(0),
        default=None,
        metavar="S",
        help="root seed (default: fresh entropy, recorded in the output)",
    )
    p.add_argument(
        "--horizon",
        type=cli_types.days,
        default=None,
        metavar="DAYS",
        help="days to simulate instead of the scenario's horizon",
    )
    p.add_argument(
        "--ignore-capacity",
        action="store_true",
        help="let the vectorized engine run without queues",
    )
    p.add_argument("--plot", metavar="PATH", help="save the power curves (PNG, SVG, PDF) here")
    p.add_argument("--json", action="store_true", help="print the design as JSON")


def _check_plot(plot: str | None) -> None:
    if not plot:
        return
    if not Path(plot).resolve().parent.is_dir():
        raise CJSimError(
            f"--plot {plot}: folder {Path(plot).parent} does not exist — create it first"
        )
    why = unwritable(plot)
    if why:
        raise CJSimError(f"--plot {plot}: {why} — choose a file you can write")


def _save_plot(design: Any, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    design.plot_power(ax=left)
    design.plot_power(against="effect", ax=right)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    """The command: the design's table (or JSON), then the figure asked for."""
    from cjsim.analysis.abtest import ab_test_design
    from cjsim.interventions import check_interventions, load_interventions
    from cjsim.scenario import load_scenario

    _check_plot(args.plot)
    scenario = load_scenario(args.file)
    if args.horizon:
        scenario = scenario.replace(horizon_days=args.horizon)
    interventions = {iv.name: iv for iv in load_interventions(args.interventions)}
    if args.variant not in interventions:
        raise CJSimError(
            f"--variant {args.variant}: no intervention of that name in {args.interventions} "
            f"— {did_you_mean(args.variant, interventions)}"
        )
    check_interventions(scenario, [interventions[args.variant]], source=str(args.interventions))
    design = ab_test_design(
        scenario,
        interventions[args.variant],
        kpi=args.kpi,
        power=args.power,
        alpha=args.alpha,
        follow_up_days=args.follow_up_days,
        tests=args.tests,
        engine=args.engine,
        replications=args.replications,
        seed=args.seed,
        ignore_capacity=args.ignore_capacity,
    )
    print(json.dumps(design.to_dict(), indent=2) if args.json else design.summary())
    if args.plot:
        _save_plot(design, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0
