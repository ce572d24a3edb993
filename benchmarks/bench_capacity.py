"""Benchmark: scale-out of replications, and memory against the number of transactions.
Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_capacity.py [--scale 0.02] [--replications 8]
                                                  [--memory-sizes 10000,20000,40000] [--skip-memory]

1. Speed-up: `--replications` replications of national-day at `--scale` (fast fidelity) run in
   this process, on one worker process and on two (elcart_sim.capacity.ProcessExecutor, workers
   started before the clock runs; their start-up is printed apart). Target on a 2-core machine:
   ≥ 1.8× from one process to two. The three answers must be identical. The machine's load
   average and the CPU seconds the workers got per wall second are printed too: on a shared
   machine other processes take cores, and the speed-up can only be as good as the cores we get.
2. Memory: each of `--memory-sizes` transactions in a fresh interpreter, peak resident memory
   (ru_maxrss), in two series: national-day's population (3.65 M cards, ~400 k wallets, 24,000
   terminals), where almost every tap enrols a new wallet; and a population of 1 % (~4 k wallets,
   re-used), where the growth is the per-transaction cost alone (records, result tables).
   For each: a least-squares line, R², and the middle point's distance from the line through the
   outer two (linearity). A 3-million-transaction day is extrapolated twice: naively along the
   national line, and by parts — national intercept + per-transaction slope × 3 M + per-wallet
   cost × the wallets 3 M taps reach (at most the ~400 k enrolled). Target: < 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from elcart_sim import load_scenario
from elcart_sim.capacity import ProcessExecutor, SerialExecutor, replicate

TARGET_TRANSACTIONS = 3_000_000


def _timed_replications(scenario, replications: int, executor) -> tuple[float, pd.DataFrame]:
    started = time.perf_counter()
    frame = replicate(scenario, replications, executor=executor)
    return time.perf_counter() - started, frame


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def speed_up(scale: float, replications: int) -> None:
    scenario = load_scenario("national-day", scale=scale, fidelity="fast")
    print(f"scale-out: {replications} replications of {scenario.name} at scale {scale:g} "
          f"(~{scenario.transactions_expected:,.0f} taps each, fast fidelity); "
          f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    serial_s, serial = _timed_replications(scenario, replications, SerialExecutor())
    walls = {}
    frames = {}
    for workers in (1, 2):
        cpu_before = _children_cpu_s()
        with ProcessExecutor(workers) as executor:
            started = time.perf_counter()
            executor.map(abs, range(workers * 4))  # start every worker and import elcart_sim there
            startup = time.perf_counter() - started
            walls[workers], frames[workers] = _timed_replications(scenario, replications, executor)
        cpu = _children_cpu_s() - cpu_before  # the workers are reaped on close: their CPU time
        print(f"  {workers} worker process{'es' if workers > 1 else ''}:   {walls[workers]:7.1f} s "
              f"(+ {startup:.1f} s to start the workers; they got {cpu / (walls[workers] + startup):.2f} "
              "CPU-seconds per wall second)")
    taps = int(serial["transactions"].sum())
    print(f"  in this process:      {serial_s:7.1f} s ({taps / serial_s:,.0f} transactions/s)")
    print(f"  speed-up 1 → 2 processes: {walls[1] / walls[2]:.2f}×   (serial → 2 processes: {serial_s / walls[2]:.2f}×)")
    same = all(serial.equals(frame) for frame in frames.values())
    print(f"  identical answers serial / 1 / 2 processes: {'yes' if same else 'NO'}")
    print(f"  load average after: {os.getloadavg()[0]:.2f}")


def memory_child(transactions: int, scale: float) -> None:
    """In a fresh interpreter: one day of `transactions` taps on national-day's population at `scale`."""
    from elcart_sim.simulation import Simulation

    scenario = load_scenario("national-day", fidelity="fast").with_overrides(
        {"scale": scale, "demand.transactions_per_day": transactions / scale, "demand.years_ahead": 0}
    )
    simulation = Simulation(scenario)
    built_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    results = simulation.run()
    wall = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "transactions": len(results.transactions), "wallets": len(simulation.wallets),
        "enrolled": len(simulation.population.enrolled_cards), "built_mb": built_mb, "peak_mb": peak_mb, "wall_s": wall,
    }))


def _series(sizes: list[int], scale: float, label: str) -> tuple[float, float, list[dict]]:
    print(f"memory, {label}:")
    rows = []
    for n in sizes:
        command = [sys.executable, __file__, "--memory-child", str(n), "--memory-scale", str(scale)]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"  {row['transactions']:>9,} transactions, {row['wallets']:>7,} wallets: peak {row['peak_mb']:7,.0f} MB "
              f"(population and imports {row['built_mb']:,.0f} MB; run {row['wall_s']:.0f} s)")
    n = np.array([r["transactions"] for r in rows], dtype=float)
    peak = np.array([r["peak_mb"] for r in rows], dtype=float)
    slope, intercept = np.polyfit(n, peak, 1)
    fitted = slope * n + intercept
    r2 = 1 - ((peak - fitted) ** 2).sum() / max(((peak - peak.mean()) ** 2).sum(), 1e-12)
    print(f"  line: {intercept:,.0f} MB + {slope * 1024:,.2f} KB per transaction (R² = {r2:.4f})")
    if len(n) >= 3:
        i = len(n) // 2
        chord = peak[0] + (peak[-1] - peak[0]) * (n[i] - n[0]) / (n[-1] - n[0])
        print(f"  linearity: the middle point is {peak[i] - chord:+,.0f} MB ({(peak[i] - chord) / chord:+.1%}) "
              "from the line through the outer two")
    return slope, intercept, rows


def memory_growth(sizes: list[int]) -> None:
    national_slope, national_intercept, national = _series(sizes, 1.0, "national population (a new wallet at almost every tap)")
    small_slope, _, small = _series(sizes, 0.01, "1 % population (~4 k wallets, re-used)")
    naive = national_intercept + national_slope * TARGET_TRANSACTIONS
    # In the national runs wallets ≈ taps: the extra slope is what a wallet costs.
    wallets = np.array([r["wallets"] for r in national], dtype=float)
    taps = np.array([r["transactions"] for r in national], dtype=float)
    per_wallet_mb = (national_slope - small_slope) * taps.mean() / wallets.mean()
    enrolled = national[-1]["enrolled"]
    reached = enrolled * (1 - np.exp(-TARGET_TRANSACTIONS / enrolled))  # distinct wallets of 3 M uniform picks
    by_parts = national_intercept + small_slope * TARGET_TRANSACTIONS + per_wallet_mb * reached
    print(f"3-million-transaction day (target < 2,048 MB):")
    print(f"  per transaction (records, result tables): {small_slope * 1024:,.2f} KB; per wallet: {per_wallet_mb * 1024:,.2f} KB")
    print(f"  by parts: {national_intercept:,.0f} MB + {small_slope * TARGET_TRANSACTIONS:,.0f} MB for 3 M transactions "
          f"+ {per_wallet_mb * reached:,.0f} MB for {reached:,.0f} wallets = {by_parts:,.0f} MB "
          f"({'under' if by_parts < 2048 else 'OVER'} the target)")
    print(f"  naive, along the national line: {naive:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.02, help="national-day scale of each replication")
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--memory-sizes", default="10000,20000,40000", help="transactions per memory run")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--memory-scale", type=float, default=1.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child, args.memory_scale)
        return
    if not args.skip_speed:
        speed_up(args.scale, args.replications)
    if not args.skip_memory:
        memory_growth([int(s) for s in args.memory_sizes.split(",")])


if __name__ == "__main__":
    main()
