"""The national switch (IPC): every ELKART authorisation and reversal, from acquirer to issuer.

The message flow, in the switch's own terms: an authorisation request (0100) paid with a token
passes the token gate (token_gate.py) or is declined there; routing (routing.py) finds the
issuer's host and the message it gets; the issuer's answer (0110) is relayed back with the
token in DE2 again, without the issuer leg's DE100 — the acquirer never sees the card number —
and with the ARPC in DE55. If the issuer does not answer within the switch's timeout, the switch
declines with 91 (issuer inoperative) and sends the issuer a reversal, so a late approval cannot
leave the cardholder debited. Reversals (0400) are store-and-forward: delivered to the issuer
however long it takes. A message the switch cannot read is answered 30 (format error).

The app's financial requests (0200: a transfer's debit and credit legs) carry card numbers,
not tokens: they are routed by BIN and relayed the same way, and undone by reversal advices
(0420), which are store-and-forward too.

When the scenario's clearing is enabled, every approval relayed and every reversal delivered is
handed to the clearing cycle (model/clearing_cycle.py), which makes the clearing records; and
before the issuer leg the payer bank's liquidity is checked there (cover, then the net debit
cap: model/intraday_liquidity.py), a breach declined 51 with its DE44 reason when the scenario
says breaches decline.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import simpy

from elcart_sim.core.clock import Handler, Reply, discard
from elcart_sim.core.records import Table
from elcart_sim.core.streams import RandomStreams, Sampler
from elcart_sim.hosts.host import Host, Times, entry
from elcart_sim.hosts.issuer import Issuer
from elcart_sim.hosts.switch.routing import Routing
from elcart_sim.hosts.switch.token_gate import TokenGate
from elcart_sim.protocol.fidelity import FIDELITIES, WireFormat
from elcart_sim.protocol.iso8583 import (
    MTI_AUTHORISATION_REQUEST,
    MTI_FINANCIAL_REQUEST,
    MTI_REVERSAL_ADVICE,
    MTI_REVERSAL_REQUEST,
    messages,
)
from elcart_sim.scenario import HostSpec
from elcart_sim.tokens.card_authentication import CardAuthentication
from elcart_sim.tokens.token_service import TokenService
from elcart_sim.world.population import Population

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
        self.gate = TokenGate(population, token_service, card_authentication)
        self.routing = Routing(population, token_service)
        self.issuers = issuers  # by Bank.index
        self.clearing: Any = None  # model/clearing_cycle.ClearingCycle when the scenario's clearing is enabled

    def hsm_calls_for(self, request: Any) -> int:
        """IPC's HSM verifies a token's cryptogram: a 0100 paid with a card number (a plastic
        card's, the issuer's to verify) calls it not; other types as `hsm.calls.switch` says."""
        mti = request["t"]
        calls = self.hsm_calls.get(mti, 0)
        if calls and mti == MTI_AUTHORISATION_REQUEST and not self.gate.is_token(request.get("2", "")):
            return 0
        return calls

    # -- 0100 ----------------------------------------------------------------------------------

    @entry(MTI_AUTHORISATION_REQUEST)
    def authorise(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0100 from an acquirer: serve it, rule on the token, route it to the issuer, relay the answer."""
        authentication = None
        if self.gate.is_token(request["2"]):
            decline, authentication = self.gate.check(request, self.env.now)
            if decline is not None:
                response = messages.response_to(request, decline.response_code, additional_response=decline.code)
                signed = self.gate.sign(authentication, False)
                if signed is not None:
                    response["55"] = signed
                bank = self.population.bank_of_token_bin(request["2"][:6])
                self.record_hop(trace_id, MTI_AUTHORISATION_REQUEST, bank.code, times, decline.response_code, False)
                reply(self.wire.encode(response))
                return
        self._forward(times, request, trace_id, reply, authentication)

    @entry(MTI_FINANCIAL_REQUEST)
    def transfer(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0200 from the app's service (a transfer's leg): serve it, route it to the card's
        issuer by BIN, relay the answer."""
        self._forward(times, request, trace_id, reply, None)

    def _forward(self, times: Times, request: Mapping[str, Any], trace_id: int, reply: Reply, authentication: Any) -> None:
        """Route ``request`` (0100 or 0200) to its issuer and relay the answer; if none comes in
        time, answer 91 and send the issuer the request's reversal."""
        mti = request["t"]
        bank, forwarded, response_code = self.routing.route(request)
        if bank is None:
            self.record_hop(trace_id, mti, "", times, response_code, False)
            reply(self.wire.encode(messages.response_to(request, response_code)))
            return
        if self.clearing is not None:  # the payer bank's liquidity, before the issuer leg
            breach = self.clearing.prepare(request, bank.code, trace_id)
            if breach is not None:
                self.record_hop(trace_id, mti, bank.code, times, breach.response_code, False)
                reply(self.wire.encode(messages.response_to(request, breach.response_code, additional_response=breach.code)))
                return
        issuer = self.issuers[bank.index]
        entry, reversal_entry = (
            (issuer.authorise, issuer.reverse) if mti == MTI_AUTHORISATION_REQUEST else (issuer.transfer, issuer.reverse_advice)
        )

        def relay(answer: Any) -> None:
            response = {key: value for key, value in self.wire.decode(answer).items() if key != "100"}
            response["2"] = request["2"]  # back to the token; DE100 was for the issuer's leg only
            signed = self.gate.sign(authentication, response["39"] == "00")
            if signed is not None:
                response["55"] = signed
            self.record_hop(trace_id, mti, bank.code, times, response["39"], False)
            if self.clearing is not None:
                if response["39"] == "00":
                    self.clearing.approved(request, bank.code, trace_id)
                else:
                    self.clearing.declined(request)
            reply(self.wire.encode(response))

        def give_up() -> None:  # the issuer did not answer in time: 91 upstream, reversal to the issuer
            if self.clearing is not None:
                self.clearing.declined(request)
            self.call_next_hop(reversal_entry, self.wire.encode(messages.reversal_for(forwarded)), trace_id, discard)
            self.record_hop(trace_id, mti, bank.code, times, "91", True)
            reply(self.wire.encode(messages.response_to(request, "91")))

        self.call_next_hop(entry, self.wire.encode(forwarded), trace_id, relay, give_up)

    # -- 0400 ----------------------------------------------------------------------------------

    @entry(MTI_REVERSAL_REQUEST)
    def reverse(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0400 from an acquirer: serve it and deliver it to the issuer however long it takes."""
        self._deliver_reversal(times, request, trace_id, reply, lambda issuer: issuer.reverse)

    @entry(MTI_REVERSAL_ADVICE)
    def reverse_advice(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0420 from the app's service: serve it and deliver it to the issuer however long it takes."""
        self._deliver_reversal(times, request, trace_id, reply, lambda issuer: issuer.reverse_advice)

    def _deliver_reversal(
        self, times: Times, request: Mapping[str, Any], trace_id: int, reply: Reply, entry_of: Callable[[Issuer], Handler]
    ) -> None:
        bank, forwarded, response_code = self.routing.route(request)

        def acknowledge(_answer: Any = None) -> None:
            if self.clearing is not None and bank is not None:
                self.clearing.reversed(request)
            self.record_hop(trace_id, request["t"], bank.code if bank else "", times, response_code or "00", False)
            reply(self.wire.encode(messages.response_to(request, "00")))

        if bank is None:
            acknowledge()
        else:
            self.call_next_hop(entry_of(self.issuers[bank.index]), self.wire.encode(forwarded), trace_id, acknowledge)
