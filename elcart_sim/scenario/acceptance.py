"""Scenario fields of acceptance: the NFC link, the POS terminals, plastic cards' links and the ATMs."""

from __future__ import annotations

from dataclasses import dataclass, field

from elcart_sim.scenario.fields import DurationSpec, checked, hex_digits, positive

__all__ = ["NfcSpec", "TerminalSpec", "CardSpec", "AtmSpec"]


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


@dataclass(frozen=True)
class CardSpec:
    """Plastic cards' links to a reader: one latency draw per APDU, through the card's contacts
    (inserted into a chip reader: T=0/T=1 at a few kbit/s, the card's own processor) or its
    antenna (held to the reader); ``insert`` is the time to insert a card and take it back."""

    contact_apdu_latency: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.06, 0.3))
    contactless_apdu_latency: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 0.02, 0.3))
    insert: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 4.0, 0.4))


@dataclass(frozen=True)
class AtmSpec:
    """ATMs: the customer's session before the request (card in, PIN, amount chosen), the
    dispenser, and how long an ATM waits for the 0210 before it sends a reversal advice (0420)."""

    session: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 25.0, 0.4))
    dispense: DurationSpec = field(default_factory=lambda: DurationSpec("lognormal", 8.0, 0.3))
    timeout_s: float = field(default=30.0, metadata=checked(positive))
