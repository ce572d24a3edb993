"""Benchmark: memory against the number of transactions in a day, and what holds it.
Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_memory.py [--sizes 100000,200000,400000] [--small-sizes 50000,100000,200000]
                                                [--fidelity fast] [--trace-size 50000] [--skip-trace]

0. Append: microseconds per `Table.append` of a typical transactions, hops and receipts row.
1. Growth: national-day with `demand.transactions_per_day` set so that the day expects the
   given number of contactless taps, each size in a fresh interpreter, in two series: the
   national population (scale 1.0: 3.65 M cards, ~400 k wallets enrolled, so almost every tap
   builds a wallet) at `--sizes`, and a 1 % population (scale 0.01: ~4 k wallets, re-used) at
   `--small-sizes`, whose growth is the per-transaction cost alone. Printed per size: taps,
   wallets built, resident memory after building the population, the peak while the day runs
   (before `Results.collect`), the peak of the whole run (with the DataFrames) and what collect
   adds (that peak − the resident memory just before collect); per series a
   least-squares line (bytes per transaction, R²). A 3,000,000-transaction day is extrapolated
   naively along the national line (which overestimates: wallets stop growing at the enrolled)
   and by parts: base + per-transaction bytes (1 % series) × 3 M + per-wallet bytes (national
   series, per-transaction cost taken off) × the wallets 3 M taps reach. Target: < 2 GB.
2. Where it is: one day of `--trace-size` taps under tracemalloc (slower, so smaller); at the end
   of `Simulation.run()`, just before `Results.collect`, what is alive, summed by module
   (the module whose line allocated it), and the bytes per row of each record table and of the
   ledger's journal.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

from elcart_sim import load_scenario

TARGET_TRANSACTIONS = 3_000_000
MB = 1024 * 1024


def _scenario(transactions: int, fidelity: str, scale: float = 1.0):
    """national-day at `scale` (the population) whose day expects `transactions` contactless taps."""
    base = load_scenario("national-day", fidelity=fidelity, scale=scale)
    per_day = base.demand.transactions_per_day * transactions / base.transactions_expected
    return base.with_overrides({"demand.transactions_per_day": per_day})


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / MB


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _before_collect(hook) -> None:
    """Call `hook(simulation)` at the end of Simulation.run(), just before Results.collect."""
    from elcart_sim.model.simulation import Simulation

    results = Simulation.results

    def results_after_hook(simulation):
        hook(simulation)
        return results(simulation)

    Simulation.results = results_after_hook


def growth_child(transactions: int, fidelity: str, scale: float) -> None:
    from elcart_sim.model.simulation import Simulation

    scenario = _scenario(transactions, fidelity, scale)
    simulation = Simulation(scenario)
    built_mb = _rss_mb()
    seen = {}
    _before_collect(lambda s: seen.update(run_peak_mb=_peak_mb(), run_rss_mb=_rss_mb()))
    started = time.perf_counter()
    results = simulation.run()
    wall = time.perf_counter() - started
    print(json.dumps({
        "transactions": len(results.transactions), "wallets": len(simulation.wallets),
        "enrolled": len(simulation.population.enrolled_cards), "built_mb": built_mb,
        **seen, "peak_mb": _peak_mb(), "wall_s": wall,
    }))


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares slope, intercept and R² of y against x."""
    slope, intercept = np.polyfit(x, y, 1)
    fitted = slope * x + intercept
    return slope, intercept, 1 - ((y - fitted) ** 2).sum() / max(((y - y.mean()) ** 2).sum(), 1e-12)


def _series(sizes: list[int], fidelity: str, scale: float, label: str) -> list[dict]:
    print(f"{label}: national-day's population at scale {scale:g}, {fidelity} fidelity, each size in a fresh interpreter")
    print(f"  {'taps':>9}  {'wallets':>8}  {'built':>8}  {'run peak':>9}  {'overall peak':>12}  {'collect +':>9}  {'wall':>6}")
    rows = []
    for n in sizes:
        command = [sys.executable, __file__, "--growth-child", str(n), "--fidelity", fidelity, "--scale", str(scale)]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"  {row['transactions']:>9,}  {row['wallets']:>8,}  {row['built_mb']:>5,.0f} MB  {row['run_peak_mb']:>6,.0f} MB"
              f"  {row['peak_mb']:>9,.0f} MB  {row['peak_mb'] - row['run_rss_mb']:>6,.0f} MB  {row['wall_s']:>4.0f} s")
    n = np.array([r["transactions"] for r in rows], dtype=float)
    for key, what in (("run_peak_mb", "peak while the day runs"), ("peak_mb", "overall peak (with the DataFrames)")):
        if len(n) >= 2:
            slope, intercept, r2 = _line(n, np.array([r[key] for r in rows], dtype=float))
            print(f"  {what}: {intercept:,.0f} MB + {slope * MB:,.0f} bytes per transaction (R² = {r2:.4f})")
    return rows


def growth(sizes: list[int], small_sizes: list[int], fidelity: str) -> None:
    """Two series: the national population (nearly a new wallet per tap) and a 1 % population
    (~4 k wallets, re-used: the growth is the per-transaction cost alone). 3 M is extrapolated
    along the national line (naive: wallets keep growing with taps, which they cannot past the
    enrolled) and by parts: the national intercept + the 1 % slope × 3 M + the cost per wallet
    (fitted on the national series once the per-transaction cost is taken off) × the wallets
    3 M taps reach."""
    if len(sizes) < 2:
        _series(small_sizes, fidelity, 0.01, "1 % population (wallets re-used)")
        return
    national = _series(sizes, fidelity, 1.0, "national population")
    n = np.array([r["transactions"] for r in national], dtype=float)
    peak = np.array([r["peak_mb"] for r in national], dtype=float)
    slope, intercept, _ = _line(n, peak)
    naive = intercept + slope * TARGET_TRANSACTIONS
    print("3,000,000 transactions (target < 2,048 MB):")
    print(f"  naive, along the national line: {naive:,.0f} MB")
    if len(small_sizes) < 2:
        return
    small = _series(small_sizes, fidelity, 0.01, "1 % population (wallets re-used)")
    per_tx, _, _ = _line(np.array([r["transactions"] for r in small], dtype=float), np.array([r["peak_mb"] for r in small], dtype=float))
    wallets = np.array([r["wallets"] for r in national], dtype=float)
    per_wallet, base, r2 = _line(wallets, peak - per_tx * n)
    enrolled = national[-1]["enrolled"]
    reached = enrolled * (1 - np.exp(-TARGET_TRANSACTIONS / enrolled))  # distinct wallets of 3 M uniform picks
    total = base + per_tx * TARGET_TRANSACTIONS + per_wallet * reached
    print(f"  per transaction (1 % population): {per_tx * MB:,.0f} bytes; per wallet (national, after that): "
          f"{per_wallet * MB:,.0f} bytes (R² = {r2:.4f}); base {base:,.0f} MB")
    print(f"  by parts: {base:,.0f} MB + {per_tx * TARGET_TRANSACTIONS:,.0f} MB for 3 M transactions + "
          f"{per_wallet * reached:,.0f} MB for {reached:,.0f} wallets = {total:,.0f} MB "
          f"({'under' if total < 2048 else 'OVER'} the target)")


def _module(filename: str) -> str:
    path = Path(filename)
    parts = path.parts
    if "elcart_sim" in parts:
        return ".".join(parts[parts.index("elcart_sim"):]).removesuffix(".py")
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    return path.name or filename


def _table_bytes(table) -> int:
    total = 0
    for values in table.columns.values():
        if hasattr(values, "itemsize"):
            total += values.itemsize * len(values)
        else:  # a list of Python objects: the list and each object it holds
            total += sys.getsizeof(values) + sum(sys.getsizeof(value) for value in values)
    return total


def trace_child(transactions: int, fidelity: str, top: int) -> None:
    from elcart_sim.model.simulation import Simulation

    scenario = _scenario(transactions, fidelity)
    tracemalloc.start()
    simulation = Simulation(scenario)

    def report(s) -> None:
        snapshot = tracemalloc.take_snapshot()
        tracemalloc.stop()
        n = len(s.records.transactions)
        by_module: dict[str, int] = {}
        for stat in snapshot.statistics("filename"):
            module = _module(stat.traceback[0].filename)
            by_module[module] = by_module.get(module, 0) + stat.size
        total = sum(by_module.values())
        print(f"alive at the end of Simulation.run(), before Results.collect: {n:,} taps, {len(s.wallets):,} wallets, "
              f"{total / MB:,.1f} MB traced ({total / max(n, 1):,.0f} bytes per transaction)")
        for module, size in sorted(by_module.items(), key=lambda kv: -kv[1])[:top]:
            print(f"  {module:<40} {size / MB:9,.1f} MB  {size / max(n, 1):8,.0f} B/tx")
        print("record tables (column storage only) and the ledger's journal:")
        for name in ("transactions", "hops", "receipts", "samples", "token_events"):
            table = getattr(s.records, name)
            size = table.nbytes() if hasattr(table, "nbytes") else _table_bytes(table)
            print(f"  {name:<14} {len(table):>9,} rows  {size / max(len(table), 1):6.1f} B/row  {size / max(n, 1):7.1f} B/tx")
        ledger = s.ledger
        size = sum(
            column.itemsize * len(column) if hasattr(column, "itemsize") else sys.getsizeof(column) + sum(map(sys.getsizeof, column))
            for column in (ledger.trace_id, ledger.posted_at, ledger.kind, ledger.debit, ledger.credit, ledger.amount_tyiyn)
        )
        print(f"  {'postings':<14} {len(ledger):>9,} rows  {size / max(len(ledger), 1):6.1f} B/row  {size / max(n, 1):7.1f} B/tx"
              f"  ({len(ledger.accounts):,} accounts)")

    _before_collect(report)
    simulation.run()


def append_speed(rows: int = 300_000) -> None:
    """Microseconds per `Table.append` of a typical row (values as the chain passes them)."""
    from elcart_sim.core.records import Table

    print(f"append: µs per row, {rows:,} rows per table (fresh table, text from a set of 40 values)")
    for name in ("transactions", "hops", "receipts"):
        table = Table(name)
        stored = getattr(table, "stored", tuple(table.schema))
        variants = []
        for k in range(40):
            row = []
            for column in stored:
                storage = table.schema[column][0]
                if storage in ("b", "h", "i", "q"):
                    row.append(k)
                elif storage == "d":
                    row.append(1000.0 + k / 7)
                elif storage == "n" or column == "fiscal_sign":
                    row.append(f"{k * 7919:010d}")
                else:
                    row.append(f"{column}-{k}")
            variants.append(tuple(row))
        batch = [variants[i % 40] for i in range(rows)]
        append = table.append
        started = time.perf_counter()
        for row in batch:
            append(*row)
        elapsed = time.perf_counter() - started
        print(f"  {name:<13} {len(stored):>2} values  {elapsed / rows * 1e6:6.2f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,200000,400000", help="taps per day, national population, one fresh interpreter each")
    parser.add_argument("--small-sizes", default="50000,100000,200000", help="taps per day, 1 %% population ('' to skip)")
    parser.add_argument("--scale", type=float, default=1.0, help=argparse.SUPPRESS)
    parser.add_argument("--fidelity", choices=("wire", "fast"), default="fast")
    parser.add_argument("--trace-size", type=int, default=50_000, help="taps in the tracemalloc run")
    parser.add_argument("--top", type=int, default=15, help="modules listed in the tracemalloc breakdown")
    parser.add_argument("--skip-growth", action="store_true")
    parser.add_argument("--skip-trace", action="store_true")
    parser.add_argument("--skip-append", action="store_true")
    parser.add_argument("--growth-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--trace-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.growth_child:
        growth_child(args.growth_child, args.fidelity, args.scale)
        return
    if args.trace_child:
        trace_child(args.trace_child, args.fidelity, args.top)
        return
    if not args.skip_append:
        append_speed()
    if not args.skip_growth:
        growth([int(s) for s in args.sizes.split(",") if s], [int(s) for s in args.small_sizes.split(",") if s], args.fidelity)
    if not args.skip_trace:
        command = [sys.executable, __file__, "--trace-child", str(args.trace_size), "--fidelity", args.fidelity, "--top", str(args.top)]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
