"""Benchmark: what fault drills cost a run. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/bench_faults.py [--scale 0.02] [--repeat 3] [--fidelity fast|wire]

The national day at ``--scale`` (the card side and the app's payments), run in turn:

- ``no section``: the scenario as bundled (no faults);
- ``empty faults``: with ``faults: []`` — must cost the same: with no fault nothing of
  faults/ runs and no host has a door fitted (hosts/host.py);
- ``2 switch nodes``: ``switch.nodes: 2`` (hosts/switch/nodes.py), no fault;
- ``lossy link all day``: ``switch_issuer`` dropping 0.1 % of its messages all day — a fault
  that is on, for scale: each message then crosses the gate (one draw, one closure);

each ``--repeat`` times, interleaved, keeping each one's fastest. Per request (a card-side
transaction or an app payment): CPU microseconds, and raw-SimPy-event times (one process
looping over env.timeout, measured before and after in the same process) as the yardstick.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_national_day import raw_simpy_events_per_s  # noqa: E402

from elcart_sim import Simulation, load_scenario  # noqa: E402

VARIANTS = {
    "no section": {},
    "empty faults": {"faults": []},
    "2 switch nodes": {"switch.nodes": 2},
    "lossy link all day": {"faults": [{"kind": "link", "target": "switch_issuer", "drop_share": 0.001}]},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.02)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fidelity", choices=("wire", "fast"), default="fast")
    args = parser.parse_args()
    base = load_scenario("national-day", scale=args.scale, fidelity=args.fidelity)
    scenarios = {name: base.with_overrides(overrides) if overrides else base for name, overrides in VARIANTS.items()}
    before = raw_simpy_events_per_s()
    best: dict[str, float] = {}
    requests: dict[str, int] = {}
    for _ in range(args.repeat):
        for name, scenario in scenarios.items():
            started = time.process_time()
            results = Simulation(scenario).run()
            cpu = time.process_time() - started
            requests[name] = len(results.transactions) + len(results.transfers)
            best[name] = min(best.get(name, cpu), cpu)
    raw = (before + raw_simpy_events_per_s()) / 2
    empty = Simulation(scenarios["empty faults"])
    hosts = [empty.acquirer, empty.switch, *empty.issuers.values()]
    fitted = sum(1 for host in hosts if "serve" in vars(host) or "send" in vars(host))
    print(f"scenario               national-day at scale {args.scale:g}, fidelity {args.fidelity}; best of {args.repeat}")
    print(f"raw SimPy events / s   {raw:,.0f}")
    print(f"empty faults           injection {'none' if empty.faults is None else 'built'}; doors fitted on {fitted} of {len(hosts)} hosts "
          "(the difference below is the machine's noise: the same code runs)")
    print(f"{'variant':22s} {'requests':>9s} {'CPU s':>7s} {'µs / request':>13s} {'raw-event times / request':>26s} {'vs no section':>14s}")
    for name in VARIANTS:
        per = best[name] / requests[name]
        print(f"{name:22s} {requests[name]:>9,} {best[name]:>7.2f} {per * 1e6:>13.1f} {per * raw:>26.1f} {best[name] / best['no section'] - 1:>+13.1%}")


if __name__ == "__main__":
    main()
