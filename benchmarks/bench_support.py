"""Benchmark: the support centre's cost per contact, with the raw SimPy event rate measured in the
same run as a yardstick. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_support.py [--contacts-per-day 20000] [--days 1] [--replications 3]

A day of the national-day scenario's support centre (onboarding on, its shifts as sized by
Erlang C for the day's contacts, which are scaled to ``--contacts-per-day``), played
``--replications`` times: contacts per CPU second, CPU microseconds per contact, SimPy events
per contact, and that cost in units of a raw SimPy event (one process looping over
env.timeout, measured before and after). Then the staffing search (Erlang C and the simulation
for every shift) on the same day, in CPU seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_national_day import raw_simpy_events_per_s  # noqa: E402

from elcart_sim import load_scenario  # noqa: E402
from elcart_sim.core.streams import RandomStreams
from elcart_sim.people.contacts import expected_contacts
from elcart_sim.people.staffing import erlang_staffing, staffing_table
from elcart_sim.people.support_centre import SupportCentre


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts-per-day", type=float, default=20_000.0)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--replications", type=int, default=3)
    args = parser.parse_args()

    scenario = load_scenario("national-day").with_overrides({"onboarding.enabled": True})
    contacts = expected_contacts(scenario)
    contacts["contacts"] *= args.contacts_per_day / contacts["contacts"].sum()
    plan = erlang_staffing(scenario.support, contacts)
    agents = {channel: rows["erlang_c_agents"].tolist() for channel, rows in plan.groupby("channel", sort=False)}

    before = raw_simpy_events_per_s()
    served, events, cpu = 0, 0, 0.0
    for replication in range(args.replications):
        env = simpy.Environment()
        centre = SupportCentre(env, RandomStreams(scenario.seed, replication), scenario.support, contacts, days=args.days, agents=agents)
        started = time.process_time()
        env.run(until=86_400.0 * args.days)
        cpu += time.process_time() - started
        served += len(centre.records)
        events += next(env._eid)  # SimPy numbers every scheduled event (a private counter)
    after = raw_simpy_events_per_s()
    raw = (before + after) / 2
    per_contact_s = cpu / served
    print(f"contacts               {served:,} in {args.replications} replications of {args.days} day(s) "
          f"(agents per shift, Erlang C: {agents})")
    print(f"contacts / CPU second  {served / cpu:,.0f}")
    print(f"CPU per contact        {per_contact_s * 1e6:,.1f} µs")
    print(f"SimPy events / contact {events / served:.2f}")
    print(f"raw SimPy events / s   {raw:,.0f} (before {before:,.0f}, after {after:,.0f})")
    print(f"cost per contact       {per_contact_s * raw:.1f} raw SimPy events")

    started = time.process_time()
    table = staffing_table(scenario.support, contacts, replications=args.replications, seed=scenario.seed)
    searched = time.process_time() - started
    print(f"staffing search        {searched:.1f} CPU s for {len(table)} channel-shifts, {args.replications} replications each")


if __name__ == "__main__":
    main()
