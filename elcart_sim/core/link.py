"""A link between two parties with a bandwidth: each direction a serial line, one message at a
time.

Physical picture: a leased line from the acquirer to IPC, or from IPC to a bank, clocks a
message out bit by bit: n bytes hold the line for n × 8 ÷ `bits_per_s` seconds (its
transmission time), and a message that finds the line busy waits behind those before it, in
the order they were sent (FIFO, as core/server_pool.py's one server). Once out, it travels for
the link's latency (one draw per message, as a link without bandwidth). Each direction is a
line of its own: requests go out on one, answers come back on the other. A message costs one
event, at its arrival (core/clock.after): its start and end on the line are known when it is
sent, since the line is FIFO. A terminal's own link (`serial=False`) only ever carries one
payment's messages, so it adds the transmission time and never queues.

`size_of` gives a message's length in bytes: the fidelity's `size` (protocol/iso8583/wire.py),
the bytes themselves at `wire`, the length they would have at `fast`, so both fidelities see
the same times. A link without a bandwidth is no `Link`: its party keeps the bare latency
sampler (core/clock.round_trip), and nothing here runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

from elcart_sim.core.clock import Handler, Reply, after
from elcart_sim.core.errors import ConfigurationError

__all__ = ["Link", "OUT", "BACK"]

OUT, BACK = 0, 1  # the request's direction and the answer's


class Link:
    """A link named `name`: latency drawn by `latency_s`, `bits_per_s` each way, messages
    measured by `size_of`. Counts what each direction carried: `messages`, `bytes` and
    `busy_s` (time on the line), indexed by OUT and BACK."""

    __slots__ = ("env", "name", "latency_s", "bits_per_s", "size_of", "serial", "_free_at", "messages", "bytes", "busy_s")

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        latency_s: Callable[[], float],
        bits_per_s: float,
        size_of: Callable[[Any], int],
        *,
        serial: bool = True,
    ):
        if not bits_per_s > 0:
            raise ConfigurationError(f"{name}: bits_per_s must be > 0, got {bits_per_s!r}")
        self.env = env
        self.name = name
        self.latency_s = latency_s
        self.bits_per_s = float(bits_per_s)
        self.size_of = size_of
        self.serial = serial
        self._free_at = [0.0, 0.0]  # when each direction's line is next free
        self.messages = [0, 0]
        self.bytes = [0, 0]
        self.busy_s = [0.0, 0.0]

    def transmission_s(self, size_bytes: int) -> float:
        """How long a message of `size_bytes` holds the line."""
        return size_bytes * 8.0 / self.bits_per_s

    def delay_s(self, direction: int, message: Any) -> float:
        """From now until `message`, sent now in `direction`, has arrived at the far end: its wait
        for the line, its transmission, one latency draw."""
        now = self.env.now
        size = self.size_of(message)
        transmission = size * 8.0 / self.bits_per_s
        free_at = self._free_at[direction]
        started = now if now >= free_at or not self.serial else free_at
        if self.serial:
            self._free_at[direction] = started + transmission
        self.messages[direction] += 1
        self.bytes[direction] += size
        self.busy_s[direction] += transmission
        return started + transmission - now + self.latency_s()

    def round_trip(self, entry: Handler, message: Any, trace_id: int, reply: Reply) -> None:
        """``message`` crosses the link to ``entry(message, trace_id, answer)``, and the answer
        crosses back to ``reply`` (core/clock.round_trip over a line with a bandwidth)."""
        env = self.env
        after(env, self.delay_s(OUT, message), entry, message, trace_id, lambda answer: after(env, self.delay_s(BACK, answer), reply, answer))

    def utilisation(self, duration_s: float) -> float:
        """The busier direction's share of `duration_s` on the line."""
        return max(self.busy_s) / duration_s if duration_s > 0 else 0.0
