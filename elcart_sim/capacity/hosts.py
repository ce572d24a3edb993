"""The hosts that sizing sizes, and the load each host pool carries at a tap rate.

A scenario sets three server counts: `acquirer.servers`, `switch.servers` and `issuer.servers`
(every issuing bank's host has that many). The acquirer and the switch see every tap; each issuer
bank sees its share of them, which comes from the population (wallets are picked uniformly among
the enrolled cards). A `HostLoad` is one host pool as an M/G/c queue: arrival rate, mean service
time and its coefficient of variation, servers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from elcart_sim.scenario import Scenario, data_dir, spec_key

__all__ = ["HOSTS", "HostLoad", "configured_servers", "with_servers", "host_loads"]

HOSTS = ("acquirer", "switch", "issuer")


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


_SHARES: dict[tuple, dict[str, float]] = {}  # by seed, scale, population spec and data folder


def _issuer_shares(scenario: Scenario) -> dict[str, float]:
    """Each bank's share of the taps: wallets are picked uniformly among the enrolled cards."""
    key = (scenario.seed, scenario.scale, spec_key(scenario.population), data_dir())
    shares = _SHARES.get(key)
    if shares is None:
        from elcart_sim.world.population import Population
        from elcart_sim.core.streams import RandomStreams

        population = Population.build(scenario, RandomStreams(scenario.seed, 0))
        starts = population.card_starts
        enrolled = population.enrolled_cards
        counts = np.diff(np.searchsorted(enrolled, starts))
        total = max(1, int(counts.sum()))
        shares = {bank.code: float(counts[bank.index]) / total for bank in population.banks}
        _SHARES[key] = shares
    return shares


def host_loads(scenario: Scenario, *, rate_per_s: float, servers: dict[str, int] | None = None) -> list[HostLoad]:
    """Every host pool at tap rate `rate_per_s`: the acquirer and the switch see every tap, each
    issuer bank its share. `servers` overrides the scenario's."""
    servers = servers or configured_servers(scenario)
    loads = []
    for host in ("acquirer", "switch"):
        mean, cv = _service(scenario, host)
        loads.append(HostLoad(host, host, rate_per_s, mean, cv, servers[host]))
    mean, cv = _service(scenario, "issuer")
    for code, share in _issuer_shares(scenario).items():
        loads.append(HostLoad("issuer", f"issuer:{code}", rate_per_s * share, mean, cv, servers["issuer"]))
    return loads
