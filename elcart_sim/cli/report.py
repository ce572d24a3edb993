"""The `elcart-sim report` command.

    elcart-sim report [--scenario NAME|PATH] [--set PATH=VALUE ...] [--replications N] [--seed N] [--scale F] [--days N] [--drills N] --out DIR

The notebook runs in a Jupyter kernel, a process of its own, while this process shows how far
its studies have got (`cli.study_progress`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from elcart_sim.capacity.executors import default_workers
from elcart_sim.cli.options import add_scenario_options, scenario_with_sets
from elcart_sim.cli.study_progress import build_with_progress
from elcart_sim.core.errors import ReportError
from elcart_sim.report.notebook import ReportParameters, report_scenario, require_notebook_tools

__all__ = ["add_commands"]


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `elcart-sim report` on the main parser's subcommands."""
    defaults = ReportParameters()
    report = subparsers.add_parser(
        "report",
        help="capacity-planning report: the capacity notebook executed and rendered to one HTML file",
        description="Execute notebooks/04_capacity_planning.ipynb for a scenario (papermill) and render it "
        "into one self-contained HTML file in --out: demand over the day, latency percentiles with 95 % "
        "confidence bands across replications, utilisation per component, sizing curves (p99 against "
        "servers per component), headroom over the years of growth, and with --days the days of a multi-day "
        "run. Progress of the studies goes to stderr: a bar per study on a terminal, else a line per finished "
        "study. The day's replications "
        "dominate the time: about (taps per day × replications ÷ workers) ÷ 4,000 taps/s.",
    )
    add_scenario_options(report, fidelity=False)  # reports run the fast fidelity
    report.add_argument(
        "--replications",
        type=int,
        default=defaults.replications,
        metavar="N",
        help="independent replications behind every mean and confidence interval (default: %(default)s)",
    )
    report.add_argument(
        "--target-p99",
        type=float,
        default=defaults.target_p99_s,
        metavar="SECONDS",
        help="tap-to-result p99 the sizing and headroom sections aim at (default: %(default)s)",
    )
    report.add_argument(
        "--years",
        type=int,
        default=defaults.max_years,
        metavar="N",
        help="growth horizon of the headroom section, in years (default: %(default)s)",
    )
    report.add_argument(
        "--peak-taps",
        type=int,
        default=defaults.peak_taps,
        metavar="N",
        help="taps per simulated peak window in the sizing and headroom sections (default: %(default)s)",
    )
    report.add_argument(
        "--sizing-points",
        type=int,
        default=defaults.sizing_points,
        metavar="N",
        help="about how many server counts each sizing curve has (default: %(default)s)",
    )
    report.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        metavar="N",
        help="run replications on N local processes started by the notebook's kernel (default: os.cpu_count(), "
        "the machine's cores: %(default)s here; 1 runs them in the kernel, serially)",
    )
    report.add_argument(
        "--days",
        type=int,
        metavar="N",
        help="add the days: the scenario run once for N >= 2 days in a row from its date at the report's scale, "
        "one row per day (transactions by service, share approved, the ledger at the day's close) and its plot "
        "(default: no days section)",
    )
    report.add_argument(
        "--drills",
        type=int,
        metavar="N",
        help="add fault drills: N runs of the day at the report's scale under seeded random fault plans, the "
        "invariants checked, each scored against the day without faults (sales lost, reversals, customers "
        "affected, stand-in exposure, time to recover; elcart-sim drill) (default: no drills section)",
    )
    report.add_argument("--dask", metavar="ADDRESS|local", help="run replications on a Dask cluster (a scheduler address, or local)")
    report.add_argument("--show-code", action="store_true", help="include the notebook's code cells in the HTML")
    report.add_argument("--no-progress", action="store_true",
                        help="show no progress (default: a bar per study on a terminal, else a line per finished study)")
    report.add_argument("--out", required=True, metavar="DIR", help="output folder")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    require_notebook_tools()
    if args.replications < 2:
        raise ReportError(f"--replications must be >= 2 for confidence intervals, got {args.replications}")
    for option, value, least in (("--peak-taps", args.peak_taps, 1), ("--years", args.years, 0),
                                 ("--sizing-points", args.sizing_points, 2), ("--workers", args.workers, 1)):
        if value < least:
            raise ReportError(f"{option} must be >= {least}, got {value}")
    if args.days is not None and args.days < 2:
        raise ReportError(f"--days must be >= 2, got {args.days}")
    if args.drills is not None and args.drills < 1:
        raise ReportError(f"--drills must be >= 1, got {args.drills}")
    if not args.target_p99 > 0:
        raise ReportError(f"--target-p99 must be > 0 s, got {args.target_p99}")
    scenario_source = args.scenario
    if args.overrides:  # the notebook takes a scenario by name or path: the varied one is written beside the report
        varied = scenario_with_sets(args.scenario, args.overrides)
        args.activity.now("writing the varied scenario")
        Path(args.out).mkdir(parents=True, exist_ok=True)
        scenario_source = str(Path(args.out) / "scenario.yaml")
        Path(scenario_source).write_text(varied.to_yaml(), encoding="utf-8")
    parameters = ReportParameters(
        scenario=scenario_source,
        seed=args.seed,
        scale=args.scale,
        replications=args.replications,
        target_p99_s=args.target_p99,
        peak_taps=args.peak_taps,
        max_years=args.years,
        sizing_points=args.sizing_points,
        workers=args.workers,
        dask=args.dask,
        days=args.days or 0,
        drills=args.drills or 0,
    )
    scenario = report_scenario(scenario_source, args.seed, args.scale)
    print(
        f"report on {scenario.name}: ~{scenario.transactions_expected:,.0f} card transactions per run, "
        f"{args.replications} replications, seed {scenario.seed}, scale {scenario.scale:g}"
        + (f"; and {args.days} days in a row from {scenario.date}" if args.days else "")
        + (f"; and {args.drills} fault drills" if args.drills else ""),
        file=sys.stderr,
    )
    started = time.perf_counter()
    args.activity.now(f"executing the report notebook on {scenario.name}")
    html = build_with_progress(parameters, args.out, show_code=args.show_code, progress=not args.no_progress,
                               activity=args.activity)
    print(f"  wall time           {time.perf_counter() - started:.1f} s")
    print(f"  wrote {html.resolve()}")
    return 0
