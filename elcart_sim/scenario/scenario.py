"""A scenario: everything one run needs, validated and frozen.

Physical picture: the country on the simulated day — its population, demand, links, hosts,
security model and any attacks — as one frozen object. Variants are made by replacing fields
(`with_overrides`, dotted paths, validated again); `to_yaml` writes it back as a scenario file.
Units are in the field names (`*_s`, `*_kgs`).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from elcart_sim.core.errors import ScenarioError
from elcart_sim.protocol.fidelity import FIDELITIES
from elcart_sim.scenario.acceptance import AtmSpec, CardSpec, NfcSpec, TerminalSpec
from elcart_sim.scenario.choices import APP_CHANNELS, CARD_CHANNELS, P2P_CHANNELS
from elcart_sim.scenario.clearing import ClearingSpec
from elcart_sim.scenario.fields import DurationSpec, checked, iso_date, non_negative, one_of, positive
from elcart_sim.scenario.fraud import FraudSpec
from elcart_sim.scenario.hosts import HostSpec, NetworkSpec
from elcart_sim.scenario.rules import build, check_across_fields
from elcart_sim.scenario.security import SecuritySpec
from elcart_sim.scenario.services import ServicesSpec
from elcart_sim.scenario.world import DemandSpec, PopulationSpec

__all__ = ["Scenario", "HOST_SPECS"]


@dataclass(frozen=True)
class Scenario:
    """Everything one run needs, validated and frozen."""

    name: str = "unnamed"
    description: str = ""
    seed: int = field(default=1, metadata=checked(non_negative))
    date: str = field(default="2025-07-01", metadata=checked(iso_date))  # local business day (UTC+6)
    # How messages cross host boundaries: "wire" (ISO 8583 bytes) or "fast" (message objects).
    fidelity: str = field(default="wire", metadata=checked(one_of(tuple(FIDELITIES))))
    scale: float = field(default=1.0, metadata=checked(positive))
    population: PopulationSpec = field(default_factory=PopulationSpec)
    demand: DemandSpec = field(default_factory=DemandSpec)
    nfc: NfcSpec = field(default_factory=NfcSpec)
    terminal: TerminalSpec = field(default_factory=TerminalSpec)
    cards: CardSpec = field(default_factory=CardSpec)
    atm: AtmSpec = field(default_factory=AtmSpec)
    network: NetworkSpec = field(default_factory=NetworkSpec)
    acquirer: HostSpec = field(default_factory=lambda: HostSpec(8, DurationSpec("lognormal", 0.004, 0.5), 25.0))
    switch: HostSpec = field(default_factory=lambda: HostSpec(16, DurationSpec("lognormal", 0.003, 0.5), 15.0))
    issuer: HostSpec = field(default_factory=lambda: HostSpec(4, DurationSpec("lognormal", 0.008, 0.5), 10.0))
    monitor_interval_s: float = field(default=60.0, metadata=checked(positive))
    security: SecuritySpec = field(default_factory=SecuritySpec)
    fraud: FraudSpec = field(default_factory=FraudSpec)
    services: ServicesSpec = field(default_factory=ServicesSpec)
    clearing: ClearingSpec = field(default_factory=ClearingSpec)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str | None = None) -> "Scenario":
        """Validate a plain mapping (as loaded from YAML) into a Scenario."""
        scenario = build(cls, raw, "", source)
        check_across_fields(scenario, source)
        return scenario

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_yaml(self) -> str:
        """Every field, as a scenario file: `load_scenario` of it gives this scenario back (its
        data files are named relative to data/, as in the bundled scenarios)."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def with_overrides(self, overrides: Mapping[str, Any]) -> "Scenario":
        """A copy with dotted-path fields replaced, e.g. `{"switch.servers": 8, "scale": 0.01}`."""
        raw = self.to_dict()
        for dotted, value in overrides.items():
            node = raw
            parts = dotted.split(".")
            for i, part in enumerate(parts):
                if not isinstance(node, dict) or part not in node:
                    raise ScenarioError(".".join(parts[: i + 1]), "is not a scenario field")
                if i == len(parts) - 1:
                    node[part] = value
                else:
                    node = node[part]
        return Scenario.from_dict(raw, source="overrides")

    # -- derived figures ----------------------------------------------------------------------

    @property
    def business_date(self) -> datetime.date:
        return datetime.date.fromisoformat(self.date)

    @property
    def transactions_per_day_effective(self) -> float:
        """The card side's payments of the day: transactions_per_day × weekday × day kind ×
        growth × scale (see DemandSpec)."""
        factors = self.demand.volume_factors(self.business_date)
        return self.demand.transactions_per_day * factors["weekday"] * factors["day_kind"] * factors["growth"] * self.scale

    @property
    def app_payments_per_day_effective(self) -> float:
        """ELKART Mobile's payments of the day, over every app channel: app_payments_per_day ×
        elkart_app_share × weekday × day kind × growth × scale (see DemandSpec); 0 when the
        demand has no app channels."""
        demand = self.demand
        if not demand.app_channels:
            return 0.0
        factors = demand.volume_factors(self.business_date)
        return demand.app_payments_per_day * demand.elkart_app_share * factors["weekday"] * factors["day_kind"] * factors["growth"] * self.scale

    def channel_per_day(self, channel: str) -> float:
        """The day's volume of ``channel``: its side's effective volume × its share."""
        side = self.transactions_per_day_effective if channel in CARD_CHANNELS else self.app_payments_per_day_effective
        return side * self.demand.share(channel)

    def hourly_profile(self, channel: str) -> list[float]:
        """How ``channel``'s arrivals spread over the local hours 00..23: its service's profile
        (services.*.hourly_profile), or demand.hourly_profile when it has none."""
        return self.services.hourly_profile(channel) or self.demand.hourly_profile

    @property
    def transactions_expected(self) -> float:
        """Expected number of the card side's transactions in the run (phone taps, plastic card
        payments, ATM withdrawals): the effective daily volume × the channels' shares, spread by
        the hourly profile over `duration_s` from midnight."""
        return self._expected(CARD_CHANNELS)

    @property
    def transfers_expected(self) -> float:
        """Expected number of P2P transfers in the run, over every P2P channel, counted as the taps are."""
        return self._expected(P2P_CHANNELS)

    @property
    def app_payments_expected(self) -> float:
        """Expected number of ELKART Mobile's payments in the run, over every app channel."""
        return self._expected(APP_CHANNELS)

    def _expected(self, channels: tuple[str, ...]) -> float:
        duration = self.demand.duration_s
        hours = range(int(-(-duration // 3600)))
        expected = 0.0
        for channel in channels:
            per_day = self.channel_per_day(channel)
            if per_day:
                profile = self.hourly_profile(channel)
                covered = sum(profile[h % 24] * min(1.0, (duration - h * 3600.0) / 3600.0) for h in hours)
                expected += per_day * covered / sum(profile)
        return expected


HOST_SPECS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(Scenario) if f.type in ("HostSpec", HostSpec)
)
"""The scenario fields that configure a host (its servers, service time and timeout), in order:
the hosts capacity planning can size. A host the model adds is a field here and one
registration in the model (core/registry.py)."""
