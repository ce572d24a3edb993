"""The issuers' card keys: one issuer master key per card BIN, one ICC master key per card.

Physical picture: each member bank personalises its plastic ELKART cards with an ICC master key
derived from the bank's issuer master key for cryptograms (IMK-AC) and the card's PAN and PAN
sequence number (EMV 4.4 Book 2 Annex A1.4, option A). The personalisation bureau derives it
with the card-side code (protocol/emv/cryptogram.py) when the card is made; the issuer derives
it again with pyemv (protocol/emv/arqc_verify.py) when it checks a cryptogram — two independent
code paths, as for tokens. Keys here are test keys from a fixed label: never real key material.
"""

from __future__ import annotations

import hashlib

from elcart_sim.protocol.emv import arqc_verify
from elcart_sim.protocol.emv.cryptogram import derive_icc_master_key

__all__ = ["CardKeys", "PersonalisedKey"]


class CardKeys:
    """The issuers' IMK-AC per card BIN and the ICC master keys derived from them."""

    def __init__(self, key_label: str = "elcart-sim test keys"):
        self.key_label = key_label
        self._key_label = key_label
        self._issuer_master_keys: dict[str, bytes] = {}

    def issuer_master_key(self, card_bin: str) -> bytes:
        """The (test) issuer master key for cryptograms of the cards in ``card_bin``."""
        key = self._issuer_master_keys.get(card_bin)
        if key is None:
            key = hashlib.blake2b(f"{self._key_label}/IMK-AC/card/{card_bin}".encode(), digest_size=16).digest()
            self._issuer_master_keys[card_bin] = key
        return key

    def personalised_key(self, pan: str, psn: int) -> bytes:
        """The ICC master key written into the card at personalisation (card-side derivation)."""
        return derive_icc_master_key(self.issuer_master_key(pan[:6]), pan, psn)

    def issuer_key(self, pan: str, psn: int) -> bytes:
        """The same key as the issuer derives it to check a cryptogram (pyemv, option A)."""
        return arqc_verify.icc_master_key(self.issuer_master_key(pan[:6]), pan, psn)


class PersonalisedKey:
    """The ICC master key in one card's chip, derived when first needed: a cryptogram whose bytes
    nothing computes (the fast fidelity) never needs it. Like a limited-use key of a phone
    (protocol/emv/cryptogram.CardKey) it knows what it was made from, so an issuer can tell its
    own card's key from another's without deriving it (``made_by``)."""

    __slots__ = ("keys", "pan", "psn", "_key")

    key_index = None  # a card's own master key: no limited-use key
    token_pan = None

    def __init__(self, keys: CardKeys, pan: str, psn: int):
        self.keys = keys
        self.pan = pan
        self.psn = psn
        self._key: bytes | None = None

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = self.keys.personalised_key(self.pan, self.psn)
        return self._key

    def made_by(self, keys: CardKeys, pan: str, psn: int) -> bool:
        """Whether ``keys``' issuer master keys made this key for card ``pan``/``psn``: exactly
        when the issuer's recomputation of its cryptograms gives their bytes."""
        return self.pan == pan and self.psn == psn and (self.keys is keys or self.keys.key_label == keys.key_label)

    def __repr__(self) -> str:
        return "PersonalisedKey(<hidden>)"
