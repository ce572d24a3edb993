"""The acquirer: a member bank's host for its merchants' POS terminals.

It receives the terminal's authorisation request (0100; DE32 names the acquiring bank) and
forwards it to the national switch; if the switch does not answer within the acquirer's timeout,
it answers the terminal 91 and sends the switch a reversal. A terminal's own reversal (0400) is
forwarded the same way, store-and-forward, until the issuer has it. A reversal the switch has not
acknowledged within the acquirer's timeout is sent again as a repeat (0401, 0421), until one is
acknowledged (Host.deliver). A message it cannot read is
answered 30 (format error), as at every host entry (host.py).

Its ATMs' cash withdrawals come as financial requests (0200, processing code 01, chip data in
DE55) and are forwarded to the switch's financial entry the same way; a timeout there is
answered 91 and undone by a reversal advice (0420), and the ATM's own 0420 (it gave up waiting)
is forwarded store-and-forward like a terminal's 0400.
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
from elcart_sim.protocol.iso8583 import (
    MTI_AUTHORISATION_REQUEST,
    MTI_FINANCIAL_REQUEST,
    MTI_REVERSAL_ADVICE,
    MTI_REVERSAL_ADVICE_REPEAT,
    MTI_REVERSAL_REQUEST,
    MTI_REVERSAL_REQUEST_REPEAT,
    messages,
)
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
        self._forward(times, request, payload, trace_id, reply, self.switch.authorise, (self.switch.reverse, self.switch.reverse_repeat))

    @entry(MTI_FINANCIAL_REQUEST)
    def withdraw(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0200 from an ATM (a cash withdrawal): serve it, forward it to the switch, answer what it answers."""
        self._forward(times, request, payload, trace_id, reply, self.switch.transfer, (self.switch.reverse_advice, self.switch.reverse_advice_repeat))

    def _forward(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply, entry: Any, reversal_entries: Any) -> None:
        mti = request["t"]
        issuer = self.issuer_of(request["2"])

        def relay(answer: Any) -> None:
            self.record_hop(trace_id, mti, issuer, times, self.wire.decode(answer)["39"], False)
            reply(answer)

        def give_up() -> None:  # the switch did not answer in time: 91 to the terminal, reversal to the switch
            self.deliver(*reversal_entries, messages.reversal_for(request), trace_id, discard)
            self.record_hop(trace_id, mti, issuer, times, "91", True)
            reply(self.wire.encode(messages.response_to(request, "91")))

        self.call_next_hop(entry, payload, trace_id, relay, give_up)

    @entry(MTI_REVERSAL_REQUEST)
    def reverse(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0400 from a terminal: serve it, forward it until the switch has it, acknowledge."""
        self._deliver(times, request, trace_id, reply, self.switch.reverse, self.switch.reverse_repeat)

    @entry(MTI_REVERSAL_ADVICE)
    def reverse_advice(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0420 from an ATM: serve it, forward it until the switch has it, acknowledge."""
        self._deliver(times, request, trace_id, reply, self.switch.reverse_advice, self.switch.reverse_advice_repeat)

    @entry(MTI_REVERSAL_REQUEST_REPEAT)
    def reverse_repeat(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0401, a terminal's repeat: passed on as a repeat until the switch has it (the switch
        answers it from its memory of the original), acknowledged."""
        self._deliver(times, request, trace_id, reply, self.switch.reverse_repeat, self.switch.reverse_repeat)

    @entry(MTI_REVERSAL_ADVICE_REPEAT)
    def reverse_advice_repeat(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0421, an ATM's repeat: passed on as a repeat until the switch has it, acknowledged."""
        self._deliver(times, request, trace_id, reply, self.switch.reverse_advice_repeat, self.switch.reverse_advice_repeat)

    def _deliver(self, times: Times, request: Mapping[str, Any], trace_id: int, reply: Reply, entry: Any, repeat_entry: Any) -> None:
        issuer = self.issuer_of(request["2"])

        def acknowledge(_answer: Any) -> None:
            self.record_hop(trace_id, request["t"], issuer, times, "00", False)
            reply(self.wire.encode(messages.response_to(request, "00")))

        self.deliver(entry, repeat_entry, request, trace_id, acknowledge)
