"""The notification gateway: the host that pushes "your salary has arrived" to cardholders'
phones, and the way each push takes from there to the phone.

Physical picture: a bank, having posted a credit, hands the gateway a push for the
cardholder's phone. The gateway queues it for one of its servers (its send rate), hands it to
the phone platform's push service, and the push crosses the mobile network to the phone
(`services.push.latency`: a second or two for most, a long tail). Some pushes never arrive
(`loss_share`); some find the phone switched off or out of coverage (`offline_share`) and are
held and delivered when it comes back (`offline_delay` later). A push is not ISO 8583: each one
is a hop record (`hop` "notifications", no message type, `issuer` the sending bank) and one row
of the `notifications` table, written when the push has reached the phone (delivered, or late
when more than `late_after_s` after it was sent) or has been lost (delivered_at NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import simpy

from elcart_sim.core.clock import Reply, after
from elcart_sim.core.records import Table
from elcart_sim.core.streams import RandomStreams
from elcart_sim.hosts.host import Host, Times
from elcart_sim.scenario import HostSpec, PushSpec

__all__ = ["NotificationGateway", "Push", "Delivery"]


@dataclass(frozen=True, slots=True)
class Push:
    """What a bank asks the gateway to push: ``kind`` of event (payroll_credit) and the bank."""

    kind: str
    bank_code: str


@dataclass(frozen=True, slots=True)
class Delivery:
    """How one push ended: ``outcome`` delivered | late | lost; ``delivered_at`` NaN when lost."""

    trace_id: int
    kind: str
    outcome: str
    sent_at: float
    delivered_at: float


class NotificationGateway(Host):
    hop = "notifications"

    def __init__(self, env: simpy.Environment, spec: HostSpec, push: PushSpec, streams: RandomStreams, hops: Table, notifications: Table):
        super().__init__(env, "notifications", spec, streams, hops)
        self.latency_s = streams.sampler("notifications.latency", push.latency.distribution())
        self.offline_s = streams.sampler("notifications.offline_delay", push.offline_delay.distribution())
        self.fate = streams.uniform("notifications.fate")
        self.loss_share = push.loss_share
        self.offline_share = push.offline_share
        self.late_after_s = push.late_after_s
        self._notifications = notifications

    def push(self, push: Push, trace_id: int, reply: Reply) -> None:
        """Entry: send ``push``; ``reply(Delivery)`` when it has reached the phone or is lost. The
        banks keep a push the gateway cannot take (it is down) and send it when it is back."""
        self.serve_kept(self._send, push, trace_id, reply)

    def _send(self, times: Times, push: Push, trace_id: int, reply: Reply) -> None:
        self.record_hop(trace_id, "", push.bank_code, times, "", False)
        sent_at = times[0]
        fate = self.fate()
        if fate < self.loss_share:
            self._end(push, trace_id, sent_at, math.nan, reply)
            return
        delay = self.latency_s()
        if fate < self.loss_share + self.offline_share:
            delay += self.offline_s()  # held by the push service until the phone is back
        after(self.env, delay, self._arrive, push, trace_id, sent_at, reply)

    def _arrive(self, push: Push, trace_id: int, sent_at: float, reply: Reply) -> None:
        self._end(push, trace_id, sent_at, self.env.now, reply)

    def _end(self, push: Push, trace_id: int, sent_at: float, delivered_at: float, reply: Reply) -> None:
        if math.isnan(delivered_at):
            outcome = "lost"
        else:
            outcome = "late" if delivered_at - sent_at > self.late_after_s else "delivered"
        self._notifications.append(
            trace_id=trace_id, kind=push.kind, channel="push", sent_at=sent_at, delivered_at=delivered_at, outcome=outcome
        )
        reply(Delivery(trace_id, push.kind, outcome, sent_at, delivered_at))
