"""A hundred seeded random-fault drill runs at small scale break no invariant: hosts down, lossy
and slow links, duplicates, a switch node lost, a clearing file late — with stand-in at the
switch, three switch nodes and clearing on, so that every invariant has something to check."""

from __future__ import annotations

from elcart_sim import load_scenario
from elcart_sim.drill import drill

RUNS = 100


def test_a_hundred_random_fault_drills_break_no_invariant():
    day = load_scenario("national-day", scale=0.0005, fidelity="fast").with_overrides(
        {"switch.stand_in.enabled": True, "switch.nodes": 3, "clearing.enabled": True}
    )
    found = drill(day, RUNS, seed=1, faults="random")
    summary = found.summary()
    assert summary["runs"] == RUNS and summary["faults"] >= 2 * RUNS
    assert set(summary["faults_by_kind"]) == {"host_down", "link", "duplicates", "switch_node_down", "clearing_late"}
    assert found.violations.empty, found.violations.head(20).to_string()
    assert summary["sales_lost_total"] > 0 and summary["customers_affected_total"] > 0  # the faults did bite
