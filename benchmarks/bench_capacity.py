"""Benchmark: scale-out of replications. Prints figures; asserts nothing.
(Memory against the number of transactions: benchmarks/bench_memory.py.)

    .venv/bin/python benchmarks/bench_capacity.py [--scale 0.02] [--replications 8]

`--replications` replications of national-day at `--scale` (fast fidelity) run in this process,
on one worker process and on two (elcart_sim.capacity.ProcessExecutor, workers started before
the clock runs; their start-up is printed apart). Target on a 2-core machine: ≥ 1.8× from one
process to two. The three answers must be identical. The machine's load average and the CPU
seconds the workers got per wall second are printed too: on a shared machine other processes
take cores, and the speed-up can only be as good as the cores we get.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import pandas as pd

from elcart_sim import load_scenario
from elcart_sim.capacity import ProcessExecutor, SerialExecutor, replicate


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.02, help="national-day scale of each replication")
    parser.add_argument("--replications", type=int, default=8)
    args = parser.parse_args()
    speed_up(args.scale, args.replications)


if __name__ == "__main__":
    main()
