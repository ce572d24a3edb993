"""The building blocks of scenario fields: the rules a value must follow, and random quantities.

A field declares its rule in its metadata (``field(default=…, metadata=checked(positive))``);
the loader (rules.py) applies it after the value has the field's type. A rule takes the value and
its dotted path and raises ScenarioError naming the path and the value; lists of allowed values
come from choices.py.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from elcart_sim.core.errors import ScenarioError
from elcart_sim.core.streams import Distribution
from elcart_sim.scenario.choices import DISTRIBUTIONS

__all__ = [
    "Rule",
    "checked",
    "positive",
    "non_negative",
    "fraction",
    "above_minus_one",
    "byte",
    "iso_date",
    "hex_digits",
    "one_of",
    "shares",
    "weights",
    "DurationSpec",
    "AmountSpec",
    "spec_key",
]

Rule = Callable[[Any, str], None]
"""(value, dotted path) -> None, or ScenarioError naming the path."""


def checked(rule: Rule) -> dict[str, Rule]:
    """Field metadata: the rule the loader applies to the field's value."""
    return {"check": rule}


def positive(value: Any, path: str) -> None:
    if not value > 0:
        raise ScenarioError(path, f"must be > 0, got {value!r}")


def non_negative(value: Any, path: str) -> None:
    if not value >= 0:
        raise ScenarioError(path, f"must be >= 0, got {value!r}")


def fraction(value: Any, path: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise ScenarioError(path, f"must be between 0 and 1, got {value!r}")


def above_minus_one(value: Any, path: str) -> None:
    if not value > -1:
        raise ScenarioError(path, f"must be > -1, got {value!r}")


def byte(value: Any, path: str) -> None:
    if not 0 <= value <= 0xFF:
        raise ScenarioError(path, f"must be one byte (0-255), got {value!r}")


def iso_date(value: Any, path: str) -> None:
    try:
        datetime.date.fromisoformat(value)
    except ValueError:
        raise ScenarioError(path, f"must be a date like 2025-07-01, got {value!r}") from None


def hex_digits(value: Any, path: str) -> None:
    if len(value) % 2 or not value or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise ScenarioError(path, f"must be an even number of hex digits, got {value!r}")


def one_of(choices: Sequence[str]) -> Rule:
    """The value must be one of ``choices`` (a list from choices.py)."""

    def rule(value: Any, path: str) -> None:
        if value not in choices:
            raise ScenarioError(path, f"must be one of {', '.join(choices)}, got {value!r}")

    return rule


def shares(value: dict[str, float], path: str) -> None:
    """A mapping of non-negative shares with a positive total."""
    if not value:
        raise ScenarioError(path, "must not be empty")
    for key, share in value.items():
        if share < 0:
            raise ScenarioError(f"{path}.{key}", f"must be >= 0, got {share!r}")
    if sum(value.values()) <= 0:
        raise ScenarioError(path, f"must have a positive total, got {value!r}")


def weights(names: Sequence[str], what: str) -> Rule:
    """A list of one non-negative weight per name in ``names``, with a positive total."""

    def rule(value: list[float], path: str) -> None:
        if len(value) != len(names):
            raise ScenarioError(path, f"must list {len(names)} {what}, got {len(value)}")
        for i, weight in enumerate(value):
            if weight < 0:
                raise ScenarioError(f"{path}[{i}]", f"({names[i]}) must be >= 0, got {weight!r}")
        if sum(value) <= 0:
            raise ScenarioError(path, "must have a positive total")

    return rule


def spec_key(value: Any) -> Hashable:
    """A hashable value standing for a spec (or any field value): a spec's dict and list fields
    keep it from being hashed itself. A dataclass becomes (its class, its field values…), a dict
    its (key, value) pairs in order, a list a tuple. Two specs get the same key exactly when their
    fields are equal and their dicts list the same keys in the same order (the order counts: the
    population draws card statuses and Android versions in it)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value), *(spec_key(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, Mapping):
        return tuple((key, spec_key(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(spec_key(item) for item in value)
    return value


@dataclass(frozen=True)
class DurationSpec:
    """A random duration in seconds: `{dist: lognormal, mean_s: 0.004, cv: 0.5}`."""

    dist: str = field(default="constant", metadata=checked(one_of(DISTRIBUTIONS)))
    mean_s: float = field(default=0.0, metadata=checked(non_negative))
    cv: float = field(default=0.0, metadata=checked(non_negative))

    def distribution(self) -> Distribution:
        return Distribution(self.dist, self.mean_s, 1.0 if self.dist == "exponential" else self.cv)


@dataclass(frozen=True)
class AmountSpec:
    """A random amount in som (KGS); the model converts to integer tyiyn when it draws."""

    dist: str = field(default="lognormal", metadata=checked(one_of(DISTRIBUTIONS)))
    mean_kgs: float = field(default=1390.0, metadata=checked(positive))
    cv: float = field(default=1.0, metadata=checked(non_negative))

    def distribution(self) -> Distribution:
        return Distribution(self.dist, self.mean_kgs * 100, 1.0 if self.dist == "exponential" else self.cv)
