"""Duplicate detection at the switch: the requests it has been sent, by the original's data elements.

Physical picture: the switch keeps each reversal it takes (and each repeat), and with
``switch.duplicates: all`` each authorisation and financial request too, under its key (DE37, DE11, DE7, DE32: protocol/iso8583/repeats.py) while
it is being handled and for ``window_s`` after it was answered. A second copy of it in that time
— a duplicate the link delivered twice, or the sender's repeat (0101, 0401, 0421) — is not
handled again: it waits for the original's answer if there is none yet and then gets the same,
or gets the answer at once from memory (an original lost with a switch node is forgotten,
`forget`, and a later copy is handled in its place); one that says something else than the original under
the same key (another card, processing code, amount or currency) is refused with DE39 94
(duplicate transmission) and goes no further. So nothing the switch relays is forwarded,
cleared or reversed twice. (The issuer keeps its own memory, all day: hosts/issuer.py.)
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import simpy

from elcart_sim.core.clock import Reply
from elcart_sim.protocol.iso8583.repeats import ORIGINAL_MTI, fingerprint

__all__ = ["Exchange", "Exchanges"]


class Exchange:
    """One request being handled, or answered: calling it with the answer passes the answer on
    to the sender, and to every duplicate that has waited for it."""

    __slots__ = ("reply", "answer", "fields", "waiting", "_memory", "_key")

    def __init__(self, memory: Exchanges, key: str, fields: tuple[str, ...], reply: Reply):
        self.reply: Reply | None = reply
        self.answer: Any = None
        self.fields = fields
        self.waiting: list[Callable[[Any], None]] | None = None
        self._memory = memory
        self._key = key

    def __call__(self, answer: Any) -> None:
        self.answer = answer
        self._memory.answered(self._key, self)
        reply, self.reply = self.reply, None  # kept no longer than needed: only the answer is remembered
        reply(answer)
        if self.waiting:
            for duplicate in self.waiting:
                duplicate(answer)
            self.waiting = None


class Exchanges:
    """The switch's memory of requests, by message class (an 0100 and its repeat 0101 are one
    class; an 0400 and the 0100 it reverses are two) and key."""

    def __init__(self, env: simpy.Environment, window_s: float, requests: bool = False):
        self.env = env
        self.window_s = window_s
        self.requests = requests  # whether 0100s and 0200s are remembered too, not only reversals and repeats
        self._by_key: dict[str, Exchange] = {}
        self._forget: deque[tuple[float, str]] = deque()  # (when, key), in answering order

    def admit(self, request: Mapping[str, Any], reply: Reply, duplicate: Callable[[Mapping[str, Any], str | None, Any], None]) -> Exchange | None:
        """The new exchange of ``request`` — its reply, to answer it through — or None when it is a
        copy of one the switch has: then ``duplicate(request, None, answer)`` gets the original's
        answer (at once, or when it comes), or ``duplicate(request, "94", None)`` is called for a
        copy that changed the original's fields."""
        now = self.env.now
        forget = self._forget
        by_key = self._by_key
        while forget and forget[0][0] <= now:
            by_key.pop(forget.popleft()[1], None)
        key = _key(request)
        known = by_key.get(key)
        if known is None:
            exchange = by_key[key] = Exchange(self, key, fingerprint(request), reply)
            return exchange
        if known.fields != fingerprint(request):
            duplicate(request, "94", None)
        elif known.answer is not None:
            duplicate(request, None, known.answer)
        else:
            if known.waiting is None:
                known.waiting = []
            known.waiting.append(lambda answer: duplicate(request, None, answer))
        return None

    def forget(self, request: Mapping[str, Any]) -> None:
        """``request`` will never be answered (the switch node that held it was lost:
        hosts/switch/nodes.py): a copy of it that comes later is handled as new."""
        self._by_key.pop(_key(request), None)

    def answered(self, key: str, exchange: Exchange) -> None:
        if self._by_key.get(key) is exchange:  # (a copy may have taken a forgotten original's place)
            self._forget.append((self.env.now + self.window_s, key))

    def __len__(self) -> int:
        return len(self._by_key)


def _key(request: Mapping[str, Any]) -> str:
    """The message class and the original's data elements, side by side (fixed widths but DE32's, last)."""
    mti = request["t"]
    return f"{ORIGINAL_MTI.get(mti, mti)}{request['37']}{request['11']}{request['7']}{request.get('32', '')}"
