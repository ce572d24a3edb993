"""The token service: IPC acting as token service provider (TSP) for ELKART Pay.

When a cardholder who passed remote identification links a card in ELKART Mobile, the TSP
issues a token — a 16-digit number from its issuer's token BIN range, kept apart from the card
ranges as EMVCo's tokenisation framework requires — plus a Payment Account Reference (PAR,
EMV tag 9F24) that ties every token of the card to the funding account, and the key material
the wallet computes cryptograms with. The vault maps each token back to its card; the switch
asks it on every authorisation (detokenisation).

The token number is a keyed permutation of the card's account number, so a card's token is the
same whenever it is provisioned in a run, whatever the order; nothing is built for cards that
never enrol. Keys here are test keys derived from a fixed label: never real key material.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from elcart_sim.phone.applet import TokenCredential
from elcart_sim.population import Population
from elcart_sim.protocol.cryptogram import derive_icc_master_key
from elcart_sim.protocol.luhn import luhn_check_digit

__all__ = ["TokenService", "TokenRecord"]

_ACCOUNT_SPACE = 10**9
_MULTIPLIER = 387_420_489  # 3**18: coprime to 10**9, so x -> a·x + b is a permutation


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """What the vault knows about one token."""

    token_pan: str
    card: int
    par: str
    status: str = "active"


class TokenService:
    """Provisions tokens and answers detokenisation requests."""

    def __init__(self, population: Population, key_label: str = "elcart-sim test keys"):
        self.population = population
        self._key_label = key_label
        self._vault: dict[str, TokenRecord] = {}
        self._offset = int.from_bytes(hashlib.blake2b(key_label.encode(), digest_size=8).digest(), "big") % _ACCOUNT_SPACE
        self._issuer_master_keys: dict[str, bytes] = {}

    def issuer_master_key(self, token_bin: str) -> bytes:
        """The (test) issuer master key for cryptograms of tokens in `token_bin`."""
        key = self._issuer_master_keys.get(token_bin)
        if key is None:
            key = hashlib.blake2b(f"{self._key_label}/IMK-AC/{token_bin}".encode(), digest_size=16).digest()
            self._issuer_master_keys[token_bin] = key
        return key

    def token_pan_for(self, card: int) -> str:
        bank = self.population.bank_of_card(card)
        account = card - int(self.population.card_starts[bank.index])
        partial = f"{bank.token_bin}{(_MULTIPLIER * account + self._offset) % _ACCOUNT_SPACE:09d}"
        return partial + luhn_check_digit(partial)

    def provision(self, card: int, expiry_yymm: str = "3012", psn: int = 0) -> TokenCredential:
        """Tokenize `card` for its holder's wallet and enter the token in the vault."""
        token_pan = self.token_pan_for(card)
        par = f"K417{card:025d}"
        self._vault[token_pan] = TokenRecord(token_pan, card, par)
        icc_master_key = derive_icc_master_key(self.issuer_master_key(token_pan[:6]), token_pan, psn)
        return TokenCredential(token_pan=token_pan, expiry=expiry_yymm, psn=psn, par=par, icc_master_key=icc_master_key)

    def detokenise(self, token_pan: str) -> TokenRecord | None:
        """The vault entry for `token_pan`, or None if the TSP never issued it."""
        return self._vault.get(token_pan)

    def __len__(self) -> int:
        return len(self._vault)
