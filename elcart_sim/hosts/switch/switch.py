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

With the scenario's stand-in on (``switch.stand_in``, stand_in.py), an issuer that is unavailable
or silent past the timeout is stood in for: the switch approves within the issuer's limits (00,
DE44 ``STAND-IN 1002``/``1003``), and the approval goes to the issuer later as an advice (0120)
instead of a reversal; beyond the limits it declines 91 and reverses as before.

Every reversal and repeat — and with ``switch.duplicates: all`` every request — is remembered
under the original's data elements while it is handled and for ``switch.duplicate_window_s``
after (exchanges.py): a duplicate or a repeat (0101, 0401, 0421) gets the original's answer and
is not forwarded again; one that changes the original's fields is refused 94. The reversals the
switch sends or passes on are repeated (0401, 0421) every `REPEAT_AFTER_S` until the issuer
acknowledges one (Host.deliver), as the acquirers repeat theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import simpy

from elcart_sim.core.clock import Reply, discard
from elcart_sim.core.errors import ScenarioError
from elcart_sim.core.records import Table
from elcart_sim.core.streams import RandomStreams, Sampler
from elcart_sim.hosts.answers import Answers
from elcart_sim.hosts.host import Host, Times, entry
from elcart_sim.hosts.issuer import Issuer
from elcart_sim.hosts.switch.exchanges import Exchanges
from elcart_sim.hosts.switch.routing import Routing
from elcart_sim.hosts.switch.stand_in import StandIn
from elcart_sim.hosts.switch.token_gate import TokenGate
from elcart_sim.protocol.fidelity import FIDELITIES, WireFormat
from elcart_sim.protocol.iso8583 import (
    MTI_AUTHORISATION_REQUEST,
    MTI_AUTHORISATION_REQUEST_REPEAT,
    MTI_FINANCIAL_REQUEST,
    MTI_REVERSAL_ADVICE,
    MTI_REVERSAL_ADVICE_REPEAT,
    MTI_REVERSAL_REQUEST,
    MTI_REVERSAL_REQUEST_REPEAT,
    messages,
)
from elcart_sim.protocol.iso8583.repeats import ORIGINAL_MTI
from elcart_sim.scenario import SwitchSpec
from elcart_sim.tokens.card_authentication import CardAuthentication
from elcart_sim.tokens.token_service import TokenService
from elcart_sim.world.population import Population

__all__ = ["Switch"]


class Switch(Host):
    hop = "switch"

    def __init__(
        self,
        env: simpy.Environment,
        spec: SwitchSpec,
        population: Population,
        token_service: TokenService,
        issuers: Mapping[int, Issuer],
        link_latency_s: Sampler,
        streams: RandomStreams,
        hops: Table,
        wire: WireFormat = FIDELITIES["wire"],
        card_authentication: CardAuthentication | None = None,
        stand_in_records: Table | None = None,
    ):
        super().__init__(env, "switch", spec, streams, hops, link_latency_s, wire)
        self.population = population
        self.gate = TokenGate(population, token_service, card_authentication)
        self.routing = Routing(population, token_service)
        self.issuers = issuers  # by Bank.index
        self.clearing: Any = None  # model/clearing_cycle.ClearingCycle when the scenario's clearing is enabled
        self.exchanges = Exchanges(env, spec.duplicate_window_s, spec.duplicates == "all")
        self._issuer_of_bank = {bank.code: issuers[bank.index] for bank in population.banks}
        self.stand_in: StandIn | None = None  # when the scenario's switch.stand_in is enabled
        if spec.stand_in.enabled and stand_in_records is not None:
            for code in spec.stand_in.limits_by_bank:
                if code not in self._issuer_of_bank:
                    raise ScenarioError(f"switch.stand_in.limits_by_bank.{code}", "is not a bank of the population")
            self.stand_in = StandIn(
                env, spec.stand_in, stand_in_records, lambda code: getattr(self._issuer_of_bank[code], "down", False), self._send_advice
            )
            for issuer in issuers.values():
                issuer.on_advice_posted = self.stand_in.posted

    def remember_every_request(self) -> None:
        """Remember every request here and every answer at the issuers, not only reversals and
        repeats (``switch.duplicates: all``; a drill whose links may deliver a message twice)."""
        self.exchanges.requests = True
        for issuer in self.issuers.values():
            issuer.answers = Answers()

    def _send_advice(self, bank: str, advice: dict[str, Any], trace_id: int, on_answer: Reply) -> None:
        """The stand-in's store and forward: an advice (0120, or its repeat 0121) to ``bank``'s issuer."""
        issuer = self._issuer_of_bank[bank]
        entry = issuer.advise if advice["t"] == "0120" else issuer.advise_repeat
        self.send(entry, self.wire.encode(advice), trace_id, on_answer)  # over the line to the issuer, as any message

    def _remember(self, times: Times, request: Mapping[str, Any], trace_id: int, reply: Reply) -> Reply | None:
        """The reply to answer ``request`` through, remembered (exchanges.py); None when it is a
        duplicate or a repeat, which is then answered here."""
        return self.exchanges.admit(request, reply, lambda copy, refusal, answer: self._answer_copy(times, copy, trace_id, reply, refusal, answer))

    def _answer_copy(self, times: Times, request: Mapping[str, Any], trace_id: int, reply: Reply, refusal: str | None, answer: Any) -> None:
        """A duplicate or repeat answered: the original's answer (a repeat is answered as its
        original: 0110, 0410, 0430), or ``refusal`` (94) when it changed the original's fields."""
        if refusal is not None:
            answer = self.wire.encode(messages.response_to(request, refusal))
        self.record_hop(trace_id, request["t"], "", times, self.wire.decode(answer)["39"], False)
        reply(answer)

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
        self._authorise(times, request, trace_id, reply)

    @entry(MTI_AUTHORISATION_REQUEST_REPEAT)
    def authorise_repeat(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0101, an acquirer's repeat: the original's answer if the switch has it, else as an 0100."""
        self._authorise(times, request, trace_id, reply)

    def _authorise(self, times: Times, request: Mapping[str, Any], trace_id: int, reply: Reply) -> None:
        if self.exchanges.requests or request["t"] == MTI_AUTHORISATION_REQUEST_REPEAT:
            reply = self._remember(times, request, trace_id, reply)
            if reply is None:
                return
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
        if self.exchanges.requests:
            reply = self._remember(times, request, trace_id, reply)
            if reply is None:
                return
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
        if mti == MTI_FINANCIAL_REQUEST:
            entry, reversal_entry, repeat_entry = issuer.transfer, issuer.reverse_advice, issuer.reverse_advice_repeat
        else:
            entry = issuer.authorise if mti == MTI_AUTHORISATION_REQUEST else issuer.authorise_repeat
            reversal_entry, repeat_entry = issuer.reverse, issuer.reverse_repeat
        stand_in = self.stand_in
        if stand_in is not None and stand_in.unavailable(bank.code):
            self._stand_in(times, request, forwarded, bank.code, trace_id, reply, authentication, "issuer_unavailable")
            return

        def relay(answer: Any) -> None:
            if stand_in is not None:
                stand_in.answered(bank.code)
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
            if stand_in is not None:
                stand_in.timed_out(bank.code)
                self._stand_in(times, request, forwarded, bank.code, trace_id, reply, authentication, "issuer_timed_out", (reversal_entry, repeat_entry))
                return
            if self.clearing is not None:
                self.clearing.declined(request)
            self.deliver(reversal_entry, repeat_entry, messages.reversal_for(forwarded), trace_id, discard)
            self.record_hop(trace_id, mti, bank.code, times, "91", True)
            reply(self.wire.encode(messages.response_to(request, "91")))

        self.call_next_hop(entry, self.wire.encode(forwarded), trace_id, relay, give_up)

    def _stand_in(
        self,
        times: Times,
        request: Mapping[str, Any],
        forwarded: Mapping[str, Any],
        bank: str,
        trace_id: int,
        reply: Reply,
        authentication: Any,
        reason: str,
        reversal: tuple[Any, Any] | None = None,
    ) -> None:
        """Answer ``request`` in the issuer's stead (stand_in.py): an approval within the limits,
        cleared as any approval and advised to the issuer later; else 91, and a request the issuer
        may have had (``reversal``: its entries, after a timeout) reversed."""
        response_code, authorisation_id, reason_code = "91", None, None
        if self.stand_in.stands_in(reason):
            response_code, authorisation_id, reason_code = self.stand_in.decide(forwarded, bank, reason, trace_id, self.gate.is_token(request["2"]))
        approved = response_code == "00"
        if self.clearing is not None:
            if approved:
                self.clearing.approved(request, bank, trace_id)
            else:
                self.clearing.declined(request)
        if not approved and reversal is not None:
            self.deliver(*reversal, messages.reversal_for(forwarded), trace_id, discard)
        self.record_hop(trace_id, request["t"], bank, times, response_code, reversal is not None)
        response = messages.response_to(request, response_code, authorisation_id, additional_response=reason_code)
        signed = self.gate.sign(authentication, approved)
        if signed is not None:
            response["55"] = signed
        reply(self.wire.encode(response))

    # -- 0400 ----------------------------------------------------------------------------------

    @entry(MTI_REVERSAL_REQUEST)
    def reverse(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0400 from an acquirer: serve it and deliver it to the issuer however long it takes."""
        self._deliver_reversal(times, request, trace_id, reply)

    @entry(MTI_REVERSAL_REQUEST_REPEAT)
    def reverse_repeat(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0401, an acquirer's repeat: acknowledged as the original is, delivered once."""
        self._deliver_reversal(times, request, trace_id, reply)

    @entry(MTI_REVERSAL_ADVICE)
    def reverse_advice(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0420 from the app's service: serve it and deliver it to the issuer however long it takes."""
        self._deliver_reversal(times, request, trace_id, reply)

    @entry(MTI_REVERSAL_ADVICE_REPEAT)
    def reverse_advice_repeat(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0421, a repeat: acknowledged as the original is, delivered once."""
        self._deliver_reversal(times, request, trace_id, reply)

    def _deliver_reversal(self, times: Times, request: Mapping[str, Any], trace_id: int, reply: Reply) -> None:
        reply = self._remember(times, request, trace_id, reply)
        if reply is None:
            return
        bank, forwarded, response_code = self.routing.route(request)

        def acknowledge(_answer: Any = None) -> None:
            if self.clearing is not None and bank is not None:
                self.clearing.reversed(request)
            self.record_hop(trace_id, request["t"], bank.code if bank else "", times, response_code or "00", False)
            reply(self.wire.encode(messages.response_to(request, "00")))

        if bank is None:
            acknowledge()
            return
        issuer = self.issuers[bank.index]
        if request["t"] in (MTI_REVERSAL_REQUEST, MTI_REVERSAL_REQUEST_REPEAT):
            entry, repeat_entry = issuer.reverse, issuer.reverse_repeat
        else:
            entry, repeat_entry = issuer.reverse_advice, issuer.reverse_advice_repeat
        original = {**forwarded, "t": ORIGINAL_MTI.get(request["t"], request["t"])}
        self.deliver(entry, repeat_entry, original, trace_id, acknowledge)
