"""Scenario fields of fault drills: the faults a run injects, each at its time.

Physical picture: the operators' drill card — "at 10:00 Aiyl Bank's host goes off the network
for half an hour", "the link from the switch to the issuers loses 5 % of its messages from noon
to one", "one of the switch's nodes dies at 14:00". Each item of ``faults`` is one fault:

- ``{kind: host_down, target: "issuer:AIYL", start_s, end_s}``: the host takes no new message
  from ``start_s`` to ``end_s`` (scenario/choices.FAULT_HOSTS names the hosts);
- ``{kind: link, target: switch_issuer, drop_share, delay_s, start_s, end_s}``: a link
  (choices.FAULT_LINKS) loses a share of the messages crossing it, either way, or delays them;
- ``{kind: duplicates, target: <link>, rate, start_s, end_s}``: the link delivers a share of
  its messages twice;
- ``{kind: switch_node_down, node: i, start_s, end_s}``: node ``i`` of the switch
  (``switch.nodes``) is lost, with the messages it held;
- ``{kind: clearing_late, cutoff: i, delay_s}``: the clearing period closed at the first day's
  cut-off ``clearing.cutoffs[i]`` goes to settlement ``delay_s`` late.

Instants are seconds from the run's start (local midnight); ``end_s`` 0 means "until the end of
the run's demand". A parameter a kind does not use must be left out. No faults (the default):
the run is exactly the run without the section.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario.choices import FAULT_HOSTS, FAULT_KINDS, FAULT_LINKS
from elcart_sim.scenario.fields import checked, fraction, non_negative, one_of

if TYPE_CHECKING:
    from elcart_sim.scenario.scenario import Scenario

__all__ = ["FaultSpec", "check_faults", "PARAMETERS"]

PARAMETERS: dict[str, tuple[str, ...]] = {
    "host_down": ("target", "start_s", "end_s"),
    "link": ("target", "drop_share", "delay_s", "start_s", "end_s"),
    "duplicates": ("target", "rate", "start_s", "end_s"),
    "switch_node_down": ("node", "start_s", "end_s"),
    "clearing_late": ("cutoff", "delay_s"),
}
"""The fields each kind of fault takes (``kind`` apart); the others must keep their defaults."""


@dataclass(frozen=True)
class FaultSpec:
    """One fault of the drill; see the module's docstring."""

    kind: str = field(default="host_down", metadata=checked(one_of(FAULT_KINDS)))
    target: str = ""
    start_s: float = field(default=0.0, metadata=checked(non_negative))
    end_s: float = field(default=0.0, metadata=checked(non_negative))
    drop_share: float = field(default=0.0, metadata=checked(fraction))
    delay_s: float = field(default=0.0, metadata=checked(non_negative))
    rate: float = field(default=0.0, metadata=checked(fraction))
    node: int = field(default=0, metadata=checked(non_negative))
    cutoff: int = field(default=0, metadata=checked(non_negative))


_DEFAULTS = FaultSpec()


def _check_target(fault: FaultSpec, path: str) -> None:
    name, _, which = fault.target.partition(":")
    if fault.kind == "host_down":
        if name not in FAULT_HOSTS:
            raise ScenarioError(path, f"must name a host ({', '.join(FAULT_HOSTS)}; issuer:<bank> …), got {fault.target!r}")
        if name in ("issuer", "biller") and not which:
            raise ScenarioError(path, f"must name one {name}, as {name}:<{'bank' if name == 'issuer' else 'biller id'}>, got {fault.target!r}")
        if which and name not in ("issuer", "biller", "batch_posting", "biller_gateway"):
            raise ScenarioError(path, f"names one {name}, with nothing after it, got {fault.target!r}")
    elif name not in FAULT_LINKS or (which and name != "switch_issuer"):
        raise ScenarioError(path, f"must name a link ({', '.join(FAULT_LINKS)}; switch_issuer:<bank>), got {fault.target!r}")


def check_fault(fault: FaultSpec, path: str) -> None:
    """What one fault's own fields must agree on (its kind's parameters, its times)."""
    used = PARAMETERS[fault.kind]
    for f in fields(FaultSpec):
        if f.name != "kind" and f.name not in used and getattr(fault, f.name) != getattr(_DEFAULTS, f.name):
            raise ScenarioError(f"{path}.{f.name}", f"does not apply to a {fault.kind} fault (it takes {', '.join(used)})")
    if "target" in used:
        _check_target(fault, f"{path}.target")
    if fault.end_s and fault.end_s <= fault.start_s:
        raise ScenarioError(f"{path}.end_s", f"must be after start_s ({fault.start_s}), or 0 for the end of the run, got {fault.end_s}")
    if fault.kind == "link" and not (fault.drop_share or fault.delay_s):
        raise ScenarioError(f"{path}.drop_share", "a link fault must drop a share of messages or delay them (drop_share or delay_s > 0)")
    if fault.kind == "duplicates" and not fault.rate:
        raise ScenarioError(f"{path}.rate", "must be > 0 for a duplicates fault")
    if fault.kind == "clearing_late" and not fault.delay_s:
        raise ScenarioError(f"{path}.delay_s", "must be > 0 for a clearing_late fault")


def check_faults(scenario: Scenario) -> None:
    """Each fault against itself and the rest of the scenario (the switch's nodes, the clearing's
    cut-offs, the demand's span)."""
    for i, fault in enumerate(scenario.faults):
        path = f"faults[{i}]"
        check_fault(fault, path)
        if fault.start_s >= scenario.demand.duration_s and fault.kind != "clearing_late":
            raise ScenarioError(f"{path}.start_s", f"must fall within the day's demand (demand.duration_s {scenario.demand.duration_s}), got {fault.start_s}")
        if fault.kind == "switch_node_down" and fault.node >= scenario.switch.nodes:
            raise ScenarioError(f"{path}.node", f"must be a node of the switch (0 to switch.nodes − 1 = {scenario.switch.nodes - 1}), got {fault.node}")
        if fault.kind == "clearing_late":
            if not scenario.clearing.enabled:
                raise ScenarioError(f"{path}.kind", "a clearing_late fault needs clearing.enabled: true")
            if fault.cutoff >= len(scenario.clearing.cutoffs):
                raise ScenarioError(f"{path}.cutoff", f"must index clearing.cutoffs (0 to {len(scenario.clearing.cutoffs) - 1}), got {fault.cutoff}")
