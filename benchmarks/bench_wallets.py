"""Benchmark: the card side of a tap — what a wallet weighs and what a tap costs. Prints figures;
asserts nothing.

    .venv/bin/python benchmarks/bench_wallets.py [--wallets 3000] [--taps 6] [--fidelity fast|wire]

1. Memory: ``--wallets`` wallets of the national day built as the run builds them
   (``Simulation.wallet``), then one tap each through the card authentication, under
   tracemalloc: bytes per wallet (wallet, applet, keys, token vault entry) and bytes per token
   of the card authentication's memory.
2. Time (CPU seconds, so other processes on the machine matter less): enrolling a wallet, the
   card dialogue of a tap (kernel + phone, over the link a run gives the terminal) and its card
   authentication with the tag 91 answer, each per wallet or per tap.
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

from elcart_sim import load_scenario
from elcart_sim.acceptance.nfc_link import SimulatedNfcLink
from elcart_sim.model.simulation import Simulation

UN = bytes.fromhex("CAFEBABE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wallets", type=int, default=3000)
    parser.add_argument("--taps", type=int, default=6, help="taps per wallet for the timing")
    parser.add_argument("--fidelity", choices=("wire", "fast"), default="fast")
    args = parser.parse_args()
    scenario = load_scenario("national-day", scale=0.05).with_overrides({"fidelity": args.fidelity})

    sim = Simulation(scenario)
    cards = sim.population.enrolled_cards[: args.wallets + 1].tolist()
    kernel, authentication, latency = sim.terminal_services.kernel, sim.card_authentication, sim.apdu_latency_s
    sim.wallet(cards[0])  # first-use caches out of the way
    gc.collect()
    tracemalloc.start()
    start = tracemalloc.get_traced_memory()[0]
    for card in cards[1:]:
        sim.wallet(card)
    gc.collect()
    enrolled = tracemalloc.get_traced_memory()[0]
    for card in cards[1:]:
        wallet = sim.wallet(card)
        outcome = kernel.perform(SimulatedNfcLink.to(wallet.at_reader(), latency, sim.apdu_format), 1_234, "250701", UN)
        request = {"4": "000000001234", "49": "417", "55": outcome.icc_data}
        if outcome.outcome == "online":
            authentication.authenticate(sim.token_service.detokenise(wallet.token_pan), request, 0.0)
        del outcome, request
    gc.collect()
    tapped = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    n = len(cards) - 1
    print(f"fidelity               {args.fidelity}; {n:,} wallets of {scenario.name}")
    print(f"bytes per wallet       {(enrolled - start) / n:,.0f} (wallet, applet, keys, token vault)")
    print(f"bytes per tapped token {(tapped - enrolled) / n:,.0f} (card authentication memory, keys spent)")

    sim = Simulation(scenario)
    cards = sim.population.enrolled_cards[: args.wallets].tolist()
    kernel, authentication = sim.terminal_services.kernel, sim.card_authentication
    started = time.process_time()
    wallets = [sim.wallet(card) for card in cards]
    enrol_s = (time.process_time() - started) / len(cards)
    started = time.process_time()
    n_taps = 0
    for wallet in wallets:  # outcomes are dropped at once, as a run drops them
        for _ in range(args.taps):
            kernel.perform(SimulatedNfcLink.to(wallet.at_reader(), latency, sim.apdu_format), 1_234, "250701", UN)
            n_taps += 1
    perform_s = (time.process_time() - started) / n_taps
    authenticate_s, n_online = 0.0, 0
    for wallet in wallets:  # the same phones tap again; their requests are checked in a second pass
        record = sim.token_service.detokenise(wallet.token_pan)
        outcomes = [kernel.perform(SimulatedNfcLink.to(wallet.at_reader(), latency, sim.apdu_format), 1_234, "250701", UN) for _ in range(args.taps)]
        requests = [{"4": "000000001234", "49": "417", "55": o.icc_data} for o in outcomes if o.outcome == "online"]
        started = time.process_time()
        for request in requests:
            verdict = authentication.authenticate(record, request, 0.0)
            if verdict.verified:
                authentication.issuer_authentication_data(verdict, verdict.decline is None)
        authenticate_s += time.process_time() - started
        n_online += len(requests)
    authenticate_s /= max(1, n_online)
    print(f"enrol a wallet         {enrol_s * 1e6:,.1f} us")
    print(f"card dialogue          {perform_s * 1e6:,.1f} us per tap ({n_taps:,} taps)")
    print(f"card authentication    {authenticate_s * 1e6:,.1f} us per online tap ({n_online:,}, with the tag 91 answer)")


if __name__ == "__main__":
    main()
