"""Benchmark: what checking the run's invariants (core/invariants.py) costs per transaction, and
the raw SimPy event rate measured in the same run as a yardstick. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_invariants.py [--scale 0.02] [--scenario national-day] [--fidelity fast|wire]
        [--repeat 3] [--set PATH=VALUE ...]

The same day is run --repeat times with the invariants off and on, alternately; the fastest run
of each counts (CPU time of this process, so that other processes change it less). Figures: CPU
seconds per transaction off and on, the difference per transaction and per ledger posting — split
into the checks after every posting and the end-of-run checks (the books replayed, the tables
read) — and the difference in raw-SimPy-event times, the rate measured before and after. Then the
ledger alone: a posting with no checker (`Ledger.on_posting` None, what every normal run pays)
and with the checker, per posting.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_national_day import raw_simpy_events_per_s  # noqa: E402

from elcart_sim import Simulation  # noqa: E402
from elcart_sim.cli.options import add_set_option, scenario_with_sets
from elcart_sim.core.invariants import Invariants
from elcart_sim.money import accounts
from elcart_sim.money.ledger import POSTING_KINDS, Ledger


class _EndTimer:
    """CPU seconds spent in the end-of-run checks (Invariants.close_books and check_results)."""

    def __init__(self):
        self.seconds = 0.0
        self._originals = (Invariants.close_books, Invariants.check_results)

    def __enter__(self):
        timer = self

        def timed(method):
            def call(*args, **kwargs):
                started = time.process_time()
                try:
                    return method(*args, **kwargs)
                finally:
                    timer.seconds += time.process_time() - started

            return call

        Invariants.close_books, Invariants.check_results = (timed(m) for m in self._originals)
        return self

    def __exit__(self, *exc_info):
        Invariants.close_books, Invariants.check_results = self._originals


def run_once(scenario, checked: bool) -> tuple[float, float, int, int]:
    """(CPU seconds of the run, of which in end-of-run checks, transactions, postings)."""
    simulation = Simulation(scenario, check_invariants=checked)
    with _EndTimer() as end:
        started = time.process_time()
        results = simulation.run()
        cpu = time.process_time() - started
    if checked and len(results.violations):
        raise SystemExit(f"the day broke {len(results.violations)} invariants: {results.violations.head().to_dict('records')}")
    return cpu, end.seconds, len(results.transactions) + len(results.transfers), len(results.postings)


def ledger_alone(postings: int = 300_000) -> tuple[float, float]:
    """CPU seconds per posting on a bare ledger: no checker, and the checker on."""
    per_posting = []
    for checked in (False, True):
        ledger = Ledger()
        if checked:
            Invariants().watch(ledger, POSTING_KINDS)
        cards = [accounts.cardholder("AIYL", card) for card in range(1000)]
        bank = accounts.elkart_settlement("AIYL")
        post = ledger.post
        started = time.process_time()
        for i in range(postings):
            post(cards[i % 1000], bank, 100, kind="purchase", trace_id=i, at=0.0)
        per_posting.append((time.process_time() - started) / postings)
    return per_posting[0], per_posting[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="national-day")
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--fidelity", choices=("wire", "fast"), default="fast")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each, alternately; the fastest counts")
    add_set_option(parser)
    args = parser.parse_args()
    scenario = scenario_with_sets(args.scenario, args.overrides, scale=args.scale, fidelity=args.fidelity)

    before = raw_simpy_events_per_s()
    off, on = [], []
    for _ in range(max(1, args.repeat)):
        off.append(run_once(scenario, False))
        on.append(run_once(scenario, True))
    after = raw_simpy_events_per_s()
    raw = (before + after) / 2
    off_s, _, n, postings = min(off)
    on_s, end_s, _, _ = min(on)
    extra = on_s - off_s
    print(f"scenario               {scenario.name} at scale {scenario.scale:g} (seed {scenario.seed}), fidelity {scenario.fidelity}")
    print(f"transactions           {n:,} ({postings:,} ledger postings, {postings / n:.2f} per transaction)")
    print(f"CPU s / transaction    off {off_s / n * 1e6:,.1f} µs, on {on_s / n * 1e6:,.1f} µs (fastest of {len(off)} each)")
    print(f"invariants cost        {extra / n * 1e6:,.1f} µs per transaction ({extra / off_s:+.1%}), "
          f"{extra / postings * 1e6:,.2f} µs per posting")
    print(f"  after every posting  {(extra - end_s) / n * 1e6:,.1f} µs per transaction")
    print(f"  at the end           {end_s / n * 1e6:,.1f} µs per transaction ({end_s:.3f} s for the run)")
    print(f"raw SimPy events / s   {raw:,.0f} (before {before:,.0f}, after {after:,.0f})")
    print(f"in raw-event times     {extra / n * raw:,.1f} per transaction checked (a transaction costs {off_s / n * raw:,.0f} unchecked)")
    bare, checked = ledger_alone()
    print(f"ledger alone           {bare * 1e6:.2f} µs per posting unchecked (on_posting None), {checked * 1e6:.2f} µs checked")


if __name__ == "__main__":
    main()
