"""The national switch (IPC): routes every ELKART authorisation from acquirer to issuer.

For a token transaction it asks the token vault for the funding card (detokenisation) and lets
the token service rule on it — token status and domain (token_service.py), then the chip's
evidence (card_authentication.py: cryptogram, keys, counters, device). A token that fails is
declined here, DE39 per protocol/decline_reasons.py with the reason code in DE44; one that
passes is routed by the card's BIN to the issuing bank's host, and the answer is relayed back
with the token and the ARPC (DE55 tag 91), without the issuer leg's DE100 — the acquirer never
sees the card number. If the issuer does not answer within the switch's timeout, the switch
declines with 91 (issuer inoperative) and sends the issuer a reversal, so a late approval cannot
leave the cardholder debited. A request it cannot decode is answered 30 (format error).
"""

from __future__ import annotations

from collections.abc import Mapping

import simpy

from elcart_sim.tokens.card_authentication import Authentication, CardAuthentication
from elcart_sim.core.errors import IsoMessageError
from elcart_sim.core.clock import Reply, discard
from elcart_sim.hosts.host import Host
from elcart_sim.hosts.issuer import Issuer
from elcart_sim.world.population import Population
from elcart_sim.protocol.iso8583 import messages
from elcart_sim.protocol.iso8583.decline_reasons import DeclineReason
from elcart_sim.protocol.fidelity import FIDELITIES, WireFormat
from elcart_sim.core.records import Table
from elcart_sim.scenario import HostSpec
from elcart_sim.core.streams import RandomStreams, Sampler
from elcart_sim.tokens.token_service import TokenService

__all__ = ["Switch"]


class Switch(Host):
    hop = "switch"

    def __init__(
        self,
        env: simpy.Environment,
        spec: HostSpec,
        population: Population,
        token_service: TokenService,
        issuers: Mapping[int, Issuer],
        link_latency_s: Sampler,
        streams: RandomStreams,
        hops: Table,
        wire: WireFormat = FIDELITIES["wire"],
        card_authentication: CardAuthentication | None = None,
    ):
        super().__init__(env, "switch", spec, streams, hops, link_latency_s, wire)
        self.population = population
        self.token_service = token_service
        self.issuers = issuers  # by Bank.index
        self.card_authentication = card_authentication  # None: tokens are not authenticated

    # -- routing (pure) -----------------------------------------------------------------------

    def check_token(self, request: dict) -> tuple[DeclineReason | None, Authentication | None]:
        """The token service's ruling on an authorisation request for a token: why it must be
        declined (None: it may go to the issuer), and the card authentication when one ran."""
        record = self.token_service.detokenise(request.get("2", ""))
        reason = self.token_service.status_violation(record) or self.token_service.channel_violation(request.get("22", ""))
        if reason is not None or self.card_authentication is None:
            return reason, None
        authentication = self.card_authentication.authenticate(record, request, self.env.now)
        return authentication.decline, authentication

    def route(self, request: dict) -> tuple[Issuer | None, dict | None, str]:
        """The issuer and the request to send it, or (None, None, response code) if unroutable."""
        token_pan = request.get("2", "")
        bank = self.population.bank_of_token_bin(token_pan[:6])
        if bank is None:
            # Not a token: a plain card routes straight by its own BIN.
            bank = self.population.bank_of_card_bin(token_pan[:6])
            if bank is None:
                return None, None, "14"
            return self.issuers[bank.index], dict(request, **{"100": bank.institution_id}), ""
        record = self.token_service.detokenise(token_pan)
        if record is None:
            return None, None, "14"  # (a 0100 never gets here: check_token ruled first; a 0400
            # reaches its issuer whatever the token's status, so no approved debit is stranded)
        forwarded = dict(request)
        forwarded["2"] = self.population.pan(record.card)
        forwarded.pop("35", None)  # track 2 holds the token; the issuer gets the PAN in DE2
        forwarded["100"] = bank.institution_id
        forwarded["123"] = messages.token_data(token_pan, request.get("14", "0000"), record.par)
        return self.issuers[bank.index], forwarded, ""

    # -- 0100 ----------------------------------------------------------------------------------

    def authorise(self, raw: bytes, trace_id: int, reply: Reply) -> None:
        """0100 from an acquirer: serve it, rule on the token, route it to the issuer, relay the answer."""
        self.serve(lambda times: self._route_authorisation(raw, trace_id, times, reply))

    def _route_authorisation(self, raw: bytes, trace_id: int, times: tuple, reply: Reply) -> None:
        try:
            request = self.wire.decode(raw)
        except IsoMessageError:
            self.record_hop(trace_id, "0100", times, "30", False)
            reply(self.wire.encode(messages.format_error_response(trace_id)))
            return
        authentication = None
        if self.population.bank_of_token_bin(request["2"][:6]) is not None:
            decline, authentication = self.check_token(request)
            if decline is not None:
                self.record_hop(trace_id, "0100", times, decline.response_code, False)
                response = messages.response_to(request, decline.response_code, additional_response=decline.code)
                if authentication is not None and authentication.verified:
                    response["55"] = self.card_authentication.issuer_authentication_data(authentication, False)
                reply(self.wire.encode(response))
                return
        issuer, forwarded, response_code = self.route(request)
        if issuer is None:
            self.record_hop(trace_id, "0100", times, response_code, False)
            reply(self.wire.encode(messages.response_to(request, response_code)))
            return

        def relay(answer: bytes) -> None:
            response = self.wire.decode(answer)
            response["2"] = request["2"]  # back to the token
            response.pop("100", None)  # the receiving institution was for the issuer's leg only
            if authentication is not None and authentication.verified:
                response["55"] = self.card_authentication.issuer_authentication_data(authentication, response["39"] == "00")
            self.record_hop(trace_id, "0100", times, response["39"], False)
            reply(self.wire.encode(response))

        def give_up() -> None:  # the issuer did not answer in time: 91 upstream, reversal to the issuer
            self.call_next_hop(issuer.reverse, self.wire.encode(messages.reversal_for(forwarded)), trace_id, discard)
            self.record_hop(trace_id, "0100", times, "91", True)
            reply(self.wire.encode(messages.response_to(request, "91")))

        self.call_next_hop(issuer.authorise, self.wire.encode(forwarded), trace_id, relay, give_up)

    # -- 0400 ----------------------------------------------------------------------------------

    def reverse(self, raw: bytes, trace_id: int, reply: Reply) -> None:
        """Reversals are store-and-forward: delivered to the issuer however long it takes."""
        self.serve(lambda times: self._route_reversal(raw, trace_id, times, reply))

    def _route_reversal(self, raw: bytes, trace_id: int, times: tuple, reply: Reply) -> None:
        request = self.wire.decode(raw)
        issuer, forwarded, response_code = self.route(request)

        def acknowledge(_answer: object = None) -> None:
            self.record_hop(trace_id, "0400", times, response_code or "00", False)
            reply(self.wire.encode(messages.response_to(request, "00")))

        if issuer is None:
            acknowledge()
        else:
            self.call_next_hop(issuer.reverse, self.wire.encode(forwarded), trace_id, acknowledge)
