"""Benchmark: the default scenario (national-day) at scale 1.0, and the raw SimPy event rate
measured in the same run as a yardstick. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_national_day.py [--scale 1.0] [--scenario national-day] [--fidelity wire|fast]
        [--transactions-per-day N]

Figures: transactions simulated per wall-clock second, wall time, peak resident memory, SimPy
events per transaction, and the raw SimPy rate (one process looping over env.timeout) before
and after the run, with the ratio of the model's transaction rate to that event rate.
`--transactions-per-day 3000000` is the 3-million-transaction day of issue 5 (same population).
`--profile` runs the day under cProfile instead (slower, so use a smaller --scale) and prints
where the time goes: the share of CPU time spent in the code of each module.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import resource
import time
from collections import Counter

import simpy

from elcart_sim import load_scenario
from elcart_sim.simulation import Simulation


def raw_simpy_events_per_s(n: int = 1_000_000) -> float:
    env = simpy.Environment()

    def loop():
        timeout = env.timeout
        for _ in range(n):
            yield timeout(1.0)

    env.process(loop())
    started = time.perf_counter()
    env.run()
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="national-day")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--fidelity", choices=("wire", "fast"), help="default: the scenario's (wire)")
    parser.add_argument("--transactions-per-day", type=int, metavar="N", help="default: the scenario's (300,000)")
    parser.add_argument("--profile", action="store_true", help="print the share of CPU time by module (cProfile)")
    args = parser.parse_args()

    before = raw_simpy_events_per_s()
    scenario = load_scenario(args.scenario, scale=args.scale)
    if args.fidelity:
        scenario = scenario.with_overrides({"fidelity": args.fidelity})
    if args.transactions_per_day:
        scenario = scenario.with_overrides({"demand.transactions_per_day": args.transactions_per_day})
    started = time.perf_counter()
    simulation = Simulation(scenario)
    built = time.perf_counter()
    if args.profile:
        profiler = cProfile.Profile()
        results = profiler.runcall(simulation.run)
    else:
        results = simulation.run()
    wall = time.perf_counter() - started
    after = raw_simpy_events_per_s()
    n = len(results.transactions)
    raw = (before + after) / 2
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scenario               {scenario.name} at scale {scenario.scale:g} (seed {scenario.seed}), fidelity {scenario.fidelity}")
    print(f"transactions           {n:,} ({results.summary()['approved']:,} approved)")
    print(f"build population       {built - started:.2f} s ({results.population['cards']:,} cards)")
    print(f"wall time              {wall:.1f} s")
    print(f"transactions / s       {n / wall:,.0f}")
    print(f"peak memory (RSS)      {peak_mb:,.0f} MB")
    events = next(simulation.env._eid)  # SimPy numbers every scheduled event (a private counter)
    print(f"SimPy events           {events:,} ({events / max(n, 1):.1f} per transaction)")
    print(f"raw SimPy events / s   {raw:,.0f} (before {before:,.0f}, after {after:,.0f})")
    print(f"ratio                  {n / wall / raw:.5f} transactions per raw event "
          f"(≈ {raw / (n / wall):,.0f} raw-event times per transaction)")
    if args.profile:
        print_time_by_module(profiler, n)


def print_time_by_module(profiler: cProfile.Profile, transactions: int, top: int = 25) -> None:
    """Own CPU time (cProfile 'tottime') summed by module; '~' is Python's built-in functions."""
    by_module: Counter[str] = Counter()
    for (filename, _line, _function), (_cc, _nc, own_s, _cumulative, _callers) in pstats.Stats(profiler).stats.items():
        by_module[filename.split("site-packages/")[-1].split("elcart_sim/")[-1]] += own_s
    total = sum(by_module.values())
    print(f"CPU time by module (cProfile, {total:.1f} s profiled, {total / max(transactions, 1) * 1e6:,.0f} µs per transaction):")
    for module, own_s in by_module.most_common(top):
        print(f"  {own_s / total:6.1%}  {module}")


if __name__ == "__main__":
    main()
