"""The national switch (IPC): routes every ELKART authorisation from acquirer to issuer.

For a token transaction it asks the token vault for the funding card (detokenisation), routes
by the card's BIN to the issuing bank's host, and relays the answer back with the token — the
acquirer never sees the card number. If the issuer does not answer within the switch's timeout,
the switch declines with 91 (issuer inoperative) and sends the issuer a reversal, so a late
approval cannot leave the cardholder debited.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping

import simpy

from elcart_sim.errors import IsoMessageError
from elcart_sim.host import TIMED_OUT, Host
from elcart_sim.issuer import Issuer
from elcart_sim.population import Population
from elcart_sim.protocol import messages
from elcart_sim.protocol.wire import FIDELITIES, WireFormat
from elcart_sim.records import Table
from elcart_sim.scenario import HostSpec
from elcart_sim.streams import RandomStreams, Sampler
from elcart_sim.token_service import TokenService

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
    ):
        super().__init__(env, "switch", spec, streams, hops, link_latency_s, wire)
        self.population = population
        self.token_service = token_service
        self.issuers = issuers  # by Bank.index

    # -- routing (pure) -----------------------------------------------------------------------

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
        if record is None or record.status != "active":
            return None, None, "14"
        forwarded = dict(request)
        forwarded["2"] = self.population.pan(record.card)
        forwarded.pop("35", None)  # track 2 holds the token; the issuer gets the PAN in DE2
        forwarded["100"] = bank.institution_id
        forwarded["123"] = messages.token_data(token_pan, request.get("14", "0000"), record.par)
        return self.issuers[bank.index], forwarded, ""

    # -- 0100 ----------------------------------------------------------------------------------

    def authorise(self, raw: bytes, trace_id: int) -> Generator[simpy.Event, object, bytes]:
        times = yield from self.serve()
        try:
            request = self.wire.decode(raw)
        except IsoMessageError:
            self.record_hop(trace_id, "0100", times, "30", False)
            return self.wire.encode(messages.format_error_response(trace_id))
        issuer, forwarded, response_code = self.route(request)
        if issuer is None:
            self.record_hop(trace_id, "0100", times, response_code, False)
            return self.wire.encode(messages.response_to(request, response_code))
        reply = self.env.process(self.call_next_hop(issuer.authorise, self.wire.encode(forwarded), trace_id))
        answer = yield from self.await_reply(reply)
        if answer is TIMED_OUT:
            self.env.process(self.call_next_hop(issuer.reverse, self.wire.encode(messages.reversal_for(forwarded)), trace_id))
            self.record_hop(trace_id, "0100", times, "91", True)
            return self.wire.encode(messages.response_to(request, "91"))
        response = self.wire.decode(answer)
        response["2"] = request["2"]  # back to the token
        self.record_hop(trace_id, "0100", times, response["39"], False)
        return self.wire.encode(response)

    # -- 0400 ----------------------------------------------------------------------------------

    def reverse(self, raw: bytes, trace_id: int) -> Generator[simpy.Event, object, bytes]:
        """Reversals are store-and-forward: delivered to the issuer however long it takes."""
        times = yield from self.serve()
        request = self.wire.decode(raw)
        issuer, forwarded, response_code = self.route(request)
        if issuer is not None:
            yield from self.call_next_hop(issuer.reverse, self.wire.encode(forwarded), trace_id)
        self.record_hop(trace_id, "0400", times, response_code or "00", False)
        return self.wire.encode(messages.response_to(request, "00"))
