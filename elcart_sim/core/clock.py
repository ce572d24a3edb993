"""A message's journey on the SimPy clock: timed steps run as callbacks, not a process per message.

Physical picture: a message crosses a link, waits for a server, is served, and its answer comes
back; each of those delays ends with one SimPy event, and the step after it is that event's
callback. `after` schedules one step, `round_trip` a request and its answer over a link, `within`
gives an answer a deadline. A tap meets about fifteen delays and costs one event for each.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import Timeout

__all__ = ["Reply", "Handler", "after", "round_trip", "within", "discard"]

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
