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

from elcart_sim.core.clock import Handler, Reply, after, round_trip, within
from elcart_sim.protocol.fidelity import FIDELITIES, WireFormat
from elcart_sim.core.records import Table
from elcart_sim.scenario import HostSpec
from elcart_sim.core.server_pool import ServerPool
from elcart_sim.core.streams import RandomStreams, Sampler

__all__ = ["Host"]

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
