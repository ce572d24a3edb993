"""What every host in the chain shares: servers, a service time, a timeout, and hop records.

A host (acquirer, switch, issuer) takes a message, waits for one of its servers, holds it for a
service time drawn from its own named stream, and — if it forwards the message — waits for the
next hop's answer no longer than its timeout. Each message it handles becomes one hop record.

Time is kept with callbacks, not a SimPy process per message: a message's journey is a chain of
steps, each run as the callback of the one event that ends the delay before it (a link latency,
a service time, a timeout), and a host hands its answer to the caller's `Reply` when the answer
is ready. A tap thus costs one event per delay it meets — about 15 — where a process per hop
cost about 31 (processes starting and ending, and a condition event per timeout). A free
server costs no event (server_pool.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import Timeout

from elcart_sim.protocol.fidelity import FIDELITIES, WireFormat
from elcart_sim.core.records import Table
from elcart_sim.scenario import HostSpec
from elcart_sim.core.server_pool import ServerPool
from elcart_sim.core.streams import RandomStreams, Sampler

__all__ = ["Host", "Reply", "after", "round_trip", "within", "discard"]

Reply = Callable[[Any], None]  # takes a host's answer (bytes or a message, per the fidelity)
Handler = Callable[[Any, int, Reply], None]  # a host method: (message, trace id, reply)


def after(env: simpy.Environment, delay_s: float, step: Callable[..., None], *args: Any) -> None:
    """Run `step(*args)` `delay_s` simulated seconds from now (one event)."""
    Timeout(env, delay_s).callbacks.append(lambda _event: step(*args))


def round_trip(env: simpy.Environment, latency_s: Sampler, method: Handler, message: Any, trace_id: int, reply: Reply) -> None:
    """`message` crosses a link (one latency draw), `method(message, trace_id, answer)` handles
    it, and its answer crosses back (another draw) to `reply`."""
    after(env, latency_s(), method, message, trace_id, lambda answer: after(env, latency_s(), reply, answer))


def within(env: simpy.Environment, timeout_s: float, on_answer: Reply, on_timeout: Callable[[], None]) -> Reply:
    """A reply that passes the answer on to `on_answer` if it comes within `timeout_s` from now;
    otherwise `on_timeout()` runs at the deadline and the late answer is dropped."""
    pending = True

    def answered(answer: Any) -> None:
        nonlocal pending
        if pending:
            pending = False
            on_answer(answer)

    def expired() -> None:
        nonlocal pending
        if pending:
            pending = False
            on_timeout()

    after(env, timeout_s, expired)
    return answered


def discard(answer: Any) -> None:
    """The reply of a message whose answer nobody waits for (a reversal sent on a timeout)."""


class Host:
    """Base of the acquirer, switch and issuer hosts."""

    hop = "host"

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        spec: HostSpec,
        streams: RandomStreams,
        hops: Table,
        link_latency_s: Sampler | None = None,
        wire: WireFormat = FIDELITIES["wire"],
    ):
        self.env = env
        self.name = name
        self.pool = ServerPool(env, name, spec.servers)
        self.service_time_s = streams.sampler(f"{name}.service_time", spec.service_time.distribution())
        self.timeout_s = spec.timeout_s
        self._hops = hops
        self.link_latency_s = link_latency_s  # one-way latency to the next hop, if any
        self.wire = wire  # how messages cross its boundaries (the run's fidelity)

    def serve(self, then: Callable[[tuple[float, float, float]], None]) -> None:
        """Queue for a server and hold it for one service time, then `then((arrived, started, finished))`."""
        env = self.env
        arrived = env.now

        def start() -> None:
            started = env.now

            def finish() -> None:
                self.pool.release()
                then((arrived, started, env.now))

            after(env, self.service_time_s(), finish)

        self.pool.request(start)

    def call_next_hop(
        self, method: Handler, message: Any, trace_id: int, on_answer: Reply, on_timeout: Callable[[], None] | None = None
    ) -> None:
        """Carry `message` over the link to the next hop, let `method` handle it, carry the answer
        back to `on_answer`. With `on_timeout`, wait no longer than `timeout_s`: if the answer is
        not back by then, call `on_timeout()` instead and drop the answer when it comes."""
        if on_timeout is not None:
            on_answer = within(self.env, self.timeout_s, on_answer, on_timeout)
        round_trip(self.env, self.link_latency_s, method, message, trace_id, on_answer)

    def record_hop(self, trace_id: int, mti: str, times: tuple[float, float, float], response_code: str, timed_out: bool) -> None:
        arrived, started, finished = times
        self._hops.append(trace_id, self.hop, mti, arrived, started, finished, self.env.now, response_code, int(timed_out))
