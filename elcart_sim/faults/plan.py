"""Fault plans: what goes wrong in a drill, and when — pure data, no time, no SimPy.

Physical picture: the drill card the operators hold before the day starts. A `FaultPlan` is a
tuple of `Fault` records, each a kind (scenario/choices.FAULT_KINDS), what it hits (a host such
as ``issuer:AIYL``, a link such as ``switch_issuer``, ``switch`` for a node, ``clearing`` for a
late clearing file), when it starts and ends (seconds from the run's start), and its parameters
(``drop_share``, ``delay_s``, ``rate``, ``node``, ``cutoff``). `plan_of` reads a scenario's
``faults`` section into a plan; `random_plan` draws a plausible mixed plan within the day from a
seed, on a random generator of its own (``faults.plan``), so that the day's demand, drawn from
the run's streams, is the same with or without the plan (common random numbers); `as_specs`
writes a plan back as a ``faults`` section, so a drawn plan replays from a scenario file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from elcart_sim.core.streams import RandomStreams
from elcart_sim.scenario import Scenario, data_dir
from elcart_sim.scenario.choices import ACCOUNT_TRANSFER_CHANNELS, BILL_CHANNELS, P2P_CHANNELS, QR_PAYMENT_CHANNELS
from elcart_sim.scenario.faults import PARAMETERS
from elcart_sim.world.population import load_banks

__all__ = ["Fault", "FaultPlan", "plan_of", "random_plan", "as_specs"]


class Fault(NamedTuple):
    """One fault: ``kind`` hits ``target`` from ``start_s`` to ``end_s`` (instants, seconds from
    the run's start), with ``params`` as (name, value) pairs in the kind's order."""

    kind: str
    target: str
    start_s: float
    end_s: float
    params: tuple[tuple[str, float], ...] = ()

    def param(self, name: str, default: float = 0.0) -> float:
        return dict(self.params).get(name, default)

    def to_spec(self) -> dict[str, Any]:
        """The fault as an item of a scenario's ``faults`` section."""
        spec: dict[str, Any] = {"kind": self.kind}
        fields = {"target": self.target, "start_s": self.start_s, "end_s": self.end_s, **dict(self.params)}
        for name in PARAMETERS[self.kind]:
            value = fields[name]
            spec[name] = int(value) if name in ("node", "cutoff") else value
        return spec


FaultPlan = tuple[Fault, ...]


def plan_of(scenario: Scenario) -> FaultPlan:
    """The plan of ``scenario.faults`` (validated with the scenario): an open end (``end_s`` 0) is
    the end of the day's demand; a late clearing file starts at its cut-off and ends when it comes."""
    faults = []
    for spec in scenario.faults:
        end = spec.end_s or scenario.demand.duration_s
        if spec.kind == "host_down":
            faults.append(Fault("host_down", spec.target, spec.start_s, end))
        elif spec.kind == "link":
            faults.append(Fault("link", spec.target, spec.start_s, end, (("drop_share", spec.drop_share), ("delay_s", spec.delay_s))))
        elif spec.kind == "duplicates":
            faults.append(Fault("duplicates", spec.target, spec.start_s, end, (("rate", spec.rate),)))
        elif spec.kind == "switch_node_down":
            faults.append(Fault("switch_node_down", "switch", spec.start_s, end, (("node", float(spec.node)),)))
        else:
            at = float(scenario.clearing.cutoffs_s[spec.cutoff])
            faults.append(Fault("clearing_late", "clearing", at, at + spec.delay_s, (("cutoff", float(spec.cutoff)), ("delay_s", spec.delay_s))))
    return tuple(faults)


def as_specs(plan: FaultPlan) -> list[dict[str, Any]]:
    """``plan`` as a scenario's ``faults`` section (`Scenario.with_overrides({"faults": ...})`)."""
    return [fault.to_spec() for fault in plan]


def _menu(scenario: Scenario, banks: tuple[str, ...]) -> list[tuple[float, str, tuple[str, ...]]]:
    """(weight, kind, targets) of the faults that can hit this scenario's day."""
    demand = scenario.demand
    issuers = tuple(f"issuer:{code}" for code in banks)
    menu = [
        (0.35, "host_down", issuers),
        (0.10, "host_down", ("acquirer",)),
        (0.25, "link", ("switch_issuer", "acquirer_switch", "terminal_acquirer", *(f"switch_issuer:{code}" for code in banks))),
        (0.15, "duplicates", ("switch_issuer", "acquirer_switch", "terminal_acquirer")),
    ]
    if scenario.switch.nodes > 1:
        menu.append((0.15, "switch_node_down", ("switch",)))
    if any(demand.share(channel) > 0 for channel in P2P_CHANNELS):
        menu += [(0.05, "host_down", ("directory",)), (0.03, "link", ("app_directory",))]
    if any(demand.share(channel) > 0 for channel in BILL_CHANNELS):
        menu += [(0.05, "host_down", ("biller_gateway",)), (0.03, "link", ("app_gateway",))]
    if any(demand.share(channel) > 0 for channel in (*ACCOUNT_TRANSFER_CHANNELS, *QR_PAYMENT_CHANNELS)):
        menu += [(0.05, "host_down", ("interaction_operator",)), (0.03, "link", ("app_operator",))]
    if scenario.clearing.enabled:
        menu.append((0.05, "clearing_late", ("clearing",)))
    return menu


def random_plan(seed: int, scenario: Scenario, n_faults: int = 3) -> FaultPlan:
    """A plausible mixed plan of ``n_faults`` faults within ``scenario``'s day, the same for the
    same seed and scenario: kinds weighted towards the common incidents (an issuer down, a lossy
    link), each starting within the day's demand and lasting 5–30 % of it, at most half an hour."""
    rng = RandomStreams(seed).generator("faults.plan")
    banks = tuple(bank.code for bank in load_banks(data_dir() / scenario.population.banks_file))
    menu = _menu(scenario, banks)
    weights = [weight for weight, _kind, _targets in menu]
    total = sum(weights)
    duration = scenario.demand.duration_s
    plan = []
    for _ in range(n_faults):
        _weight, kind, targets = menu[int(rng.choice(len(menu), p=[w / total for w in weights]))]
        target = targets[int(rng.integers(len(targets)))]
        start = round(float(rng.uniform(0.02, 0.8)) * duration, 1)
        end = round(min(duration, start + min(1800.0, float(rng.uniform(0.05, 0.3)) * duration)), 1)
        if kind == "link":
            drop, delay = round(float(rng.uniform(0.01, 0.3)), 3), round(float(rng.choice([0.0, rng.uniform(0.05, 3.0)])), 3)
            plan.append(Fault(kind, target, start, end, (("drop_share", drop), ("delay_s", delay))))
        elif kind == "duplicates":
            plan.append(Fault(kind, target, start, end, (("rate", round(float(rng.uniform(0.005, 0.1)), 4)),)))
        elif kind == "switch_node_down":
            plan.append(Fault(kind, target, start, end, (("node", float(rng.integers(scenario.switch.nodes))),)))
        elif kind == "clearing_late":
            cutoff = int(rng.integers(len(scenario.clearing.cutoffs)))
            at = float(scenario.clearing.cutoffs_s[cutoff])
            delay = round(float(rng.uniform(600.0, 3600.0)), 1)
            plan.append(Fault(kind, target, at, at + delay, (("cutoff", float(cutoff)), ("delay_s", delay))))
        else:
            plan.append(Fault(kind, target, start, end))
    return tuple(plan)


def plan_summary(plan: FaultPlan) -> Mapping[str, int]:
    """How many faults of each kind ``plan`` holds."""
    counts: dict[str, int] = {}
    for fault in plan:
        counts[fault.kind] = counts.get(fault.kind, 0) + 1
    return counts
