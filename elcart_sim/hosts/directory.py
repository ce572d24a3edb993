"""The directory host: IPC's lookup of whose card a phone number, a card number or a QR
recipient id is, as a host with servers and a service time (it is load like any other).

Physical picture: before any money moves, the app's transfer service asks the directory "whose
card is +996 555 123 456?"; the directory looks it up (world/directory.py, pure) and answers a
card and its bank, or a decline with its own code. Each lookup is one hop record (`hop`
"directory", no message type: it is not an ISO 8583 message; `issuer` the bank found).
"""

from __future__ import annotations

from typing import Any

import simpy

from elcart_sim.core.clock import Reply
from elcart_sim.core.records import Table
from elcart_sim.core.streams import RandomStreams
from elcart_sim.hosts.host import Host, Times
from elcart_sim.scenario import HostSpec
from elcart_sim.world.directory import Directory, Lookup

__all__ = ["DirectoryHost"]


class DirectoryHost(Host):
    hop = "directory"

    def __init__(self, env: simpy.Environment, spec: HostSpec, directory: Directory, streams: RandomStreams, hops: Table):
        super().__init__(env, "directory", spec, streams, hops)
        self.directory = directory
        self._by_channel = {"p2p_phone": directory.by_phone, "p2p_card": directory.by_card_number, "p2p_qr": directory.by_qr_id}

    def look_up(self, query: tuple[str, str], trace_id: int, reply: Reply) -> None:
        """Entry: ``query`` = (channel, the recipient as the sender gave it); ``reply(Lookup)``."""
        self.serve(self._answer, query, trace_id, reply)

    def _answer(self, times: Times, query: Any, trace_id: int, reply: Reply) -> None:
        channel, recipient = query
        lookup: Lookup = self._by_channel[channel](recipient)
        self.record_hop(trace_id, "", lookup.bank_code, times, lookup.response_code, False)
        reply(lookup)
