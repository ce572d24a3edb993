"""A bank's batch posting: the core banking system working through a salary or pension credit
file, one credit after another.

Physical picture: an employer or the Social Fund hands the bank a file listing cardholders and
amounts. The bank's core system posts it with a few workers (``servers``), each credit taking
one service time: the payer's funding account is debited, the cardholder's deposit credited
(`payroll_credit`, money/accounts.py). Files wait their turn in one FIFO queue, credit by
credit, in the order they arrived. This is not the issuer's authorisation host: a batch run
works apart from the online host (thousands of postings queued in front of the taps would hold
every payment up for minutes), so it has servers of its own (`services.payroll.posting`).

Every credit becomes one hop record (`hop` "payroll", no message type, `issuer` the bank) with
the file's arrival as its arrival. A file of a hundred thousand credits is held as two arrays,
and only as many credits as there are servers are on the clock at once: when one is posted, the
next is taken — the times are those of the whole file queued at once (core/server_pool.py).
A core system that is down (a fault drill: ``down``, host.py) takes no credit; its files wait,
and their credits are posted when it is back.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import simpy

from elcart_sim.core.clock import after
from elcart_sim.core.ids import TraceIds
from elcart_sim.core.records import Table
from elcart_sim.core.streams import RandomStreams
from elcart_sim.hosts.host import Host
from elcart_sim.money import accounts
from elcart_sim.money.ledger import Ledger
from elcart_sim.scenario import HostSpec
from elcart_sim.world.population import Bank

__all__ = ["BatchPostingHost", "CreditFile"]

Posted = Callable[[int, int, int], None]  # (trace id, card, amount_tyiyn) of a credit just posted


@dataclass
class CreditFile:
    """A payer's credits at one bank: ``cards`` and ``amounts_tyiyn`` side by side (any
    sequences of ints), from the payer's funding account ``payer_id``; ``posted`` is called for
    each credit once it is on the books."""

    payer_id: str
    cards: Sequence[int]
    amounts_tyiyn: Sequence[int]
    posted: Posted
    arrived_at: float = 0.0
    next: int = 0  # the first credit not yet taken by a server


class BatchPostingHost(Host):
    hop = "payroll"

    def __init__(self, env: simpy.Environment, bank: Bank, spec: HostSpec, ledger: Ledger, streams: RandomStreams, hops: Table, trace_ids: TraceIds):
        super().__init__(env, f"payroll.{bank.code}", spec, streams, hops)
        self.bank = bank
        self.ledger = ledger
        self.trace_ids = trace_ids
        self._files: deque[CreditFile] = deque()
        self._on_the_clock = 0  # credits taken by a server and not yet posted

    def receive_file(self, credits: CreditFile) -> None:
        """Entry: a credit file arrives now; its credits queue behind any earlier file's."""
        credits.arrived_at = self.env.now
        if len(credits.cards):
            self._files.append(credits)
            self._take()

    def fit_door(self) -> None:
        """A core system that is down (a fault drill) takes no credit: the files wait."""
        if self.down:
            self._take = _wait  # type: ignore[method-assign]
        else:
            self.__dict__.pop("_take", None)

    def came_up(self) -> None:
        self._take()

    def _take(self) -> None:
        """Give every free server the next credit in the queue."""
        env, files = self.env, self._files
        while files and self._on_the_clock < self.pool.capacity:
            credits = files[0]
            i = credits.next
            credits.next += 1
            if credits.next == len(credits.cards):
                files.popleft()
            started, finished = self.pool.schedule(env.now, self.service_time_s())  # now: the file may have waited for the host (down)
            self._on_the_clock += 1
            after(env, finished - env.now, self._post, credits, i, self.trace_ids(), (credits.arrived_at, started, finished))

    def _post(self, credits: CreditFile, i: int, trace_id: int, times: tuple[float, float, float]) -> None:
        self._on_the_clock -= 1
        card, amount = int(credits.cards[i]), int(credits.amounts_tyiyn[i])
        code = self.bank.code
        self.ledger.post(
            accounts.payroll_funding(code, credits.payer_id), accounts.cardholder(code, card), amount,
            kind="payroll_credit", trace_id=trace_id, at=self.env.now,
        )  # fmt: skip
        self.record_hop(trace_id, "", code, times, "00", False)
        self._take()
        credits.posted(trace_id, card, amount)


def _wait() -> None:
    """`_take` while the core system is down: the files wait in their queue."""
