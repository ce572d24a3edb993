"""A biller gateway: the aggregator through which the app's bill service reaches a group of billers.

Physical picture: once the payer's bank has debited the card, the bill service at IPC tells the
gateway "post 150 som to MegaCom for 996555123456" (a `BillPosting`). The gateway — a host with
servers and a service time, like any other — passes it to the biller's system and answers with
the biller's confirmation (`GatewayAnswer`, code 00). A biller is not always there: a share of
postings (``1 − services.bills.biller_availability``, an estimate) get no answer from the
biller, and the gateway, after waiting its own timeout, answers 91 ("the biller did not
answer"); so do the postings to a biller that is down (`biller_down`: a fault drill). A gateway
that is down (``down``, host.py) answers nothing at all; the service's own timeout then decides. The catalogue's five gateways are five such hosts
(data/billers.csv names each biller's gateway).

The exchange is not ISO 8583 (gateways speak their own APIs), so a posting is a small object in
both fidelities, as the directory's lookups are. Anything that is not a well-formed posting for
a biller of this gateway is answered 30 (format error), recorded, and nothing happens. Each
posting is one hop record: ``hop`` biller_gateway, no MTI, ``issuer`` the gateway's id (so the
registry knows which gateway it loaded).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import simpy

from elcart_sim.core.clock import Reply, after
from elcart_sim.core.records import Table
from elcart_sim.core.streams import RandomStreams
from elcart_sim.hosts.host import Host, Times
from elcart_sim.scenario import HostSpec

__all__ = ["BillPosting", "GatewayAnswer", "BillerGatewayHost"]

_PER_MILLION = 1_000_000


@dataclass(frozen=True, slots=True)
class BillPosting:
    """Post ``amount_tyiyn`` to ``biller_id`` for ``reference``; ``rrn`` is the payment's
    retrieval reference (DE37 of its debit), by which the biller knows it."""

    biller_id: str
    reference: str
    amount_tyiyn: int
    rrn: str


@dataclass(frozen=True, slots=True)
class GatewayAnswer:
    """The gateway's answer to a posting: 00 posted, 91 the biller did not answer, 30 unreadable."""

    rrn: str
    code: str


class BillerGatewayHost(Host):
    """One gateway and the billers behind it."""

    hop = "biller_gateway"

    def __init__(
        self,
        env: simpy.Environment,
        gateway_id: str,
        spec: HostSpec,
        biller_ids: Iterable[str],
        biller_availability: float,
        streams: RandomStreams,
        hops: Table,
    ):
        super().__init__(env, f"biller_gateway.{gateway_id}", spec, streams, hops)
        self.gateway_id = gateway_id
        self.biller_ids = frozenset(biller_ids)
        self._answers = streams.integers(f"biller_gateway.{gateway_id}.biller_answers", _PER_MILLION)
        self._answered_below = round(biller_availability * _PER_MILLION)
        self.billers_down: set[str] = set()

    def biller_down(self, biller_id: str, down: bool) -> None:
        """Biller ``biller_id`` stops answering (its postings get 91 at the gateway's timeout), or is back."""
        (self.billers_down.add if down else self.billers_down.discard)(biller_id)
        if self.billers_down:
            self._forward = self._forward_some_billers_down  # type: ignore[method-assign]
        else:
            self.__dict__.pop("_forward", None)

    def post(self, posting: Any, trace_id: int, reply: Reply) -> None:
        """Entry: a `BillPosting`; ``reply(GatewayAnswer)`` — unless the gateway is down."""
        self.serve(self._forward, posting, trace_id, reply)

    def _forward_some_billers_down(self, times: Times, posting: Any, trace_id: int, reply: Reply) -> None:
        if self._readable(posting) and posting.biller_id in self.billers_down:
            after(self.env, self.timeout_s, self._give_up, times, posting, trace_id, reply)
        else:
            type(self)._forward(self, times, posting, trace_id, reply)

    def _forward(self, times: Times, posting: Any, trace_id: int, reply: Reply) -> None:
        if not self._readable(posting):
            self.record_hop(trace_id, "", self.gateway_id, times, "30", False)
            reply(GatewayAnswer(getattr(posting, "rrn", ""), "30"))
        elif self._answers() < self._answered_below:
            self.record_hop(trace_id, "", self.gateway_id, times, "00", False)
            reply(GatewayAnswer(posting.rrn, "00"))
        else:  # the biller is silent: the gateway gives up at its timeout
            after(self.env, self.timeout_s, self._give_up, times, posting, trace_id, reply)

    def _give_up(self, times: Times, posting: BillPosting, trace_id: int, reply: Reply) -> None:
        self.record_hop(trace_id, "", self.gateway_id, times, "91", True)
        reply(GatewayAnswer(posting.rrn, "91"))

    def _readable(self, posting: Any) -> bool:
        return (
            isinstance(posting, BillPosting)
            and posting.biller_id in self.biller_ids
            and type(posting.amount_tyiyn) is int
            and posting.amount_tyiyn > 0
            and isinstance(posting.reference, str)
            and bool(posting.reference)
        )
