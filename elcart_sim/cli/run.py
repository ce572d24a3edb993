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
`--scenario DIR/scenario.yaml` runs it again), the planner's tables hourly (taps, approvals,
p50/p99 latency, peak TPS per hour) and hosts (per host: peak arrival rate in the busiest minute,
p99 residence time), and PNG plots (latency distribution; throughput and queue lengths over the
day; utilisation per host; attack detection when the scenario injects attacks). With clearing.enabled:
the clearing, positions and settlement tables, positions_by_bank (per bank: net position and
liquidity needed, upper and lower bounds; analysis/settlement.py) and the plots of net positions
per bank and of the settlement accounts through the day.
Field meanings and units: docs/records.md; the planner's tables: elcart_sim/analysis/planner_tables.py.
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
    from elcart_sim.analysis.planner_tables import hosts_table, hourly_table
    from elcart_sim.analysis.services import services_table
    from elcart_sim.analysis.settlement import positions_by_bank
    from elcart_sim.model.simulation import run

    scenario = scenario_from_args(args)
    app_payments = scenario.app_payments_expected
    print(
        f"running {scenario.name}: ~{scenario.transactions_expected:,.0f} card transactions"
        + (f" and ~{app_payments:,.0f} payments in the app" if app_payments else "")
        + " over "
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
    planner = {"hourly": hourly_table(results), "hosts": hosts_table(results)}
    if len(results.transfers):
        planner["services"] = services_table(results)
    if len(results.positions):
        planner["positions_by_bank"] = positions_by_bank(results)
    written += _write_frames(planner, Path(args.out), formats)
    if not args.no_plots:
        args.activity.now(f"drawing the plots of {scenario.name}")
        written += plots.save_all(results, args.out)
    print(results.summary_text())
    print()
    print(_hourly_text(planner["hourly"]))
    print()
    print(_hosts_text(planner["hosts"]))
    print()
    if "services" in planner:
        print(_services_text(planner["services"]))
        print()
    if "positions_by_bank" in planner:
        print(_positions_text(planner["positions_by_bank"]))
        print()
    requests = len(results.transactions) + len(results.transfers)
    print(f"  wall time           {elapsed:.1f} s ({requests / elapsed:,.0f} transactions/s)")
    print(f"  wrote {len(written)} files to {Path(args.out).resolve()}")
    return 0


def _write_frames(frames: dict, out: Path, formats: tuple[str, ...]) -> list[Path]:
    written = []
    for name, frame in frames.items():
        if "parquet" in formats:
            written.append(out / f"{name}.parquet")
            frame.to_parquet(written[-1], index=False)
        if "csv" in formats:
            written.append(out / f"{name}.csv")
            frame.to_csv(written[-1], index=False)
    return written


def _seconds(value: float, digits: int = 3) -> str:
    return "–" if value != value else f"{value:.{digits}f}"


def _hourly_text(hourly) -> str:
    """The hourly table for the terminal: one line per hour."""
    from elcart_sim.capacity.tables import text_table

    rows = [
        {"hour": f"{row['hour']:02d}:00", "taps": row["taps"], "approvals": row["approvals"],
         "p50 (s)": _seconds(row["latency_p50_s"]), "p99 (s)": _seconds(row["latency_p99_s"]),
         "peak TPS": f"{row['peak_tps']:.2f}"}
        for row in hourly.to_dict("records")
    ]  # fmt: skip
    return "  by hour (tap instant; peak TPS = busiest minute ÷ 60)\n" + _indent(text_table(rows))


def _hosts_text(hosts) -> str:
    """The hosts table for the terminal: one line per host."""
    from elcart_sim.capacity.tables import text_table

    rows = []
    for row in hosts.to_dict("records"):
        at = row["busiest_minute_at"]
        rows.append(
            {"host": row["host"], "messages": row["messages"], "peak arrivals/s": f"{row['peak_arrivals_per_s']:.2f}",
             "busiest minute": "–" if at != at else f"{int(at // 3600):02d}:{int(at % 3600 // 60):02d}",
             "p99 residence (s)": _seconds(row["residence_p99_s"], 4)}
        )  # fmt: skip
    return "  by host (all messages; peak = busiest minute ÷ 60; residence = arrival → answer)\n" + _indent(text_table(rows))


def _services_text(services) -> str:
    """The services table for the terminal: one line per service and channel."""
    from elcart_sim.capacity.tables import text_table

    rows = [
        {"service": row["service"], "channel": row["channel"], "requests": row["requests"], "completed": row["completed"],
         "declined": row["declined"], "reversed": row["reversed"], "p50 (s)": _seconds(row["p50_s"]), "p99 (s)": _seconds(row["p99_s"]),
         "moved (KGS)": f"{row['value_tyiyn'] / 100:,.0f}"}
        for row in services.to_dict("records")
    ]  # fmt: skip
    return "  by service (taps: approved = completed; transfers: request → final state)\n" + _indent(text_table(rows))


def _positions_text(positions) -> str:
    """The positions_by_bank table for the terminal: one line per settlement participant."""
    from elcart_sim.capacity.tables import text_table

    def kgs(value) -> str:
        return f"{value / 100:,.0f}"

    rows = [
        {"bank": row["bank"], "net (KGS)": kgs(row["net_tyiyn"]), "liquidity upper": kgs(row["liquidity_upper_tyiyn"]),
         "needed": kgs(row["liquidity_needed_tyiyn"]), "lower": kgs(row["liquidity_lower_tyiyn"]),
         "closing balance": kgs(row["closing_balance_tyiyn"])}
        for row in positions.to_dict("records")
    ]  # fmt: skip
    return (
        "  by bank (net position over the day; liquidity in KGS: upper = every record settled gross on arrival, "
        "needed = under the cut-offs, lower = the day's net debit)\n" + _indent(text_table(rows))
    )


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def _scenarios(args: argparse.Namespace) -> int:
    from elcart_sim.scenario import load_scenario, scenario_names

    for name in scenario_names():
        scenario = load_scenario(name)
        print(f"{name:20s} {scenario.description}")
    return 0
