"""Latency and throughput of a tap through the real PC/SC stack (not a test: prints figures).

Chain: ContactlessKernel -> PcscLink -> pyscard -> pcscd -> vpcd -> TCP -> VirtualPhone ->
PaymentApplet, all on this machine. Needs ``bash hardware/pcsc-stack.sh start`` first.

Measured:
  1. one APDU (SELECT PPSE) repeated on one connection: median / p99 round trip;
  2. ``kernel.perform`` repeated on one connection (the phone never leaves): per-APDU and
     per-tap median / p99 of the kernel's own link durations, wall time per tap, taps/s;
  3. re-taps: the phone leaves and comes back each time (field off, pcscd sees the slot empty,
     then a new phone): wall time per tap including card detection, taps/s;
  4. the same kernel on the in-process SimulatedNfcLink, as the floor.

    .venv/bin/python benchmarks/bench_pcsc.py [--taps 1000] [--apdus 1000] [--retaps 20]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence

from elcart_sim.acceptance.kernel import ContactlessKernel, TerminalConfig
from elcart_sim.acceptance.nfc_link import NfcLink, SimulatedNfcLink
from elcart_sim.core.errors import LinkError
from elcart_sim.live.demo_phone import demo_credential
from elcart_sim.live.vpcd import VPCD_PORT, VirtualPhone
from elcart_sim.wallet.applet import PaymentApplet

READER = "Virtual PCD 00 00"
AMOUNT_TYIYN = 12345
DATE = "261126"
SELECT_PPSE = bytes.fromhex("00A404000E325041592E5359532E444446303100")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def row(label: str, seconds: Sequence[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"  {label:<34} n={len(ms):>5}  median {statistics.median(ms):8.3f} ms  "
        f"p99 {percentile(ms, 99):8.3f} ms  max {max(ms):8.3f} ms"
    )


class PhoneThread:
    """A VirtualPhone serving one applet (kept across taps) in a background thread."""

    def __init__(self, taps: int | None):
        self.applet = PaymentApplet(demo_credential())
        self.phone = VirtualPhone(VPCD_PORT)
        self.thread = threading.Thread(
            target=self.phone.serve, args=(lambda: self.applet,), kwargs={"taps": taps}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.phone.stop()
        self.thread.join(5)


def run_taps(link: NfcLink, taps: int, between: Callable[[], object] | None = None):
    kernel = ContactlessKernel(TerminalConfig())
    walls, nfc, per_apdu = [], [], defaultdict(list)
    started = time.perf_counter()
    for i in range(taps):
        if between is not None and i:
            between()
        t0 = time.perf_counter()
        outcome = kernel.perform(link, AMOUNT_TYIYN, DATE, i.to_bytes(4, "big"))
        walls.append(time.perf_counter() - t0)
        if outcome.outcome != "online":
            raise SystemExit(f"tap {i + 1} terminated: {outcome.reason}")
        nfc.append(outcome.nfc_s)
        for exchange in outcome.exchanges:
            per_apdu[exchange.name].append(exchange.duration_s)
    return time.perf_counter() - started, walls, nfc, per_apdu


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--taps", type=int, default=1000, help="taps on one connection")
    parser.add_argument("--apdus", type=int, default=1000, help="single-APDU round trips")
    parser.add_argument(
        "--retaps", type=int, default=20, help="taps with the phone leaving in between"
    )
    parser.add_argument("--reader", default=READER)
    args = parser.parse_args(argv)

    from elcart_sim.live.pcsc_link import PcscLink, list_readers

    try:
        readers = list_readers()
    except LinkError as exc:
        print(f"bench_pcsc: {exc}", file=sys.stderr)
        return 2
    if not any(args.reader.lower() in r.lower() for r in readers):
        print(
            f"bench_pcsc: no reader matches '{args.reader}' (readers: {readers})", file=sys.stderr
        )
        return 2

    print(f"PC/SC benchmark: reader '{args.reader}', virtual phone on TCP {VPCD_PORT}")

    # 1 + 2: one connection.
    phone = PhoneThread(taps=1)
    try:
        with PcscLink(args.reader, card_timeout_s=5) as link:
            single = [link.transceive(SELECT_PPSE)[1] for _ in range(args.apdus)]
            total_s, walls, nfc, per_apdu = run_taps(link, args.taps)
    finally:
        phone.stop()
    print("\nOne APDU, one connection (SELECT PPSE):")
    print(row("round trip", single))
    print(f"\n{args.taps} taps on one connection (phone stays on the reader):")
    for name, durations in per_apdu.items():
        print(row(f"APDU {name}", durations))
    print(row("APDU, all", [d for ds in per_apdu.values() for d in ds]))
    print(row("tap, sum of APDU round trips", nfc))
    print(row("tap, wall (kernel.perform)", walls))
    print(f"  throughput: {args.taps / total_s:8.1f} taps/s  ({total_s:.2f} s for {args.taps})")

    # 3: re-taps, the phone leaves and comes back.
    if args.retaps > 0:
        phone = PhoneThread(taps=args.retaps)
        try:
            with PcscLink(args.reader, card_timeout_s=5) as link:
                waits: list[float] = []
                total_s, walls, nfc, _ = run_taps(
                    link, args.retaps, between=lambda: waits.append(link.next_tap())
                )
        finally:
            phone.stop()
        print(
            f"\n{args.retaps} re-taps (field off, slot empty, new phone; pcscd polls every 400 ms):"
        )
        print(row("tap, sum of APDU round trips", nfc))
        print(row("wait for the next phone", waits))
        per_tap = [total_s / args.retaps]
        print(
            f"  wall per tap incl. detection: {per_tap[0] * 1000:8.1f} ms  "
            f"throughput: {args.retaps / total_s:6.2f} taps/s"
        )

    # 4: the floor, in-process.
    applet = PaymentApplet(demo_credential())
    total_s, walls, _, _ = run_taps(SimulatedNfcLink(applet.process, lambda: 0.0), args.taps)
    print(f"\nIn-process SimulatedNfcLink, {args.taps} taps (no PC/SC):")
    print(row("tap, wall (kernel.perform)", walls))
    print(f"  throughput: {args.taps / total_s:8.1f} taps/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
