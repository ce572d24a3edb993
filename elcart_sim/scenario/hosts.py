"""Scenario fields of the hosts and the links between them."""

from __future__ import annotations

from dataclasses import dataclass, field

from elcart_sim.scenario.fields import DurationSpec, checked, positive

__all__ = ["HostSpec", "NetworkSpec"]


@dataclass(frozen=True)
class HostSpec:
    """A host (acquirer, switch, issuer): c identical servers, a service-time model, and how long it
    waits for the next hop's answer before it gives up and reverses."""

    servers: int = field(default=4, metadata=checked(positive))
    service_time: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.005, 0.5))
    timeout_s: float = field(default=10.0, metadata=checked(positive))


@dataclass(frozen=True)
class NetworkSpec:
    """One-way latency of each link in the chain."""

    terminal_acquirer: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.12, 0.5))
    acquirer_switch: DurationSpec = field(default_factory=lambda: DurationSpec("constant", 0.004))
    switch_issuer: DurationSpec = field(default_factory=lambda: DurationSpec("constant", 0.004))
