"""Scenario fields of acceptance: the NFC link and the POS terminals."""

from __future__ import annotations

from dataclasses import dataclass, field

from elcart_sim.scenario.fields import DurationSpec, checked, hex_digits, positive

__all__ = ["NfcSpec", "TerminalSpec"]


@dataclass(frozen=True)
class NfcSpec:
    """The radio link between phone and terminal: one latency draw per APDU exchange."""

    apdu_latency: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.015, 0.3))


@dataclass(frozen=True)
class TerminalSpec:
    """POS terminals: kernel configuration, local processing and the host response timeout."""

    aid: str = field(default="F0000004171010", metadata=checked(hex_digits))
    processing: DurationSpec = field(default_factory=lambda: DurationSpec("constant", 0.05))
    timeout_s: float = field(default=30.0, metadata=checked(positive))
    receipt_print: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.8, 0.3))
