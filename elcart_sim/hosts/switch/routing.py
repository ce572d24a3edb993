"""Routing at the switch: which issuer's host gets a message, and what it is told.

Physical picture: IPC's switch holds the BIN table of the member banks. A plain card number
routes by its own BIN. A token routes by its token BIN's bank, after detokenisation: the
issuer's leg carries the card number in DE2 (never the token), DE100 names the receiving
issuer, DE123 the token data (token, its expiry, the wallet's token requestor id, the PAR), and
track 2 (DE35, which holds the token) is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from elcart_sim.protocol.iso8583 import messages
from elcart_sim.tokens.token_service import TokenService
from elcart_sim.world.population import Bank, Population

__all__ = ["Route", "Routing"]


class Route(NamedTuple):
    """Where a message goes: the issuing bank and the message its host gets; or no bank and the
    response code that says why it cannot be routed."""

    bank: Bank | None
    forwarded: dict[str, Any] | None
    response_code: str = ""


_UNROUTABLE = Route(None, None, "14")  # ISO 8583 DE39 14: invalid card number


class Routing:
    def __init__(self, population: Population, token_service: TokenService):
        self.population = population
        self.token_service = token_service

    def route(self, request: Mapping[str, Any]) -> Route:
        """The issuer leg of ``request`` (an 0100 or 0400)."""
        pan = request.get("2", "")
        bank = self.population.bank_of_token_bin(pan[:6])
        if bank is None:
            bank = self.population.bank_of_card_bin(pan[:6])
            if bank is None:
                return _UNROUTABLE
            return Route(bank, {**request, "100": bank.institution_id})
        record = self.token_service.detokenise(pan)
        if record is None:
            # (an 0100 never gets here: the token gate ruled first; an 0400 reaches its issuer
            # whatever the token's status, so no approved debit is stranded)
            return _UNROUTABLE
        forwarded = dict(request)
        forwarded.pop("35", None)
        forwarded["2"] = self.population.pan(record.card)
        forwarded["100"] = bank.institution_id
        forwarded["123"] = messages.token_data(pan, request.get("14", "0000"), record.par)
        return Route(bank, forwarded)
