"""The ``cjsim`` command: check, run, compare, calibrate, validate, report, attribution,
examples, new and schema.

Errors a user can cause print one line per problem (file, key path, what,
hint) and exit with code 2; never a traceback.  Each command imports what it runs, so
``cjsim --help`` loads neither pandas nor SciPy.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cjsim.cli_abtest as cli_abtest
import cjsim.cli_channels as cli_channels
import cjsim.cli_examples as cli_examples
import cjsim.cli_templates as cli_templates
import cjsim.cli_types as cli_types
from cjsim._io import unwritable
from cjsim._version import package_version
from cjsim.calibration.choices import CLASS_SHAPES, HETEROGENEITY
from cjsim.engines.registry import engine_names
from cjsim.errors import CalibrationError, CJSimError, Problem
from cjsim.experiment.executors import default_workers

if TYPE_CHECKING:
    from cjsim.calibration import EventColumns, Fit
    from cjsim.experiment import RunOptions
    from cjsim.interventions import Intervention
    from cjsim.model import Scenario

__all__ = ["main"]

EXIT_USAGE = 2
MAX_PROBLEMS_SHOWN = 50
"""At most this many problems are printed; the rest are counted."""

_EXAMPLES = {
    "check": "example: cjsim check scenarios/fashionfusion.toml",
    "run": "examples:\n  cjsim run scenarios/saas_trial.toml --engine analytic --json\n"
    "  cjsim run scenarios/fashionfusion.toml --engine des --replications 20 --seed 1 "
    "--workers 2 --out results/",
    "schema": "example: cjsim schema > scenario.schema.json",
    "scores": "example: cjsim scores scenarios/fashionfusion.toml --plot scores.png",
    "optimize": "examples:\n  cjsim optimize scenarios/fashionfusion.toml "
    "--lever returns.servers=2..10@25 --seed 1\n"
    "  cjsim optimize scenarios/fashionfusion.toml --lever checkout.order_value=0.85..1.05 "
    "--engine vectorized --ignore-capacity --plot discount.png",
    "compare": "example:\n  cjsim compare scenarios/fashionfusion.toml "
    "--interventions scenarios/fashionfusion_investments.toml --seed 1 --budget 12000",
    "calibrate": "example:\n  cjsim calibrate events.csv --mapping mapping.toml --out fitted.toml "
    "--latent-segments 2\n  (writes fitted.toml, fitted.warm_start.csv and "
    "fitted.calibration.json)",
    "validate": "example:\n  cjsim validate fitted.toml holdout.csv --replications 20 "
    "--plot holdout.png",
    "report": "example:\n  cjsim report scenarios/fashionfusion.toml "
    "--interventions scenarios/fashionfusion_investments.toml --out report.html --seed 1 "
    "--budget 12000",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cjsim",
        description="Simulate customer journeys and answer what-if questions.",
        epilog="example: cjsim run scenarios/fashionfusion.toml --engine analytic",
    )
    parser.add_argument("--version", action="version", version=f"cjsim {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (
        _add_check,
        _add_run,
        _add_compare,
        _add_optimize,
        _add_scores,
        _add_calibrate,
        _add_validate,
        _add_report,
    ):
        add(sub)
    cli_channels.add_parser(sub)
    cli_examples.add_parser(sub)
    cli_templates.add_parser(sub)
    cli_abtest.add_parser(sub)
    sub.add_parser(
        "schema", help="print the JSON Schema of the scenario format", epilog=_EXAMPLES["schema"]
    )
    return parser


def _add_check(sub: Any) -> None:
    check = sub.add_parser(
        "check", help="validate a scenario file and summarise it", epilog=_EXAMPLES["check"]
    )
    check.add_argument("file", help="scenario TOML file")


def _add_run(sub: Any) -> None:
    run = sub.add_parser(
        "run",
        help="compute the KPIs of a scenario",
        epilog=_EXAMPLES["run"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("file", help="scenario TOML file")
    _engine_options(
        run,
        ENGINE_HELP_RUN,
        default_engine=None,
        default_workers=1,
        replications_help="replications for des/vectorized (default 10)",
    )
    run.add_argument(
        "--events",
        action="store_true",
        help="keep the per-customer event log (needs --out; events.parquet)",
    )
    run.add_argument(
        "--out", metavar="DIR", help="write kpis.csv, kpis.json, timeseries.csv and tables here"
    )


def _add_compare(sub: Any) -> None:
    cmp = sub.add_parser(
        "compare",
        help="compare the baseline with interventions: ranked investments with intervals",
        epilog=_EXAMPLES["compare"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _baseline_arguments(cmp)
    _engine_options(
        cmp,
        ENGINE_HELP_COMPARE,
        default_engine="des",
        default_workers=default_workers(),
        replications_help="paired replications per variant (default 10)",
    )
    _budget_option(cmp)
    _selection_options(cmp)
    cmp.add_argument(
        "--out",
        metavar="DIR",
        help="write ranking.csv, comparison.csv, deltas.csv, comparison.json (and with "
        "--budget portfolio.csv, with --select selection.csv) here",
    )


def _add_optimize(sub: Any) -> None:
    opt = sub.add_parser(
        "optimize",
        help="find the best setting of levers (servers, a discount, a pace, a budget) by "
        "simulation under common random numbers",
        epilog=_EXAMPLES["optimize"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    opt.add_argument("file", help="scenario TOML file")
    opt.add_argument(
        "--lever",
        action="append",
        required=True,
        metavar="SPEC",
        help="NODE.KIND=LOW..HIGH[@COST_PER_DAY], KIND one of servers, order_value, dwell, "
        "service (or arrivals=LOW..HIGH[@COST_PER_DAY]); repeat for several levers",
    )
    opt.add_argument(
        "--objective",
        choices=["profit", "npv"],
        default="profit",
        help="maximised over the horizon, net of the levers' cost (default profit)",
    )
    opt.add_argument(
        "--search",
        choices=["auto", "grid"],
        default="auto",
        help="auto: golden-section (one whole-number lever), Brent (one continuous lever), "
        "differential evolution (several); grid: every setting (default auto)",
    )
    _engine_options(
        opt,
        ENGINE_HELP_COMPARE,
        default_engine="des",
        default_workers=default_workers(),
        replications_help="replications per setting, the same for every setting (default 10)",
    )
    opt.add_argument("--plot", metavar="PNG", help="draw the objective against the lever here")


def _optimize(args: argparse.Namespace) -> int:
    from cjsim.interventions.optimize import Lever, optimize

    scenario = _scenario(args)
    levers = [Lever.parse(spec) for spec in args.lever]
    _check_plot(args.plot)
    found = optimize(
        scenario, levers, objective=args.objective, search=args.search, options=_run_options(args)
    )
    from cjsim.cli_format import optimum_lines

    return _answer(found, args, lambda: optimum_lines(found, scenario))


def _add_scores(sub: Any) -> None:
    scores = sub.add_parser(
        "scores",
        help="score the scenario's [[journeys]] against their targets, ranked by the value "
        "at stake",
        epilog=_EXAMPLES["scores"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    scores.add_argument("file", help="scenario TOML file with [[journeys]]")
    _engine_options(
        scores,
        "analytic (default; des for a scenario with satisfaction, which the analytic "
        "engine refuses): exact and instant, blind to queues; des: queues too; "
        "vectorized: fast, no queues",
        default_engine=None,
        default_workers=default_workers(),
        replications_help="replications per journey with a simulation engine (default 10)",
    )
    scores.add_argument("--plot", metavar="PNG", help="draw the scores and the value at stake here")


def _scores(args: argparse.Namespace) -> int:
    from cjsim.analysis.success import success_scores
    from cjsim.cli_format import scores_lines

    scenario = _scenario(args)
    _check_plot(args.plot)
    found = success_scores(scenario, options=_run_options(args, scenario=scenario))
    return _answer(found, args, lambda: scores_lines(found, scenario))


def _answer(found: Any, args: argparse.Namespace, lines: Any) -> int:
    """Draw ``found.plot()`` to ``--plot``, then print ``found`` as JSON (``--json``) or
    as the terminal's ``lines()``."""
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        ax = found.plot()
        ax.figure.savefig(args.plot, dpi=120)
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.json:
        print(json.dumps(found.to_dict(), indent=2, allow_nan=False))
        return 0
    print("\n".join(lines()))
    return 0


def _selection_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--select",
        choices=["best"],
        default=None,
        help="then add replications to the variants still in contention until the best "
        "(doing nothing included) is known with probability --pcs (procedure KN; "
        "--replications is the first stage)",
    )
    p.add_argument(
        "--pcs",
        type=cli_types.probability("--pcs", "0.95"),
        default=0.95,
        metavar="P",
        help="with --select: the probability of selecting the best (default 0.95)",
    )
    p.add_argument(
        "--indifference",
        type=cli_types.amount(zero=False),
        default=None,
        metavar="MONEY",
        help="with --select: profit differences over the horizon smaller than this are "
        "not worth telling apart (required with --select)",
    )
    p.add_argument(
        "--max-replications",
        type=cli_types.whole(1),
        default=1000,
        metavar="R",
        help="with --select: most replications of any one variant (default 1000)",
    )


def _budget_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--budget",
        type=cli_types.amount(zero=True),
        default=None,
        metavar="MONEY",
        help="also find the best portfolio of interventions whose expected cost over the "
        "horizon fits this budget (reusing the variants' runs)",
    )


def _add_calibrate(sub: Any) -> None:
    cal = sub.add_parser(
        "calibrate",
        help="fit a scenario to an event log (with its warm start at the cut-off)",
        epilog=_EXAMPLES["calibrate"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cal.add_argument("events", help="event log: CSV (with a header) or Parquet")
    cal.add_argument("--mapping", required=True, metavar="MAP", help="mapping TOML file")
    cal.add_argument("--out", required=True, metavar="FILE.toml", help="fitted scenario to write")
    cal.add_argument(
        "--latent-segments",
        type=_latent_segments,
        default=None,
        metavar="K|auto",
        help="fit K latent segments by EM, or auto: choose the heterogeneity (1-4 classes, "
        "shared or own dwell shapes, or a continuous pace) on the held-out last quarter "
        "of the calibration period",
    )
    cal.add_argument(
        "--heterogeneity",
        choices=HETEROGENEITY,
        default="classes",
        help="free latent classes (--latent-segments), or a continuous gamma or lognormal "
        "pace with beta loyalty (default classes)",
    )
    cal.add_argument(
        "--class-shapes",
        choices=CLASS_SHAPES,
        default="shared",
        help="with --latent-segments K: classes share each dwell shape, or each has its "
        "own (default shared)",
    )
    cal.add_argument(
        "--order",
        type=_latent_segments,
        default=1,
        metavar="K|auto",
        help="memory: the next step depends on the last K touchpoints (1-3), or auto: "
        "the order with the lowest BIC (default 1)",
    )
    cal.add_argument(
        "--horizon",
        type=cli_types.days,
        default=365.0,
        metavar="DAYS",
        help="horizon of the fitted scenario (default 365)",
    )
    dwell = cal.add_mutually_exclusive_group()
    dwell.add_argument(
        "--dwell-by-destination",
        action="store_const",
        const="yes",
        default="auto",
        help="every touchpoint's dwell depends on the next touchpoint (competing risks; "
        "one class); default: chosen per touchpoint by BIC, with one class",
    )
    dwell.add_argument(
        "--pooled-dwell",
        dest="dwell_by_destination",
        action="store_const",
        const="no",
        help="one dwell per touchpoint, whatever the next one",
    )
    cal.add_argument(
        "--dwell-families",
        metavar="LIST",
        help="comma-separated candidates among exponential,gamma,lognormal,weibull "
        "or empirical, overriding the automatic choice (a fixed delay for near-instant "
        "steps, Kaplan-Meier where no family passes a goodness-of-fit test)",
    )
    cal.add_argument(
        "--seed", type=cli_types.whole(0), default=0, help="seed of the EM starts (default 0)"
    )
    _economics_options(cal)
    _column_options(cal)


def _economics_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "economics of the fitted scenario (each overrides the mapping's [economics] table)"
    )
    for name, help_text in (
        ("gross-margin", "share of revenue kept, 0 to 1 (default: 1, with a warning)"),
        ("discount-rate", "annual discount rate for NPV and CLV (default 0)"),
        ("fixed-cost-per-day", "fixed cost per day, in the currency (default 0)"),
        ("cost-per-customer", "cost of each new customer, in the currency (default 0)"),
    ):
        g.add_argument(f"--{name}", type=float, default=None, metavar="X", help=help_text)


def _add_validate(sub: Any) -> None:
    val = sub.add_parser(
        "validate",
        help="simulate a holdout period from a fit and compare it with what happened",
        epilog=_EXAMPLES["validate"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    val.add_argument("file", help="fitted scenario written by `cjsim calibrate`")
    val.add_argument("holdout", help="event log covering the holdout period (CSV or Parquet)")
    val.add_argument("--end", metavar="DATE", help="end of the holdout (default: its last event)")
    val.add_argument(
        "--replications", type=cli_types.whole(1), default=20, help="simulations (default 20)"
    )
    val.add_argument(
        "--seed",
        type=cli_types.whole(0),
        default=None,
        help="simulation seed (default: fresh entropy, recorded in the output)",
    )
    val.add_argument(
        "--arrivals-end", metavar="DATE", help="no new customers after this date (default: none)"
    )
    val.add_argument(
        "--workers",
        type=cli_types.whole(1),
        default=None,
        metavar="W",
        help="worker processes for the replications (default: the machine's cores, at most 4)",
    )
    val.add_argument(
        "--drift-alpha",
        type=float,
        default=0.01,
        metavar="LEVEL",
        help="family-wise level of the drift tests (Holm; default 0.01)",
    )
    val.add_argument("--quiet", action="store_true", help="no progress bar")
    val.add_argument("--plot", metavar="PNG", help="save the holdout plot here")
    val.add_argument("--json", action="store_true", help="print the comparison as JSON")
    _column_options(val, defaults_from_fit=True)


def _add_report(sub: Any) -> None:
    rpt = sub.add_parser(
        "report",
        help="one self-contained HTML page: ranking, figures, KPI changes, assumptions",
        epilog=_EXAMPLES["report"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _baseline_arguments(rpt)
    rpt.add_argument("--out", required=True, metavar="report.html", help="HTML file to write")
    _engine_options(
        rpt,
        ENGINE_HELP_COMPARE,
        default_engine="des",
        default_workers=default_workers(),
        replications_help="paired replications per variant (default 10)",
        with_json=False,
    )
    _budget_option(rpt)


def _baseline_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="scenario TOML file (the baseline)")
    p.add_argument("--interventions", required=True, metavar="FILE2", help="intervention TOML file")


def _out_file(out: str, suffixes: tuple[str, ...], what: str) -> Path:
    """``--out`` as a file with one of ``suffixes`` in an existing folder."""
    path = Path(out)
    if path.suffix.lower() not in suffixes:
        raise CJSimError(f"--out {path}: give a {suffixes[0]} file name for {what}")
    if not path.parent.exists():
        raise CJSimError(f"--out {path}: folder {path.parent} does not exist — create it first")
    why = unwritable(path)
    if why or path.is_dir():
        raise CJSimError(f"--out {path}: {why or 'is a folder'} — choose a file you can write")
    return path


def _run_options(
    args: argparse.Namespace, *, events: bool = False, scenario: Scenario | None = None
) -> RunOptions:
    """The engine options of ``run``, ``compare`` and ``report`` as one record; a command
    whose ``--engine`` defaults by scenario (``run``, ``scores``) passes ``scenario``."""
    from cjsim.experiment import RunOptions

    engine = args.engine
    if engine is None and scenario is not None:
        from cjsim.engines.registry import answering_engine

        engine, why = answering_engine(scenario)
        if why is not None:
            print(f"cjsim: running the {engine} engine — {_first_clause(why)}", file=sys.stderr)
    return RunOptions(
        engine=engine,
        replications=args.replications,
        seed=args.seed,
        workers=args.workers,
        executor="dask" if (args.dask or args.scheduler) else None,
        scheduler=args.scheduler,
        progress=False if args.quiet else None,
        events=events,
        ignore_capacity=args.ignore_capacity,
    )


def _first_clause(why: str) -> str:
    """The reason an engine refused a scenario, up to its remedy (after the dash)."""
    return why.split(" — ")[0]


def _report(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # a command draws off-screen
    from cjsim.report import build_report, write_report

    out = _out_file(args.out, (".html", ".htm"), "the report")
    scenario = _scenario(args)
    page = build_report(
        scenario,
        _interventions(args, scenario),
        options=_run_options(args),
        source=str(args.file),
        budget=args.budget,
    )
    print(f"wrote {write_report(out, page)}")
    return 0


def _column_options(p: argparse.ArgumentParser, defaults_from_fit: bool = False) -> None:
    where = " (default: as calibrated)" if defaults_from_fit else ""
    g = p.add_argument_group("event-log columns" + where)
    for name, default in (
        ("customer", "customer_id"),
        ("time", "timestamp"),
        ("event", "event"),
        ("value", "value"),
        ("segment", "segment"),
    ):
        g.add_argument(
            f"--{name}-column",
            dest=f"{name}_column",
            default=None,
            metavar="NAME",
            help=f"default {default!r}" if not defaults_from_fit else None,
        )


def _columns(args: argparse.Namespace, base: EventColumns) -> EventColumns:
    given = {
        k: getattr(args, f"{k}_column")
        for k in ("customer", "time", "event", "value", "segment")
        if getattr(args, f"{k}_column") is not None
    }
    return dataclasses.replace(base, **given)


def _economics(args: argparse.Namespace) -> dict[str, float] | None:
    """The economics options given, by field name (None: none given)."""
    names = ("gross_margin", "discount_rate", "fixed_cost_per_day", "cost_per_customer")
    given = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    return given or None


def _calibrate(args: argparse.Namespace) -> int:
    from cjsim.cli_format import fit_tables

    out = _out_file(args.out, (".toml",), "the fitted scenario")
    try:
        fit = _fit(args)
    except CalibrationError as exc:  # its lines name the file, column or key already
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    print(fit.summary())
    print(fit_tables(fit))
    for path in fit.save(out):
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _fit(args: argparse.Namespace) -> Fit:
    """``calibrate`` with the command's options."""
    from cjsim.calibration import EventColumns, calibrate

    return calibrate(
        args.events,
        args.mapping,
        _columns(args, EventColumns()),
        latent_segments=args.latent_segments,
        heterogeneity=args.heterogeneity,
        class_shapes=args.class_shapes,
        order=args.order,
        horizon_days=args.horizon,
        dwell_by_destination=args.dwell_by_destination,
        dwell_families=tuple(args.dwell_families.split(",")) if args.dwell_families else None,
        seed=args.seed,
        economics=_economics(args),
    )


def _validate(args: argparse.Namespace) -> int:
    from cjsim.calibration import load_fit, validate
    from cjsim.cli_format import validation_tables

    _check_plot(args.plot)
    fit = load_fit(args.file)
    result = validate(
        fit,
        args.holdout,
        columns=_columns(args, fit.columns),
        end=args.end,
        replications=max(args.replications, 2),
        seed=args.seed,
        workers=args.workers,
        progress=False if args.quiet else None,
        arrivals_end=args.arrivals_end,
        drift_alpha=args.drift_alpha,
    )
    if args.plot:
        print(f"wrote {result.save_plot(args.plot)}", file=sys.stderr)
    if args.json:
        print(result.to_json())
    else:
        print(result.summary())
        print(validation_tables(result))
    return 0


ENGINE_HELP_RUN = (
    "analytic: exact, infinite horizon (default; des for a scenario with satisfaction, "
    "which the analytic engine refuses); des: discrete-event with queues; vectorized: "
    "fast Monte Carlo without queues"
)
ENGINE_HELP_COMPARE = (
    "des (default): queues and experience effects; analytic: exact and "
    "instant, but blind to queues; vectorized: fast, no queues"
)


def _engine_options(
    parser: argparse.ArgumentParser,
    engine_help: str,
    default_engine: str | None,
    default_workers: int,
    replications_help: str,
    with_json: bool = True,
) -> None:
    """The options ``run``, ``compare`` and ``report`` share: engine, replications, seed,
    executors, horizon, progress (and ``--json`` where the command prints results)."""
    parser.add_argument(
        "--engine",
        choices=engine_names(),
        default=default_engine,
        help=engine_help,
    )
    parser.add_argument(
        "--replications", type=cli_types.whole(1), default=10, metavar="R", help=replications_help
    )
    parser.add_argument(
        "--seed",
        type=cli_types.whole(0),
        default=None,
        metavar="S",
        help="root seed; the same seed gives the same numbers (default: fresh "
        "entropy, recorded in the output)",
    )
    parser.add_argument(
        "--workers",
        type=cli_types.whole(1),
        default=default_workers,
        metavar="W",
        help=f"worker processes (default {default_workers}; a local pool, or "
        "a local Dask cluster with --dask)",
    )
    parser.add_argument("--dask", action="store_true", help="run on a local Dask cluster")
    parser.add_argument(
        "--scheduler",
        metavar="ADDR",
        type=_scheduler,
        default=None,
        help="run on an existing Dask scheduler, e.g. tcp://10.0.0.5:8786",
    )
    parser.add_argument(
        "--ignore-capacity",
        action="store_true",
        help="let the vectorized engine run a model with queues, ignoring them",
    )
    parser.add_argument(
        "--horizon",
        type=cli_types.days,
        default=None,
        metavar="DAYS",
        help="simulate this many days instead of the scenario's horizon_days",
    )
    if with_json:
        parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _compare(args: argparse.Namespace) -> int:
    from cjsim.cli_format import comparison_tables
    from cjsim.interventions.compare import compare
    from cjsim.interventions.portfolio import with_budget

    scenario = _scenario(args)
    _check_out(args.out)
    if args.select and args.indifference is None:
        raise CJSimError(
            "--select best needs --indifference MONEY: the smallest profit difference over "
            "the horizon worth telling apart, e.g. --indifference 1000"
        )
    if not args.select and args.indifference is not None:
        raise CJSimError("--indifference applies to --select best — add --select best")
    interventions = _interventions(args, scenario)
    result = compare(scenario, interventions, options=_run_options(args))
    if args.budget is not None:
        result = with_budget(result, args.budget)
    if args.select:
        from cjsim.interventions.selection import with_selection

        result = with_selection(
            result,
            pcs=args.pcs,
            indifference=args.indifference,
            max_replications=args.max_replications,
        )
    if args.out:
        for path in result.save(args.out):
            print(f"wrote {path}", file=sys.stderr)
    print(result.to_json() if args.json else comparison_tables(result))
    return 0


def _interventions(args: argparse.Namespace, scenario: Scenario) -> tuple[Intervention, ...]:
    """``--interventions FILE``, checked against the scenario before anything runs: every
    problem at once, each line naming FILE."""
    from cjsim.interventions import check_interventions, load_interventions

    interventions = load_interventions(args.interventions)
    check_interventions(scenario, interventions, source=str(args.interventions))
    return interventions


def _check_out(out: str | None, option: str = "--out") -> None:
    """Refuse an output folder that cannot be written, before any work."""
    if not out:
        return
    if Path(out).exists() and not Path(out).is_dir():
        raise CJSimError(
            f"{option} {out}: exists and is not a directory — choose a new or existing directory"
        )
    why = unwritable(out)
    if why:
        raise CJSimError(f"{option} {out}: {why} — choose a folder you can write to")


def _scenario(args: argparse.Namespace) -> Scenario:
    """The scenario of ``args.file``, with ``--horizon`` applied."""
    from cjsim.scenario import load_scenario

    scenario = load_scenario(args.file)
    return scenario.replace(horizon_days=args.horizon) if args.horizon else scenario


def _scheduler(text: str) -> str:
    scheme, sep, rest = text.partition("://")
    host, colon, port = rest.rpartition(":")
    if not (sep and scheme.isalnum() and host and colon and port.isdigit()):
        raise argparse.ArgumentTypeError(
            f"expected an address like tcp://10.0.0.5:8786, got {text!r}"
        )
    return text


def _check_plot(plot: str | None) -> None:
    if plot and not Path(plot).resolve().parent.is_dir():
        raise CJSimError(
            f"--plot {plot}: folder {Path(plot).parent} does not exist — create it first "
            "or choose an existing folder"
        )
    why = unwritable(plot) if plot else None
    if why:
        raise CJSimError(f"--plot {plot}: {why} — choose a file you can write")


def _latent_segments(text: str) -> int | str:  # also --order
    return text if text == "auto" else cli_types.whole(1)(text)


def _fail(exc: CJSimError, source: str | None) -> int:
    problems: Sequence[Problem] = getattr(exc, "problems", ()) or [Problem("", str(exc))]
    origin = getattr(exc, "source", None) or source
    shown = problems if len(problems) <= MAX_PROBLEMS_SHOWN + 1 else problems[:MAX_PROBLEMS_SHOWN]
    for problem in shown:
        print(problem.format(origin), file=sys.stderr)
    if len(problems) > len(shown):
        rest = len(problems) - len(shown)
        print(f"{origin or 'cjsim'}: … and {rest} more problems not shown", file=sys.stderr)
    return EXIT_USAGE


def _check(args: argparse.Namespace) -> int:
    from cjsim.cli_format import check_summary
    from cjsim.engines.analytic import solve
    from cjsim.scenario import load_scenario

    scenario = load_scenario(args.file)
    result = solve(scenario.without_satisfaction(), removal=False, elasticity=False)
    print(check_summary(scenario, result, args.file))
    return 0


def _run(args: argparse.Namespace) -> int:
    from cjsim.cli_format import result_tables
    from cjsim.experiment import simulate

    scenario = _scenario(args)
    _check_out(args.out)
    if args.events and not args.out:
        raise CJSimError(
            "--events needs --out DIR — the event log is written to DIR/events.parquet"
        )
    result = simulate(scenario, options=_run_options(args, events=args.events, scenario=scenario))
    if args.out:
        for path in result.save(args.out):
            print(f"wrote {path}", file=sys.stderr)
    print(result.to_json() if args.json else result_tables(result))
    return 0


def _broken_pipe() -> int:
    """The reader of stdout went away (``cjsim run … --json | head``): stop quietly, with
    the exit code of a process ended by SIGPIPE (128 + 13), and keep Python from failing
    again when it flushes stdout at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout replaced by something without a descriptor
        pass
    return 141


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cjsim`` console script; returns the exit code."""
    args = _parser().parse_args(argv)
    shown: set[str] = set()

    def show(message: Warning | str, *_: object, **__: object) -> None:
        """Each warning once, as one line, without Python's file and source line."""
        if str(message) not in shown:
            shown.add(str(message))
            print(f"cjsim: warning: {message}", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.showwarning = show
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    handlers = {
        "check": _check,
        "run": _run,
        "compare": _compare,
        "optimize": _optimize,
        "scores": _scores,
        "calibrate": _calibrate,
        "validate": _validate,
        "report": _report,
        "attribution": cli_channels.run,
        "examples": cli_examples.run,
        "new": cli_templates.run,
        "abtest": cli_abtest.run,
    }
    try:
        if args.command == "schema":
            from cjsim.scenario import json_schema

            print(json.dumps(json_schema(), indent=2))
            return 0
        return handlers[args.command](args)
    except CJSimError as exc:
        return _fail(
            exc,
            getattr(args, "file", None)
            or getattr(args, "events", None)
            or getattr(args, "paths", None),
        )
    except KeyboardInterrupt:
        print("cjsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _broken_pipe()
    except OSError as exc:  # the disk, not cjsim: full, read-only, permissions …
        where = f"{exc.filename}: " if exc.filename else ""
        print(
            f"cjsim: {where}{exc.strerror or exc} — check the path, its permissions and "
            "the free space",
            file=sys.stderr,
        )
        return 2
    except Exception as exc:  # a bug, not bad input: say so briefly
        if os.environ.get("CJSIM_DEBUG"):
            raise
        print(
            f"cjsim: internal error: {type(exc).__name__}: {exc} — please report it; "
            "set CJSIM_DEBUG=1 to see the traceback",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
