"""Scenario fields of fraud drills: which attacks are injected, how many, and their timing."""

from __future__ import annotations

from dataclasses import dataclass, field

from elcart_sim.core.errors import ScenarioError
from elcart_sim.scenario.choices import ATTACK_KINDS
from elcart_sim.scenario.fields import DurationSpec, checked, fraction

__all__ = ["FraudSpec"]


def attack_counts(value: dict[str, int], path: str) -> None:
    for kind, count in value.items():
        if kind not in ATTACK_KINDS:
            raise ScenarioError(f"{path}.{kind}", f"is not an attack kind ({', '.join(ATTACK_KINDS)})")
        if count < 0:
            raise ScenarioError(f"{path}.{kind}", f"must be >= 0, got {count!r}")


@dataclass(frozen=True)
class FraudSpec:
    """Injected attacks with ground truth: `attempts` per kind in the run (not scaled)."""

    attempts: dict[str, int] = field(default_factory=dict, metadata=checked(attack_counts))
    relay_delay: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.06, 0.8))  # per APDU
    relay_victim_locked_share: float = field(default=0.5, metadata=checked(fraction))
    replay_delay: DurationSpec = field(default_factory=lambda: DurationSpec("uniform", 1_800.0, 0.5))
