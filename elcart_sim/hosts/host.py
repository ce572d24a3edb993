"""What every host in the chain shares: servers, a service time, a timeout, entries that read any
message, and hop records.

A host (acquirer, switch, issuer) takes a message, waits for one of its servers, holds it for a
service time drawn from its own named stream, and — if it forwards the message — waits for the
next hop's answer no longer than its timeout. Each message it handles becomes one hop record.

Every entry reads what arrives before it acts: a message that does not decode, or decodes to
another message type than the entry takes (a 0110 sent where a 0100 is expected), or lacks a
mandatory field, is answered with a format error (DE39 30) and recorded like any other; nothing
a sender puts on the wire ends the run.

A host may carry its messages over links with a bandwidth (`connect`, core/link.py): a next
hop's link then adds each message's transmission time, and its queue when the line is busy.

A host may use an HSM pool (`use_hsm`, hosts/hsm.py): a message its entry has read, of a type
the host makes HSM calls for, queues that many calls at the HSM when the host's own service
ends, and is handled when the HSM has answered (a message that is not read calls no HSM); the
host's hop record keeps its own service times, the HSM's call is a hop record of the HSM's.

A host may be down (`down`, a fault drill's: faults/injection.py): it then takes no new message.
A request that arrives is dropped unanswered — its sender times out, as it would if the host were
slow — and so is a store-and-forward message (a reversal, an advice: `stored`) and its repeats:
its sender repeats it (0401, 0421, 0121) every `REPEAT_AFTER_S` until it is acknowledged
(core/clock.until_acknowledged; `deliver` here), so the first repeat after the host is back is
taken. Only what a sender sends once (a cancellation, a push: `serve_kept`) is kept by the down
host and served when it is back, in the order it came. What the host already holds it finishes.
Faults at its door (`gates`: a faulty link into it) see each message before the host does. A host
with no fault pays nothing for this: the door is fitted on the instance (the `serve*` methods
shadowed) only while a fault is on.

Time is kept with callbacks (core/clock.py): serving a message is one event at the end of its
service — its start is known on arrival, since the queue is FIFO (core/server_pool.py) — and a
deadline costs no event of its own (`Deadlines`).
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable
from typing import Any

import simpy

from elcart_sim.core.clock import REPEAT_AFTER_S, Deadlines, Handler, Reply, after, round_trip, until_acknowledged
from elcart_sim.core.errors import IsoMessageError
from elcart_sim.core.link import Link
from elcart_sim.core.records import Table
from elcart_sim.core.server_pool import ServerPool
from elcart_sim.core.streams import RandomStreams, Sampler
from elcart_sim.hosts.hsm import Hsm
from elcart_sim.protocol.fidelity import FIDELITIES, WireFormat
from elcart_sim.protocol.iso8583 import messages
from elcart_sim.protocol.iso8583.repeats import as_repeat
from elcart_sim.scenario import HostSpec

__all__ = ["Host", "Times", "entry", "stored", "REPEAT_AFTER_S"]

Times = tuple[float, float, float]  # (arrived_at, started_at, finished_at) of one service

_REQUEST, _STORED, _REPEAT, _KEPT = 0, 1, 2, 3  # what arrives at a host's door (Host._through)


def stored(mti: str) -> bool:
    """Whether messages of type ``mti`` are store-and-forward: a reversal (message class 4) or an
    advice (message function 2), which its sender repeats until it is acknowledged (ISO 8583:1987)."""
    return mti[1] == "4" or mti[2] == "2"


def entry(mti: str) -> Callable[[Callable[..., None]], Callable[[Host, Any, int, Reply], None]]:
    """A host's entry for messages of type ``mti``. The method it decorates, ``handle(self,
    times, request, payload, trace_id, reply)``, becomes the entry ``(payload, trace_id, reply)``
    another party calls: the payload queues for a server, is read when served (`Host.admit`: what
    the entry cannot take is answered with a format error), and the request read from it is
    handled (with the payload as received, for a host that passes it on unchanged)."""

    def decorate(handle: Callable[..., None]) -> Callable[[Host, Any, int, Reply], None]:
        def read(times: Times, host: Host, payload: Any, trace_id: int, reply: Reply) -> None:
            request = host.admit(payload, mti, trace_id, times, reply)
            if request is not None:
                calls = host.hsm_calls_for(request) if host.hsm_calls else None
                if calls:  # the HSM's answer first (Host.use_hsm)
                    host.hsm.call(calls, mti, trace_id, _after_hsm, handle, host, times, request, payload, trace_id, reply)  # type: ignore[union-attr]
                else:
                    handle(host, times, request, payload, trace_id, reply)

        if stored(mti) and mti[3] == "1":  # a repeat (0401, 0421, 0121)

            @functools.wraps(handle)
            def receive(self: Host, payload: Any, trace_id: int, reply: Reply) -> None:
                self.serve_repeat(read, self, payload, trace_id, reply)

        elif stored(mti):

            @functools.wraps(handle)
            def receive(self: Host, payload: Any, trace_id: int, reply: Reply) -> None:
                self.serve_stored(read, self, payload, trace_id, reply)

        else:

            @functools.wraps(handle)
            def receive(self: Host, payload: Any, trace_id: int, reply: Reply) -> None:
                self.serve(read, self, payload, trace_id, reply)

        return receive

    return decorate


class Host:
    """Base of the acquirer, switch and issuer hosts."""

    hop = "host"
    links: dict[object, Link] | None = None  # None: every next hop over the bare latency (Host.connect)
    hsm: Hsm | None = None
    hsm_calls: dict[str, int] = {}  # HSM calls per message type (MTI); empty: no HSM (the class's, shared, never changed)
    # A fault drill's (faults/injection.py); the class's while no fault touches the host.
    _down = False
    gates: tuple = ()  # faults at the door, in the order a message meets them: each has `cross(stored, send, reply)`
    _held: deque | None = None  # messages kept for when the host is back (`serve_kept`)
    turned_away = 0  # requests dropped at the door while down
    stored_lost = 0  # store-and-forward messages dropped at the door while down (originals): their senders repeat them
    held = 0  # messages kept while down (`serve_kept`)

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
        self.pool = ServerPool(name, spec.servers)
        self.service_time_s = streams.sampler(f"{name}.service_time", spec.service_time.distribution())
        self.deadlines = Deadlines(env, spec.timeout_s)
        self._hops = hops
        self.link_latency_s = link_latency_s  # one-way latency to the next hop, if any
        self.wire = wire  # how messages cross its boundaries (the run's fidelity)

    @property
    def timeout_s(self) -> float:
        return self.deadlines.timeout_s

    def serve(self, step: Callable[..., None], *args: Any) -> None:
        """Queue for a server and hold it for one service time, then ``step((arrived, started,
        finished), *args)``: one event, at the end of the service. The last two of ``args`` are
        the message's trace id and the reply its sender waits on (what a fault at the door reads)."""
        env = self.env
        arrived = env.now
        started, finished = self.pool.schedule(arrived, self.service_time_s())
        after(env, finished - arrived, step, (arrived, started, finished), *args)

    serve_stored = serve  # `serve` for a store-and-forward message (`stored`): the same, unless the host is down
    serve_repeat = serve  # `serve` for a store-and-forward message's repeat: the same, unless the host is down
    serve_kept = serve  # `serve` for a message whose sender sends it once (a cancellation, a push): kept while the host is down

    # -- faults at the door ----------------------------------------------------------------------

    @property
    def servers(self) -> int:
        """The host's servers, as the registry counts them."""
        return self.pool.capacity

    @property
    def down(self) -> bool:
        """True while the host takes no new message (a fault drill's; see the module's docstring)."""
        return self._down

    @down.setter
    def down(self, down: bool) -> None:
        if down == self._down:
            return
        self._down = down
        if down and self._held is None:
            self._held = deque()
        self.fit_door()
        if not down:
            self.came_up()

    def fit_door(self) -> None:
        """Shadow the `serve*` methods with the door while the host is down or has gates;
        otherwise let the class's own methods answer again."""
        shadows = self.__dict__
        for name in ("serve", "serve_stored", "serve_repeat", "serve_kept"):
            shadows.pop(name, None)
        if self._down or self.gates:
            self.serve = functools.partial(self._at_door, _REQUEST)
            self.serve_stored = functools.partial(self._at_door, _STORED)
            self.serve_repeat = functools.partial(self._at_door, _REPEAT)
            self.serve_kept = functools.partial(self._at_door, _KEPT)

    def came_up(self) -> None:
        """Serve what was kept while the host was down, in the order it came."""
        held, self._held = self._held, deque()
        serve_kept = type(self).serve_kept
        while held:
            step, args = held.popleft()
            serve_kept(self, step, *args)

    def _at_door(self, kind: int, step: Callable[..., None], *args: Any) -> None:
        self._through(self.gates, 0, kind, step, args)

    def _through(self, gates: tuple, i: int, kind: int, step: Callable[..., None], args: tuple) -> None:
        """The message ``args`` (its last two: trace id, reply) of ``kind`` (_REQUEST, _STORED,
        _REPEAT, _KEPT) past gate ``i`` onwards, then in."""
        if i < len(gates):
            gates[i].cross(kind != _REQUEST, lambda reply: self._through(gates, i + 1, kind, step, (*args[:-1], reply)), args[-1])
        elif not self._down:
            (type(self).serve, type(self).serve_stored, type(self).serve_repeat, type(self).serve_kept)[kind](self, step, *args)
        elif kind == _KEPT:
            self.held += 1
            self._held.append((step, args))  # type: ignore[union-attr]
        elif kind == _REQUEST:
            self.turned_away += 1
        elif kind == _STORED:
            self.stored_lost += 1  # (its repeats, turned away too until the host is back, are not counted again)

    def connect(self, links: dict[object, Link]) -> None:
        """Carry messages to each next hop over its link with a bandwidth (core/link.py), keyed
        by the next hop (the host whose entry is called)."""
        self.links = links

    def use_hsm(self, hsm: Hsm, calls: dict[str, int]) -> None:
        """Call ``hsm`` ``calls[mti]`` times for each message of type ``mti`` the host reads (after
        its own service, before the message is handled)."""
        self.hsm = hsm
        self.hsm_calls = {mti: n for mti, n in calls.items() if n > 0}

    def hsm_calls_for(self, request: Any) -> int:
        """HSM calls for a message this host has read (`use_hsm`'s count for its MTI); a host
        that calls its HSM for some messages of a type only says which here."""
        return self.hsm_calls.get(request["t"], 0)

    def admit(self, payload: Any, mti: str, trace_id: int, times: Times, reply: Reply) -> Any | None:
        """The message ``payload`` decoded, if it is one this entry takes (MTI ``mti``); else the
        sender gets a format error (DE39 30), the hop is recorded, and None is returned."""
        try:
            request = self.wire.decode(payload)
        except IsoMessageError:
            request = None
        if request is not None and request["t"] == mti:
            return request
        self.record_hop(trace_id, mti, "", times, "30", False)
        reply(self.wire.encode(messages.format_error_response(mti, trace_id)))
        return None

    def call_next_hop(
        self, entry: Handler, message: Any, trace_id: int, on_answer: Reply, on_timeout: Callable[[], None] | None = None
    ) -> None:
        """Carry ``message`` over the link to the next hop's ``entry``, carry the answer back to
        ``on_answer``. With ``on_timeout``, wait no longer than the host's timeout: if the answer
        is not back by then, call ``on_timeout()`` instead and drop the answer when it comes."""
        if on_timeout is not None:
            on_answer = self.deadlines.expect(on_answer, on_timeout)
        self.send(entry, message, trace_id, on_answer)

    def send(self, entry: Handler, message: Any, trace_id: int, on_answer: Reply) -> None:
        """Carry ``message`` over the link to the next hop's ``entry`` and its answer back to
        ``on_answer``: the bare latency, or the link with a bandwidth (`connect`)."""
        if self.links is None:
            round_trip(self.env, self.link_latency_s, entry, message, trace_id, on_answer)
        else:
            self.links[entry.__self__].round_trip(entry, message, trace_id, on_answer)  # type: ignore[attr-defined]

    def deliver(self, entry: Handler, repeat_entry: Handler, message: Any, trace_id: int, on_answer: Reply) -> None:
        """Store and forward: carry ``message`` (a reversal, read as a dict) to the next hop's
        ``entry`` until it is acknowledged — without an acknowledgement within
        `REPEAT_AFTER_S`, send it again as a repeat (last MTI digit 1, to ``repeat_entry``),
        and so on. The first answer to any attempt goes to ``on_answer``; later ones are dropped."""
        encode = self.wire.encode

        def send(attempt: tuple[Handler, Any], answer: Reply) -> None:
            self.call_next_hop(attempt[0], encode(attempt[1]), trace_id, answer)  # (through any fault on the link)

        until_acknowledged(self.env, REPEAT_AFTER_S, send, (entry, message), (repeat_entry, as_repeat(message)), on_answer)

    def record_hop(self, trace_id: int, mti: str, issuer: str, times: Times, response_code: str, timed_out: bool) -> None:
        arrived, started, finished = times
        self._hops.append(
            trace_id=trace_id,
            hop=self.hop,
            mti=mti,
            issuer=issuer,
            arrived_at=arrived,
            started_at=started,
            finished_at=finished,
            responded_at=self.env.now,
            response_code=response_code,
            timed_out=int(timed_out),
        )


def _after_hsm(_answered_at: float, handle: Callable[..., None], *args: Any) -> None:
    handle(*args)
