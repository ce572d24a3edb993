"""The stand-alone virtual phone: ``elcart-sim phone`` (and ``python -m elcart_sim.live.demo_phone``).

It serves taps on vpcd with :class:`~elcart_sim.live.vpcd.VirtualPhone` until told to stop,
answering with a wallet's applet or, without one, with the demo token below: a fictitious
token whose keys come from a published test key, so that any reader can be exercised without a
simulated country behind it (the simulated switch declines it 14, invalid card number).
"""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from elcart_sim.core.errors import LinkError
from elcart_sim.live.vpcd import VPCD_PORT, Applet, VirtualPhone

if TYPE_CHECKING:
    from elcart_sim.tokens.credential import TokenCredential

__all__ = ["run_phone", "demo_credential", "DEMO_ISSUER_MASTER_KEY"]


DEMO_ISSUER_MASTER_KEY = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
"""Test issuer master key of the demo token (docs/sources.md, test keys); never a real key."""


def demo_credential() -> TokenCredential:
    """The demo token the stand-alone phone carries: fictitious Luhn-valid PAN in 99990417...,
    expiry 2030-12, PSN 00, ICC master key derived (option A) from the test IMK."""
    from elcart_sim.protocol.emv.cryptogram import derive_icc_master_key
    from elcart_sim.tokens.credential import TokenCredential

    token_pan = "9999041700000019"
    return TokenCredential(
        token_pan=token_pan,
        expiry="3012",
        psn=0,
        par="Q1KG0417TESTPAR00000000000001",
        icc_master_key=derive_icc_master_key(DEMO_ISSUER_MASTER_KEY, token_pan, 0),
    )


def _demo_applet_factory() -> Callable[[], Applet]:
    """One applet for the demo token, kept across taps (its ATC keeps counting)."""
    from elcart_sim.wallet.applet import PaymentApplet

    applet = PaymentApplet(demo_credential())
    return lambda: applet


def run_phone(
    port: int = VPCD_PORT,
    host: str = "127.0.0.1",
    *,
    taps: int | None = None,
    hold_s: float | None = None,
    tear_after_apdus: int | None = None,
    malformed_after_apdus: int | None = None,
    away_s: float = 0.0,
    applet_factory: Callable[[], Applet] | None = None,
    connect_timeout_s: float = 5.0,
    stop_event: threading.Event | None = None,
) -> int:
    """Serve taps on vpcd until ``taps`` are done, SIGTERM/SIGINT, or pcscd stops.

    Exit codes: 0 served until a normal end, 2 vpcd not reachable (pcscd not running).
    Signal handlers are installed only when called from the main thread.
    """
    phone = VirtualPhone(
        port,
        host,
        tear_after_apdus=tear_after_apdus,
        malformed_after_apdus=malformed_after_apdus,
        away_s=away_s,
        connect_timeout_s=connect_timeout_s,
        stop_event=stop_event,
    )
    factory = applet_factory if applet_factory is not None else _demo_applet_factory()
    previous: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous[signum] = signal.signal(signum, lambda _signum, _frame: phone.stop())
    try:
        print(f"phone: presenting to vpcd at {host}:{port}", flush=True)
        records = phone.serve(factory, taps=taps, hold_s=hold_s)
    except LinkError as exc:
        print(f"phone: {exc}", flush=True)
        return 2
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
    last = records[-1].ended_by if records else "no tap"
    print(f"phone: {phone.taps_served} taps served, last ended by {last}", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m elcart_sim.live.demo_phone``: the same as ``elcart-sim phone``."""
    parser = argparse.ArgumentParser(prog="elcart-sim phone", description=run_phone.__doc__)
    parser.add_argument("--port", type=int, default=VPCD_PORT)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--taps", type=int, default=None)
    parser.add_argument("--hold-s", type=float, default=None)
    parser.add_argument("--tear-after-apdus", type=int, default=None)
    parser.add_argument("--malformed-after-apdus", type=int, default=None)
    parser.add_argument("--away-s", type=float, default=0.0)
    args = parser.parse_args(argv)
    return run_phone(
        args.port,
        args.host,
        taps=args.taps,
        hold_s=args.hold_s,
        tear_after_apdus=args.tear_after_apdus,
        malformed_after_apdus=args.malformed_after_apdus,
        away_s=args.away_s,
    )


if __name__ == "__main__":
    raise SystemExit(main())
