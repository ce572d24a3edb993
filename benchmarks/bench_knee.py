"""Benchmark: the knee of every host at the salary-day peak. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_knee.py [--scenario salary-day-peak] [--scale 1.0] [--taps 20000] [--set PATH=VALUE ...]

For each host pool (the acquirer, IPC's switch and HSM, every bank's issuing host and HSM, the
app's gateways when the day has them): its utilisation in the busiest hour from the analytic
loads (capacity/hosts.py; on a crediting day with the credits' echo, capacity/echo.py), the same
simulated over the peak window (`--taps` card transactions at the peak rate, capacity/peak.py), the knee multiple (the load at which it is 80 % busy, × today's peak)
and the year the scenario's growth gets it there (capacity/knee.py); sorted by the knee, the
host that reaches it first named at the end, and the wall time of the simulated check.
"""

from __future__ import annotations

import argparse
import math
import time

from elcart_sim.capacity.hosts import card_side_peak
from elcart_sim.capacity.knee import first_knee, knee_table, peak_rate_per_s, simulated_utilisation
from elcart_sim.capacity.tables import text_table
from elcart_sim.cli.options import add_set_option, scenario_with_sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="salary-day-peak")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--taps", type=int, default=20_000, help="taps simulated at the peak rate for the check")
    add_set_option(parser)
    args = parser.parse_args()
    scenario = scenario_with_sets(args.scenario, args.overrides, scale=args.scale)
    table = knee_table(scenario)
    started = time.perf_counter()
    simulated = simulated_utilisation(scenario, taps=args.taps).set_index("component")["simulated_utilisation"]
    wall_s = time.perf_counter() - started
    table = table.assign(simulated=[simulated.get(c, math.nan) for c in table["component"]]).sort_values("knee_multiple")
    rows = [
        {
            "host": r.component,
            "servers": int(r.servers),
            "messages/s": round(r.arrival_rate_per_s, 3),
            "utilisation analytic (%)": f"{100 * r.utilisation:.3f}",
            "simulated (%)": f"{100 * r.simulated:.3f}",
            "knee (× peak)": round(r.knee_multiple, 2),
            "years": round(r.years_to_knee, 1),
            "knee year": "never" if r.knee_year is None or r.knee_year != r.knee_year else str(int(r.knee_year)),
        }
        for r in table.itertuples()
    ]
    g = scenario.demand.growth_per_year
    peak = card_side_peak(scenario)
    echo = sum(peak.echo_taps_per_s.values()) + sum(peak.echo_withdrawals_per_s.values())
    print(f"{scenario.name} at scale {scenario.scale:g}: peak {peak_rate_per_s(scenario):.4g} card transactions/s at {peak.hour:02d}:00 "
          f"({echo:.4g} of them the credits' echo), growth {g:.0%}/yr, knee at 80 % busy")  # fmt: skip
    print(text_table(rows))
    first = table.iloc[0]
    print(f"first to the knee: {first_knee(table)} at {first.knee_multiple:.3g} × today's peak, in {int(first.knee_year)} "
          f"({first.years_to_knee:.1f} years)")  # fmt: skip
    both = table.dropna(subset=["simulated"])
    worst = (both["simulated"] / both["utilisation"] - 1).abs()
    busy = both["utilisation"] >= 0.01
    print(f"simulated vs analytic: {args.taps:,} taps in {wall_s:.1f} s wall; largest relative gap {worst[busy].max():.1%} "
          f"over the {int(busy.sum())} hosts ≥ 1 % busy, {worst.max():.1%} over all {len(both)}")  # fmt: skip


if __name__ == "__main__":
    main()
