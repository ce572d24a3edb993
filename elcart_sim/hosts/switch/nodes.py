"""A switch of several active nodes: IPC's switch as ``switch.nodes`` machines, each with its own
servers, the traffic spread over those that are up, and a node lost with what it held.

Physical picture: every message the switch receives is taken by one of its live nodes — the
node numbered ``trace id mod live nodes`` among those up, so the spread is deterministic and a
payment's messages meet the same node while the set of nodes stands still — and is queued and
served there (core/server_pool.py, one pool per node). A node holds a message from its arrival
until it has answered it: while it waits for a server, while it is served, and while it waits for
the issuer's answer (or, for a reversal it passes on, the issuer's acknowledgement). When a node is lost (`lose_node`, a fault drill's ``switch_node_down``),
what it held goes with it: a request is never answered, so its acquirer times out, answers 91
and sends its reversal, which a surviving node takes; a store-and-forward message (a reversal, an
advice) is repeated by its sender after `REPEAT_AFTER_S` and taken by a survivor. The survivors
take the new traffic at once. With every node lost the switch takes nothing: requests are lost,
store-and-forward messages kept by their senders until a node is back (`restore_node`, with
empty queues). The switch's memory of the messages a lost node held (its duplicate detection,
exchanges.py) forgets them: they will never be answered, so a repeat of one is handled as new.

A message whose node is lost while the switch's HSM holds it (hsm.enabled) is handled when the
HSM answers, as if its node had lived: the HSM call lasts milliseconds.

One node (the default) is not this class: the switch is then the single pool of hosts/switch/
switch.py, and runs exactly as before. The registry counts the nodes' servers together
(`servers`), so the capacity tables read the switch as one host of nodes × servers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from elcart_sim.core.clock import Reply, after
from elcart_sim.core.errors import IsoMessageError
from elcart_sim.core.server_pool import ServerPool
from elcart_sim.hosts.host import REPEAT_AFTER_S
from elcart_sim.hosts.switch.switch import Switch

__all__ = ["SwitchNode", "NodedSwitch"]


class SwitchNode:
    """One node: its servers, whether it is up, and the messages it holds (by a token: (stored?,
    the step that serves it, its arguments))."""

    __slots__ = ("index", "pool", "up", "holding")

    def __init__(self, index: int, servers: int):
        self.index = index
        self.pool = ServerPool(f"switch.node{index}", servers)
        self.up = True
        self.holding: dict[int, tuple[bool, Callable[..., None], tuple]] = {}


class NodedSwitch(Switch):
    """The switch as ``nodes`` active nodes (see the module's docstring); built by the model when
    ``switch.nodes`` > 1, with the Switch's own arguments."""

    def __init__(self, *args: Any, nodes: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        per_node = self.pool.capacity
        self.nodes = [SwitchNode(i, per_node) for i in range(nodes)]
        self._live = list(self.nodes)
        self._serving: tuple[SwitchNode, int, bool, Callable[..., None], tuple] | None = None
        self._tokens = 0
        self._waiting: deque[tuple[bool, Callable[..., None], tuple]] = deque()  # while every node is down
        self.lost = 0  # requests lost with their node, or while every node was down
        self.repeated = 0  # store-and-forward messages their senders had to repeat

    @property
    def servers(self) -> int:
        return self.pool.capacity * len(self.nodes)

    # -- taking a message ------------------------------------------------------------------------

    def serve(self, step: Callable[..., None], *args: Any) -> None:
        self._take(False, step, args)

    def serve_stored(self, step: Callable[..., None], *args: Any) -> None:
        self._take(True, step, args)

    def serve_repeat(self, step: Callable[..., None], *args: Any) -> None:
        if self._live:  # with every node down a repeat is lost: its original waits, or its sender repeats again
            self._take(True, step, args)

    def _take(self, is_stored: bool, step: Callable[..., None], args: tuple) -> None:
        live = self._live
        if not live:
            if is_stored:
                self._waiting.append((is_stored, step, args))
            else:
                self.lost += 1
            return
        node = live[args[-2] % len(live)]
        env = self.env
        arrived = env.now
        started, finished = node.pool.schedule(arrived, self.service_time_s())
        token = self._hold(node, is_stored, step, args)
        after(env, finished - arrived, self._served, node, token, is_stored, step, (arrived, started, finished), args)

    def _hold(self, node: SwitchNode, is_stored: bool, step: Callable[..., None], args: tuple) -> int:
        self._tokens += 1
        node.holding[self._tokens] = (is_stored, step, args)
        return self._tokens

    def _served(self, node: SwitchNode, token: int, is_stored: bool, step: Callable[..., None], times: tuple, args: tuple) -> None:
        if node.holding.pop(token, None) is None:
            return  # lost with its node
        self._serving = (node, token, is_stored, step, args)
        try:
            step(times, *args)
        finally:
            self._serving = None

    def call_next_hop(self, entry: Any, message: Any, trace_id: int, on_answer: Reply, on_timeout: Callable[[], None] | None = None) -> None:
        """As the Switch's, but the node serving the message holds it until the answer or the
        timeout: if the node is lost before then, neither is acted on."""
        serving = self._serving
        if serving is None:
            super().call_next_hop(entry, message, trace_id, on_answer, on_timeout)
            return
        node, _token, is_stored, step, args = serving
        token = self._hold(node, is_stored, step, args)
        on_answer = self._while_held(node, token, on_answer)
        if on_timeout is not None:
            on_timeout = self._while_held(node, token, on_timeout)
        self._serving = None  # held once: not again by what this calls
        try:
            super().call_next_hop(entry, message, trace_id, on_answer, on_timeout)
        finally:
            self._serving = serving

    def deliver(self, entry: Any, repeat_entry: Any, message: Any, trace_id: int, on_answer: Reply) -> None:
        """As the Switch's store and forward, but the node serving the message holds it until
        the next hop acknowledges it: if the node is lost before then, the acknowledgement is
        not acted on (its sender repeats the message to a survivor)."""
        serving = self._serving
        if serving is None:
            super().deliver(entry, repeat_entry, message, trace_id, on_answer)
            return
        node, _token, is_stored, step, args = serving
        on_answer = self._while_held(node, self._hold(node, is_stored, step, args), on_answer)
        self._serving = None
        try:
            super().deliver(entry, repeat_entry, message, trace_id, on_answer)
        finally:
            self._serving = serving

    def _while_held(self, node: SwitchNode, token: int, then: Callable[..., None]) -> Callable[..., None]:
        def run(*answer: Any) -> None:
            if node.holding.pop(token, None) is not None:
                then(*answer)

        return run

    # -- losing and restoring a node -------------------------------------------------------------

    def lose_node(self, index: int) -> tuple[int, int]:
        """Node ``index`` is lost now, with what it held: (requests lost, store-and-forward
        messages their senders will repeat)."""
        node = self.nodes[index]
        if not node.up:
            return 0, 0
        node.up = False
        self._live = [n for n in self.nodes if n.up]
        held, node.holding = node.holding, {}
        lost = repeated = 0
        seen: set[int] = set()
        for is_stored, step, args in held.values():
            if id(args) in seen:  # one message held twice (served, then waiting for the issuer)
                continue
            seen.add(id(args))
            self._forget(args)
            if is_stored:
                repeated += 1
                after(self.env, REPEAT_AFTER_S, self._repeat, step, args)
            else:
                lost += 1
        self.lost += lost
        self.repeated += repeated
        return lost, repeated

    def _forget(self, args: tuple) -> None:
        """The switch's memory of a message its lost node held (exchanges.py): never to be answered,
        so its copies and repeats are handled as new."""
        try:
            request = self.wire.decode(args[-3])
        except IsoMessageError:
            return  # unreadable: it was never remembered
        self.exchanges.forget(request)

    def _repeat(self, step: Callable[..., None], args: tuple) -> None:
        self.serve_stored(step, *args)  # through the door, if a fault has one fitted

    def restore_node(self, index: int) -> None:
        """Node ``index`` is back now, with empty queues; what waited for any node goes in."""
        node = self.nodes[index]
        if node.up:
            return
        node.up = True
        node.pool = ServerPool(node.pool.name, node.pool.capacity)
        self._live = [n for n in self.nodes if n.up]
        waiting, self._waiting = self._waiting, deque()
        for is_stored, step, args in waiting:
            self._take(is_stored, step, args)
