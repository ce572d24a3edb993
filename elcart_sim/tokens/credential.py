"""The token credential: what the token service provisions into a wallet for one token.

Physical picture: when a card is tokenized onto a phone, IPC's token service sends the ELKART
Pay app the token (a 16-digit number under the bank's token BIN, never the card number), its
expiry and PAN sequence number, and the Payment Account Reference that ties every token of the
card to one account. The prototype of a static-key phone also holds an ICC master key.
"""

from __future__ import annotations

from dataclasses import dataclass

from elcart_sim.core.errors import ConfigurationError
from elcart_sim.core.redact import mask_pan
from elcart_sim.protocol.luhn import is_luhn_valid

__all__ = ["TokenCredential"]


@dataclass(frozen=True, slots=True)
class TokenCredential:
    """What the token service provisions into the wallet for one token.

    ``expiry`` is 'YYMM'; ``par`` the 29-character Payment Account Reference;
    ``icc_master_key`` the 16-byte ICC master key (option A, derived by the issuer from its IMK
    and the token PAN) of the static-key prototype, or None for an HCE wallet that holds
    limited-use keys only. The repr masks the PAN and hides the key."""

    token_pan: str
    expiry: str
    psn: int
    par: str
    icc_master_key: bytes | None = None

    def __post_init__(self) -> None:
        if not (len(self.token_pan) == 16 and self.token_pan.isdigit()):
            raise ConfigurationError("TokenCredential.token_pan must be 16 digits")
        if not is_luhn_valid(self.token_pan):
            raise ConfigurationError(f"TokenCredential.token_pan {mask_pan(self.token_pan)} fails the Luhn check")
        e = self.expiry
        if not (len(e) == 4 and e.isascii() and e.isdigit() and 1 <= int(e[2:]) <= 12):
            raise ConfigurationError(f"TokenCredential.expiry must be 'YYMM', got {self.expiry!r}")
        if not 0 <= self.psn <= 99:
            raise ConfigurationError(f"TokenCredential.psn must be 0-99, got {self.psn}")
        if not (len(self.par) == 29 and self.par.isascii() and self.par.isalnum()):
            raise ConfigurationError(f"TokenCredential.par must be 29 alphanumeric characters, got {len(self.par)}")
        if self.icc_master_key is not None and len(self.icc_master_key) != 16:
            raise ConfigurationError(f"TokenCredential.icc_master_key must be 16 bytes, got {len(self.icc_master_key)}")

    @classmethod
    def issued(cls, token_pan: str, expiry: str, psn: int, par: str, icc_master_key: object = None) -> TokenCredential:
        """A credential the token service has just made from values valid by construction (a
        token number with its Luhn digit, 'YYMM', PSN 0-99, PAR): the checks are not run again.
        ``icc_master_key`` may be a key derived when first needed (cards/keys.PersonalisedKey: a
        plastic card's chip). Anything else comes in through the constructor."""
        credential = object.__new__(cls)
        set_field = object.__setattr__  # frozen: fields are set the way the dataclass sets them
        set_field(credential, "token_pan", token_pan)
        set_field(credential, "expiry", expiry)
        set_field(credential, "psn", psn)
        set_field(credential, "par", par)
        set_field(credential, "icc_master_key", icc_master_key)
        return credential

    def __repr__(self) -> str:
        key = "<hidden>" if self.icc_master_key is not None else "None"
        return (
            f"TokenCredential(token_pan={mask_pan(self.token_pan)!r}, expiry={self.expiry!r}, "
            f"psn={self.psn}, par={self.par!r}, icc_master_key={key})"
        )
