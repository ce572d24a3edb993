"""`elcart-sim drill`: seeded fault plans played on the same day, the invariants checked in every
run, a table of what was injected and found, and for a violation the one command that replays it.

    elcart-sim drill --runs N --seed S [--faults random|none|FILE] [--run I] [--scenario NAME|PATH]
                     [--scale F] [--executor serial|processes|dask] [--workers N] [--out DIR]

Exit status: 0 when no run broke an invariant, 1 when one did (after the replay lines), 2 on an
error in the input, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from elcart_sim.capacity.executors import default_workers
from elcart_sim.cli.options import add_set_option, scenario_from_args

__all__ = ["add_commands", "replay_command"]

DEFAULT_SCALE = 0.002
DEFAULT_FIDELITY = "fast"
_SHOWN_VIOLATIONS = 10  # violations printed one per line; the rest are in violations.csv

EPILOG = """\
Run i plays the scenario's day with the drill's seed S under its fault plan: with --faults
random, a plan drawn from a seed derived from (S, i) on a generator of its own, so every run has
the same customers as the day without faults (run once and shared); with --faults FILE, the
plan in FILE (a YAML file with a faults: section) for every run, run i then playing replication i
of the day against replication i without faults; with --faults none, no faults (the invariants
alone). The invariants are checked after every ledger posting and at each run's end
(elcart_sim/core/invariants.py): entries balance, nothing is posted twice, the books balance,
every trace has one final state and it agrees with the cardholders' money, every stand-in
advice is posted, cleared totals agree with each bank's approvals less reversals, net positions
sum to zero, and the run ends without an error.

Scores per run, against the same day without faults (elcart_sim/analysis/drill_scores.py):
sales lost (count and KGS), reversals, customers affected, stand-in approvals and exposure,
time to recover. Written to --out: runs.csv (one row per run), violations.csv (one row per
violation, with its run and trace id), summary.json.

Where runs execute: --executor serial (this process, the default), processes (--workers local
processes) or dask (a local Dask cluster of --workers, or the scheduler at --dask ADDRESS). The
answers are identical everywhere. Ctrl-C stops the workers and exits with 130.
"""


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "drill",
        help="run seeded fault drills, check the invariants, print the replay of any violation",
        description="Play the scenario's day under N seeded fault plans with the invariants checked after every "
        "posting and at the end; print the faults injected by kind, the business scores against the day without "
        "faults and the violations found; for each run with a violation, print the one command that replays it "
        "and exit 1.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=10, metavar="N", help="drill runs (default: %(default)s)")
    parser.add_argument("--run", dest="first", type=int, default=0, metavar="I",
                        help="index of the first run: runs I … I+N-1 (default: %(default)s); "
                        "--runs 1 --run I replays run I alone")  # fmt: skip
    parser.add_argument("--faults", default="random", metavar="random|none|FILE",
                        help="fault plans: random (seeded per run), none, or a YAML file with a faults: section (default: %(default)s)")  # fmt: skip
    parser.add_argument("--scenario", default="national-day", metavar="NAME|PATH",
                        help="bundled scenario name or path to a YAML file (default: %(default)s)")  # fmt: skip
    parser.add_argument("--seed", type=int, metavar="S", help="the drill's seed: the day's, and with run i each plan's (default: the scenario's)")
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE, metavar="F",
                        help="scale of population and demand (default: %(default)g, a drill-sized day)")  # fmt: skip
    parser.add_argument("--fidelity", choices=("wire", "fast"), default=DEFAULT_FIDELITY,
                        help="wire: ISO 8583 bytes at every host; fast: message objects, same timings and outcomes (default: %(default)s)")  # fmt: skip
    add_set_option(parser)
    parser.add_argument("--executor", choices=("serial", "processes", "dask"), default="serial",
                        help="where runs execute (default: %(default)s)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=default_workers(), metavar="N",
                        help="processes, or Dask workers of a local cluster (default: the machine's cores, %(default)s here)")  # fmt: skip
    parser.add_argument("--dask", metavar="ADDRESS", help="with --executor dask: the scheduler at ADDRESS instead of a local cluster")
    parser.add_argument("--out", default="drill", metavar="DIR", help="output folder (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    parser.set_defaults(handler=_drill)


def replay_command(args: argparse.Namespace, run: int) -> str:
    """The one command line that plays run ``run`` of this drill again, alone, in this process."""
    words = ["elcart-sim", "drill", "--runs", "1", "--run", str(run), "--seed", str(args.seed), "--faults", args.faults,
             "--scenario", args.scenario, "--scale", f"{args.scale:g}", "--fidelity", args.fidelity]  # fmt: skip
    for assignment in args.overrides:
        words += ["--set", assignment]
    return shlex.join(words)


def _executor(args: argparse.Namespace):
    from elcart_sim.capacity.executors import DaskExecutor, ProcessExecutor, SerialExecutor
    from elcart_sim.core.errors import CapacityError

    if args.workers < 1:
        raise CapacityError(f"--workers must be >= 1, got {args.workers}")
    if args.executor == "processes":
        return ProcessExecutor(args.workers)
    if args.executor == "dask":
        return DaskExecutor(args.dask, workers=args.workers)
    return SerialExecutor()


def _drill(args: argparse.Namespace) -> int:
    from elcart_sim.core.errors import ConfigurationError
    from elcart_sim.drill import drill

    scenario = scenario_from_args(args)
    args.seed = scenario.seed
    if args.runs < 1 or args.first < 0:
        raise ConfigurationError(f"--runs must be >= 1 and --run >= 0, got --runs {args.runs} --run {args.first}")
    with _executor(args) as executor:
        print(f"drill: {args.runs} run{'s' if args.runs != 1 else ''} of {scenario.name} ×{scenario.scale:g} "
              f"(~{scenario.transactions_expected:,.0f} card transactions each), seed {args.seed}, fault plans {args.faults}, "
              f"on {executor}", file=sys.stderr)  # fmt: skip
        args.activity.now(f"running the drill on {scenario.name}")
        found = drill(scenario, args.runs, seed=args.seed, faults=args.faults, first=args.first, executor=executor,
                      progress=not args.no_progress)  # fmt: skip
    args.activity.now("writing the drill's tables")
    written = _write(found, Path(args.out))
    print(_text(found))
    for run in found.failed_runs:
        print(f"  replay run {run}: {replay_command(args, run)}")
    print(f"  wrote {len(written)} files to {Path(args.out).resolve()}")
    return 1 if found.failed_runs else 0


def _runs_frame(found):
    """The runs table with one column per fault kind (faults_<kind>), for the files."""
    import pandas as pd

    runs = found.runs
    kinds = pd.DataFrame(list(runs["faults_by_kind"]), index=runs.index).fillna(0).astype(int).add_prefix("faults_")
    return pd.concat([runs.drop(columns=["faults_by_kind"]), kinds], axis=1)


def _write(found, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "runs.csv", out / "violations.csv", out / "summary.json"]
    _runs_frame(found).to_csv(written[0], index=False)
    found.violations.to_csv(written[1], index=False)
    written[2].write_text(json.dumps(found.summary(), indent=2) + "\n", encoding="utf-8")
    return written


def _text(found) -> str:
    """The drill for the terminal: faults by kind, scores, violations."""
    from elcart_sim.capacity.tables import format_number, text_table

    runs, summary = found.runs, found.summary()
    first, last = int(runs["run"].min()), int(runs["run"].max())
    lines = [f"elcart-sim drill  scenario={summary['scenario']} scale={summary['scale']:g} seed={summary['seed']} "
             f"faults={summary['fault_plans']} runs={first}…{last} ({len(runs)})", "",
             "  faults injected by kind"]  # fmt: skip
    failing = set(found.failed_runs)
    rows = []
    for kind, count in summary["faults_by_kind"].items():
        with_kind = runs[[counts.get(kind, 0) > 0 for counts in runs["faults_by_kind"]]]
        rows.append({"kind": kind, "runs": len(with_kind), "faults": count, "runs with violations": len(failing & set(with_kind["run"]))})
    rows.append({"kind": "all", "runs": len(runs), "faults": summary["faults"], "runs with violations": len(failing)})
    lines += _indent(text_table(rows)).splitlines()
    moved = {name: int(runs[f"messages_{name}"].sum()) for name in ("dropped", "repeated", "duplicated") if f"messages_{name}" in runs}
    if moved:
        lines.append("    messages " + ", ".join(f"{name} {count:,}" for name, count in moved.items()) + " (over all runs)")
    lines += ["", "  business scores per run, against the same day without faults"]
    score_rows = []
    for name, label in (("sales_lost", "sales lost"), ("sales_lost_kgs", "sales lost (KGS)"), ("reversals", "reversals"),
                        ("extra_reversals", "extra reversals"), ("customers_affected", "customers affected"),
                        ("stand_in_approvals", "stand-in approvals"), ("stand_in_exposure_kgs", "stand-in exposure (KGS)"),
                        ("time_to_recover_s", "time to recover (s)")):  # fmt: skip
        values = runs[name].astype(float)
        score_rows.append({"score": label, "mean": format_number(float(values.mean())), "max": format_number(float(values.max())),
                           "total": format_number(float(values.sum())) if name != "time_to_recover_s" else "–"})  # fmt: skip
    lines += _indent(text_table(score_rows)).splitlines()
    lines.append("")
    violations = found.violations
    if not len(violations):
        lines.append(f"  violations: none in {len(runs)} run{'s' if len(runs) != 1 else ''}")
        return "\n".join(lines)
    lines.append(f"  violations: {len(violations)} in {len(failing)} of {len(runs)} runs")
    for row in violations.head(_SHOWN_VIOLATIONS).itertuples(index=False):
        trace = f"trace {row.trace_id}" if row.trace_id >= 0 else "no trace"
        lines.append(f"    run {row.run}: {row.invariant} at t={row.at:.3f} s, {trace}: {row.detail}")
    if len(violations) > _SHOWN_VIOLATIONS:
        lines.append(f"    … and {len(violations) - _SHOWN_VIOLATIONS} more in violations.csv")
    return "\n".join(lines)


def _indent(text: str) -> str:
    return "\n".join("    " + line for line in text.splitlines())
