"""``elcart-sim phone`` and ``elcart-sim tap``: the live tap on the command line.

``tap`` opens a PC/SC reader, taps the device on it through the simulated chain and prints the
report (text or ``--json``); its exit code says how the tap ended (report.EXIT_CODES). ``phone``
serves a wallet's applet as a virtual phone on vpcd until stopped. Faults are one line on
stderr; SIGTERM and Ctrl-C release the reader.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from elcart_sim.cli.options import add_set_option, scenario_with_sets
from elcart_sim.core.errors import AmountError, ElcartSimError, LinkError, NoCardError, OptionValueError
from elcart_sim.live.country import LIVE_SCALE, LIVE_SCENARIO, live_simulation, phone_applet, wallet_table
from elcart_sim.live.demo_phone import run_phone
from elcart_sim.live.report import (
    EXIT_CODES,
    EXIT_INTERRUPTED,
    EXIT_NO_CARD,
    EXIT_PCSC,
    EXIT_TERMINATED_BY_SIGNAL,
    EXIT_USAGE,
    format_report,
    report_json,
)
from elcart_sim.live.tap import DEFAULT_TIMEOUT_S, live_tap
from elcart_sim.live.vpcd import VPCD_PORT
from elcart_sim.money.amounts import parse_amount

__all__ = ["add_commands"]

DEFAULT_AMOUNT = "123.45"


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise OptionValueError(f"must be >= 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise OptionValueError(f"must be > 0, got {text}")
    return value


def _amount(text: str) -> int:
    try:
        return parse_amount(text)
    except AmountError as exc:
        raise OptionValueError(str(exc)) from None


def _reader(text: str) -> str | int:
    return int(text) if text.isdigit() else text


def _add_world_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--scenario", default=LIVE_SCENARIO, metavar="NAME|PATH",
        help="the simulated country behind the reader: bundled scenario or YAML path (default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, metavar="N", help="master random seed (default: the scenario's)")
    parser.add_argument(
        "--scale", type=_positive_float, default=LIVE_SCALE, metavar="F",
        help="population scale of that country (default: %(default)g, about 370 enrolled wallets)",
    )  # fmt: skip
    add_set_option(parser)


_TAP_EPILOG = "exit codes:\n" + "\n".join(
    f"  {code:<4} " + text.replace("\n", "\n       ") for code, text in EXIT_CODES.items()
) + """

Who pays: the device is identified by the token it presents. A token of an enrolled wallet of
the simulated country (serve one with `elcart-sim phone --wallet K` and the same --scenario,
--seed and --scale) is approved or declined by its simulated issuer; any other token (the
virtual phone's demo token, a real card) is declined 14 by the simulated switch, and still
traced and validated. Times: 'wall' = measured, 'sim' = simulated, 'sim+wall' = a simulated
span containing measured time. More: hardware/README.md.
"""

_PHONE_EPILOG = """exit codes:
  0    served until the end: --taps done, SIGTERM or Ctrl-C, or pcscd stopped
  2    vpcd not reachable (pcscd not running), or bad input (wallet out of range)
  130  interrupted while preparing the wallet

A tap is the phone's TCP connect to vpcd; taking it away is closing the socket. Port 35963 is
reader 'Virtual PCD 00 00', 35964 is 'Virtual PCD 00 01'. More: hardware/README.md.
"""


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add ``phone`` and ``tap`` to the ``elcart-sim`` command line."""
    phone = subparsers.add_parser(
        "phone",
        help="serve the HCE applet as a virtual phone on the vpcd reader",
        description="Present a virtual phone to vsmartcard's vpcd reader and answer the terminal with our\n"
        "HCE applet, tap after tap. The PC/SC stack must run: bash hardware/pcsc-stack.sh start.",
        epilog=_PHONE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    phone.add_argument("--port", type=int, default=VPCD_PORT, metavar="PORT", help="vpcd TCP port: 35963 = reader 'Virtual PCD 00 00', 35964 = '... 00 01' (default: %(default)s)")
    phone.add_argument("--host", default="127.0.0.1", metavar="HOST", help="host where vpcd listens (default: %(default)s)")
    phone.add_argument("--taps", type=_non_negative_int, metavar="N", help="leave after N taps (default: serve until stopped)")
    phone.add_argument("--tear-after", type=_non_negative_int, metavar="N", help="in every tap, answer N APDUs, then leave while the terminal waits for the next answer (a torn tap)")
    phone.add_argument("--malformed-after", type=_non_negative_int, metavar="N", help="in every tap, answer N APDUs well, then answers that are not BER-TLV")
    phone.add_argument("--wallet", type=_non_negative_int, metavar="K", help="serve enrolled wallet K of the simulated country (see --list-wallets) instead of the demo token")
    phone.add_argument("--list-wallets", action="store_true", help="list the enrolled wallets (token, issuer, card status, balance) and exit")
    _add_world_options(phone)
    phone.set_defaults(handler=_phone_command)

    tap = subparsers.add_parser(
        "tap",
        help="one live tap on a PC/SC reader, authorised by the simulated hosts",
        description="Wait for a phone or card on a PC/SC reader, run the contactless kernel over it, send the\n"
        "authorisation through the simulated acquirer, switch and issuer, and print the APDU trace with\n"
        "decoded tags (card numbers masked), the time of each APDU and of the tap, the outcome with its\n"
        "response code, and a validation of the device's answers.",
        epilog=_TAP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tap.add_argument("--reader", type=_reader, metavar="NAME|INDEX", help="reader by a substring of its name or its index in --list-readers (default: the first)")
    tap.add_argument("--list-readers", action="store_true", help="list the PC/SC readers and exit")
    tap.add_argument("--amount", type=_amount, default=parse_amount(DEFAULT_AMOUNT), metavar="KGS", help=f"purchase amount in KGS, e.g. 123.45 (default: {DEFAULT_AMOUNT})")
    tap.add_argument("--timeout", type=_positive_float, default=DEFAULT_TIMEOUT_S, metavar="S", help="seconds to wait for a phone or card (default: %(default)g)")
    tap.add_argument("--json", action="store_true", help="print the report as one JSON object")
    tap.add_argument("--simulated-wallet", type=_non_negative_int, metavar="K", help="no reader: tap wallet K over the simulated NFC link (the reference to compare a live tap with)")
    _add_world_options(tap)
    tap.set_defaults(handler=_tap_command)


def _error(message: str) -> None:
    print(f"elcart-sim: error: {message}", file=sys.stderr)


def _quiet_broken_pipe() -> None:
    """stdout's reader left (``| head``): send the rest to /dev/null and end quietly."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _phone_command(args: argparse.Namespace) -> int:
    try:
        return _phone(args)
    except BrokenPipeError:
        _quiet_broken_pipe()
        return 0


def _phone(args: argparse.Namespace) -> int:
    try:
        if args.list_wallets:
            sim = live_simulation(scenario_with_sets(args.scenario, args.overrides), seed=args.seed, scale=args.scale)
            print(f"enrolled wallets of {sim.scenario.name} seed {sim.scenario.seed} scale {sim.scenario.scale:g}")
            print(f"{'wallet':>6}  {'token':<16}  {'issuer':<8}  {'status':<8}  {'balance KGS':>14}  phone    keys")
            for row in wallet_table(sim).to_dict("records"):
                print(
                    f"{row['wallet']:>6}  {row['token']:<16}  {row['issuer']:<8}  {row['status']:<8}  "
                    f"{row['balance_kgs']:>14,.2f}  {row['phone']:<7}  {row['keys']:>4}"
                )
            return 0
        try:
            applet, description = phone_applet(args.wallet, scenario=scenario_with_sets(args.scenario, args.overrides), seed=args.seed, scale=args.scale)
        except ValueError as exc:
            _error(str(exc))
            return EXIT_USAGE
        print(f"phone: serving {description}", flush=True)
        return run_phone(
            args.port,
            args.host,
            taps=args.taps,
            tear_after_apdus=args.tear_after,
            malformed_after_apdus=args.malformed_after,
            applet_factory=lambda: applet,
        )
    except KeyboardInterrupt:
        print("phone: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _fault_exit_code(exc: LinkError) -> int:
    return EXIT_NO_CARD if isinstance(exc, NoCardError) else EXIT_PCSC


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signum)


def _tap_command(args: argparse.Namespace) -> int:
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)  # close the reader as on Ctrl-C
    try:
        return _tap(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _tap(args: argparse.Namespace) -> int:
    try:
        if args.list_readers:
            from elcart_sim.live.pcsc_link import list_readers

            readers = list_readers()
            if args.json:
                print(json.dumps({"readers": readers}))
            for index, name in enumerate(readers if not args.json else ()):
                print(f"[{index}] {name}")
            if not readers:
                _error("no PC/SC reader found: plug one in, or start the virtual reader (bash hardware/pcsc-stack.sh start)")
                return EXIT_PCSC
            return 0
        report = live_tap(
            args.reader,
            amount_tyiyn=args.amount,
            timeout_s=args.timeout,
            scenario=scenario_with_sets(args.scenario, args.overrides),
            seed=args.seed,
            scale=args.scale,
            simulated_wallet=args.simulated_wallet,
        )
    except LinkError as exc:
        code = _fault_exit_code(exc)
        _error(str(exc))
        if args.json:
            print(json.dumps({"outcome": "fault", "fault": type(exc).__name__, "message": str(exc), "exit_code": code}))
        return code
    except ValueError as exc:  # wallet out of range and similar input errors
        _error(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt as exc:
        by_sigterm = exc.args == (signal.SIGTERM,)
        _error("stopped by SIGTERM" if by_sigterm else "interrupted")
        return EXIT_TERMINATED_BY_SIGNAL if by_sigterm else EXIT_INTERRUPTED
    except ElcartSimError:
        raise  # a broken scenario: cli.main prints it and exits 2
    print(json.dumps(report_json(report), indent=2) if args.json else format_report(report))
    return report.exit_code
