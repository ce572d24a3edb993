"""Servers and queues: a host's identical servers with one FIFO queue, and a checkout lane.

A host (acquirer, switch, issuer) serves each message for a service time drawn when it
arrives. With one FIFO queue in front of ``c`` identical servers, a message starts when the
earliest of the servers is free (or now, if one is), in order of arrival — so its start and end
are known the moment it arrives, and `ServerPool.schedule` returns them at once: one event per
service, at its end, whether the message waited or not. The pool keeps only the servers' free
times; how busy it was and how long its queue got are read from the hop records afterwards
(analysis/occupancy.py), which hold every message's arrival, start and end.

A checkout `Lane` is held by one customer until their payment has ended, which nobody knows in
advance: the next customer gets it when it is released.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from heapq import heapreplace

from elcart_sim.core.errors import ConfigurationError

__all__ = ["ServerPool", "Lane"]


class ServerPool:
    """``capacity`` identical servers in front of one FIFO queue."""

    __slots__ = ("name", "capacity", "_free_at", "served")

    def __init__(self, name: str, capacity: int):
        if type(capacity) is not int or capacity <= 0:
            raise ConfigurationError(f"{name}: capacity must be a whole number > 0, got {capacity!r}")
        self.name = name
        self.capacity = capacity
        self._free_at = [0.0] * capacity  # a heap: when each server is next free
        self.served = 0

    def schedule(self, arrived_at: float, service_s: float) -> tuple[float, float]:
        """(started_at, finished_at) of a message arriving at ``arrived_at`` that needs
        ``service_s``: it takes the server that is free first, when it is free."""
        free_at = self._free_at[0]
        started_at = arrived_at if arrived_at >= free_at else free_at
        finished_at = started_at + service_s
        heapreplace(self._free_at, finished_at)
        self.served += 1
        return started_at, finished_at


class Lane:
    """A checkout lane: one customer at a time, the others wait in line."""

    __slots__ = ("name", "busy", "_waiting")

    def __init__(self, name: str):
        self.name = name
        self.busy = False
        self._waiting: deque[Callable[[], None]] | None = None  # made on the first wait: most lanes never queue

    def request(self, then: Callable[[], None]) -> None:
        """Call ``then()`` when the lane is this customer's: now if it is free."""
        if not self.busy:
            self.busy = True
            then()
            return
        if self._waiting is None:
            self._waiting = deque()
        self._waiting.append(then)

    def release(self) -> None:
        """The customer leaves; the next in line steps up now."""
        if self._waiting:
            self._waiting.popleft()()
        else:
            self.busy = False

    @property
    def queue_length(self) -> int:
        return len(self._waiting) if self._waiting else 0
