"""The capacity-planning commands of `elcart-sim`: validate, replicate, sweep and size.

    elcart-sim validate  [--size ci|full] [--workers N] [--dask ADDRESS|local]
    elcart-sim replicate [--scenario NAME|PATH] [--replications N] [--warmup S] [--workers N] [--out DIR]
    elcart-sim sweep     --set PATH=V1,V2,... [--set ...] [--replications N] [--workers N] [--out DIR]
    elcart-sim size      [--target-p99 SECONDS] [--scenario NAME|PATH] [--growth G] [--workers N]
                         [--support | --support-only] [--outage HH:MM-HH:MM:CUSTOMERS]

`add_commands(subparsers)` registers them on the main parser (elcart_sim/cli/main.py). Heavy
imports happen inside the handlers, so `elcart-sim --help` stays quick. Each handler writes its
files before it prints its table, so output cut short (`| head`) never costs a file.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from elcart_sim.capacity.executors import default_workers
from elcart_sim.capacity.sizing_report import DEFAULT_TARGET_P99_S
from elcart_sim.cli.options import add_scenario_options, scenario_from_args
from elcart_sim.core.errors import ElcartSimError

__all__ = ["add_commands"]

HEADLINE_METRICS = (
    "transactions",
    "approval_rate",
    "latency_p50_s",
    "latency_p95_s",
    "latency_p99_s",
    "acquirer_utilisation",
    "switch_utilisation",
    "issuers_max_utilisation",
    "acquirer_mean_queue",
    "switch_mean_queue",
    "issuers_max_mean_queue",
    "timeouts",
    "reversals",
)

_EXECUTION_EPILOG = f"""\
Where runs execute: on --workers local processes, by default one per core of this machine
(os.cpu_count(): {default_workers()} here); --workers 1 runs them in this process, serially;
--dask ADDRESS uses an existing Dask cluster (its workers need elcart-sim installed), --dask local
starts a local Dask cluster of --workers processes for the run. Results are identical everywhere:
replication k always draws from the random streams of (seed, k). Progress: a bar on stderr when
it is a terminal, else one line per finished batch of runs. Ctrl-C stops the workers, says which
files were already written, and exits with 130.
"""

_METRICS_EPILOG = """\
Metrics per replication (after --warmup): approval rate, tap-to-result latency p50/p95/p99,
utilisation, mean queue, arrival rate, mean and p99 wait per host (acquirer, switch,
issuer:<bank>, and issuers_max_* for the busiest bank), timeouts (hop records with timed_out = 1)
and reversals (taps with a 0400). With clearing.enabled, over the whole day: the liquidity each
bank needed (liquidity_needed_<bank>_tyiyn under the cut-offs; liquidity_upper_/liquidity_lower_
in the files), unsettled_tyiyn and the delay indicator. Means carry Student-t intervals across
replications. A list value is YAML in brackets, quoted for the shell, times in double quotes:
--set 'clearing.cutoffs=["18:00"],["06:00","12:00","18:00","24:00"]'.
"""


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=96)


def add_execution_options(parser: argparse.ArgumentParser) -> None:
    """--workers (default: the machine's cores), --dask and --no-progress."""
    parser.add_argument("--workers", type=int, default=default_workers(), metavar="N",
                        help="local worker processes, or Dask workers with --dask local (default: os.cpu_count(), "
                        "the machine's cores: %(default)s here; 1 runs serially in this process)")
    parser.add_argument("--dask", metavar="ADDRESS|local",
                        help="run on the Dask scheduler at ADDRESS (tcp://host:8786), or on a local Dask cluster")
    parser.add_argument("--no-progress", action="store_true",
                        help="show no progress (default: a bar on a terminal, else a line per finished batch of runs)")


def _add_study_options(parser: argparse.ArgumentParser, replications: int) -> None:
    parser.add_argument("--replications", type=int, default=replications, metavar="N",
                        help="replications per point, on independent streams (default: %(default)s)")
    parser.add_argument("--warmup", type=float, default=0.0, metavar="SECONDS",
                        help="drop taps before this simulated time; host metrics start at the next "
                        "monitor boundary (default: %(default)s)")
    parser.add_argument("--confidence", type=float, default=0.95, metavar="LEVEL",
                        help="confidence level of the intervals (default: %(default)s)")
    parser.add_argument("--out", metavar="DIR",
                        help="also write the per-replication table (Parquet and CSV) and the intervals (CSV) here")


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register validate, replicate, sweep and size on the `elcart-sim` sub-command parsers."""
    validate = subparsers.add_parser(
        "validate",
        help="check the model against queueing theory and itself; exit 1 on a failed check",
        description=_wrap("Run the analytic validation suite: the switch as M/M/1 and M/M/3 against Erlang C "
        "(mean wait) and λ/(cμ) (utilisation) within the confidence interval; Little's law L = λW at "
        "every host of ordinary runs; more servers never mean longer waits (CRN sweep); the same seed "
        "gives identical results serially and in parallel (the suite's runs are repeated in this "
        "process and compared with those of --workers, or of 2 processes with --workers 1). Prints one "
        "line per check (expected, observed, interval, pass/fail); exits 0 if all pass, 1 otherwise."),
        epilog=_EXECUTION_EPILOG,
        formatter_class=_formatter,
    )
    validate.add_argument("--size", choices=("ci", "full"), default="ci",
                          help="ci: well under a minute; full: ~25× the taps (minutes), for intervals ~6× tighter "
                          "(default: %(default)s)")
    validate.add_argument("--confidence", type=float, default=0.95, metavar="LEVEL",
                          help="confidence level of the intervals (default: %(default)s)")
    validate.add_argument("--seed", type=int, metavar="N", help="master seed of the suite's runs (default: fixed)")
    validate.add_argument("--out", metavar="DIR", help="also write the checks (CSV) and the runs' metrics (CSV) here")
    add_execution_options(validate)
    validate.set_defaults(handler=_validate)

    replicate = subparsers.add_parser(
        "replicate",
        help="replicate a scenario and report means with confidence intervals",
        description=_wrap("Run replications 0..N-1 of the scenario (independent random streams), cut the warm-up, "
        "and print the mean and confidence interval of every headline metric."),
        epilog=_METRICS_EPILOG + "\n" + _EXECUTION_EPILOG,
        formatter_class=_formatter,
    )
    add_scenario_options(replicate)
    _add_study_options(replicate, replications=10)
    add_execution_options(replicate)
    replicate.set_defaults(handler=_replicate)

    sweep = subparsers.add_parser(
        "sweep",
        help="replicate a scenario over a grid of field values",
        description=_wrap("Run the scenario at every combination of the --set values, each point with the same "
        "replications (common random numbers), and print means with intervals per point. "
        "Example: elcart-sim sweep --set switch.servers=2,4,8 --replications 5 --workers 2 --out sweep/"),
        epilog=_METRICS_EPILOG + "\n" + _EXECUTION_EPILOG,
        formatter_class=_formatter,
    )
    sweep.add_argument("--set", dest="assignments", action="append", required=True, metavar="PATH=V1,V2,...",
                       help="a scenario field by dotted path and its values (YAML; commas inside [] or {} "
                       "do not split); repeat for a grid, e.g. --set switch.servers=2,4 --set demand.years_ahead=0,5")
    add_scenario_options(sweep, overrides=False)  # its own --set is the grid (one value: an override)
    _add_study_options(sweep, replications=5)
    add_execution_options(sweep)
    sweep.set_defaults(handler=_sweep)

    size = subparsers.add_parser(
        "size",
        help="servers per host for a p99 latency target at the peak, and years of growth absorbed",
        description=_wrap("Find the fewest servers at every host the model registers for the scenario's day: the "
        "acquirer, the switch and the issuers (every bank's host gets issuer.servers), and on a day with the "
        "app's services the directory, the biller gateways and the interaction operator; such that the p99 "
        "of tap-to-result latency over the scenario's busiest hour, and of each app service's "
        "request-to-result latency, is at most --target-p99 (mean over replications); one server fewer at "
        "any single host misses it. "
        "Erlang C gives the first guess, simulation confirms. Names the bottleneck (the host with the "
        "highest utilisation at the peak) and counts the whole years of demand growth today's servers "
        "absorb before the target breaks. The busiest hour is simulated alone at its rate, in the fast "
        "fidelity (the same timings as wire)."),
        epilog=_EXECUTION_EPILOG,
        formatter_class=_formatter,
    )
    size.add_argument("--target-p99", type=float, default=DEFAULT_TARGET_P99_S, metavar="SECONDS",
                      help="target for the 99th percentile of tap-to-result latency at the peak, in seconds "
                      "(default: %(default)g, as elcart-sim report; our assumption, no ELKART service level is published)")
    add_scenario_options(size, fidelity=False)
    size.add_argument("--growth", type=float, metavar="G",
                      help="demand growth per year, e.g. 0.30 (default: the scenario's demand.growth_per_year)")
    size.add_argument("--no-growth", action="store_true", help="skip the years-of-growth question")
    size.add_argument("--max-years", type=int, default=50, metavar="N",
                      help="look at most this many years ahead (default: %(default)s)")
    size.add_argument("--taps", type=int, default=5_000, metavar="N",
                      help="peak taps simulated per replication (default: %(default)s)")
    size.add_argument("--replications", type=int, default=3, metavar="N",
                      help="replications per simulated configuration (default: %(default)s)")
    size.add_argument("--out", metavar="DIR", help="also write sizing.json and every simulated configuration (CSV) here")
    support = size.add_argument_group(
        "the support centre",
        "Agents per shift for the service-level targets of the scenario's support: section (80 % in 20 s on the "
        "phone, 80 % in 60 s in chat by default), for the contacts of the scenario's date: the funnel's failures "
        "(with onboarding.enabled), the wallets' everyday questions, lost and replaced phones, and --outage. "
        "Erlang C sizes each shift's busiest hour; the simulation (agents in shifts, callers who hang up) finds "
        "the fewest agents meeting the target over the shift's contacts. Declined taps and failed transfers come "
        "from a run's records: see elcart_sim.people.contacts.day_contacts.")
    support.add_argument("--support", action="store_true", help="also size the 24/7 support centre (after the hosts)")
    support.add_argument("--support-only", action="store_true", help="size only the support centre (seconds, not minutes)")
    support.add_argument("--outage", action="append", default=[], metavar="HH:MM-HH:MM:CUSTOMERS",
                         help="an outage that day, local times and the customers it touched, e.g. 14:00-16:00:20000 (repeatable)")
    support.add_argument("--support-replications", type=int, default=5, metavar="N",
                         help="replications of the centre's day per simulated staffing (default: %(default)s)")
    add_execution_options(size)
    size.set_defaults(handler=_size)


# -- handlers -----------------------------------------------------------------------------------------


def _executor(args: argparse.Namespace):
    from elcart_sim.capacity.executors import make_executor

    return make_executor(args.workers, args.dask)


def _progress(args: argparse.Namespace) -> bool:
    return not args.no_progress


def _check_replications(args: argparse.Namespace) -> None:
    from elcart_sim.core.errors import CapacityError

    if args.replications < 1:
        raise CapacityError(f"replications must be >= 1, got {args.replications}")


def _write_tables(out: str, name: str, frame, intervals) -> list[Path]:
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / f"{name}.parquet", folder / f"{name}.csv", folder / "intervals.csv"]
    frame.to_parquet(written[0], index=False)
    frame.to_csv(written[1], index=False)
    intervals.to_csv(written[2], index=False)
    return written


def _validate(args: argparse.Namespace) -> int:
    from elcart_sim.capacity.validation import VALIDATION_SEED, validate

    with _executor(args) as executor:
        print(f"validation suite (size {args.size}) on {executor}", file=sys.stderr)
        args.activity.now(f"running the validation suite (size {args.size}) on {executor}")
        report = validate(
            size=args.size,
            executor=executor,
            confidence=args.confidence,
            seed=VALIDATION_SEED if args.seed is None else args.seed,
            progress=_progress(args),
        )
    if args.out:
        args.activity.now("writing the checks")
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        report.to_frame().to_csv(folder / "checks.csv", index=False)
        for name, frame in report.frames.items():
            frame.to_csv(folder / f"runs_{name}.csv", index=False)
    print(report.table())
    return 0 if report.passed else 1


def _replicate(args: argparse.Namespace) -> int:
    from elcart_sim.capacity.intervals import confidence_intervals
    from elcart_sim.capacity.replications import replicate
    from elcart_sim.capacity.tables import interval_table

    scenario = scenario_from_args(args)
    _check_replications(args)
    with _executor(args) as executor:
        print(f"{args.replications} replications of {scenario.name} (~{scenario.transactions_expected:,.0f} card transactions each) "
              f"on {executor}", file=sys.stderr)
        args.activity.now(f"running {args.replications} replications of {scenario.name} on {executor}")
        frame = replicate(scenario, args.replications, warmup_s=args.warmup, executor=executor, progress=_progress(args))
    intervals = confidence_intervals(frame, confidence=args.confidence)
    written = []
    if args.out:
        args.activity.now("writing the replications")
        written = _write_tables(args.out, "replications", frame, intervals)
    print(interval_table(intervals, HEADLINE_METRICS))
    if written:
        print(f"wrote {len(written)} files to {Path(args.out).resolve()}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from elcart_sim.capacity.intervals import confidence_intervals
    from elcart_sim.capacity.sweeps import grid_points, parse_assignment, sweep
    from elcart_sim.capacity.tables import interval_table

    grid = dict(parse_assignment(text) for text in args.assignments)
    scenario = scenario_from_args(args)
    _check_replications(args)
    points = grid_points(grid)
    for point in points:  # every point valid before anything runs
        scenario.with_overrides(point)
    points = len(points)
    with _executor(args) as executor:
        print(f"sweep of {scenario.name}: {points} points × {args.replications} replications on {executor}",
              file=sys.stderr)
        args.activity.now(f"sweeping {scenario.name} ({points} points × {args.replications} replications) on {executor}")
        frame = sweep(scenario, grid, args.replications, warmup_s=args.warmup, executor=executor, progress=_progress(args))
    intervals = confidence_intervals(frame, by=list(grid), confidence=args.confidence)
    written = []
    if args.out:
        args.activity.now("writing the sweep")
        written = _write_tables(args.out, "sweep", frame, intervals)
    print(interval_table(intervals, HEADLINE_METRICS, by=list(grid)))
    settlement = [m for m in dict.fromkeys(intervals["metric"]) if m.startswith("liquidity_needed_")]
    if settlement:  # clearing ran: the liquidity each bank needed under the cut-offs (upper and lower bounds in the files)
        print()
        print(interval_table(intervals, [*settlement, "unsettled_tyiyn", "delay_indicator"], by=list(grid)))
    if written:
        print(f"wrote {len(written)} files to {Path(args.out).resolve()}")
    return 0


def _outage(text: str):
    """HH:MM-HH:MM:CUSTOMERS as a people.contacts.Outage."""
    from elcart_sim.core.errors import OptionValueError
    from elcart_sim.people.contacts import Outage

    try:
        window, customers = text.rsplit(":", 1)
        start, end = window.split("-")
        seconds = [int(h) * 3600.0 + int(m) * 60.0 for h, m in (t.split(":") for t in (start, end))]
        return Outage(seconds[0], seconds[1] if seconds[1] > seconds[0] else seconds[1] + 86_400.0, float(customers))
    except (ValueError, ElcartSimError) as error:
        raise OptionValueError(f"--outage must look like 14:00-16:00:20000, got {text!r} ({error})") from None


def _size_support(args: argparse.Namespace, scenario, folder: Path | None) -> int:
    from elcart_sim.people.contacts import expected_contacts
    from elcart_sim.people.staffing import staffing_table, staffing_text

    outages = [_outage(text) for text in args.outage]
    if args.support_replications < 2:
        from elcart_sim.core.errors import CapacityError

        raise CapacityError(f"--support-replications must be >= 2 for an interval, got {args.support_replications}")
    args.activity.now(f"sizing the support centre of {scenario.name} on {scenario.date}")
    contacts = expected_contacts(scenario, outages=outages)
    table = staffing_table(scenario.support, contacts, replications=args.support_replications, seed=scenario.seed,
                           progress=args.activity.now)
    print(f"support centre on {scenario.date}: {contacts['contacts'].sum():,.0f} contacts "
          f"({', '.join(f'{c} {n:,.0f}' for c, n in contacts.groupby('cause', sort=False)['contacts'].sum().items())})")
    print(staffing_text(table, scenario.support))
    if folder is not None:
        table.to_csv(folder / "support.csv", index=False)
    return 1


def _size(args: argparse.Namespace) -> int:
    from elcart_sim.capacity.knee import knee_table, knee_text
    from elcart_sim.capacity.sizing import size

    scenario = scenario_from_args(args)
    for text in args.outage:
        _outage(text)  # a bad --outage fails before any work
    if args.support_only:
        folder = Path(args.out) if args.out else None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        written = _size_support(args, scenario, folder)
        if folder is not None:
            print(f"wrote {written} file to {folder.resolve()}")
        return 0
    with _executor(args) as executor:
        print(f"sizing {scenario.name} for p99 ≤ {args.target_p99:g} s on {executor}", file=sys.stderr)
        args.activity.now(f"sizing {scenario.name} for p99 ≤ {args.target_p99:g} s on {executor}")
        report = size(
            scenario,
            args.target_p99,
            growth_per_year=args.growth,
            growth=not args.no_growth,
            max_years=args.max_years,
            taps=args.taps,
            replications=args.replications,
            executor=executor,
            progress=_progress(args),
        )
    folder = None
    if args.out:
        args.activity.now("writing the sizing")
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        report.evaluations.to_csv(folder / "evaluations.csv", index=False)
        (folder / "sizing.json").write_text(json.dumps(report.to_dict(), indent=2, default=str) + "\n", encoding="utf-8")
    print(report.table())
    growth = scenario.demand.growth_per_year if args.growth is None else args.growth
    knees = knee_table(scenario, growth_per_year=growth)
    print()
    print(knee_text(knees, growth_per_year=growth))
    written = 3
    if args.support:
        print()
        written += _size_support(args, scenario, folder)
    if folder is not None:
        knees.to_csv(folder / "knee.csv", index=False)
        print(f"wrote {written} files to {folder.resolve()}")
    return 0
