"""Scenario fields of the world: who exists (population, phones) and who pays when (demand)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario.choices import APP_CHANNELS, CARD_CHANNELS, CARD_STATUSES, DAY_KINDS, WEEKDAYS
from elcart_sim.scenario.fields import (
    AmountSpec,
    above_minus_one,
    checked,
    fraction,
    non_negative,
    one_of,
    positive,
    shares,
    weights,
)

__all__ = ["PhoneSpec", "PopulationSpec", "DemandSpec", "HOURS", "optional_hourly_profile", "version_code", "MIN_ELKART_PAY_ANDROID"]

HOURS = tuple(f"{hour:02d}:00" for hour in range(24))
"""Order of demand.hourly_profile: local hours from midnight."""


def version_code(version: str) -> int:
    """'6.0.1' -> 60001, so Android versions compare as integers."""
    parts = [int(p) for p in version.split(".")] + [0, 0]
    return parts[0] * 10_000 + parts[1] * 100 + parts[2]


# ELKART Pay needs Android 6.0.1 or newer with NFC (host card emulation).
MIN_ELKART_PAY_ANDROID = version_code("6.0.1")


def days_of_month(value: list[int], path: str) -> None:
    for i, day in enumerate(value):
        if not 1 <= day <= 31:
            raise ScenarioError(f"{path}[{i}]", f"must be a day of the month 1..31, got {day!r}")
    if len(set(value)) != len(value):
        raise ScenarioError(path, f"must not repeat a day, got {value!r}")


def growth_rates(value: dict[str, float], path: str) -> None:
    """Per-channel growth rates a year: each key a modelled channel, each rate > -1."""
    for channel, rate in value.items():
        if channel not in (*CARD_CHANNELS, *APP_CHANNELS):
            raise ScenarioError(f"{path}.{channel}", f"is not a channel ({', '.join((*CARD_CHANNELS, *APP_CHANNELS))})")
        above_minus_one(rate, f"{path}.{channel}")


def android_version_shares(value: dict[str, float], path: str) -> None:
    shares(value, path)
    for version in value:
        parts = version.split(".")
        if not all(part.isdigit() for part in parts) or len(parts) > 3:
            raise ScenarioError(f"{path}.{version}", "is not a dotted version like 6.0.1")


def card_status_shares(value: dict[str, float], path: str) -> None:
    shares(value, path)
    for status in value:
        if status not in CARD_STATUSES:
            raise ScenarioError(f"{path}.{status}", f"is not a card status ({', '.join(CARD_STATUSES)})")


def _shares_of(side: tuple[str, ...], what: str, other: tuple[str, ...], other_field: str, value: dict[str, float], path: str) -> None:
    for channel, share in value.items():
        if channel in other:
            raise ScenarioError(f"{path}.{channel}", f"is not a channel of this field: give its share in demand.{other_field}")
        if channel not in side:
            raise ScenarioError(f"{path}.{channel}", f"is not modelled yet ({what}: {', '.join(side)})")
        if not 0.0 <= share <= 1.0:
            raise ScenarioError(f"{path}.{channel}", f"must be between 0 and 1, got {share!r}")
    if abs(sum(value.values()) - 1.0) > 1e-9:
        raise ScenarioError(path, f"shares must sum to 1, got {sum(value.values())!r}")


def channel_shares(value: dict[str, float], path: str) -> None:
    """The card side's channels (choices.CARD_CHANNELS), shares summing to 1."""
    if not value:
        raise ScenarioError(path, "must not be empty")
    _shares_of(CARD_CHANNELS, "card channels", APP_CHANNELS, "app_channels", value, path)


def app_channel_shares(value: dict[str, float], path: str) -> None:
    """The app's channels (choices.APP_CHANNELS), shares summing to 1; empty: no app payments."""
    if value:
        _shares_of(APP_CHANNELS, "app channels", CARD_CHANNELS, "channels", value, path)


def optional_hourly_profile(value: list[float], path: str) -> None:
    """Empty (the demand's hourly profile) or 24 hourly weights, as demand.hourly_profile."""
    if value:
        weights(HOURS, "hourly weights")(value, path)


@dataclass(frozen=True)
class PhoneSpec:
    """Cardholders' phones: only Android >= 6.0.1 with NFC can run ELKART Pay (HCE)."""

    android_share: float = field(default=0.85, metadata=checked(fraction))
    nfc_share: float = field(default=0.55, metadata=checked(fraction))
    # Android version -> share among Android phones; keys are dotted versions ("6.0.1").
    android_versions: dict[str, float] = field(
        default_factory=lambda: {"5.1": 0.04, "6.0": 0.02, "6.0.1": 0.04, "8.1": 0.15, "10": 0.25, "12": 0.25, "14": 0.25},
        metadata=checked(android_version_shares),
    )

    def capable_share(self) -> float:
        """The share of cardholders whose phone can run ELKART Pay: Android × NFC × the share of
        Android versions from MIN_ELKART_PAY_ANDROID on (the population draws them so)."""
        versions = self.android_versions
        total = sum(versions.values())
        recent = sum(share for version, share in versions.items() if version_code(version) >= MIN_ELKART_PAY_ANDROID)
        return self.android_share * self.nfc_share * (recent / total if total else 0.0)


@dataclass(frozen=True)
class PopulationSpec:
    """Who and what exists: banks and merchants from data/, cards, phones and terminals drawn."""

    banks_file: str = "banks.csv"
    merchants_file: str = "merchants.csv"
    cards: int = field(default=3_651_617, metadata=checked(positive))
    enrolment_share: float = field(default=0.12, metadata=checked(fraction))
    terminals: int = field(default=24_000, metadata=checked(positive))
    atms: int = field(default=2_500, metadata=checked(positive))  # the member banks' ATMs [E]
    opening_balance: AmountSpec = field(default_factory=lambda: AmountSpec("lognormal", 12_000.0, 1.5))
    card_status: dict[str, float] = field(
        default_factory=lambda: {"active": 0.994, "blocked": 0.003, "lost": 0.002, "expired": 0.001},
        metadata=checked(card_status_shares),
    )
    phone: PhoneSpec = field(default_factory=PhoneSpec)
    # Growth a year of the cards in circulation and of their holders' balances, compounded over
    # demand.years_ahead (the population grows with the volume) [E].
    card_growth_per_year: float = field(default=0.0, metadata=checked(above_minus_one))
    balance_growth_per_year: float = field(default=0.0, metadata=checked(above_minus_one))


@dataclass(frozen=True)
class DemandSpec:
    """Payments over the simulated day (local time, UTC+6): the card side and the app side.

    The card side is `transactions_per_day` (taps on an ordinary day today), split by `channels`
    among the card channels (contactless taps). The app side is `app_payments_per_day` (the
    payments all interaction operators carry a day: transfers and QR payments between banks'
    apps) × `elkart_app_share` (ELKART Mobile's share of them), split by `app_channels` among
    the app's services (empty: no app payments). Both sides are multiplied alike by the weekday
    factor of the scenario's date, by `salary_day_factor` on a salary/pension crediting day, by
    (1 + `growth_per_year`) ** `years_ahead` and by the run's scale. `hourly_profile` spreads
    each channel's daily volume over the hours of the day, unless the channel's service has a
    profile of its own (services.*.hourly_profile).
    """

    transactions_per_day: float = field(default=300_000.0, metadata=checked(positive))
    duration_s: float = field(default=86_400.0, metadata=checked(positive))
    hourly_profile: list[float] = field(default_factory=lambda: [1.0] * 24, metadata=checked(weights(HOURS, "hourly weights")))
    # Multiplier of the daily volume for each weekday, Monday first; the scenario's date picks one.
    weekday_factors: list[float] = field(default_factory=lambda: [1.0] * 7, metadata=checked(weights(WEEKDAYS, f"weekday factors ({', '.join(WEEKDAYS)})")))
    # normal | salary | auto (salary when the date's day of month is in salary_days_of_month)
    day_kind: str = field(default="normal", metadata=checked(one_of(DAY_KINDS)))
    salary_days_of_month: list[int] = field(default_factory=list, metadata=checked(days_of_month))
    # Pension crediting days (Social Fund); a crediting day as a salary day under day_kind auto.
    pension_days_of_month: list[int] = field(default_factory=list, metadata=checked(days_of_month))
    salary_day_factor: float = field(default=2.5, metadata=checked(positive))
    growth_per_year: float = field(default=0.30, metadata=checked(above_minus_one))
    years_ahead: float = field(default=0.0, metadata=checked(non_negative))
    # A channel's own growth a year, in place of growth_per_year (channels not listed: growth_per_year).
    channel_growth_per_year: dict[str, float] = field(default_factory=dict, metadata=checked(growth_rates))
    # Share of transactions_per_day per card channel; shares sum to 1.
    channels: dict[str, float] = field(default_factory=lambda: {"contactless": 1.0}, metadata=checked(channel_shares))
    ticket: AmountSpec = field(default_factory=AmountSpec)
    # What a cardholder at an ATM would like to take out; one who knows the balance (a share
    # `withdrawal_balance_known_share`) asks for no more than it, rounded down to 100 som.
    cash_withdrawal: AmountSpec = field(default_factory=lambda: AmountSpec("lognormal", 11000.0, 0.5))
    withdrawal_balance_known_share: float = field(default=0.9, metadata=checked(fraction))
    # The interaction operators' payments a day (all banks' apps), and ELKART Mobile's share of them.
    app_payments_per_day: float = field(default=1_360_000.0, metadata=checked(non_negative))
    elkart_app_share: float = field(default=0.3, metadata=checked(fraction))
    # Share of ELKART Mobile's payments per app channel; shares sum to 1; empty: none.
    app_channels: dict[str, float] = field(default_factory=dict, metadata=checked(app_channel_shares))

    def share(self, channel: str) -> float:
        """The share of its side's daily volume that ``channel`` has (0 when it has none)."""
        return self.channels.get(channel, 0.0) if channel in CARD_CHANNELS else self.app_channels.get(channel, 0.0)

    def is_salary_day(self, date: datetime.date) -> bool:
        """Whether `date` is a salary/pension crediting day under `day_kind`."""
        if self.day_kind == "auto":
            return date.day in self.salary_days_of_month or date.day in self.pension_days_of_month
        return self.day_kind == "salary"

    def growth(self, channel: str | None = None) -> float:
        """Growth over years_ahead of ``channel`` (its own rate, else growth_per_year)."""
        return (1.0 + self.channel_growth_per_year.get(channel, self.growth_per_year)) ** self.years_ahead

    def volume_factors(self, date: datetime.date, channel: str | None = None) -> dict[str, float]:
        """The multipliers of the daily volumes on `date`: weekday, day kind and growth (of
        ``channel`` when given: its own rate, channel_growth_per_year)."""
        return {
            "weekday": self.weekday_factors[date.weekday()],
            "day_kind": self.salary_day_factor if self.is_salary_day(date) else 1.0,
            "growth": self.growth(channel),
        }
