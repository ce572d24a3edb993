"""The hosts that sizing sizes, and the load each host pool carries at a tap rate.

A scenario sets one server count per host spec, a dotted scenario field holding a HostSpec (or
an HsmSpec): `acquirer.servers`, `switch.servers`, `issuers.<bank>.servers` for a bank with a
host of its own and `issuer.servers` (every other issuing bank's host has that many) for the
tap's chain (scenario.HOST_SPECS), the HSMs' `hsm.switch`, `hsm.issuers.<bank>` and `hsm.issuer`
when the scenario's HSMs are on, and for the app's services the ones the model adds for
the day (`services.directory`, `services.bills.gateway` — every biller gateway has that many —,
`services.account_transfers.operator`, `services.notifications`, `services.payroll.posting`).
The hosts sized are the registry's specs for the scenario (core/registry.py, in its order: the
tap's chain first), so a host the model adds is sized with no change here.

A `HostLoad` is one host pool as an M/G/c queue: arrival rate, mean service time and its
coefficient of variation (from its spec), servers. Its arrival rate at a tap rate λ is
λ × the tap's visits (1 at the acquirer and the switch, the switch's HSM calls per 0100 at IPC's
HSM; at each issuing bank's host its bank's share of the taps, from the population: wallets are
picked uniformly among the enrolled cards, times the issuer's HSM calls per 0100 at its HSM)
plus, for each app channel ch of the day, λ × share_ch ÷ share_contactless × V_ch,pool, its
visit ratio measured on the model (capacity/visits.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from elcart_sim.capacity.visits import app_channels, channel_visits
from elcart_sim.core.errors import CapacityError
from elcart_sim.core.registry import Registry
from elcart_sim.scenario import HOST_SPECS, Scenario, data_dir, spec_key
from elcart_sim.scenario.hosts import HostSpec, HsmSpec
from elcart_sim.world.demand import card_side_rates_per_s, hourly_rates_per_s

__all__ = ["HOSTS", "HostLoad", "host_spec", "sized_hosts", "configured_servers", "with_servers", "host_loads"]

HOSTS = HOST_SPECS
"""The tap chain's host specs: what sizing sizes on a day of taps alone."""


def host_spec(scenario: Scenario, spec: str) -> HostSpec | HsmSpec:
    """The HostSpec at dotted scenario field `spec` (e.g. "services.bills.gateway"); change it
    with `with_servers` or `scenario.with_overrides({f"{spec}.servers": n})`."""
    node: object = scenario
    for part in spec.split("."):
        node = node.get(part) if isinstance(node, dict) else getattr(node, part, None)
    if not isinstance(node, (HostSpec, HsmSpec)):
        raise CapacityError(f"{spec} is not a host spec of the scenario")
    return node


def sized_hosts(scenario: Scenario) -> tuple[str, ...]:
    """The host specs sizing sizes for `scenario`: those of the hosts the model registers for
    it, in the registry's order (the tap's chain, then the app's services)."""
    return _model(scenario)[0].specs()


def configured_servers(scenario: Scenario) -> dict[str, int]:
    """The servers the scenario sets at each sized host."""
    return {host: host_spec(scenario, host).servers for host in sized_hosts(scenario)}


def with_servers(scenario: Scenario, servers: dict[str, int]) -> Scenario:
    """The scenario with `servers` at the hosts named (itself if nothing changes)."""
    changes = {f"{h}.servers": int(c) for h, c in servers.items() if host_spec(scenario, h).servers != c}
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


def _card_side_mix(scenario: Scenario) -> dict[str, float]:
    """Each card channel's share of the card side's transactions in its peak hour."""
    card_side = card_side_rates_per_s(scenario)
    peak_hour = int(np.argmax(card_side))
    total = card_side[peak_hour] or 1.0
    return {c: hourly_rates_per_s(scenario, c)[peak_hour] / total for c, share in scenario.demand.channels.items() if share > 0}


def _tap_visits(scenario: Scenario, mix: dict[str, float], hop: str, bank: str) -> float:
    """Messages per card-side transaction at a pool of hop `hop` (before its bank's share): one
    request (0100 for a purchase, 0200 for an ATM withdrawal) at the acquirer, the switch and the
    issuer; at an HSM, the calls per request (hsm.calls): a bank's HSM takes its issuer's for
    every card-side request, IPC's HSM the switch's for a phone tap's 0100 only (a token's
    cryptogram is IPC's to check; a plastic card's is its issuer's); `mix` is `_card_side_mix`."""
    if hop in ("acquirer", "switch", "issuer"):
        return 1.0
    if hop == "hsm":
        if not bank:
            return mix.get("contactless", 0.0) * scenario.hsm.calls_at("switch").get("0100", 0)
        calls = scenario.hsm.calls_at("issuer")
        withdrawals = mix.get("atm", 0.0)
        return (1.0 - withdrawals) * calls.get("0100", 0) + withdrawals * calls.get("0200", 0)
    return 0.0


def _service(scenario: Scenario, host: str) -> tuple[float, float]:
    spec = host_spec(scenario, host).service_time
    distribution = spec.distribution()
    return spec.mean_s, (0.0 if spec.dist == "constant" else distribution.cv)


_MODELS: dict[tuple, tuple[Registry, dict[str, tuple[float, float]]]] = {}  # by seed, scale, population, channels, crediting day, pools, data folder


def _model(scenario: Scenario) -> tuple[Registry, dict[str, tuple[float, float]]]:
    """The components the model registers for the scenario, and each bank's share of the enrolled
    cards (a phone tap picks one uniformly) and of all cards (a plastic card or ATM transaction)."""
    crediting = bool(scenario.services.payroll.batches) and scenario.demand.is_salary_day(scenario.business_date)
    channels = tuple(c for c, share in {**scenario.demand.channels, **scenario.demand.app_channels}.items() if share > 0)
    hsm = scenario.hsm
    layout = (tuple(scenario.issuers), tuple(hsm.issuers), spec_key({h: hsm.calls_at(h) for h in ("switch", "issuer")}))  # which pools, not their servers
    key = (scenario.seed, scenario.scale, spec_key(scenario.population), channels, crediting, layout, data_dir())
    model = _MODELS.get(key)
    if model is None:
        from elcart_sim.model.simulation import Simulation

        simulation = Simulation(scenario)
        population = simulation.population
        enrolled = np.diff(np.searchsorted(population.enrolled_cards, population.card_starts))
        cards = np.diff(population.card_starts)
        shares = {
            bank.code: (float(enrolled[bank.index]) / max(1, int(enrolled.sum())), float(cards[bank.index]) / max(1, int(cards.sum())))
            for bank in population.banks
        }
        model = _MODELS[key] = (simulation.registry, shares)
    return model


def _app_rates(scenario: Scenario, rate_per_s: float, specs: tuple[str, ...]) -> dict[str, float]:
    """Messages per second at each component from the app's channels, at tap rate `rate_per_s`:
    Σ over channels of rate_per_s × λ_ch(h) ÷ λ_tap(h) × V_ch,component, where h is the taps'
    peak hour (each channel follows its own hourly profile)."""
    taps = card_side_rates_per_s(scenario)  # the whole card side: each of its transactions takes the tap's chain once
    peak_hour = int(np.argmax(taps))
    rates: dict[str, float] = {}
    for channel in app_channels(scenario):
        if taps[peak_hour] <= 0:
            raise CapacityError(f"sizing counts demand in card transactions; scenario {scenario.name!r} has none")
        requests_per_s = rate_per_s * hourly_rates_per_s(scenario, channel)[peak_hour] / taps[peak_hour]
        for component, visits in channel_visits(scenario, channel, specs).items():
            rates[component] = rates.get(component, 0.0) + requests_per_s * visits
    return rates


def host_loads(scenario: Scenario, *, rate_per_s: float, servers: dict[str, int] | None = None) -> list[HostLoad]:
    """Every host pool at tap rate `rate_per_s` (the other channels in their shares of the day):
    the taps' load (a pool of the tap's chain that is not a bank's sees every tap, each issuing
    bank's pool its share) plus the app channels' (see the module docstring). `servers`
    overrides the scenario's."""
    registry, bank_shares = _model(scenario)
    mix = _card_side_mix(scenario)
    tap_share = mix.get("contactless", 0.0)
    shares = {bank: tap_share * enrolled + (1.0 - tap_share) * cards for bank, (enrolled, cards) in bank_shares.items()}
    servers = servers or configured_servers(scenario)
    app = _app_rates(scenario, rate_per_s, registry.specs())
    loads = []
    for component in registry:
        mean, cv = _service(scenario, component.spec)
        taps = _tap_visits(scenario, mix, component.hop, component.bank)
        if taps and component.bank:
            taps *= shares[component.bank]
        rate = rate_per_s * taps + app.get(component.name, 0.0)
        loads.append(HostLoad(component.spec, component.name, rate, mean, cv, servers[component.spec]))
    return loads
