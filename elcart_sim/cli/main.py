"""The `elcart-sim` command line: its parser, and how a command ends.

Every command ends in one of these ways, never in a traceback:

- done: its own exit status (0, or what the command documents);
- an error in the input (a broken scenario, a bad data file, an output folder that cannot be
  written, a missing optional package): one line naming what is wrong and where, exit 2, before
  anything is simulated;
- Ctrl-C: one line saying what was interrupted and which files were kept, exit 130, and no
  process left behind (`interrupts`);
- the reader of its output left (`elcart-sim run | head`): the rest of the output is dropped
  quietly and the command finishes its work (`streams`).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from elcart_sim.cli import calibrate, capacity, drill, live, qr, report, run
from elcart_sim.cli.interrupts import EXIT_INTERRUPTED, Activity, end_child_processes
from elcart_sim.cli.outputs import OutputPlace
from elcart_sim.cli.streams import reader_may_leave
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
    calibrate.add_commands(commands)  # calibrate: simulated against published figures
    report.add_commands(commands)  # report: the capacity-planning notebook as one HTML file
    qr.add_commands(commands)  # qr make, qr read: payment QR codes
    drill.add_commands(commands)  # drill: seeded fault plans, the invariants checked, replays of violations
    return parser


def main(argv: list[str] | None = None) -> int:
    with reader_may_leave():
        args = build_parser().parse_args(argv)  # --help and usage errors print here
        out = getattr(args, "out", None)
        args.activity = Activity(args.command, OutputPlace(out) if out is not None else None)
        try:
            if args.activity.out is not None:
                args.activity.out.check()  # before any work
            return args.handler(args)
        except ElcartSimError as exc:
            print(f"elcart-sim: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C cannot break the clean-up
            end_child_processes()
            print(f"elcart-sim: {args.activity.interrupted()}", file=sys.stderr)
            return EXIT_INTERRUPTED
