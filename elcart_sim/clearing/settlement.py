"""The National Bank's gross settlement system: settlement accounts, payments settled one by one
in order, queues, gridlock and its resolution by offsetting, and net batches settled at once.

Physical picture: every bank holds one settlement account at the National Bank, opened each day
with its liquidity. A payment between banks settles at once, final and whole, when the payer's
balance covers it; otherwise it waits in the payer's queue, first in first out, until incoming
payments or fresh liquidity (``fund``) cover it. When payments wait and none of the queues'
first payments can settle, the system is in gridlock even if, settled together, they would
need little or no liquidity: offsetting settles the queued payments simultaneously, each bank
paying only its net debit over them; when some bank cannot cover even that, the largest payment
it sends is left in the queue and the rest tried again (partial netting).

A clearing period's batch settles the other way: its multilateral net positions all at once,
net debtors paying in and net creditors being paid. A net debtor without cover meets the
scenario's rule: ``queue`` holds the whole batch until liquidity arrives; ``partial`` settles
what the debtors' balances allow, creditors paid pro rata; ``exclude`` takes the bank's
records out of the batch and nets the rest again (a re-netting may uncover another bank, which
is then excluded too).

The balances only move between accounts: their sum changes only by ``fund``.

Sources: the National Bank's gross settlement system (final, per payment, FIFO) and batch
clearing (positions at the end of each period settled in the gross system); queues, gridlock,
bilateral and multilateral offsetting and partial netting as in the Bank of Finland's simulator
(BoF-PSS2) and TARGET2's liquidity-saving mechanisms (docs/sources.md, "Clearing and settlement").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from elcart_sim.clearing.netting import Obligations, multilateral_positions
from elcart_sim.core.errors import SettlementError
from elcart_sim.scenario.choices import UNCOVERED_RULES

__all__ = ["Payment", "SettledPayment", "BatchOutcome", "Rtgs", "pro_rata"]


@dataclass(frozen=True, slots=True)
class Payment:
    """One interbank payment: ``payer`` pays ``payee`` ``amount_tyiyn``, submitted at
    ``submitted_at`` (seconds since local midnight)."""

    payment_id: str
    payer: str
    payee: str
    amount_tyiyn: int
    submitted_at: float

    def __post_init__(self) -> None:
        if isinstance(self.amount_tyiyn, bool) or not isinstance(self.amount_tyiyn, int) or self.amount_tyiyn <= 0:
            raise SettlementError(f"payment {self.payment_id}: amount_tyiyn must be a positive integer, got {self.amount_tyiyn!r}")
        if self.payer == self.payee:
            raise SettlementError(f"payment {self.payment_id}: payer and payee are both {self.payer}")


@dataclass(frozen=True, slots=True)
class SettledPayment:
    """A payment settled at ``settled_at``, on its own or (``by_offset``) together with others."""

    payment: Payment
    settled_at: float
    by_offset: bool


@dataclass(frozen=True)
class BatchOutcome:
    """What became of a batch: ``status`` settled | partial | queued | offset (a queued batch
    settled with others by ``offset_batches``); ``due_tyiyn`` the positions
    to settle (multilateral, before any exclusion), ``settled_tyiyn`` what each bank was paid
    (negative: paid in); ``excluded_banks`` under the exclude rule; ``unsettled_tyiyn`` the net
    value not moved, ½ Σ |due − settled|."""

    batch_id: str
    status: str
    submitted_at: float
    settled_at: float | None
    due_tyiyn: dict[str, int]
    settled_tyiyn: dict[str, int]
    excluded_banks: tuple[str, ...] = ()

    @property
    def unsettled_tyiyn(self) -> int:
        return sum(abs(due - self.settled_tyiyn.get(bank, 0)) for bank, due in self.due_tyiyn.items()) // 2


def pro_rata(total_tyiyn: int, claims_tyiyn: Mapping[str, int]) -> dict[str, int]:
    """``total_tyiyn`` shared in proportion to ``claims_tyiyn`` in whole tyiyn: each its floor,
    then one more tyiyn to the largest remainders (ties to the bank code first in order).

    >>> pro_rata(10, {"A": 1, "B": 1, "C": 1})
    {'A': 4, 'B': 3, 'C': 3}
    """
    claimed = sum(claims_tyiyn.values())
    if claimed == 0:
        return {bank: 0 for bank in claims_tyiyn}
    shares = {bank: total_tyiyn * claim // claimed for bank, claim in claims_tyiyn.items()}
    left = total_tyiyn - sum(shares.values())
    by_remainder = sorted(claims_tyiyn, key=lambda bank: (-(total_tyiyn * claims_tyiyn[bank] % claimed), bank))
    for bank in by_remainder[:left]:
        shares[bank] += 1
    return shares


@dataclass
class _PendingBatch:
    batch_id: str
    obligations: Obligations
    submitted_at: float


@dataclass
class Rtgs:
    """The gross settlement system: settlement accounts (``balances_tyiyn``), the queue of
    payments waiting for cover (FIFO per payer), what settled, and the batches' outcomes in the
    order they happened (a queued batch appears again when it settles)."""

    balances_tyiyn: dict[str, int]
    queue: list[Payment] = field(default_factory=list)
    settled: list[SettledPayment] = field(default_factory=list)
    batches: list[BatchOutcome] = field(default_factory=list)
    _pending: list[_PendingBatch] = field(default_factory=list)

    @classmethod
    def opened(cls, opening_tyiyn: Mapping[str, int]) -> Rtgs:
        """Accounts opened with the day's liquidity (non-negative integer tyiyn per bank)."""
        for bank, amount in opening_tyiyn.items():
            if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
                raise SettlementError(f"opening liquidity of {bank} must be a non-negative integer of tyiyn, got {amount!r}")
        return cls(dict(opening_tyiyn))

    # -- accounts ------------------------------------------------------------------------------

    def total_tyiyn(self) -> int:
        return sum(self.balances_tyiyn.values())

    def _check_banks(self, banks: Iterable[str]) -> None:
        for bank in banks:
            if bank not in self.balances_tyiyn:
                raise SettlementError(f"{bank} has no settlement account at the gross settlement system")

    def fund(self, bank: str, amount_tyiyn: int, at_s: float) -> None:
        """Liquidity arrives from outside (a transfer from reserves, intraday credit); queued
        payments and batches it covers settle."""
        self._check_banks([bank])
        if amount_tyiyn <= 0:
            raise SettlementError(f"liquidity added to {bank} must be positive, got {amount_tyiyn!r}")
        self.balances_tyiyn[bank] += amount_tyiyn
        self.release(at_s)

    def _move(self, payer: str, payee: str, amount: int) -> None:
        self.balances_tyiyn[payer] -= amount
        self.balances_tyiyn[payee] += amount

    # -- gross settlement ----------------------------------------------------------------------

    def submit(self, payment: Payment) -> bool:
        """A payment enters: settled at once (True) when its payer has nothing queued and its
        balance covers it, else queued behind the payer's earlier payments."""
        self._check_banks([payment.payer, payment.payee])
        blocked = any(q.payer == payment.payer for q in self.queue)
        if not blocked and self.balances_tyiyn[payment.payer] >= payment.amount_tyiyn:
            self._settle(payment, payment.submitted_at, by_offset=False)
            return True
        self.queue.append(payment)
        return False

    def _settle(self, payment: Payment, at_s: float, *, by_offset: bool) -> None:
        self._move(payment.payer, payment.payee, payment.amount_tyiyn)
        self.settled.append(SettledPayment(payment, at_s, by_offset))

    def release(self, at_s: float) -> int:
        """Settle queued payments one by one, each payer's in order, until none can; then the
        queued batches now covered. Returns how many payments settled."""
        count = 0
        progress = True
        while progress:
            progress = False
            blocked: set[str] = set()
            for payment in list(self.queue):
                if payment.payer in blocked:
                    continue
                if self.balances_tyiyn[payment.payer] >= payment.amount_tyiyn:
                    self.queue.remove(payment)
                    self._settle(payment, at_s, by_offset=False)
                    count += 1
                    progress = True
                else:
                    blocked.add(payment.payer)
        self._retry_batches(at_s)
        return count

    def is_gridlocked(self) -> bool:
        """Payments wait and not one payer can settle the first payment of its queue."""
        heads: dict[str, Payment] = {}
        for payment in self.queue:
            heads.setdefault(payment.payer, payment)
        return bool(heads) and all(self.balances_tyiyn[p.payer] < p.amount_tyiyn for p in heads.values())

    def offset(self, at_s: float) -> list[Payment]:
        """Multilateral offsetting of the queue: its payments settle together when every bank's
        balance covers its net debit over them; while one cannot, the largest payment it sends
        is left queued (partial netting). Returns the payments settled."""
        chosen = list(self.queue)
        while chosen:
            net = self._net(chosen)
            short = [bank for bank, value in net.items() if self.balances_tyiyn[bank] + value < 0]
            if not short:
                break
            drop = max((p for p in chosen if p.payer in short), key=lambda p: (p.amount_tyiyn, -chosen.index(p)))
            chosen.remove(drop)
        for payment in chosen:
            self.queue.remove(payment)
            self._settle(payment, at_s, by_offset=True)
        return chosen

    @staticmethod
    def _net(payments: Iterable[Payment]) -> dict[str, int]:
        net: dict[str, int] = {}
        for p in payments:
            net[p.payer] = net.get(p.payer, 0) - p.amount_tyiyn
            net[p.payee] = net.get(p.payee, 0) + p.amount_tyiyn
        return net

    # -- net batches ---------------------------------------------------------------------------

    def settle_batch(self, batch_id: str, obligations: Obligations, rule: str, at_s: float) -> BatchOutcome:
        """Settle a closed batch's multilateral net positions at ``at_s`` under ``rule`` (queue |
        partial | exclude) for a net debtor without cover. A batch submitted again with the same
        positions is a resend: its outcome is returned and nothing moves; with other positions it
        is refused (Mojaloop's "modified request")."""
        if rule not in UNCOVERED_RULES:
            raise SettlementError(f"the rule for a bank without cover must be one of {', '.join(UNCOVERED_RULES)}, got {rule!r}")
        due = multilateral_positions(obligations)
        earlier = self.outcome(batch_id)
        if earlier is not None:
            if earlier.due_tyiyn != due:
                raise SettlementError(f"batch {batch_id} was submitted before with other positions: {earlier.due_tyiyn} then {due}")
            return earlier
        self._check_banks(due)
        if not self._uncovered(due):
            return self._record(BatchOutcome(batch_id, "settled", at_s, at_s, due, self._post(due)))
        if rule == "queue":
            self._pending.append(_PendingBatch(batch_id, obligations, at_s))
            return self._record(BatchOutcome(batch_id, "queued", at_s, None, due, {}))
        if rule == "partial":
            return self._record(BatchOutcome(batch_id, "partial", at_s, at_s, due, self._post_partial(due)))
        excluded: list[str] = []
        remaining = obligations
        while uncovered := self._uncovered(positions := multilateral_positions(remaining)):
            excluded += uncovered
            remaining = remaining.without(uncovered)
        return self._record(BatchOutcome(batch_id, "settled", at_s, at_s, due, self._post(positions), tuple(sorted(excluded))))

    def outcome(self, batch_id: str) -> BatchOutcome | None:
        """The latest outcome of batch ``batch_id`` (a queued batch later settled has two), or None."""
        return next((o for o in reversed(self.batches) if o.batch_id == batch_id), None)

    def _record(self, outcome: BatchOutcome) -> BatchOutcome:
        self.batches.append(outcome)
        return outcome

    def _uncovered(self, positions: Mapping[str, int]) -> list[str]:
        return sorted(bank for bank, value in positions.items() if self.balances_tyiyn[bank] + value < 0)

    def _post(self, positions: Mapping[str, int]) -> dict[str, int]:
        for bank, value in positions.items():
            self.balances_tyiyn[bank] += value
        return dict(positions)

    def _post_partial(self, due: Mapping[str, int]) -> dict[str, int]:
        paid_in = {bank: min(-value, self.balances_tyiyn[bank]) for bank, value in due.items() if value < 0}
        paid_out = pro_rata(sum(paid_in.values()), {bank: value for bank, value in due.items() if value > 0})
        settled = {bank: -paid_in.get(bank, 0) + paid_out.get(bank, 0) for bank in due}
        return self._post(settled)

    def batches_gridlocked(self) -> bool:
        """Two or more batches wait under the queue rule and not one can settle on its own: the
        batch-level gridlock (``is_gridlocked`` is the payment-level one)."""
        return len(self._pending) > 1 and all(self._uncovered(multilateral_positions(p.obligations)) for p in self._pending)

    def offset_batches(self, at_s: float) -> list[BatchOutcome]:
        """Offset the queued batches: they settle together when every bank's balance covers its
        net debit over all of them; while one cannot, the latest batch is left queued (partial
        netting, as ``offset`` leaves the largest payment). Each batch settled so has an
        outcome with status ``offset``; returns them."""
        chosen = list(self._pending)
        while len(chosen) > 1:
            net: dict[str, int] = {}
            for pending in chosen:
                for bank, value in multilateral_positions(pending.obligations).items():
                    net[bank] = net.get(bank, 0) + value
            if not self._uncovered(net):
                break
            chosen.pop()
        if len(chosen) < 2:
            return []
        settled = []
        for pending in chosen:  # together: the balances may dip below zero between two only on paper
            self._pending.remove(pending)
            due = multilateral_positions(pending.obligations)
            settled.append(self._record(BatchOutcome(pending.batch_id, "offset", pending.submitted_at, at_s, due, self._post(due))))
        return settled

    def _retry_batches(self, at_s: float) -> None:
        for pending in list(self._pending):
            due = multilateral_positions(pending.obligations)
            if self._uncovered(due):
                continue
            self._pending.remove(pending)
            self.batches.append(BatchOutcome(pending.batch_id, "settled", pending.submitted_at, at_s, due, self._post(due)))
