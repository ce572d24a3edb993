"""What every host in the chain shares: servers, a service time, a timeout, and hop records.

A host (acquirer, switch, issuer) takes a message, waits for one of its servers, holds it for a
service time drawn from its own named stream, and — if it forwards the message — waits for the
next hop's answer no longer than its timeout. Each message it handles becomes one hop record.
"""

from __future__ import annotations

from collections.abc import Generator

import simpy

from elcart_sim.protocol.wire import FIDELITIES, WireFormat
from elcart_sim.records import Table
from elcart_sim.scenario import HostSpec
from elcart_sim.server_pool import ServerPool
from elcart_sim.streams import RandomStreams, Sampler

__all__ = ["Host", "TIMED_OUT", "round_trip"]

TIMED_OUT = object()  # what `await_reply` returns when the next hop did not answer in time


def round_trip(env: simpy.Environment, latency_s: Sampler, method, raw: bytes, trace_id: int):
    """SimPy process: `raw` crosses a link (one latency draw), `method(raw, trace_id)` handles it,
    and its answer crosses back (another draw)."""
    yield env.timeout(latency_s())
    answer = yield from method(raw, trace_id)
    yield env.timeout(latency_s())
    return answer


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

    def serve(self) -> Generator[simpy.Event, object, tuple[float, float, float]]:
        """Queue for a server and hold it for one service time; returns (arrived, started, finished)."""
        env = self.env
        arrived = env.now
        yield self.pool.request()
        started = env.now
        yield env.timeout(self.service_time_s())
        self.pool.release()
        return arrived, started, env.now

    def await_reply(self, reply: simpy.Process) -> Generator[simpy.Event, object, object]:
        """Wait for `reply` at most `timeout_s`; its value, or TIMED_OUT."""
        timer = self.env.timeout(self.timeout_s)
        yield reply | timer
        return reply.value if reply.triggered else TIMED_OUT

    def call_next_hop(self, method, raw: bytes, trace_id: int) -> Generator[simpy.Event, object, bytes]:
        """Carry `raw` over the link to the next hop, let `method` handle it, carry the answer back."""
        return round_trip(self.env, self.link_latency_s, method, raw, trace_id)

    def record_hop(self, trace_id: int, mti: str, times: tuple[float, float, float], response_code: str, timed_out: bool) -> None:
        arrived, started, finished = times
        responded = self.env.now
        self._hops.append(
            trace_id,
            self.hop,
            mti,
            arrived,
            started,
            finished,
            responded,
            started - arrived,
            finished - started,
            responded - arrived,
            response_code,
            int(timed_out),
        )
