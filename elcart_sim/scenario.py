"""Scenarios: YAML files under data/scenarios/ loaded into validated, frozen configuration.

A scenario is checked at the door, before anything runs: an unknown key, a wrong type or an
impossible value raises ScenarioError naming the dotted path and the value
(`switch.servers must be > 0, got 0`). Variants are made with `Scenario.with_overrides`, which
takes dotted paths and validates again. Units are in the field names (`*_s`, `*_kgs`).
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from elcart_sim.errors import ScenarioError
from elcart_sim.streams import Distribution

__all__ = [
    "Scenario",
    "DurationSpec",
    "AmountSpec",
    "PopulationSpec",
    "PhoneSpec",
    "DemandSpec",
    "NfcSpec",
    "TerminalSpec",
    "HostSpec",
    "NetworkSpec",
    "KeysSpec",
    "ProvisioningSpec",
    "LifecycleSpec",
    "SecuritySpec",
    "FraudSpec",
    "KERNEL_STYLES",
    "ATTACK_KINDS",
    "load_scenario",
    "scenario_names",
    "data_dir",
    "WEEKDAYS",
    "DAY_KINDS",
    "MODELLED_CHANNELS",
]

DISTRIBUTIONS = ("constant", "exponential", "lognormal", "uniform")
KERNEL_STYLES = ("qvsdc", "mchip")  # cryptogram in the GPO answer | from GENERATE AC (phone/applet.py)
# Attacks a fraud scenario can inject (elcart_sim/fraud.py says what each one is).
ATTACK_KINDS = (
    "replayed_authorisation",
    "replayed_card_answers",
    "relay",
    "stolen_locked_phone",
    "token_after_deletion",
    "wrong_channel",
    "cloned_device",
)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # order of demand.weekday_factors
DAY_KINDS = ("normal", "salary", "auto")  # auto: salary when the date is in demand.salary_days_of_month
MODELLED_CHANNELS = ("contactless",)  # payment channels the model simulates; p2p, bill payments… come later


def _check(rule: str):
    """Field metadata: a named constraint checked by the loader."""
    return {"check": rule}


@dataclass(frozen=True)
class DurationSpec:
    """A random duration in seconds: `{dist: lognormal, mean_s: 0.004, cv: 0.5}`."""

    dist: str = field(default="constant", metadata=_check("distribution"))
    mean_s: float = field(default=0.0, metadata=_check(">= 0"))
    cv: float = field(default=0.0, metadata=_check(">= 0"))

    def distribution(self) -> Distribution:
        return Distribution(self.dist, self.mean_s, 1.0 if self.dist == "exponential" else self.cv)


@dataclass(frozen=True)
class AmountSpec:
    """A random amount in som (KGS); the model converts to integer tyiyn when it draws."""

    dist: str = field(default="lognormal", metadata=_check("distribution"))
    mean_kgs: float = field(default=1390.0, metadata=_check("> 0"))
    cv: float = field(default=1.0, metadata=_check(">= 0"))

    def distribution(self) -> Distribution:
        return Distribution(self.dist, self.mean_kgs * 100, 1.0 if self.dist == "exponential" else self.cv)


@dataclass(frozen=True)
class PhoneSpec:
    """Cardholders' phones: only Android >= 6.0.1 with NFC can run ELKART Pay (HCE)."""

    android_share: float = field(default=0.85, metadata=_check("fraction"))
    nfc_share: float = field(default=0.55, metadata=_check("fraction"))
    # Android version -> share among Android phones; keys are dotted versions ("6.0.1").
    android_versions: dict[str, float] = field(
        default_factory=lambda: {"5.1": 0.04, "6.0": 0.02, "6.0.1": 0.04, "8.1": 0.15, "10": 0.25, "12": 0.25, "14": 0.25},
        metadata=_check("shares"),
    )


@dataclass(frozen=True)
class PopulationSpec:
    """Who and what exists: banks and merchants from data/, cards, phones and terminals drawn."""

    banks_file: str = "banks.csv"
    merchants_file: str = "merchants.csv"
    cards: int = field(default=3_651_617, metadata=_check("> 0"))
    enrolment_share: float = field(default=0.12, metadata=_check("fraction"))
    terminals: int = field(default=24_000, metadata=_check("> 0"))
    opening_balance: AmountSpec = field(default_factory=lambda: AmountSpec("lognormal", 12_000.0, 1.5))
    card_status: dict[str, float] = field(
        default_factory=lambda: {"active": 0.994, "blocked": 0.003, "lost": 0.002, "expired": 0.001},
        metadata=_check("shares"),
    )
    phone: PhoneSpec = field(default_factory=PhoneSpec)


@dataclass(frozen=True)
class DemandSpec:
    """Payments over the simulated day (local time, UTC+6).

    The day's volume is `transactions_per_day` (an ordinary day today, all channels together)
    × the weekday factor of the scenario's date × `salary_day_factor` on a salary/pension
    crediting day × (1 + `growth_per_year`) ** `years_ahead` × the run's scale. `channels`
    splits it among payment channels (only contactless taps are modelled so far) and
    `hourly_profile` spreads each channel's share over the hours of the day.
    """

    transactions_per_day: float = field(default=300_000.0, metadata=_check("> 0"))
    duration_s: float = field(default=86_400.0, metadata=_check("> 0"))
    hourly_profile: list[float] = field(default_factory=lambda: [1.0] * 24, metadata=_check("profile"))
    # Multiplier of the daily volume for each weekday, Monday first; the scenario's date picks one.
    weekday_factors: list[float] = field(default_factory=lambda: [1.0] * 7, metadata=_check("weekly"))
    # normal | salary | auto (salary when the date's day of month is in salary_days_of_month)
    day_kind: str = field(default="normal", metadata=_check("day_kind"))
    salary_days_of_month: list[int] = field(default_factory=list, metadata=_check("days_of_month"))
    salary_day_factor: float = field(default=2.5, metadata=_check("> 0"))
    growth_per_year: float = field(default=0.30, metadata=_check("> -1"))
    years_ahead: float = field(default=0.0, metadata=_check(">= 0"))
    # Share of the day's payments per channel; shares sum to 1.
    channels: dict[str, float] = field(default_factory=lambda: {"contactless": 1.0}, metadata=_check("channels"))
    ticket: AmountSpec = field(default_factory=AmountSpec)

    def is_salary_day(self, date: datetime.date) -> bool:
        """Whether `date` is a salary/pension crediting day under `day_kind`."""
        if self.day_kind == "auto":
            return date.day in self.salary_days_of_month
        return self.day_kind == "salary"

    def volume_factors(self, date: datetime.date) -> dict[str, float]:
        """The multipliers of `transactions_per_day` on `date`: weekday, day kind and growth."""
        return {
            "weekday": self.weekday_factors[date.weekday()],
            "day_kind": self.salary_day_factor if self.is_salary_day(date) else 1.0,
            "growth": (1.0 + self.growth_per_year) ** self.years_ahead,
        }


@dataclass(frozen=True)
class NfcSpec:
    """The radio link between phone and terminal: one latency draw per APDU exchange."""

    apdu_latency: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.015, 0.3))


@dataclass(frozen=True)
class TerminalSpec:
    """POS terminals: kernel configuration, local processing and the host response timeout."""

    aid: str = field(default="F0000004171010", metadata=_check("hex"))
    processing: DurationSpec = field(default_factory=lambda: DurationSpec("constant", 0.05))
    timeout_s: float = field(default=30.0, metadata=_check("> 0"))
    receipt_print: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.8, 0.3))


@dataclass(frozen=True)
class HostSpec:
    """A host (acquirer, switch, issuer): c identical servers, a service-time model, and how long it
    waits for the next hop's answer before it gives up and reverses."""

    servers: int = field(default=4, metadata=_check("> 0"))
    service_time: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.005, 0.5))
    timeout_s: float = field(default=10.0, metadata=_check("> 0"))


@dataclass(frozen=True)
class NetworkSpec:
    """One-way latency of each link in the chain."""

    terminal_acquirer: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.12, 0.5))
    acquirer_switch: DurationSpec = field(default_factory=lambda: DurationSpec("constant", 0.004))
    switch_issuer: DurationSpec = field(default_factory=lambda: DurationSpec("constant", 0.004))


@dataclass(frozen=True)
class KeysSpec:
    """Limited-use keys on the phones: an HCE phone holds no long-lived card key, only a small
    batch of single-use keys with an expiry, replenished online when few are left."""

    batch_size: int = field(default=10, metadata=_check("> 0"))
    replenish_threshold: int = field(default=3, metadata=_check(">= 0"))  # ask for more at this many left
    ttl_s: float = field(default=345_600.0, metadata=_check("> 0"))  # a key's life from issue
    replenishment: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 1.5, 0.5))
    offline_share: float = field(default=0.02, metadata=_check("fraction"))  # phones offline all day


@dataclass(frozen=True)
class ProvisioningSpec:
    """Tokenizing a card onto a phone: identity and verification (ID&V) comes first."""

    idv: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 120.0, 1.0))
    idv_failure_share: float = field(default=0.05, metadata=_check("fraction"))


@dataclass(frozen=True)
class LifecycleSpec:
    """Token lifecycle requests over the day, as shares of the enrolled wallets: suspensions
    (a freeze in the bank app, a fraud review) lifted after `suspension`, and phone replacements
    (old token deleted, a new one provisioned after ID&V)."""

    suspension_share: float = field(default=0.0003, metadata=_check("fraction"))
    suspension: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 21_600.0, 1.0))
    phone_replacement_share: float = field(default=0.0002, metadata=_check("fraction"))


@dataclass(frozen=True)
class SecuritySpec:
    """Tokenization and EMV security as the scheme enforces them (card profile, checks, keys)."""

    kernel: str = field(default="qvsdc", metadata=_check("kernel"))
    cryptogram_version: int = field(default=0x12, metadata=_check("byte"))  # CVN in the IAD
    require_cdcvm: bool = True  # the phone must be unlocked to pay
    max_cryptogram_rtt_s: float = field(default=0.1, metadata=_check("> 0"))  # kernel's relay limit
    max_atc_jump: int = field(default=32, metadata=_check("> 0"))  # ATC ahead of the highest seen
    replay_window: int = field(default=64, metadata=_check("> 0"))  # ATCs remembered below it
    keys: KeysSpec = field(default_factory=KeysSpec)
    provisioning: ProvisioningSpec = field(default_factory=ProvisioningSpec)
    lifecycle: LifecycleSpec = field(default_factory=LifecycleSpec)


@dataclass(frozen=True)
class FraudSpec:
    """Injected attacks with ground truth: `attempts` per kind in the run (not scaled)."""

    attempts: dict[str, int] = field(default_factory=dict, metadata=_check("attacks"))
    relay_delay: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.06, 0.8))  # per APDU
    relay_victim_locked_share: float = field(default=0.5, metadata=_check("fraction"))
    replay_delay: DurationSpec = field(default_factory=lambda: DurationSpec("uniform", 1_800.0, 0.5))


@dataclass(frozen=True)
class Scenario:
    """Everything one run needs, validated and frozen."""

    name: str = "unnamed"
    description: str = ""
    seed: int = field(default=1, metadata=_check(">= 0"))
    date: str = field(default="2025-07-01", metadata=_check("date"))  # local business day (UTC+6)
    # How messages cross host boundaries: "wire" (ISO 8583 bytes) or "fast" (message objects).
    fidelity: str = field(default="wire", metadata=_check("fidelity"))
    scale: float = field(default=1.0, metadata=_check("> 0"))
    population: PopulationSpec = field(default_factory=PopulationSpec)
    demand: DemandSpec = field(default_factory=DemandSpec)
    nfc: NfcSpec = field(default_factory=NfcSpec)
    terminal: TerminalSpec = field(default_factory=TerminalSpec)
    network: NetworkSpec = field(default_factory=NetworkSpec)
    acquirer: HostSpec = field(default_factory=lambda: HostSpec(8, DurationSpec("lognormal", 0.004, 0.5), 25.0))
    switch: HostSpec = field(default_factory=lambda: HostSpec(16, DurationSpec("lognormal", 0.003, 0.5), 15.0))
    issuer: HostSpec = field(default_factory=lambda: HostSpec(4, DurationSpec("lognormal", 0.008, 0.5), 10.0))
    monitor_interval_s: float = field(default=60.0, metadata=_check("> 0"))
    security: SecuritySpec = field(default_factory=SecuritySpec)
    fraud: FraudSpec = field(default_factory=FraudSpec)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str | None = None) -> "Scenario":
        """Validate a plain mapping (as loaded from YAML) into a Scenario."""
        scenario = _build(cls, raw, "", source)
        _check_cross_fields(scenario, source)
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
        """The day's payments over all channels: transactions_per_day × weekday × day kind ×
        growth × scale (see DemandSpec)."""
        factors = self.demand.volume_factors(self.business_date)
        return self.demand.transactions_per_day * factors["weekday"] * factors["day_kind"] * factors["growth"] * self.scale

    @property
    def transactions_expected(self) -> float:
        """Expected number of contactless taps in the run: the effective daily volume × the
        contactless share, spread by the hourly profile over `duration_s` from midnight."""
        profile = self.demand.hourly_profile
        total = sum(profile)
        duration = self.demand.duration_s
        covered = sum(profile[h % 24] * min(1.0, (duration - h * 3600.0) / 3600.0) for h in range(int(-(-duration // 3600))))
        per_day = self.transactions_per_day_effective * self.demand.channels.get("contactless", 0.0)
        return per_day * covered / total


# -- validation ---------------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    return type(value).__name__


def _build(cls: type, raw: Any, path: str, source: str | None) -> Any:
    if not isinstance(raw, Mapping):
        raise ScenarioError(path or "scenario", f"must be a mapping, got {_type_name(raw)} {raw!r}", source=source)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = [k for k in raw if k not in fields]
    if unknown:
        key = unknown[0]
        where = f"{path}.{key}" if path else str(key)
        raise ScenarioError(where, f"is not a known key (known here: {', '.join(fields)})", source=source)
    values = {}
    for name, f in fields.items():
        if name not in raw:
            continue
        where = f"{path}.{name}" if path else name
        value = _coerce(hints[name], raw[name], where, source)
        rule = f.metadata.get("check")
        if rule:
            _apply_rule(rule, value, where, source)
        values[name] = value
    return cls(**values)


def _coerce(hint: Any, value: Any, path: str, source: str | None) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, path, source)
    if hint is bool:
        if not isinstance(value, bool):
            raise ScenarioError(path, f"must be true or false, got {value!r}", source=source)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ScenarioError(path, f"must be an integer, got {_type_name(value)} {value!r}", source=source)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ScenarioError(path, f"must be a number, got {_type_name(value)} {value!r}", source=source)
        if value != value or value in (float("inf"), float("-inf")):
            raise ScenarioError(path, f"must be a finite number, got {value!r}", source=source)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ScenarioError(path, f"must be a string, got {_type_name(value)} {value!r}", source=source)
        return value
    if origin is list:
        (item,) = typing.get_args(hint)
        if not isinstance(value, list):
            raise ScenarioError(path, f"must be a list, got {_type_name(value)} {value!r}", source=source)
        return [_coerce(item, v, f"{path}[{i}]", source) for i, v in enumerate(value)]
    if origin is dict:
        key_type, item = typing.get_args(hint)
        if not isinstance(value, Mapping):
            raise ScenarioError(path, f"must be a mapping, got {_type_name(value)} {value!r}", source=source)
        return {str(k): _coerce(item, v, f"{path}.{k}", source) for k, v in value.items()}
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"unsupported scenario field type at {path}: {hint}")
    raise TypeError(f"unsupported scenario field type at {path}: {hint}")


def _apply_rule(rule: str, value: Any, path: str, source: str | None) -> None:
    def fail(problem: str) -> None:
        raise ScenarioError(path, problem, source=source)

    if rule == "> 0" and not value > 0:
        fail(f"must be > 0, got {value!r}")
    elif rule == ">= 0" and not value >= 0:
        fail(f"must be >= 0, got {value!r}")
    elif rule == "fraction" and not 0.0 <= value <= 1.0:
        fail(f"must be between 0 and 1, got {value!r}")
    elif rule == "distribution" and value not in DISTRIBUTIONS:
        fail(f"must be one of {', '.join(DISTRIBUTIONS)}, got {value!r}")
    elif rule == "fidelity" and value not in ("wire", "fast"):
        fail(f"must be wire or fast, got {value!r}")
    elif rule == "date":
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            fail(f"must be a date like 2025-07-01, got {value!r}")
    elif rule == "hex":
        if len(value) % 2 or not value or any(c not in "0123456789abcdefABCDEF" for c in value):
            fail(f"must be an even number of hex digits, got {value!r}")
    elif rule == "shares":
        if not value:
            fail("must not be empty")
        for key, share in value.items():
            if share < 0:
                raise ScenarioError(f"{path}.{key}", f"must be >= 0, got {share!r}", source=source)
        if sum(value.values()) <= 0:
            fail(f"must have a positive total, got {value!r}")
    elif rule == "kernel" and value not in KERNEL_STYLES:
        fail(f"must be one of {', '.join(KERNEL_STYLES)}, got {value!r}")
    elif rule == "byte" and not 0 <= value <= 0xFF:
        fail(f"must be one byte (0-255), got {value!r}")
    elif rule == "attacks":
        for kind, count in value.items():
            if kind not in ATTACK_KINDS:
                raise ScenarioError(f"{path}.{kind}", f"is not an attack kind ({', '.join(ATTACK_KINDS)})", source=source)
            if count < 0:
                raise ScenarioError(f"{path}.{kind}", f"must be >= 0, got {count!r}", source=source)
    elif rule == "> -1" and not value > -1:
        fail(f"must be > -1, got {value!r}")
    elif rule == "weekly":
        if len(value) != 7:
            fail(f"must list 7 weekday factors ({', '.join(WEEKDAYS)}), got {len(value)}")
        for day, factor in enumerate(value):
            if factor < 0:
                raise ScenarioError(f"{path}[{day}]", f"({WEEKDAYS[day]}) must be >= 0, got {factor!r}", source=source)
        if sum(value) <= 0:
            fail("must have a positive total")
    elif rule == "day_kind" and value not in DAY_KINDS:
        fail(f"must be one of {', '.join(DAY_KINDS)}, got {value!r}")
    elif rule == "days_of_month":
        for i, day in enumerate(value):
            if not 1 <= day <= 31:
                raise ScenarioError(f"{path}[{i}]", f"must be a day of the month 1..31, got {day!r}", source=source)
        if len(set(value)) != len(value):
            fail(f"must not repeat a day, got {value!r}")
    elif rule == "channels":
        if not value:
            fail("must not be empty")
        for channel, share in value.items():
            if channel not in MODELLED_CHANNELS:
                raise ScenarioError(
                    f"{path}.{channel}",
                    f"is not modelled yet (modelled channels: {', '.join(MODELLED_CHANNELS)})",
                    source=source,
                )
            if not 0.0 <= share <= 1.0:
                raise ScenarioError(f"{path}.{channel}", f"must be between 0 and 1, got {share!r}", source=source)
        if abs(sum(value.values()) - 1.0) > 1e-9:
            fail(f"shares must sum to 1, got {sum(value.values())!r}")
    elif rule == "profile":
        if len(value) != 24:
            fail(f"must list 24 hourly weights, got {len(value)}")
        for hour, weight in enumerate(value):
            if weight < 0:
                raise ScenarioError(f"{path}[{hour}]", f"must be >= 0, got {weight!r}", source=source)
        if sum(value) <= 0:
            fail("must have a positive total")


def _check_cross_fields(scenario: Scenario, source: str | None) -> None:
    for host in ("acquirer", "switch", "issuer"):
        spec: HostSpec = getattr(scenario, host)
        for part in ("service_time",):
            d: DurationSpec = getattr(spec, part)
            if d.dist != "constant" and d.mean_s == 0:
                raise ScenarioError(f"{host}.{part}.mean_s", f"must be > 0 for a {d.dist} distribution", source=source)
    keys = scenario.security.keys
    if keys.replenish_threshold >= keys.batch_size:
        raise ScenarioError(
            "security.keys.replenish_threshold",
            f"must be below security.keys.batch_size ({keys.batch_size}), got {keys.replenish_threshold}",
            source=source,
        )
    demand = scenario.demand
    if demand.day_kind == "auto" and not demand.salary_days_of_month:
        raise ScenarioError(
            "demand.salary_days_of_month", "must list the crediting days when demand.day_kind is auto", source=source
        )
    versions = scenario.population.phone.android_versions
    for version in versions:
        try:
            _ = [int(p) for p in version.split(".")]
        except ValueError:
            raise ScenarioError(
                f"population.phone.android_versions.{version}", "is not a dotted version like 6.0.1", source=source
            ) from None
    statuses = set(scenario.population.card_status)
    known = {"active", "blocked", "lost", "stolen", "expired"}
    if statuses - known:
        bad = sorted(statuses - known)[0]
        raise ScenarioError(f"population.card_status.{bad}", f"is not a card status ({', '.join(sorted(known))})", source=source)
    if scenario.terminal.timeout_s <= scenario.acquirer.timeout_s:
        raise ScenarioError(
            "terminal.timeout_s",
            f"must exceed acquirer.timeout_s ({scenario.acquirer.timeout_s}) so that the acquirer answers first, got {scenario.terminal.timeout_s}",
            source=source,
        )


# -- loading ------------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """A YAML loader that refuses duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise ScenarioError(str(key), f"appears twice (line {key_node.start_mark.line + 1})")
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Dates stay text (`date: 2025-07-01` is the string '2025-07-01'); the validator checks them.
_UniqueKeyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def data_dir() -> Path:
    """The bundled data folder (override with ELCART_SIM_DATA)."""
    env = os.environ.get("ELCART_SIM_DATA")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data"


def scenario_names() -> list[str]:
    return sorted(p.stem for p in (data_dir() / "scenarios").glob("*.yaml"))


def load_scenario(name_or_path: str | os.PathLike = "national-day", **overrides: Any) -> Scenario:
    """Load a bundled scenario by name, or a YAML file by path; keyword overrides use `__` for dots.

    >>> load_scenario("national-day", scale=0.01).scale
    0.01
    """
    path = Path(name_or_path)
    if not path.suffix:
        path = data_dir() / "scenarios" / f"{name_or_path}.yaml"
        if not path.exists():
            raise ScenarioError("", f"no scenario named {str(name_or_path)!r}; bundled: {', '.join(scenario_names())}")
    if not path.exists():
        raise ScenarioError("", f"scenario file {str(path)!r} does not exist")
    try:
        with path.open(encoding="utf-8") as handle:
            raw = yaml.load(handle, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except ScenarioError as exc:
        raise ScenarioError(exc.path, exc.problem, source=str(path)) from None
    except yaml.YAMLError as exc:
        raise ScenarioError("", f"is not valid YAML: {exc}", source=str(path)) from None
    if raw is None:
        raw = {}
    scenario = Scenario.from_dict(raw, source=str(path))
    if overrides:
        scenario = scenario.with_overrides({k.replace("__", "."): v for k, v in overrides.items()})
    return scenario
