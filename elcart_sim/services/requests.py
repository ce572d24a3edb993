"""A request to the app's money services, from the sender's confirmation to its one final state.

Physical picture: whatever the service — a transfer between cards, a bill or a top-up, a
transfer to a bank account, a merchant QR payment — the app's back end holds one record of the
request while it is in flight: who pays, how much and the fee, the legs' response codes, who
receives it. When the request reaches its final state (completed, declined: nothing moved, or
reversed: the money back) it is written once to the `transfers` table and the caller is told.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy

from elcart_sim.core.records import Table
from elcart_sim.world.population import Population

__all__ = ["TransferResult", "InFlight", "RequestLog"]


@dataclass(frozen=True, slots=True)
class TransferResult:
    """How one request ended: ``outcome`` completed | declined | reversed, the response code
    and words of the step that decided it (``decided_by``: qr, limits, directory, reference,
    debit, credit)."""

    trace_id: int
    outcome: str
    response_code: str
    reason: str
    decided_by: str


class InFlight:
    """One request in flight: its trace id, the service and channel the record names, the card
    that pays (``payer``), the amount and fee, the debit leg and the codes of both legs, and who
    receives it (``receiver_bank``; ``biller_id`` and ``category`` for a bill or top-up).
    A service adds what only it needs by subclassing."""

    __slots__ = ("trace_id", "service", "channel", "payer", "amount_tyiyn", "fee_tyiyn", "requested_at", "debit", "debit_code",
                 "credit_code", "receiver_bank", "biller_id", "category", "then")  # fmt: skip

    def __init__(
        self, trace_id: int, service: str, channel: str, payer: int, amount_tyiyn: int, requested_at: float,
        then: Callable[[TransferResult], None] | None,
    ):  # fmt: skip
        self.trace_id = trace_id
        self.service = service
        self.channel = channel
        self.payer = payer
        self.amount_tyiyn = amount_tyiyn
        self.fee_tyiyn = 0
        self.requested_at = requested_at
        self.debit: dict[str, Any] | None = None
        self.debit_code = self.credit_code = ""
        self.receiver_bank = self.biller_id = self.category = ""
        self.then = then


class RequestLog:
    """Where the app's requests end: one `transfers` row each, and the caller's ``then``."""

    def __init__(self, env: simpy.Environment, population: Population, transfers: Table):
        self.env = env
        self.population = population
        self._transfers = transfers

    def end(self, request: InFlight, outcome: str, code: str, reason: str, decided_by: str) -> None:
        """``request`` has reached its final state: record it (a fee only when completed), tell the caller."""
        self._transfers.append(
            trace_id=request.trace_id,
            service=request.service,
            channel=request.channel,
            requested_at=request.requested_at,
            result_at=self.env.now,
            outcome=outcome,
            response_code=code,
            reason=reason,
            decided_by=decided_by,
            amount_tyiyn=request.amount_tyiyn,
            fee_tyiyn=request.fee_tyiyn if outcome == "completed" else 0,
            sender_issuer=self.population.bank_of_card(request.payer).code,
            receiver_issuer=request.receiver_bank,
            debit_code=request.debit_code,
            credit_code=request.credit_code,
            biller_id=request.biller_id,
            category=request.category,
        )
        if request.then is not None:
            request.then(TransferResult(request.trace_id, outcome, code, reason, decided_by))
