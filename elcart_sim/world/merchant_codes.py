"""Merchants' static ELQR codes: the sticker by every till that a payer scans in ELKART Mobile.

Physical picture: each merchant of the population (a chain store, an independent shop: one
merchant id, DE42, per store) shows one static code; the acquirer that signed the merchant
registered it with IPC, whose registry resolves the code's opaque merchant token to the
merchant id and the acquiring bank that credits the merchant. The code is made once per
merchant, on first use, and kept: a scan reads the same text every time
(protocol/qr/elqr.merchant_payload gives the layout: provider ``qr.elcart.kg``, the token in
32/10, the MCC in 52, the name in 59). The token is derived from the merchant id (SHA-256,
32 hex digits, never 13 digits in a row that could read as a card number).
"""

from __future__ import annotations

import hashlib
import re

from elcart_sim.protocol.qr import elqr
from elcart_sim.world.population import Population, Terminal

__all__ = ["MerchantCodes", "merchant_token"]

_DIGIT_RUN = re.compile(r"[0-9]{13}")


def merchant_token(merchant_id: str) -> str:
    """The opaque token of merchant ``merchant_id`` in its code (32 lower-case hex digits)."""
    attempt = 0
    while True:
        token = hashlib.sha256(f"elkart-qr-merchant {merchant_id} {attempt}".encode()).hexdigest()[:32]
        if not _DIGIT_RUN.search(token):
            return token
        attempt += 1


class MerchantCodes:
    """The static code of each merchant of the population (made once), and IPC's registry of
    the codes it issued: token → the merchant."""

    def __init__(self, population: Population):
        self.population = population
        self._links: dict[str, str] = {}  # merchant id -> its code's link
        self._terminal_of: dict[str, int] = {}  # token -> a terminal of its merchant

    def link(self, terminal: int) -> str:
        """The link the static code of terminal ``terminal``'s merchant holds."""
        merchant_id = self.population.merchant_id(terminal)
        text = self._links.get(merchant_id)
        if text is None:
            data = self.population.terminal(terminal)
            token = merchant_token(merchant_id)
            self._terminal_of[token] = terminal
            text = self._links[merchant_id] = elqr.link(elqr.merchant_payload(token, data.merchant_name, data.mcc))
        return text

    def merchant(self, token: str) -> Terminal | None:
        """A terminal of the merchant whose code carries ``token`` (its merchant id, acquirer,
        name and MCC), or None when IPC issued no such code."""
        index = self._terminal_of.get(token)
        return None if index is None else self.population.terminal(index)
