"""Several days in a row on one clock: wall time and memory against the days simulated.

Runs the scenario for 1 day and for --days days (Simulation(scenario, days=n)) and prints, for each,
the wall time, the transactions per second of wall time, the peak resident memory of the process
so far, and the days table's approved share by day. A multi-day run carries every wallet, token,
key and balance from one day to the next, so its cost per transaction should stay that of one day.

    python benchmarks/bench_days.py --scenario money-services-day --scale 0.01 --days 7 --calendar
"""

from __future__ import annotations

import argparse
import resource
import time

from elcart_sim.model.simulation import Simulation
from elcart_sim.scenario import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="money-services-day")
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--date", default="2025-03-03", help="first day (default: %(default)s, a Monday)")
    parser.add_argument("--fidelity", choices=("wire", "fast"), default="fast")
    parser.add_argument("--calendar", action="store_true", help="calendar.enabled: holidays, adoption, fee abolition")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario, scale=args.scale, fidelity=args.fidelity).with_overrides(
        {"date": args.date, "calendar.enabled": args.calendar}
    )
    for days in (1, args.days):
        started = time.perf_counter()
        results = Simulation(scenario, days=days).run()
        wall = time.perf_counter() - started
        n = len(results.transactions) + len(results.transfers)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{days} day(s): {n:,} transactions in {wall:.1f} s = {n / wall:,.0f} transactions / s; peak RSS so far {peak_mb:,.0f} MB")
        if len(results.days):
            for row in results.days.to_dict("records"):
                print(f"  {row['date']} {row['weekday']} {row['day_kind']:8s} {row['transactions']:>8,}  approved {row['approved_share']:.1%}"
                      f"  ledger {row['ledger_check']}")  # fmt: skip


if __name__ == "__main__":
    main()
