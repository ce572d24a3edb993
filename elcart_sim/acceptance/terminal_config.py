"""The static parameters of one POS terminal's contactless kernel (EMV Book 4, Book C-3).

Physical picture: what the acquirer configures into a terminal before it takes its first tap —
which application it accepts, what it tells the card about itself (TTQ, country, currency,
terminal type, CVM results), and the limits of ELKART's security model it enforces.
"""

from __future__ import annotations

from dataclasses import dataclass

from elcart_sim.core.errors import ConfigurationError

__all__ = ["TerminalConfig"]


@dataclass(frozen=True, slots=True)
class TerminalConfig:
    """Static kernel parameters of one POS terminal.

    ``ttq`` 36004000: byte 1 = EMV mode (qVSDC) + contact chip + online PIN + signature
    supported; byte 3 bit 7 = consumer device CVM supported (Book C-3 TTQ table).
    ``terminal_type`` 22 (n2, EMV Book 4 Annex A1): attended, merchant, offline with online capability.
    ``cvm_results`` 1F0302 (9F34, for a CDOL1): no CVM required, always, successful (Book 3 Annex C3).
    ``max_cryptogram_rtt_s``: relay-resistance limit on the cryptogram command (None: no check).
    ``require_cdcvm``: terminate unless the card says it verified its user (CTQ)."""

    aid: bytes = bytes.fromhex("F0000004171010")
    ttq: bytes = bytes.fromhex("36004000")
    country_code: int = 417
    currency_code: int = 417
    transaction_type: int = 0x00  # purchase
    terminal_type: int = 22
    tvr: bytes = bytes(5)
    cvm_results: bytes = bytes.fromhex("1F0302")
    max_cryptogram_rtt_s: float | None = None
    require_cdcvm: bool = False

    def __post_init__(self) -> None:
        if not 5 <= len(self.aid) <= 16:
            raise ConfigurationError(f"TerminalConfig.aid must be 5-16 bytes, got {len(self.aid)}")
        if len(self.ttq) != 4:
            raise ConfigurationError(f"TerminalConfig.ttq must be 4 bytes, got {len(self.ttq)}")
        if len(self.tvr) != 5:
            raise ConfigurationError(f"TerminalConfig.tvr must be 5 bytes, got {len(self.tvr)}")
        for name in ("country_code", "currency_code"):
            if not 0 <= getattr(self, name) <= 999:
                raise ConfigurationError(f"TerminalConfig.{name} must be 0-999, got {getattr(self, name)}")
        if not 0 <= self.transaction_type <= 99:
            raise ConfigurationError(f"TerminalConfig.transaction_type must be 0-99 (n2), got {self.transaction_type}")
        if not 0 <= self.terminal_type <= 99:
            raise ConfigurationError(f"TerminalConfig.terminal_type must be 0-99 (n2), got {self.terminal_type}")
        if len(self.cvm_results) != 3:
            raise ConfigurationError(f"TerminalConfig.cvm_results must be 3 bytes, got {len(self.cvm_results)}")
        if self.max_cryptogram_rtt_s is not None and not self.max_cryptogram_rtt_s > 0:
            raise ConfigurationError(f"TerminalConfig.max_cryptogram_rtt_s must be > 0 or None, got {self.max_cryptogram_rtt_s}")
