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
from elcart_sim.scenario.calendar import CALENDAR_FACTORS, CalendarSpec, parse_date
from elcart_sim.scenario.choices import APP_CHANNELS, CARD_CHANNELS, P2P_CHANNELS
from elcart_sim.scenario.clearing import ClearingSpec
from elcart_sim.scenario.faults import FaultSpec
from elcart_sim.scenario.fields import DurationSpec, checked, iso_date, non_negative, one_of, positive
from elcart_sim.scenario.fraud import FraudSpec
from elcart_sim.scenario.hosts import HostSpec, HsmsSpec, NetworkSpec, SwitchSpec
from elcart_sim.scenario.people import OnboardingSpec, SupportSpec
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
    # Check the run's invariants after every posting and at the end (core/invariants.py): off
    # for speed, on in tests and fault drills.
    invariants: bool = False
    population: PopulationSpec = field(default_factory=PopulationSpec)
    demand: DemandSpec = field(default_factory=DemandSpec)
    nfc: NfcSpec = field(default_factory=NfcSpec)
    terminal: TerminalSpec = field(default_factory=TerminalSpec)
    cards: CardSpec = field(default_factory=CardSpec)
    atm: AtmSpec = field(default_factory=AtmSpec)
    network: NetworkSpec = field(default_factory=NetworkSpec)
    acquirer: HostSpec = field(default_factory=lambda: HostSpec(8, DurationSpec("lognormal", 0.004, 0.5), 25.0))
    switch: SwitchSpec = field(default_factory=lambda: SwitchSpec(16, DurationSpec("lognormal", 0.003, 0.5), 15.0))
    issuer: HostSpec = field(default_factory=lambda: HostSpec(4, DurationSpec("lognormal", 0.008, 0.5), 10.0))
    # Issuing hosts of their own, by bank code (a bank not listed has `issuer`), and the HSMs.
    issuers: dict[str, HostSpec] = field(default_factory=dict)
    hsm: HsmsSpec = field(default_factory=HsmsSpec)
    monitor_interval_s: float = field(default=60.0, metadata=checked(positive))
    security: SecuritySpec = field(default_factory=SecuritySpec)
    fraud: FraudSpec = field(default_factory=FraudSpec)
    services: ServicesSpec = field(default_factory=ServicesSpec)
    clearing: ClearingSpec = field(default_factory=ClearingSpec)
    calendar: CalendarSpec = field(default_factory=CalendarSpec)
    faults: list[FaultSpec] = field(default_factory=list)  # a fault drill's (scenario/faults.py); none by default
    # The road into ELKART Pay and the support centre (scenario/people.py): with onboarding
    # enabled a run's enrolment comes out of the funnel (dated_population); the support centre
    # is read only by elcart_sim.people and `elcart-sim size --support`, never by a run.
    onboarding: OnboardingSpec = field(default_factory=OnboardingSpec)
    support: SupportSpec = field(default_factory=SupportSpec)

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
        growth × scale (see DemandSpec); a channel's own growth and the calendar's factors are
        in channel_per_day."""
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
        """The day's volume of ``channel``: its side's volume × the day's factors for the channel
        (volume_factors: weekday, day kind, its growth, and the calendar's when enabled) × scale
        × its share."""
        demand = self.demand
        share = demand.share(channel)
        if not share:
            return 0.0
        if channel in CARD_CHANNELS:
            volume = demand.transactions_per_day
        else:
            volume = demand.app_payments_per_day * demand.elkart_app_share
        for factor in self.volume_factors(self.business_date, channel).values():
            volume *= factor
        return volume * self.scale * share

    def volume_factors(self, date: datetime.date | str | None = None, channel: str = "contactless") -> dict[str, float]:
        """The multipliers of ``channel``'s daily volume on ``date`` (default: the scenario's):
        the demand's weekday, day kind and growth (the channel's own rate), then, with the
        calendar enabled, its holiday, adoption, chains and fees factors (scenario/calendar.py).
        On a weekend day declared a working day the weekday factor is Monday's. With onboarding
        enabled, the phone taps' adoption factor is the funnel's: the date's enrolment share
        (enrolment_share_on) over population.enrolment_share, the share the scenario's tap
        volume describes, so each wallet taps as often as the scenario says."""
        date = self.business_date if date is None else parse_date(date, "date")
        factors = self.demand.volume_factors(date, channel)
        calendar = self.calendar
        if calendar.enabled:
            if calendar.is_transferred_workday(date):
                factors["weekday"] = self.demand.weekday_factors[0]
            calendar_factors = calendar.factors(date, channel)
            factors.update((name, calendar_factors[name]) for name in CALENDAR_FACTORS)
        if self.onboarding.enabled and channel == "contactless":
            reference = self.population.enrolment_share
            factors["adoption"] = self.enrolment_share_on(date) / reference if reference > 0 else 0.0
        return factors

    def day_kind(self, date: datetime.date | str | None = None) -> str:
        """What kind of day ``date`` is (scenario/calendar.CALENDAR_DAY_KINDS): a holiday, a
        weekend day, a salary or pension crediting day, a working day."""
        date = self.business_date if date is None else parse_date(date, "date")
        demand = self.demand
        salary = demand.salary_days_of_month if demand.day_kind == "auto" else ()
        pension = demand.pension_days_of_month if demand.day_kind == "auto" else ()
        kind = self.calendar.day_kind(date, salary, pension)
        if demand.day_kind == "salary" and kind in ("workday", "weekend"):
            return "salary"
        return kind

    def daily_volume(self) -> float:
        """The day's volume over every channel of both sides (channel_per_day summed)."""
        return sum(self.channel_per_day(channel) for channel in (*CARD_CHANNELS, *APP_CHANNELS))

    def years_later(self, years: float) -> "Scenario":
        """The scenario ``years`` more years ahead (demand.years_ahead + years)."""
        return dataclasses.replace(self, demand=dataclasses.replace(self.demand, years_ahead=self.demand.years_ahead + years))

    def on(self, date: datetime.date | str) -> "Scenario":
        """The scenario of another day: everything as here, the date ``date``."""
        return dataclasses.replace(self, date=parse_date(date, "date").isoformat())

    def dated_population(self) -> PopulationSpec:
        """The population of the scenario's date and years ahead: cards and their balances grown
        by population.card_growth_per_year and balance_growth_per_year over demand.years_ahead,
        and, with the calendar enabled, ELKART Pay's enrolment share on the adoption curve
        (relative to the reference date's, at most 1), or, with onboarding enabled, out of the
        funnel (enrolment_share_on). Unchanged when nothing grows."""
        population, years = self.population, self.demand.years_ahead
        changes: dict[str, Any] = {}
        if population.card_growth_per_year and years:
            changes["cards"] = max(1, round(population.cards * (1.0 + population.card_growth_per_year) ** years))
        if population.balance_growth_per_year and years:
            balance = population.opening_balance
            grown = balance.mean_kgs * (1.0 + population.balance_growth_per_year) ** years
            changes["opening_balance"] = dataclasses.replace(balance, mean_kgs=grown)
        if self.onboarding.enabled:
            changes["enrolment_share"] = self.enrolment_share_on(self.business_date)
        elif self.calendar.enabled:
            changes["enrolment_share"] = min(1.0, population.enrolment_share * self.calendar.adoption_ratio(self.business_date))
        return dataclasses.replace(population, **changes) if changes else population

    def funnel_wallets(self, date: datetime.date | str | None = None) -> float:
        """ELKART Pay's wallets by the end of ``date`` (default: the scenario's), all of Kyrgyzstan,
        out of the onboarding funnel (OnboardingSpec.wallets: its installs spread by
        onboarding.hourly_profile, or demand.hourly_profile; the calendar's holidays)."""
        date = self.business_date if date is None else parse_date(date, "date")
        profile = self.onboarding.hourly_profile or self.demand.hourly_profile
        total = sum(profile)
        return self.onboarding.wallets(date, [w / total for w in profile], self.calendar)

    def enrolment_share_on(self, date: datetime.date | str | None = None) -> float:
        """The funnel's enrolment on ``date``: its wallets by the date's end (funnel_wallets, the
        day's adoption, as people/contacts.wallets_on counts them) over the cardholders whose phone can run ELKART Pay (the
        cards grown over the years ahead × PhoneSpec.capable_share), at most 1."""
        date = self.business_date if date is None else parse_date(date, "date")
        population, years = self.population, self.demand.years_ahead
        cards = population.cards
        if population.card_growth_per_year and years:
            cards = max(1, round(population.cards * (1.0 + population.card_growth_per_year) ** years))
        capable = cards * population.phone.capable_share()
        wallets = self.funnel_wallets(date)
        return min(1.0, wallets / capable) if capable > 0 else 0.0

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
    f.name for f in dataclasses.fields(Scenario) if f.type in ("HostSpec", HostSpec, "SwitchSpec", SwitchSpec)
)
"""The scenario fields that configure a host (its servers, service time and timeout), in order:
the hosts capacity planning can size. A host the model adds is a field here and one
registration in the model (core/registry.py)."""
