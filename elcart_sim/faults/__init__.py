"""Fault drills: fault plans (`plan`: pure records, drawn from a seed or read from the scenario)
and their injection into a built Simulation (`injection`: hosts down, faulty links)."""

from elcart_sim.faults.injection import REPEAT_AFTER_S, Injection, LinkGate, inject
from elcart_sim.faults.plan import Fault, FaultPlan, as_specs, plan_of, random_plan

__all__ = ["Fault", "FaultPlan", "plan_of", "random_plan", "as_specs", "Injection", "LinkGate", "inject", "REPEAT_AFTER_S"]
