"""A message's journey on the SimPy clock: timed steps run as callbacks, not a process per message.

Physical picture: a message crosses a link, waits for a server, is served, and its answer comes
back; each of those delays ends with one SimPy event, and the step after it runs as that event's
callback. `after` schedules one step, `round_trip` a request and its answer over a link, and
`Deadlines` gives answers a deadline. A tap meets about a dozen delays and costs one event each.

A step is the lightest event SimPy can run: `Environment.step` pops an event, calls its
callbacks and checks `_ok`, and that is all a `_Step` offers — no value, no triggering, no
process to resume. A deadline costs no event of its own: the answers a party waits for are
queued in the order they were asked for (one timeout per party, so that is also deadline order),
and one wake-up at the oldest open deadline fires every timeout that has come due. Most answers
come back in milliseconds, so a party with a 15-second timeout wakes about once in 15 seconds,
however many messages it sends.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import simpy
from simpy.events import NORMAL

__all__ = ["Reply", "Handler", "REPEAT_AFTER_S", "after", "round_trip", "until_acknowledged", "discard", "Deadlines", "Pending"]

Reply = Callable[[Any], None]  # takes an answer (bytes or a message, per the fidelity)
Handler = Callable[[Any, int, Reply], None]  # a host's entry: (message, trace id, reply)

REPEAT_AFTER_S = 30.0
"""How long a store-and-forward sender waits for an acknowledgement before it repeats a message
(jPOS's store-and-forward default before a first retry, docs/sources.md) [E]."""


def _run_step(step: _Step) -> None:
    step.function(*step.args)


_RUN_STEP = (_run_step,)  # every step's callbacks: SimPy iterates them and never changes the tuple


class _Step:
    """One scheduled step: a SimPy event whose one callback runs ``function(*args)``."""

    __slots__ = ("callbacks", "function", "args")
    _ok = True  # read by Environment.step: the event succeeded


def after(env: simpy.Environment, delay_s: float, function: Callable[..., None], *args: Any) -> None:
    """Run ``function(*args)`` ``delay_s`` simulated seconds from now (one event)."""
    step = _Step()
    step.callbacks = _RUN_STEP
    step.function = function
    step.args = args
    env.schedule(step, NORMAL, delay_s)


def round_trip(env: simpy.Environment, latency_s: Callable[[], float], entry: Handler, message: Any, trace_id: int, reply: Reply) -> None:
    """``message`` crosses a link (one latency draw) to ``entry(message, trace_id, answer)``, and
    the answer crosses back (another draw) to ``reply``."""
    after(env, latency_s(), entry, message, trace_id, lambda answer: after(env, latency_s(), reply, answer))


def until_acknowledged(
    env: simpy.Environment, repeat_after_s: float, send: Callable[[Any, Reply], None], first: Any, repeat: Any, on_answer: Reply
) -> None:
    """Store and forward, as every sender of a reversal or an advice does it: ``send(first,
    answer)`` now and, while no answer has come, ``send(repeat, answer)`` every ``repeat_after_s``
    (one event per attempt). The first answer to any attempt goes to ``on_answer``; later ones
    are dropped. ``first`` and ``repeat`` are whatever ``send`` needs (an entry and its message)."""
    answered = [False]

    def answer(response: Any) -> None:
        if not answered[0]:
            answered[0] = True
            on_answer(response)

    def attempt(what: Any) -> None:
        if not answered[0]:
            send(what, answer)
            after(env, repeat_after_s, attempt, repeat)

    attempt(first)


def discard(answer: Any) -> None:
    """The reply of a message whose answer nobody waits for (a reversal sent on a timeout)."""


class Pending:
    """An answer a party waits for: called with the answer, it passes it on if it came before the
    deadline; at the deadline, if none came, the party's ``on_timeout`` runs instead. Exactly
    one of the two happens; a late answer is dropped. At the deadline itself the timeout wins."""

    __slots__ = ("deadline", "on_answer", "on_timeout", "open", "_env")

    def __init__(self, env: simpy.Environment, deadline: float, on_answer: Reply, on_timeout: Callable[[], None]):
        self._env = env
        self.deadline = deadline
        self.on_answer = on_answer
        self.on_timeout = on_timeout
        self.open = True

    def __call__(self, answer: Any) -> None:
        if self.open and self._env.now < self.deadline:
            self.open = False
            self.on_answer(answer)


class Deadlines:
    """The answers one party waits for, each for at most ``timeout_s``."""

    __slots__ = ("env", "timeout_s", "_waiting", "_awake_at")

    def __init__(self, env: simpy.Environment, timeout_s: float):
        self.env = env
        self.timeout_s = timeout_s
        self._waiting: deque[Pending] = deque()
        self._awake_at: float | None = None  # when the wake-up is scheduled, if one is

    def expect(self, on_answer: Reply, on_timeout: Callable[[], None]) -> Pending:
        """A reply that passes the answer to ``on_answer`` if it comes within the timeout from now;
        otherwise ``on_timeout()`` runs at the deadline and the late answer is dropped."""
        pending = Pending(self.env, self.env.now + self.timeout_s, on_answer, on_timeout)
        self._waiting.append(pending)
        if self._awake_at is None:
            self._wake_at(pending.deadline)
        return pending

    def _wake_at(self, deadline: float) -> None:
        self._awake_at = deadline
        after(self.env, deadline - self.env.now, self._wake)

    def _wake(self) -> None:
        """Fire every open deadline that has come, forget the answered ones, sleep until the next."""
        self._awake_at = None
        waiting = self._waiting
        now = self.env.now
        while waiting:
            head = waiting[0]
            if head.open and head.deadline > now:
                self._wake_at(head.deadline)
                return
            waiting.popleft()
            if head.open:
                head.open = False
                head.on_timeout()

    def __len__(self) -> int:
        """Answers asked for and not yet forgotten (answered ones leave at the next wake-up)."""
        return len(self._waiting)
