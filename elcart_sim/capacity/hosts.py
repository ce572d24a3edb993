"""The hosts that sizing sizes, and the load each host pool carries at a tap rate.

A scenario sets one server count per host spec (`acquirer.servers`, `switch.servers`,
`issuer.servers`: every issuing bank's host has that many; scenario.HOST_SPECS lists them). The
pools are the components the model registers for the scenario (core/registry.py): a pool that
is not a bank's sees every tap; each issuing bank's pool its bank's share of them, which comes
from the population (wallets are picked uniformly among the enrolled cards). A `HostLoad` is one
host pool as an M/G/c queue: arrival rate, mean service time and its coefficient of variation,
servers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from elcart_sim.core.errors import CapacityError
from elcart_sim.core.registry import Registry
from elcart_sim.scenario import HOST_SPECS, Scenario, data_dir, spec_key

__all__ = ["HOSTS", "HostLoad", "configured_servers", "with_servers", "host_loads"]

HOSTS = HOST_SPECS
"""The host specs sizing sizes."""


def configured_servers(scenario: Scenario) -> dict[str, int]:
    """The servers the scenario sets at each host."""
    return {host: getattr(scenario, host).servers for host in HOSTS}


def with_servers(scenario: Scenario, servers: dict[str, int]) -> Scenario:
    """The scenario with `servers` at the hosts named (itself if nothing changes)."""
    changes = {f"{h}.servers": int(c) for h, c in servers.items() if getattr(scenario, h).servers != c}
    return scenario.with_overrides(changes) if changes else scenario


@dataclass(frozen=True)
class HostLoad:
    """One host pool at the peak: which sizing it belongs to (`host`), its arrival rate, service
    time and servers."""

    host: str
    component: str
    arrival_rate_per_s: float
    mean_service_s: float
    service_cv: float
    servers: int

    @property
    def utilisation(self) -> float:
        return self.arrival_rate_per_s * self.mean_service_s / self.servers


def _service(scenario: Scenario, host: str) -> tuple[float, float]:
    spec = getattr(scenario, host).service_time
    distribution = spec.distribution()
    return spec.mean_s, (0.0 if spec.dist == "constant" else distribution.cv)


_MODELS: dict[tuple, tuple[Registry, dict[str, float]]] = {}  # by seed, scale, population spec and data folder


def _model(scenario: Scenario) -> tuple[Registry, dict[str, float]]:
    """The components the model registers for the scenario, and each bank's share of the taps
    (wallets are picked uniformly among the enrolled cards)."""
    if scenario.transfers_expected:
        raise CapacityError(
            f"sizing models the tap's hosts at a tap rate; scenario {scenario.name!r} also sends P2P transfers "
            "(demand.channels p2p_*), whose load sizing does not model yet: size it with its transfer channels at 0 "
            "(--set demand.channels=...), or study it with replicate or sweep"
        )
    key = (scenario.seed, scenario.scale, spec_key(scenario.population), data_dir())
    model = _MODELS.get(key)
    if model is None:
        from elcart_sim.model.simulation import Simulation

        simulation = Simulation(scenario)
        population = simulation.population
        counts = np.diff(np.searchsorted(population.enrolled_cards, population.card_starts))
        total = max(1, int(counts.sum()))
        shares = {bank.code: float(counts[bank.index]) / total for bank in population.banks}
        model = _MODELS[key] = (simulation.registry, shares)
    return model


def host_loads(scenario: Scenario, *, rate_per_s: float, servers: dict[str, int] | None = None) -> list[HostLoad]:
    """Every host pool at tap rate `rate_per_s`: a pool that is not a bank's sees every tap, each
    issuing bank's pool its share. `servers` overrides the scenario's."""
    servers = servers or configured_servers(scenario)
    registry, shares = _model(scenario)
    loads = []
    for component in registry:
        mean, cv = _service(scenario, component.spec)
        share = shares[component.bank] if component.bank else 1.0
        loads.append(HostLoad(component.spec, component.name, rate_per_s * share, mean, cv, servers[component.spec]))
    return loads
