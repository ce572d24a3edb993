"""Benchmark: the directory at national size — building it and answering lookups. Prints
figures; asserts nothing.

    .venv/bin/python benchmarks/bench_directory.py [--scale 1.0] [--lookups 20000]

1. The population's mobile numbers (``synthetic_msisdns``, one per card) and the directory
   (linked cards drawn, numbers sorted once), each timed; the bytes of the columns they add.
2. Lookups per kind (phone number as typed, card number, QR id), microseconds each.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from elcart_sim import load_scenario
from elcart_sim.core.streams import RandomStreams
from elcart_sim.world.directory import Directory
from elcart_sim.world.msisdn import synthetic_msisdns
from elcart_sim.world.population import Population


def _per_call_us(call, items) -> float:
    start = time.perf_counter()
    for item in items:
        call(item)
    return (time.perf_counter() - start) / len(items) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="national-day's population scale (1.0: 3.65 M cards)")
    parser.add_argument("--lookups", type=int, default=20_000)
    args = parser.parse_args()
    scenario = load_scenario("national-day", scale=args.scale)
    streams = RandomStreams(scenario.seed)

    start = time.perf_counter()
    population = Population.build(scenario, streams)
    built_s = time.perf_counter() - start
    start = time.perf_counter()
    synthetic_msisdns(population.n_cards, streams.generator("population.msisdns"))
    numbers_s = time.perf_counter() - start
    start = time.perf_counter()
    directory = Directory.build(population, streams)
    directory_s = time.perf_counter() - start
    added_mb = (population.msisdn.nbytes + directory.nbytes) / 1e6
    print(f"population of {population.n_cards:,} cards built in {built_s:.2f} s, of which mobile numbers {numbers_s:.2f} s")
    print(f"directory built in {directory_s:.2f} s ({directory.n_linked:,} cards linked); numbers and directory columns {added_mb:.0f} MB")

    rng = np.random.default_rng(1)
    linked = np.flatnonzero(directory.linked)
    cards = rng.choice(linked, size=min(args.lookups, len(linked)), replace=False).tolist()
    phones = [f"+{population.msisdn[card]}" for card in cards]
    pans = [population.pan(card) for card in cards]
    qr_ids = [directory.qr_id(card) for card in cards]
    print(f"by_phone       {_per_call_us(directory.by_phone, phones):6.1f} µs (parsing the typed number is most of it)")
    print(f"by_card_number {_per_call_us(directory.by_card_number, pans):6.1f} µs")
    print(f"by_qr_id       {_per_call_us(directory.by_qr_id, qr_ids):6.1f} µs")


if __name__ == "__main__":
    main()
