"""The token gate at the switch: IPC's token service rules on every ELKART Pay token it sees.

Physical picture: before the national switch routes an authorisation paid with a phone, it asks
its own token service two questions: may this token pay here — its status and domain
(tokens/token_service.py: not suspended or deleted, a contactless POS entry) — and is the chip's
evidence genuine (tokens/card_authentication.py: cryptogram, keys, counters, device). A token
that fails is declined at the switch with the check's reason (DE39 and DE44,
protocol/iso8583/decline_reasons.py); on the way back the gate signs the issuer's answer for
the phone (the ARPC in DE55 tag 91).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elcart_sim.protocol.iso8583.decline_reasons import DeclineReason
from elcart_sim.tokens.card_authentication import Authentication, CardAuthentication
from elcart_sim.tokens.token_service import TokenService
from elcart_sim.world.population import Population

__all__ = ["TokenGate"]


class TokenGate:
    """The token service's rulings for the switch; ``card_authentication`` None: tokens are not
    authenticated (a world without chip checks)."""

    def __init__(self, population: Population, token_service: TokenService, card_authentication: CardAuthentication | None):
        self.population = population
        self.token_service = token_service
        self.card_authentication = card_authentication

    def is_token(self, pan: str) -> bool:
        """Whether ``pan`` is an ELKART Pay token (a token BIN), not a card number."""
        return self.population.bank_of_token_bin(pan[:6]) is not None

    def check(self, request: Mapping[str, Any], now: float) -> tuple[DeclineReason | None, Authentication | None]:
        """Why the authorisation request for a token must be declined (None: it may go to the
        issuer), and the card authentication when one ran."""
        service = self.token_service
        record = service.detokenise(request.get("2", ""))
        reason = service.status_violation(record) or service.channel_violation(request.get("22", ""))
        if reason is not None or self.card_authentication is None:
            return reason, None
        authentication = self.card_authentication.authenticate(record, request, now)
        return authentication.decline, authentication

    def sign(self, authentication: Authentication | None, approved: bool) -> Any | None:
        """DE55 of the 0110 — the ARPC over the verified cryptogram — or None when there is none."""
        if authentication is None or not authentication.verified:
            return None
        return self.card_authentication.issuer_authentication_data(authentication, approved)
