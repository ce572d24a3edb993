"""Scenario fields of security: the card profile, the checks, limited-use keys, provisioning
and the token lifecycle."""

from __future__ import annotations

from dataclasses import dataclass, field

from elcart_sim.scenario.choices import KERNEL_STYLES
from elcart_sim.scenario.fields import DurationSpec, byte, checked, fraction, non_negative, one_of, positive

__all__ = ["KeysSpec", "ProvisioningSpec", "LifecycleSpec", "SecuritySpec"]


@dataclass(frozen=True)
class KeysSpec:
    """Limited-use keys on the phones: an HCE phone holds no long-lived card key, only a small
    batch of single-use keys with an expiry, replenished online when few are left."""

    batch_size: int = field(default=10, metadata=checked(positive))
    replenish_threshold: int = field(default=3, metadata=checked(non_negative))  # ask for more at this many left
    ttl_s: float = field(default=345_600.0, metadata=checked(positive))  # a key's life from issue
    replenishment: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 1.5, 0.5))
    offline_share: float = field(default=0.02, metadata=checked(fraction))  # phones offline all day


@dataclass(frozen=True)
class ProvisioningSpec:
    """Tokenizing a card onto a phone: identity and verification (ID&V) comes first."""

    idv: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 120.0, 1.0))
    idv_failure_share: float = field(default=0.05, metadata=checked(fraction))


@dataclass(frozen=True)
class LifecycleSpec:
    """Token lifecycle requests over the day, as shares of the enrolled wallets: suspensions
    (a freeze in the bank app, a fraud review) lifted after `suspension`, and phone replacements
    (old token deleted, a new one provisioned after ID&V)."""

    suspension_share: float = field(default=0.0003, metadata=checked(fraction))
    suspension: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 21_600.0, 1.0))
    phone_replacement_share: float = field(default=0.0002, metadata=checked(fraction))


@dataclass(frozen=True)
class SecuritySpec:
    """Tokenization and EMV security as the scheme enforces them (card profile, checks, keys)."""

    kernel: str = field(default="qvsdc", metadata=checked(one_of(KERNEL_STYLES)))
    cryptogram_version: int = field(default=0x12, metadata=checked(byte))  # CVN in the IAD
    require_cdcvm: bool = True  # the phone must be unlocked to pay
    max_cryptogram_rtt_s: float = field(default=0.1, metadata=checked(positive))  # kernel's relay limit
    max_atc_jump: int = field(default=32, metadata=checked(positive))  # ATC ahead of the highest seen
    replay_window: int = field(default=64, metadata=checked(positive))  # ATCs remembered below it
    keys: KeysSpec = field(default_factory=KeysSpec)
    provisioning: ProvisioningSpec = field(default_factory=ProvisioningSpec)
    lifecycle: LifecycleSpec = field(default_factory=LifecycleSpec)
