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
    "load_scenario",
    "scenario_names",
    "data_dir",
]

DISTRIBUTIONS = ("constant", "exponential", "lognormal", "uniform")


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
    """Taps over the simulated day: a daily volume shaped by an hourly profile (local time)."""

    transactions_per_day: float = field(default=300_000.0, metadata=_check("> 0"))
    duration_s: float = field(default=86_400.0, metadata=_check("> 0"))
    hourly_profile: list[float] = field(default_factory=lambda: [1.0] * 24, metadata=_check("profile"))
    ticket: AmountSpec = field(default_factory=AmountSpec)


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

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, source: str | None = None) -> "Scenario":
        """Validate a plain mapping (as loaded from YAML) into a Scenario."""
        scenario = _build(cls, raw, "", source)
        _check_cross_fields(scenario, source)
        return scenario

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

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
    def transactions_expected(self) -> float:
        """Expected number of taps in the run (daily volume × scale × duration fraction)."""
        return self.demand.transactions_per_day * self.scale * self.demand.duration_s / 86_400.0


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
