"""Benchmark: the default scenario (national-day) at scale 1.0, and the raw SimPy event rate
measured in the same run as a yardstick. Prints figures; asserts nothing. The card side's
transactions are also printed by channel (phone taps, chip and contactless cards, ATM withdrawals). A scenario with the
app's transfers (money-services-day) counts taps and transfers as transactions and prints them
by service.

    .venv/bin/python benchmarks/bench_national_day.py [--scale 1.0] [--scenario national-day] [--fidelity wire|fast]
        [--transactions-per-day N] [--set PATH=VALUE ...] [--per-channel]

Figures: transactions simulated per wall-clock second and per CPU second, wall time, peak
resident memory, SimPy events per transaction, and the raw SimPy rate (one process looping over
env.timeout) before and after the run, with the ratio of the model's transaction rate to that
event rate — both in CPU time of this process, so that other processes on the machine change it
less than they change wall time.
`--transactions-per-day 3000000` is the 3-million-transaction day of issue 5 (same population).
`--set PATH=VALUE` overrides any scenario field as `elcart-sim run --set` does; with
`--set clearing.enabled=true` the run clears and settles, and the clearing records, batches and
settlement postings are printed — run it without to read the added cost per transaction.
`--profile` runs the day under cProfile instead (slower, so use a smaller --scale) and prints
where the time goes: the share of CPU time spent in the code of each module.
`--library-floor` times every call into the libraries that do the byte and crypto work — pyiso8583
(encode, decode), pyemv (key derivation, ARQC check, ARPC) and cryptography (the phone's keys and
ARQC, through protocol/cryptogram.py) — and prints their time per transaction: the cost a run of
that fidelity pays whatever the project's own code costs, so the highest rate it can reach per core.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import pstats
import resource
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import simpy

from elcart_sim import Simulation
from elcart_sim.cli.options import add_set_option, scenario_with_sets


def raw_simpy_events_per_s(n: int = 1_000_000) -> float:
    """SimPy's own rate on this machine now, in events per second of this process's CPU time:
    one process looping over env.timeout."""
    env = simpy.Environment()

    def loop():
        timeout = env.timeout
        for _ in range(n):
            yield timeout(1.0)

    env.process(loop())
    started = time.process_time()
    env.run()
    return n / (time.process_time() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="national-day")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--fidelity", choices=("wire", "fast"), help="default: the scenario's (wire)")
    parser.add_argument("--transactions-per-day", type=int, metavar="N", help="default: the scenario's (300,000)")
    parser.add_argument("--profile", action="store_true", help="print the share of CPU time by module (cProfile)")
    parser.add_argument(
        "--library-floor", action="store_true", help="time the calls into pyiso8583, pyemv and cryptography per transaction"
    )
    parser.add_argument(
        "--per-channel", action="store_true",
        help="then run the day once per card channel alone (all the card side on it) and print its own rate",
    )
    add_set_option(parser)
    args = parser.parse_args()

    before = raw_simpy_events_per_s()
    fields = {"scale": args.scale, "fidelity": args.fidelity, "demand.transactions_per_day": args.transactions_per_day}
    scenario = scenario_with_sets(args.scenario, args.overrides, **fields)
    started, started_cpu = time.perf_counter(), time.process_time()
    simulation = Simulation(scenario)
    built = time.perf_counter()
    library_s: dict[str, list] = {}
    if args.profile:
        profiler = cProfile.Profile()
        results = profiler.runcall(simulation.run)
    elif args.library_floor:
        with library_calls_timed() as library_s:
            results = simulation.run()
    else:
        results = simulation.run()
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    after = raw_simpy_events_per_s()
    taps = len(results.transactions)
    n = taps + len(results.transfers)  # every service's requests: taps, and transfers when the scenario sends them
    raw = (before + after) / 2
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"scenario               {scenario.name} at scale {scenario.scale:g} (seed {scenario.seed}), fidelity {scenario.fidelity}")
    print(f"transactions           {n:,} ({taps:,} on the card side: phone taps, card purchases, ATM withdrawals; "
          f"{results.summary()['approved']:,} approved)")
    print(f"build population       {built - started:.2f} s ({results.population['cards']:,} cards)")
    print(f"wall time              {wall:.1f} s")
    print(f"transactions / s       {n / wall:,.0f} (wall), {n / cpu:,.0f} per CPU second of this process")
    print(f"peak memory (RSS)      {peak_mb:,.0f} MB")
    events = next(simulation.env._eid)  # SimPy numbers every scheduled event (a private counter)
    print(f"SimPy events           {events:,} ({events / max(n, 1):.1f} per transaction)")
    print(f"raw SimPy events / s   {raw:,.0f} (before {before:,.0f}, after {after:,.0f})")
    print(f"ratio                  {n / cpu / raw:.5f} transactions per raw event "
          f"(≈ {raw / (n / cpu):,.0f} raw-event times per transaction; both in CPU time of this process)")
    tx = results.transactions
    if "channel" in tx and tx.channel.nunique() > 1:
        print("by card channel        transactions, approved")
        for channel, rows in tx.groupby("channel", observed=True):
            print(f"  {channel:20s} {len(rows):>10,} {(rows.outcome == 'approved').mean():>8.1%}   ({len(rows) / n:.0%} of transactions)")
    if args.per_channel:
        print_per_channel(scenario, raw)
    if len(results.transfers):
        from elcart_sim.analysis.services import services_table

        print("by service             requests, per wall second, per CPU second (the run's whole time shared by request count)")
        for row in services_table(results).to_dict("records"):
            share = row["requests"] / n
            print(f"  {row['service'] + ' ' + row['channel']:20s} {row['requests']:>10,} {row['requests'] / wall:>9,.0f} "
                  f"{row['requests'] / cpu:>9,.0f}   ({share:.0%} of requests)")  # fmt: skip
    if len(results.clearing):
        settled = int((results.postings.kind == "settlement").sum())
        print(f"clearing               {len(results.clearing):,} records in {results.clearing.batch_id.nunique()} batches, "
              f"{settled} settlement postings ({scenario.clearing.uncovered_rule} rule)")  # fmt: skip
    if args.profile:
        print_time_by_module(profiler, n)
    if args.library_floor:
        print_library_floor(library_s, n)


def print_per_channel(scenario, raw: float) -> None:
    """Each card channel's own cost: the day run again with the whole card side on that channel
    (the same volume), its transactions per CPU second and raw-SimPy-event times per transaction."""
    print("per channel alone      transactions, per CPU second, SimPy events per transaction, raw-event times per transaction")
    for channel in ("contactless", "card_contactless", "card_chip", "atm"):
        alone = scenario.with_overrides({"demand.channels": {channel: 1.0}})
        simulation = Simulation(alone)
        started = time.process_time()
        results = simulation.run()
        cpu = time.process_time() - started
        n = len(results.transactions)
        events = next(simulation.env._eid)
        print(f"  {channel:20s} {n:>10,} {n / cpu:>9,.0f} {events / max(n, 1):>6.1f} {raw / (n / cpu):>9,.0f}")


def print_time_by_module(profiler: cProfile.Profile, transactions: int, top: int = 25) -> None:
    """Own CPU time (cProfile 'tottime') summed by module; '~' is Python's built-in functions."""
    by_module: Counter[str] = Counter()
    for (filename, _line, _function), (_cc, _nc, own_s, _cumulative, _callers) in pstats.Stats(profiler).stats.items():
        by_module[filename.split("site-packages/")[-1].split("elcart_sim/")[-1]] += own_s
    total = sum(by_module.values())
    print(f"CPU time by module (cProfile, {total:.1f} s profiled, {total / max(transactions, 1) * 1e6:,.0f} µs per transaction):")
    for module, own_s in by_module.most_common(top):
        print(f"  {own_s / total:6.1%}  {module}")


def _library_calls() -> Iterator[tuple[str, object, str]]:
    """(label, module, function name): the calls that hand the byte and crypto work to a library."""
    import iso8583
    from pyemv import ac, kd

    from elcart_sim.cards import keys as card_keys
    from elcart_sim.protocol.emv import cryptogram
    from elcart_sim.wallet import applet, keys

    yield from (("pyiso8583", iso8583, name) for name in ("encode", "decode"))
    yield from (("pyemv", kd, name) for name in ("derive_icc_mk_a", "derive_common_sk"))
    yield from (("pyemv", ac, name) for name in ("generate_ac", "generate_arpc_2"))
    # cryptography's 3DES, behind the thin functions of protocol/cryptogram.py, where they are called
    for module in (cryptogram, applet, keys, card_keys):
        for name in ("derive_icc_master_key", "derive_session_key", "derive_limited_use_key", "generate_arqc"):
            if hasattr(module, name):
                yield "cryptography", module, name


@contextmanager
def library_calls_timed() -> Iterator[dict[str, list]]:
    """Inside the block, each library call of `_library_calls` adds its wall time and a count to
    the yielded dict ('library.function' -> [seconds, calls]); the functions are restored after."""
    spent: dict[str, list] = defaultdict(lambda: [0.0, 0])
    originals = []

    def timed(key: str, function: Callable) -> Callable:
        tally = spent[key]

        @functools.wraps(function)
        def call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                tally[0] += time.perf_counter() - started
                tally[1] += 1

        return call

    for label, module, name in _library_calls():
        function = getattr(module, name)
        originals.append((module, name, function))
        setattr(module, name, timed(f"{label}.{name}", function))
    try:
        yield spent
    finally:
        for module, name, function in originals:
            setattr(module, name, function)


def print_library_floor(spent: dict[str, list], transactions: int) -> None:
    n = max(transactions, 1)
    total_s = sum(seconds for seconds, _calls in spent.values())
    print("library calls          per transaction (calls, µs), µs per call:")
    for key, (seconds, calls) in sorted(spent.items()):
        if calls:
            print(f"  {key:34s} {calls / n:5.2f}  {seconds / n * 1e6:7.1f}   {seconds / calls * 1e6:6.1f}")
    if total_s:
        print(f"library floor          {total_s / n * 1e6:,.0f} µs per transaction: at most {n / total_s:,.0f} transactions/s per core")


if __name__ == "__main__":
    main()
