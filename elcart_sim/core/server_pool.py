"""A pool of identical servers with one FIFO queue: the capacity of every host in the chain.

`request(then)` calls `then()` as soon as a server is the requester's — at once when one is
free, else when the requester reaches the head of the queue; `release()` hands the server to the
next in line. It is a counter and a deque of callbacks, not `simpy.Resource`: the same FIFO
semantics without an event per request (docs/sources.md, measured: seize and
release fall from microseconds to tens of nanoseconds, and a free server costs no event). The pool keeps the time
integrals of busy servers and queue length, so utilisation and mean queue length are exact,
and Little's law can be checked per component.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import simpy

__all__ = ["ServerPool"]


class ServerPool:
    __slots__ = ("env", "name", "capacity", "busy", "_waiting", "_busy_area", "_queue_area", "_last", "max_queue", "served")

    def __init__(self, env: simpy.Environment, name: str, capacity: int):
        if capacity <= 0:
            raise ValueError(f"{name}: capacity must be > 0, got {capacity}")
        self.env = env
        self.name = name
        self.capacity = capacity
        self.busy = 0
        self._waiting: deque[Callable[[], None]] | None = None  # made on the first wait: most lanes never queue
        self._busy_area = 0.0
        self._queue_area = 0.0
        self._last = env.now
        self.max_queue = 0
        self.served = 0

    def _account(self) -> None:
        now = self.env.now
        elapsed = now - self._last
        if elapsed:
            self._busy_area += self.busy * elapsed
            if self._waiting:
                self._queue_area += len(self._waiting) * elapsed
            self._last = now

    def request(self, then: Callable[[], None]) -> None:
        """Call `then()` when one of the servers is this requester's: now if one is free."""
        self._account()
        if self.busy < self.capacity:
            self.busy += 1
            then()
        else:
            waiting = self._waiting
            if waiting is None:
                waiting = self._waiting = deque()
            waiting.append(then)
            if len(waiting) > self.max_queue:
                self.max_queue = len(waiting)

    def release(self) -> None:
        """Give the server back; the longest waiter gets it now."""
        self._account()
        self.served += 1
        if self._waiting:
            self._waiting.popleft()()
        else:
            self.busy -= 1

    def areas(self) -> tuple[float, float]:
        """Time integrals so far of busy servers and of queue length (server-s, request-s)."""
        self._account()
        return self._busy_area, self._queue_area

    @property
    def queue_length(self) -> int:
        return len(self._waiting) if self._waiting else 0

    def statistics(self, duration_s: float) -> dict[str, float]:
        """Time-averaged figures over [0, duration_s] (call at the end of the run)."""
        self._account()
        return {
            "servers": self.capacity,
            "served": self.served,
            "utilisation": self._busy_area / (self.capacity * duration_s) if duration_s > 0 else 0.0,
            "mean_busy": self._busy_area / duration_s if duration_s > 0 else 0.0,
            "mean_queue": self._queue_area / duration_s if duration_s > 0 else 0.0,
            "max_queue": self.max_queue,
        }
