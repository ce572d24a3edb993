"""`elcart-sim run` (simulate a day, write its tables, summary and plots) and `elcart-sim scenarios`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from elcart_sim.cli.options import add_scenario_options, scenario_from_args

__all__ = ["add_commands"]

EPILOG = """\
Bundled scenarios live in data/scenarios/ (list them with `elcart-sim scenarios`).
Outputs of `run`: transactions, hops, postings, receipts, samples, components and token_events
tables as Parquet and CSV, summary.json, scenario.yaml (the scenario as run, with every override:
`--scenario DIR/scenario.yaml` runs it again), and PNG plots (latency distribution; throughput and
queue lengths over the day; utilisation per host; attack detection when the scenario injects attacks).
Field meanings and units: docs/records.md.
"""



def add_commands(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser(
        "run",
        help="simulate a day and write tables, a summary and plots",
        description="Simulate the scenario's day end to end (tap → terminal → acquirer → switch → issuer), "
        "print a summary and write the tables and plots into --out.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_scenario_options(run)
    run.add_argument("--out", default="results", metavar="DIR", help="output folder (default: %(default)s)")
    run.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    run.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    run.add_argument("--format", choices=("parquet", "csv", "both"), default="both", help="table format (default: %(default)s)")
    run.set_defaults(handler=_run)

    scenarios = commands.add_parser(
        "scenarios",
        help="list the bundled scenarios",
        description="List the scenarios bundled in data/scenarios/, one per line: the name to give to "
        "--scenario, and what the scenario is. A YAML file of your own works too: --scenario PATH.",
    )
    scenarios.set_defaults(handler=_scenarios)


def _run(args: argparse.Namespace) -> int:
    from elcart_sim.analysis import plots
    from elcart_sim.model.simulation import run

    scenario = scenario_from_args(args)
    print(
        f"running {scenario.name}: ~{scenario.transactions_expected:,.0f} taps over "
        f"{scenario.demand.duration_s / 3600:g} h, seed {scenario.seed}, scale {scenario.scale:g}",
        file=sys.stderr,
    )
    args.activity.now(f"simulating {scenario.name}")
    started = time.perf_counter()
    results = run(scenario, progress=not args.no_progress and sys.stderr.isatty())
    elapsed = time.perf_counter() - started
    args.activity.now(f"writing the results of {scenario.name}")
    formats = ("parquet", "csv") if args.format == "both" else (args.format,)
    written = results.export(args.out, formats)
    if not args.no_plots:
        args.activity.now(f"drawing the plots of {scenario.name}")
        written += plots.save_all(results, args.out)
    print(results.summary_text())
    print(f"  wall time           {elapsed:.1f} s ({len(results.transactions) / elapsed:,.0f} transactions/s)")
    print(f"  wrote {len(written)} files to {Path(args.out).resolve()}")
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    from elcart_sim.scenario import load_scenario, scenario_names

    for name in scenario_names():
        scenario = load_scenario(name)
        print(f"{name:20s} {scenario.description}")
    return 0
