"""Fault drills: seeded fault plans played on the same day, the invariants checked in every run,
every run scored against the day without faults (`runs`); `elcart-sim drill` (cli/drill.py)."""

from elcart_sim.drill.runs import FAULT_SOURCES, Drill, DrillTask, drill, fault_plan, plan_seed, run_drill

__all__ = ["Drill", "DrillTask", "FAULT_SOURCES", "drill", "fault_plan", "plan_seed", "run_drill"]
