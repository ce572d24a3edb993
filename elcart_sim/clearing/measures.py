"""How well settlement went: the liquidity each bank needed, how long payments waited, what was
left unsettled, and how much settled by offsetting.

Physical picture: give every bank enough liquidity and each payment settles the moment it
arrives — the upper bound, per bank the deepest its balance would sink below its opening
balance over the day's payments in order. Settle everything once at the end of the day, net,
and a bank needs only its net debit — the lower bound. A design with queues and offsetting
lies between the two. The delay indicator ρ weighs each payment's wait by its value: 0 when
all settle on arrival, 1 when none settles before the close. The share settled by offset tells
how much the liquidity-saving mechanism did.

Sources: the liquidity bounds and the delay indicator of the Bank of Finland's simulator
literature (Leinonen and Soramäki); the share of value settled by offset as the Reserve Bank
of Australia calibrated it (docs/sources.md, "Clearing and settlement").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from elcart_sim.clearing.settlement import Payment, Rtgs, SettledPayment
from elcart_sim.core.errors import SettlementError

__all__ = ["LiquidityBounds", "liquidity_bounds", "delay_indicator", "unsettled_value_tyiyn", "offset_share"]


class LiquidityBounds(NamedTuple):
    """A bank's liquidity need: ``upper_tyiyn`` lets every payment settle on arrival,
    ``lower_tyiyn`` is its net debit over all of them (what end-of-day net settlement needs)."""

    upper_tyiyn: int
    lower_tyiyn: int


def liquidity_bounds(payments: Sequence[Payment]) -> dict[str, LiquidityBounds]:
    """Each bank's upper and lower bound of liquidity over ``payments`` (in submission order).

    >>> cycle = [Payment("1", "A", "B", 10, 0.0), Payment("2", "B", "C", 10, 1.0), Payment("3", "C", "A", 10, 2.0)]
    >>> liquidity_bounds(cycle)["A"]
    LiquidityBounds(upper_tyiyn=10, lower_tyiyn=0)
    """
    running: dict[str, int] = {}
    deepest: dict[str, int] = {}
    for p in sorted(payments, key=lambda p: p.submitted_at):
        running[p.payer] = running.get(p.payer, 0) - p.amount_tyiyn
        running[p.payee] = running.get(p.payee, 0) + p.amount_tyiyn
        deepest[p.payer] = min(deepest.get(p.payer, 0), running[p.payer])
        deepest.setdefault(p.payee, 0)
    return {bank: LiquidityBounds(-deepest[bank], max(0, -running[bank])) for bank in sorted(running)}


def delay_indicator(settled: Iterable[SettledPayment], queued: Iterable[Payment], close_at: float) -> float:
    """ρ = Σ value × (settled − submitted) / Σ value × (close − submitted), a payment still queued
    counting as settled at the close; 0 when there is nothing to wait for.

    >>> p = Payment("1", "A", "B", 10, 0.0)
    >>> delay_indicator([SettledPayment(p, 50.0, False)], [], close_at=100.0)
    0.5
    """
    waited = possible = 0.0
    for s in settled:
        p = s.payment
        waited += p.amount_tyiyn * (s.settled_at - p.submitted_at)
        possible += p.amount_tyiyn * (max(close_at, s.settled_at) - p.submitted_at)
    for p in queued:
        if close_at < p.submitted_at:
            raise SettlementError(f"close_at {close_at} s is before payment {p.payment_id} was submitted ({p.submitted_at} s)")
        waited += p.amount_tyiyn * (close_at - p.submitted_at)
        possible += p.amount_tyiyn * (close_at - p.submitted_at)
    return waited / possible if possible > 0 else 0.0


def unsettled_value_tyiyn(rtgs: Rtgs) -> int:
    """The value still waiting: queued payments plus the batches' net value not moved (a queued
    batch counts until it settles)."""
    latest = {outcome.batch_id: outcome for outcome in rtgs.batches}
    return sum(p.amount_tyiyn for p in rtgs.queue) + sum(o.unsettled_tyiyn for o in latest.values())


def offset_share(settled: Iterable[SettledPayment]) -> float:
    """The share of settled value that settled by offsetting (0 when nothing settled)."""
    total = by_offset = 0
    for s in settled:
        total += s.payment.amount_tyiyn
        by_offset += s.payment.amount_tyiyn if s.by_offset else 0
    return by_offset / total if total else 0.0
