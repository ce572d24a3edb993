"""A fault plan applied to a built Simulation: each fault switched on at its start and off at its
end, by a callback on the SimPy clock (core/clock.after), and one `faults` record when it ends.

Physical picture: the drill's operator at the console. At ``start_s`` Aiyl Bank's host is
pulled off the network (``Host.down``, hosts/host.py): requests that reach it are lost, and the
switch's own timeout path runs (91 upstream, a reversal to the issuer), as it would for a slow
host; reversals and advices are store-and-forward: turned away too, and repeated by their senders
until the host is back and acknowledges them (core/clock.until_acknowledged). A faulty link (`LinkGate`) stands at the door of the host it leads to — or, for the
acquirer's link to the switch, which the app's services do not share, at the acquirer's sending
side — and drops a share of the messages crossing it either way, delays them, or delivers a share
of them twice, each on a random stream of its own (``faults.<link>.<i>.drop``, ``…duplicate``),
so a fault shifts no other draw. A store-and-forward ISO 8583 message the link loses, or whose
acknowledgement it loses, is repeated by its sender (0401, 0421 every `REPEAT_AFTER_S` until
acknowledged: the terminal, the ATM, the app, the acquirer and the switch alike); only a
cancellation, whose sender (the app) sends it once, is sent again by the link after
`REPEAT_AFTER_S` (`sender_repeats` off: the app_operator link). A duplicate's
answer is dropped by its sender, which has the original's. Detecting duplicates at the switch or
an issuer is not this module's: a duplicate reaches the host as any message does. A switch node
is lost and restored by the switch itself (hosts/switch/nodes.py); a biller stops answering at
its gateway (hosts/biller_gateway.py); a late clearing file is set on the clearing cycle before
the day (model/clearing_cycle.py).

A host is touched only while a fault is on: with no faults nothing here runs, and the hosts serve
exactly as without the section (hosts/host.py's door is fitted on the instance only then).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from elcart_sim.core.clock import Pending, Reply, after, discard
from elcart_sim.core.errors import ScenarioError
from elcart_sim.core.streams import RandomStreams
from elcart_sim.faults.plan import Fault, FaultPlan
from elcart_sim.hosts.host import REPEAT_AFTER_S, Host

if TYPE_CHECKING:
    from elcart_sim.model.simulation import Simulation

__all__ = ["REPEAT_AFTER_S", "LinkGate", "Injection"]

class LinkGate:
    """One faulty link: drops ``drop_share`` of the messages crossing it (each way), delays each
    crossing by ``delay_s``, delivers ``rate`` of the messages twice."""

    def __init__(
        self, env: Any, name: str, streams: RandomStreams, drop_share: float = 0.0, delay_s: float = 0.0, rate: float = 0.0,
        sender_repeats: bool = False,
    ):  # fmt: skip
        self.env = env
        self.sender_repeats = sender_repeats  # its store-and-forward senders repeat a lost message themselves (core/clock.until_acknowledged)
        self.drop_share = drop_share
        self.delay_s = delay_s
        self.rate = rate
        self._drop = streams.uniform(f"faults.{name}.drop") if drop_share else None
        self._duplicate = streams.uniform(f"faults.{name}.duplicate") if rate else None
        self.active = True
        self.dropped = self.repeated = self.duplicated = 0

    def cross(self, is_stored: bool, send: Callable[[Reply], None], reply: Reply) -> None:
        """A message crosses: ``send(reply)`` delivers it with the reply its answer takes back."""
        if not self.active:  # a repeat after the fault ended
            send(reply)
            return
        if self._drop is not None and self._drop() < self.drop_share:
            self._lost(is_stored, send, reply)
            return
        back = reply
        if self._drop is not None or self.delay_s:
            back = lambda answer: self._answer(is_stored, send, reply, answer)  # noqa: E731
        if self.delay_s:
            after(self.env, self.delay_s, send, back)
        else:
            send(back)
        if self._duplicate is not None and self._duplicate() < self.rate:
            self.duplicated += 1
            after(self.env, self.delay_s, send, discard)

    def _answer(self, is_stored: bool, send: Callable[[Reply], None], reply: Reply, answer: Any) -> None:
        if not self.active:
            reply(answer)
        elif self._drop is not None and self._drop() < self.drop_share:
            self._lost(is_stored, send, reply)
        elif self.delay_s:
            after(self.env, self.delay_s, reply, answer)
        else:
            reply(answer)

    def _lost(self, is_stored: bool, send: Callable[[Reply], None], reply: Reply) -> None:
        """A message or its answer is lost: a request's sender times out; a store-and-forward
        sender repeats it — on its own (core/clock.until_acknowledged), or, for a sender that
        sends once (a cancellation), here after `REPEAT_AFTER_S`."""
        if is_stored:
            self.repeated += 1
            if not self.sender_repeats:
                after(self.env, REPEAT_AFTER_S, self.cross, True, send, reply)
        else:
            self.dropped += 1


def _cross_all(gates: tuple[LinkGate, ...], i: int, is_stored: bool, send: Callable[[Reply], None], reply: Reply) -> None:
    if i == len(gates):
        send(reply)
    else:
        gates[i].cross(is_stored, lambda answer_to: _cross_all(gates, i + 1, is_stored, send, answer_to), reply)


def fit_sending_side(host: Host, gates: tuple[LinkGate, ...]) -> None:
    """Put ``gates`` on the link ``host`` sends over (its `send`: requests, and store-and-forward
    messages whose answer no deadline waits for), or take them off."""
    host.__dict__.pop("send", None)
    if not gates:
        return
    send_over_link = type(host).send

    def send(entry: Any, message: Any, trace_id: int, on_answer: Reply) -> None:
        go = lambda reply: send_over_link(host, entry, message, trace_id, reply)  # noqa: E731
        _cross_all(gates, 0, not isinstance(on_answer, Pending), go, on_answer)

    host.send = send  # type: ignore[method-assign]


class Injection:
    """``plan`` applied to ``simulation``: every target found now (a target the run does not have
    is a ScenarioError naming ``faults[i].target``), every start and end on the clock."""

    def __init__(self, simulation: Simulation, plan: FaultPlan):
        self.simulation = simulation
        self.env = env = simulation.env
        self.plan = plan
        self._rows = simulation.records.faults
        self._downs: Counter[int] = Counter()  # id(host) -> faults holding it down
        self._sending: dict[int, tuple[Host, tuple[LinkGate, ...]]] = {}
        self.injected: Counter[str] = Counter()
        for i, fault in enumerate(plan):
            start, end = self._actions(i, fault)
            after(env, fault.start_s, self._begin, i, fault, start, end)

    # -- the faults ----------------------------------------------------------------------------

    def _begin(self, i: int, fault: Fault, start: Callable[[], Any], end: Callable[[Any], tuple[int, int, int, float]]) -> None:
        self.injected[fault.kind] += 1
        state = start()
        started_at = self.env.now
        after(self.env, max(0.0, fault.end_s - started_at), self._end, i, fault, started_at, end, state)

    def _end(self, i: int, fault: Fault, started_at: float, end: Callable[[Any], tuple[int, int, int, float]], state: Any) -> None:
        dropped, repeated, duplicated, recovered_at = end(state)
        self._rows.append(
            fault=i,
            kind=fault.kind,
            target=fault.target,
            started_at=started_at,
            ended_at=self.env.now,
            drop_share=fault.param("drop_share"),
            delay_s=fault.param("delay_s"),
            rate=fault.param("rate"),
            node=int(fault.param("node", -1)),
            dropped=dropped,
            repeated=repeated,
            duplicated=duplicated,
            recovered_at=recovered_at,
        )

    def _actions(self, i: int, fault: Fault) -> tuple[Callable[[], Any], Callable[[Any], tuple[int, int, int, float]]]:
        """(start, end) of fault ``i``: ``start()`` switches it on and returns what ``end`` needs to
        switch it off and count what it did."""
        if fault.kind == "host_down":
            name, _, which = fault.target.partition(":")
            if name == "biller":
                return self._biller_down(i, which)
            return self._hosts_down(self._hosts(i, name, which))
        if fault.kind in ("link", "duplicates"):
            return self._link(i, fault)
        if fault.kind == "switch_node_down":
            return self._node_down(int(fault.param("node")))
        return self._clearing_late(int(fault.param("cutoff")), fault.param("delay_s"))

    def _clearing_late(self, cutoff: int, delay_s: float) -> tuple[Callable[[], Any], Callable[[Any], tuple[int, int, int, float]]]:
        """The clearing cycle told now, before the day, how late that period goes to settlement
        (model/clearing_cycle.py); on the clock there is only the record to make."""
        self.simulation.clearing.late_s[cutoff] = delay_s  # type: ignore[union-attr]  # clearing_late needs clearing.enabled

        def start() -> None:
            return None

        def end(_state: None) -> tuple[int, int, int, float]:
            return 0, 0, 0, math.nan

        return start, end

    def _node_down(self, index: int) -> tuple[Callable[[], Any], Callable[[Any], tuple[int, int, int, float]]]:
        switch = self.simulation.switch  # a NodedSwitch whenever the scenario loses a node (model/simulation.py)

        def start() -> tuple[int, int]:
            return switch.lose_node(index)  # type: ignore[attr-defined]

        def end(lost: tuple[int, int]) -> tuple[int, int, int, float]:
            switch.restore_node(index)  # type: ignore[attr-defined]
            return lost[0], lost[1], 0, math.nan

        return start, end

    def _hosts_down(self, hosts: list[Host]) -> tuple[Callable[[], Any], Callable[[Any], tuple[int, int, int, float]]]:
        def start() -> list[tuple[int, int]]:
            counts = [(host.turned_away, host.stored_lost + host.held) for host in hosts]
            for host in hosts:
                self._downs[id(host)] += 1
                host.down = True
            return counts

        def end(counts: list[tuple[int, int]]) -> tuple[int, int, int, float]:
            dropped = sum(host.turned_away - before for host, (before, _held) in zip(hosts, counts))
            repeated = sum(host.stored_lost + host.held - before for host, (_turned, before) in zip(hosts, counts))
            for host in hosts:
                self._downs[id(host)] -= 1
                if not self._downs[id(host)]:
                    host.down = False
            return dropped, repeated, 0, math.nan

        return start, end

    def _biller_down(self, i: int, biller_id: str) -> tuple[Callable[[], Any], Callable[[Any], tuple[int, int, int, float]]]:
        bills = self.simulation.bills
        biller = bills.catalogue.by_id(biller_id)
        if biller is None:
            raise ScenarioError(f"faults[{i}].target", f"is not a biller of data/billers.csv, got biller:{biller_id}")
        gateway = bills.gateways[biller.gateway]

        def start() -> None:
            gateway.biller_down(biller_id, True)

        def end(_state: None) -> tuple[int, int, int, float]:
            gateway.biller_down(biller_id, False)
            return 0, 0, 0, math.nan

        return start, end

    def _link(self, i: int, fault: Fault) -> tuple[Callable[[], Any], Callable[[Any], tuple[int, int, int, float]]]:
        name, _, which = fault.target.partition(":")
        sending = name == "acquirer_switch"
        gate = LinkGate(
            self.env, f"{fault.target}.{i}", self.simulation.streams,
            fault.param("drop_share"), fault.param("delay_s"), fault.param("rate"),
            sender_repeats=name != "app_operator",  # ISO 8583 reversals and advices: their senders repeat them (core/clock.until_acknowledged)
        )  # fmt: skip
        hosts = [self.simulation.acquirer] if sending else self._doors(i, name, which)

        def start() -> None:
            gate.active = True
            for host in hosts:
                if sending:
                    self._fit_sending(host, (*self._sending.get(id(host), (host, ()))[1], gate))
                else:
                    host.gates = (*host.gates, gate)
                    host.fit_door()

        def end(_state: None) -> tuple[int, int, int, float]:
            gate.active = False
            for host in hosts:
                if sending:
                    self._fit_sending(host, tuple(g for g in self._sending[id(host)][1] if g is not gate))
                else:
                    host.gates = tuple(g for g in host.gates if g is not gate)
                    host.fit_door()
            return gate.dropped, gate.repeated, gate.duplicated, math.nan

        return start, end

    def _fit_sending(self, host: Host, gates: tuple[LinkGate, ...]) -> None:
        self._sending[id(host)] = (host, gates)
        fit_sending_side(host, gates)

    # -- the targets ---------------------------------------------------------------------------

    def _bank_index(self, i: int, code: str) -> int:
        for bank in self.simulation.population.banks:
            if bank.code == code:
                return bank.index
        raise ScenarioError(f"faults[{i}].target", f"names no bank of {self.simulation.scenario.population.banks_file}: {code!r}")

    def _hosts(self, i: int, name: str, which: str) -> list[Host]:
        """The hosts a host_down fault named ``name[:which]`` takes down."""
        sim = self.simulation
        if name == "issuer":
            return [sim.issuers[self._bank_index(i, which)]]
        if name == "acquirer":
            return [sim.acquirer]
        if name == "switch":
            return [sim.switch]
        if name == "directory":
            return [sim.transfers.directory]
        if name == "interaction_operator":
            return [sim.interaction_operator]
        if name == "notification_gateway":
            return [sim.payroll.gateway]
        if name == "batch_posting":
            posting = sim.payroll.posting
            return [posting[self._bank_index(i, which)]] if which else list(posting.values())
        gateways = sim.bills.gateways  # biller_gateway
        if which and which not in gateways:
            raise ScenarioError(f"faults[{i}].target", f"names no biller gateway ({', '.join(gateways)}): {which!r}")
        return [gateways[which]] if which else list(gateways.values())

    def _doors(self, i: int, name: str, which: str) -> list[Host]:
        """The hosts at whose door a faulty link ``name[:which]`` ends."""
        sim = self.simulation
        if name == "terminal_acquirer":
            return [sim.acquirer]
        if name == "switch_issuer":
            return [sim.issuers[self._bank_index(i, which)]] if which else list(sim.issuers.values())
        if name == "app_directory":
            return [sim.transfers.directory]
        if name == "app_gateway":
            return list(sim.bills.gateways.values())
        return [sim.interaction_operator]  # app_operator


def inject(simulation: Simulation, plan: Iterable[Fault]) -> Injection | None:
    """Apply ``plan`` to ``simulation``; None, and nothing touched, for an empty plan."""
    plan = tuple(plan)
    return Injection(simulation, plan) if plan else None
