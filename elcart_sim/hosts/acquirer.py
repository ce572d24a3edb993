"""The acquirer: a member bank's host for its merchants' POS terminals.

It receives the terminal's authorisation request (0100; DE32 names the acquiring bank) and
forwards it to the national switch; if the switch does not answer within the acquirer's timeout,
it answers the terminal 91 and sends the switch a reversal. A terminal's own reversal (0400) is
forwarded the same way, store-and-forward, until the issuer has it. A message it cannot read is
answered 30 (format error), as at every host entry (host.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import simpy

from elcart_sim.core.clock import Reply, discard
from elcart_sim.core.records import Table
from elcart_sim.core.streams import RandomStreams, Sampler
from elcart_sim.hosts.host import Host, Times, entry
from elcart_sim.hosts.switch import Switch
from elcart_sim.protocol.fidelity import FIDELITIES, WireFormat
from elcart_sim.protocol.iso8583 import MTI_AUTHORISATION_REQUEST, MTI_REVERSAL_REQUEST, messages
from elcart_sim.scenario import HostSpec

__all__ = ["Acquirer"]


class Acquirer(Host):
    """The acquiring host. One host serves all member banks' terminals (a shared processor);
    the acquiring bank is named in each request's DE32, which its terminals set. ``issuer_of``
    names the issuing bank of a card or token number, for the hop records."""

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
        issuer_of: Callable[[str], str] = lambda pan: "",
    ):
        super().__init__(env, "acquirer", spec, streams, hops, link_latency_s, wire)
        self.switch = switch
        self.issuer_of = issuer_of

    @entry(MTI_AUTHORISATION_REQUEST)
    def authorise(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0100 from a terminal: serve it, forward it to the switch, answer what the switch answers."""
        issuer = self.issuer_of(request["2"])

        def relay(answer: Any) -> None:
            self.record_hop(trace_id, MTI_AUTHORISATION_REQUEST, issuer, times, self.wire.decode(answer)["39"], False)
            reply(answer)

        def give_up() -> None:  # the switch did not answer in time: 91 to the terminal, reversal to the switch
            self.call_next_hop(self.switch.reverse, self.wire.encode(messages.reversal_for(request)), trace_id, discard)
            self.record_hop(trace_id, MTI_AUTHORISATION_REQUEST, issuer, times, "91", True)
            reply(self.wire.encode(messages.response_to(request, "91")))

        self.call_next_hop(self.switch.authorise, payload, trace_id, relay, give_up)

    @entry(MTI_REVERSAL_REQUEST)
    def reverse(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0400 from a terminal: serve it, forward it until the switch has it, acknowledge."""
        issuer = self.issuer_of(request["2"])

        def acknowledge(_answer: Any) -> None:
            self.record_hop(trace_id, MTI_REVERSAL_REQUEST, issuer, times, "00", False)
            reply(self.wire.encode(messages.response_to(request, "00")))

        self.call_next_hop(self.switch.reverse, payload, trace_id, acknowledge)
