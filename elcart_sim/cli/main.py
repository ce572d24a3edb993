"""The `elcart-sim` command line: its parser, and how a command's errors end.

Errors in the input (a broken scenario, a bad data file) print one line naming what is wrong and
where, and exit with status 2; nothing is run.
"""

from __future__ import annotations

import argparse
import sys

from elcart_sim.cli import capacity, live, report, run
from elcart_sim.core.errors import ElcartSimError

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="elcart-sim",
        description="Full-system simulation testbed for ELKART Pay: phones, tokens, POS terminals, "
        "acquirer, national switch (IPC) and issuer banks.",
        epilog=run.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run.add_commands(commands)  # run, scenarios
    live.add_commands(commands)  # phone, tap: live taps on a PC/SC reader
    capacity.add_commands(commands)  # validate, replicate, sweep, size
    report.add_commands(commands)  # report: the capacity-planning notebook as one HTML file
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except ElcartSimError as exc:
        print(f"elcart-sim: error: {exc}", file=sys.stderr)
        return 2

