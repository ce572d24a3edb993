"""The hosts that sizing sizes, and the load each host pool carries at a card-side rate.

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
coefficient of variation (from its spec), servers. The arrival rates are those of the card
side's busiest hour h (`card_side_peak`), scaled so that the card side carries λ transactions a
second: at the acquirer and the switch every card-side request; at each issuing bank's host its
share of them (phone taps by the bank's share of the enrolled cards, plastic cards and ATM
withdrawals by its share of all cards, from the population), at its HSM the issuer's HSM calls
per request, at IPC's HSM the switch's per phone tap; on a crediting day the credits' echo's
taps and withdrawals by bank too (capacity/echo.py); plus, for each app channel ch of the day,
λ_ch(h) × V_ch,pool, its visit ratio measured on the model (capacity/visits.py), the echo's
transfers as p2p_phone requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from elcart_sim.capacity.echo import BankCards, EchoRates, echo_rates, is_crediting_day
from elcart_sim.capacity.visits import app_channels, channel_visits
from elcart_sim.core.errors import CapacityError
from elcart_sim.core.registry import Registry
from elcart_sim.scenario import HOST_SPECS, Scenario, data_dir, spec_key
from elcart_sim.scenario.hosts import HostSpec, HsmSpec
from elcart_sim.world.demand import card_side_rates_per_s, hourly_rates_per_s

if TYPE_CHECKING:
    from elcart_sim.model.simulation import Simulation

__all__ = ["HOSTS", "HostLoad", "CardSidePeak", "host_spec", "sized_hosts", "configured_servers", "with_servers", "bank_cards", "card_side_per_s", "card_side_peak", "peak_growth", "host_loads"]

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


@dataclass(frozen=True)
class CardSidePeak:
    """The card side in its busiest hour `hour`, per second: each card channel's ordinary rate
    (`channels_per_s`), and on a crediting day the credits' echo then (`echo`, capacity/echo.py:
    its taps and withdrawals by bank, `echo_transfers_per_s` by phone number)."""

    hour: int
    channels_per_s: dict[str, float]
    echo_taps_per_s: dict[str, float]
    echo_withdrawals_per_s: dict[str, float]
    echo_transfers_per_s: float

    @property
    def total_per_s(self) -> float:
        """The card side's transactions a second: the rate `host_loads` and the knee take."""
        return sum(self.channels_per_s.values()) + sum(self.echo_taps_per_s.values()) + sum(self.echo_withdrawals_per_s.values())


def _echo(scenario: Scenario, banks: BankCards | None = None) -> EchoRates | None:
    if not is_crediting_day(scenario):
        return None
    return echo_rates(scenario, _model(scenario)[2] if banks is None else banks)


def card_side_per_s(scenario: Scenario, banks: BankCards | None = None) -> np.ndarray:
    """The card side's rate in each local hour 00..23 (per second): its channels'
    (world/demand.card_side_rates_per_s) plus, on a crediting day, the credits' echo's taps and
    withdrawals (capacity/echo.py), for the population `banks` (`bank_cards` of a simulation of
    the scenario; default: the model's)."""
    rates = np.asarray(card_side_rates_per_s(scenario), dtype=float)
    echo = _echo(scenario, banks)
    return rates if echo is None else rates + echo.card_side_per_s


def peak_growth(scenario: Scenario, growth_per_year: float) -> Callable[[float], float] | None:
    """On a crediting day, the card side's peak `y` years ahead over today's, as a function of
    y: its channels grow at `growth_per_year`, the credits' echo with the cards
    (`population.card_growth_per_year`: the credits are a share of the cards), so the echo's
    share of the peak shrinks as the channels outgrow it. None on any other day: the peak
    grows as (1 + growth_per_year)^y."""
    echo = _echo(scenario)
    if echo is None:
        return None
    channels = np.asarray(card_side_rates_per_s(scenario), dtype=float)
    credits = echo.card_side_per_s
    today = float(np.max(channels + credits))
    cards = 1.0 + scenario.population.card_growth_per_year
    g = 1.0 + growth_per_year

    def grown(years: float) -> float:
        return float(np.max(channels * g**years + credits * cards**years)) / today

    return grown


def card_side_peak(scenario: Scenario) -> CardSidePeak:
    """The card side in its busiest hour (`card_side_per_s`), channel by channel."""
    rates = np.asarray(card_side_rates_per_s(scenario), dtype=float)
    echo = _echo(scenario)
    hour = int(np.argmax(rates if echo is None else rates + echo.card_side_per_s))
    channels = {c: hourly_rates_per_s(scenario, c)[hour] for c, share in scenario.demand.channels.items() if share > 0}
    if echo is None:
        return CardSidePeak(hour, channels, {}, {}, 0.0)
    taps = dict(zip(echo.codes, echo.taps_per_s[:, hour].tolist()))
    withdrawals = dict(zip(echo.codes, echo.withdrawals_per_s[:, hour].tolist()))
    return CardSidePeak(hour, channels, taps, withdrawals, float(echo.transfers_per_s[hour]))


def _pool_rate(scenario: Scenario, peak: CardSidePeak, hop: str, bank: str, shares: dict[str, tuple[float, float]]) -> float:
    """Card-side messages a second at a pool of hop `hop` (of bank `bank`, if a bank's) in the
    peak hour: one request (0100 for a purchase, 0200 for an ATM withdrawal) at the acquirer, the
    switch and the card's issuer; at an HSM, the calls per request (hsm.calls): a bank's HSM
    takes its issuer's for every card-side request, IPC's HSM the switch's for a phone tap's 0100
    only (a token's cryptogram is IPC's to check; a plastic card's is its issuer's). A phone tap
    picks a wallet uniformly (a bank's share of the enrolled cards), a plastic card or an ATM
    withdrawal a card (its share of all cards); the echo's come from the credited cards of each
    bank (`peak`)."""
    channels = peak.channels_per_s
    if hop in ("acquirer", "switch"):
        return peak.total_per_s
    taps = channels.get("contactless", 0.0)
    withdrawals = channels.get("atm", 0.0)
    plastic = sum(channels.values()) - taps - withdrawals
    if hop == "hsm" and not bank:
        return (taps + sum(peak.echo_taps_per_s.values())) * scenario.hsm.calls_at("switch").get("0100", 0)
    if hop not in ("issuer", "hsm"):
        return 0.0
    enrolled, cards = shares[bank]
    purchases = taps * enrolled + plastic * cards + peak.echo_taps_per_s.get(bank, 0.0)
    withdrawals = withdrawals * cards + peak.echo_withdrawals_per_s.get(bank, 0.0)
    if hop == "issuer":
        return purchases + withdrawals
    calls = scenario.hsm.calls_at("issuer")
    return purchases * calls.get("0100", 0) + withdrawals * calls.get("0200", 0)


def _service(scenario: Scenario, host: str) -> tuple[float, float]:
    spec = host_spec(scenario, host).service_time
    distribution = spec.distribution()
    return spec.mean_s, (0.0 if spec.dist == "constant" else distribution.cv)


_MODELS: dict[tuple, tuple[Registry, dict[str, tuple[float, float]], BankCards]] = {}  # by seed, scale, population, channels, crediting day, pools, data folder


def _model(scenario: Scenario) -> tuple[Registry, dict[str, tuple[float, float]], BankCards]:
    """The components the model registers for the scenario, each bank's share of the enrolled
    cards (a phone tap picks one uniformly) and of all cards (a plastic card or ATM transaction),
    and each bank's cards as the credits' echo needs them (capacity/echo.py)."""
    crediting = is_crediting_day(scenario)
    channels = tuple(c for c, share in {**scenario.demand.channels, **scenario.demand.app_channels}.items() if share > 0)
    hsm = scenario.hsm
    layout = (tuple(scenario.issuers), tuple(hsm.issuers), spec_key({h: hsm.calls_at(h) for h in ("switch", "issuer")}))  # which pools, not their servers
    key = (scenario.seed, scenario.scale, spec_key(scenario.population), channels, crediting, layout, data_dir())
    model = _MODELS.get(key)
    if model is None:
        from elcart_sim.model.simulation import Simulation

        simulation = Simulation(scenario)
        counts = bank_cards(simulation)
        enrolled, cards = counts.enrolled, counts.cards
        shares = {
            code: (float(enrolled[i]) / max(1.0, float(enrolled.sum())), float(cards[i]) / max(1.0, float(cards.sum())))
            for i, code in enumerate(counts.codes)
        }
        model = _MODELS[key] = (simulation.registry, shares, counts)
    return model


def bank_cards(simulation: Simulation) -> BankCards:
    """Each bank's cards, enrolled cards and cards linked in ELKART Mobile (read only on a
    crediting day whose echo sends transfers: the directory is built then), and the ATMs, of a
    simulation's population."""
    population = simulation.population
    scenario = simulation.scenario
    enrolled = np.diff(np.searchsorted(population.enrolled_cards, population.card_starts))
    cards = np.diff(population.card_starts)
    sends = is_crediting_day(scenario) and scenario.services.payroll.echo.send_share > 0
    linked = simulation.app_directory.linked if sends else np.zeros(population.n_cards, bool)
    return BankCards(
        tuple(bank.code for bank in population.banks),
        cards.astype(float),
        enrolled.astype(float),
        np.diff(np.concatenate([[0], np.cumsum(linked)])[population.card_starts]).astype(float),
        len(simulation.atm_fleet),
    )


def _app_rates(scenario: Scenario, peak: CardSidePeak, specs: tuple[str, ...]) -> dict[str, float]:
    """Messages per second at each component from the app's channels in the card side's peak
    hour h: Σ over channels of λ_ch(h) × V_ch,component (each channel follows its own hourly
    profile), the echo's transfers counted as p2p_phone requests."""
    requests = {channel: hourly_rates_per_s(scenario, channel)[peak.hour] for channel in app_channels(scenario)}
    if peak.echo_transfers_per_s > 0:
        requests["p2p_phone"] = requests.get("p2p_phone", 0.0) + peak.echo_transfers_per_s
    rates: dict[str, float] = {}
    for channel, requests_per_s in requests.items():
        for component, visits in channel_visits(scenario, channel, specs).items():
            rates[component] = rates.get(component, 0.0) + requests_per_s * visits
    return rates


def host_loads(scenario: Scenario, *, rate_per_s: float, servers: dict[str, int] | None = None) -> list[HostLoad]:
    """Every host pool with the card side at `rate_per_s` transactions a second and everything
    else in proportion, as in the card side's peak hour (`card_side_peak`: its channels, the
    credits' echo on a crediting day, the app's channels; see the module docstring). `servers`
    overrides the scenario's."""
    registry, bank_shares, _ = _model(scenario)
    peak = card_side_peak(scenario)
    if peak.total_per_s <= 0:
        raise CapacityError(f"sizing counts demand in card transactions; scenario {scenario.name!r} has none")
    factor = rate_per_s / peak.total_per_s
    servers = servers or configured_servers(scenario)
    app = _app_rates(scenario, peak, registry.specs())
    loads = []
    for component in registry:
        mean, cv = _service(scenario, component.spec)
        rate = factor * (_pool_rate(scenario, peak, component.hop, component.bank, bank_shares) + app.get(component.name, 0.0))
        loads.append(HostLoad(component.spec, component.name, rate, mean, cv, servers[component.spec]))
    return loads
