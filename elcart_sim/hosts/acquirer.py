"""The acquirer: a member bank's host for its merchants' POS terminals.

It receives the terminal's authorisation request (0100; DE32 names the acquiring bank) and
forwards it to the national switch; if the switch does not answer within the acquirer's timeout,
it answers the terminal 91 and sends the switch a reversal. A terminal's own reversal (0400) is
forwarded the same way, store-and-forward, until the issuer has it.
"""

from __future__ import annotations

import simpy

from elcart_sim.core.errors import IsoMessageError
from elcart_sim.core.clock import Reply, discard
from elcart_sim.hosts.host import Host
from elcart_sim.protocol.iso8583 import messages
from elcart_sim.protocol.fidelity import FIDELITIES, WireFormat
from elcart_sim.core.records import Table
from elcart_sim.scenario import HostSpec
from elcart_sim.core.streams import RandomStreams, Sampler
from elcart_sim.hosts.switch import Switch

__all__ = ["Acquirer"]


class Acquirer(Host):
    """The acquiring host. One host serves all member banks' terminals (a shared processor);
    the acquiring bank is named in each request's DE32, which its terminals set."""

    hop = "acquirer"

    def __init__(
        self,
        env: simpy.Environment,
        spec: HostSpec,
        switch: Switch,
        link_latency_s: Sampler,
        streams: RandomStreams,
        hops: Table,
        wire: WireFormat = FIDELITIES["wire"],
    ):
        super().__init__(env, "acquirer", spec, streams, hops, link_latency_s, wire)
        self.switch = switch

    def authorise(self, raw: bytes, trace_id: int, reply: Reply) -> None:
        """0100 from a terminal: serve it, forward it to the switch, answer what the switch answers."""
        self.serve(lambda times: self._forward_authorisation(raw, trace_id, times, reply))

    def _forward_authorisation(self, raw: bytes, trace_id: int, times: tuple, reply: Reply) -> None:
        try:
            request = self.wire.decode(raw)
        except IsoMessageError:
            self.record_hop(trace_id, "0100", times, "30", False)
            reply(self.wire.encode(messages.format_error_response(trace_id)))
            return

        def relay(answer: bytes) -> None:
            self.record_hop(trace_id, "0100", times, self.wire.decode(answer).get("39", ""), False)
            reply(answer)

        def give_up() -> None:  # the switch did not answer in time: 91 to the terminal, reversal to the switch
            self.call_next_hop(self.switch.reverse, self.wire.encode(messages.reversal_for(request)), trace_id, discard)
            self.record_hop(trace_id, "0100", times, "91", True)
            reply(self.wire.encode(messages.response_to(request, "91")))

        self.call_next_hop(self.switch.authorise, raw, trace_id, relay, give_up)

    def reverse(self, raw: bytes, trace_id: int, reply: Reply) -> None:
        """0400 from a terminal: serve it, forward it until the switch has it, acknowledge."""
        self.serve(lambda times: self._forward_reversal(raw, trace_id, times, reply))

    def _forward_reversal(self, raw: bytes, trace_id: int, times: tuple, reply: Reply) -> None:
        request = self.wire.decode(raw)

        def acknowledge(_answer: bytes) -> None:
            self.record_hop(trace_id, "0400", times, "00", False)
            reply(self.wire.encode(messages.response_to(request, "00")))

        self.call_next_hop(self.switch.reverse, raw, trace_id, acknowledge)
