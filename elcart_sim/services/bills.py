"""Bill payments and mobile top-ups from ELKART Mobile: one service, since a top-up is a bill whose
reference is a phone number.

Physical picture: a cardholder opens "Payments", picks a biller (a MegaCom top-up, the
electricity of Bishkek, a loan at a bank), types the reference the biller knows them by and an
amount. The service at IPC first checks the reference against the catalogue
(world/billers.validate_reference: a top-up's number must be a mobile number of the biller's
operator, any other reference must have the biller's form); a reference it refuses is a decline
(14, the words say why) and nothing is sent. Then:

    debit     0200, DE3 500000 (payment from account), DE48 ``BILL <biller> <reference>``
              → the switch → the payer's issuer, which debits the card ("bill_payment")
    posting   `BillPosting` → the biller's gateway (hosts/biller_gateway.py) → the biller
    credit    on the gateway's confirmation: the biller's bank (world/bank_accounts.bank_of_biller)
              pays the biller's account from its ELKART settlement position ("bill_credit")

If the debit is declined, nothing moved. If the gateway answers that the biller did not answer
(91), or no answer comes within ``services.bills.timeout_s`` (68: the gateway is down or slow),
the debit is undone with a reversal advice (0420) and the payment ends reversed, the money back.
A confirmation that comes after the service stopped waiting is dropped: the biller is credited
only by a confirmation the service accepted, so a reversed payment never leaves the biller paid.
Each payment is one row of the `transfers` table (service topup or bill).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

from elcart_sim.core.clock import round_trip
from elcart_sim.core.records import Table
from elcart_sim.core.streams import Sampler
from elcart_sim.hosts.biller_gateway import BillerGatewayHost, BillPosting, GatewayAnswer
from elcart_sim.money import accounts
from elcart_sim.money.ledger import Ledger
from elcart_sim.protocol.iso8583 import ProcessingCode, ResponseCode
from elcart_sim.protocol.iso8583.service_data import bill_data, is_printable_reference
from elcart_sim.services.legs import AppLegs, response_words
from elcart_sim.services.requests import InFlight, RequestLog, TransferResult
from elcart_sim.world.bank_accounts import bank_of_biller
from elcart_sim.world.billers import Biller, BillerCatalogue, validate_reference
from elcart_sim.world.msisdn import parse_msisdn
from elcart_sim.world.population import Population

__all__ = ["BillService", "FeeOf"]

FeeOf = Callable[[str, str, int], int]  # (service, channel, amount_tyiyn) -> fee_tyiyn
_TOO_LATE = ResponseCode.RESPONSE_RECEIVED_TOO_LATE.value
_BAD_REFERENCE = ResponseCode.INVALID_CARD_NUMBER.value  # 14: the reference designates no account
_GATEWAY_WORDS = {"91": "biller did not answer", "30": "biller gateway could not read the posting", _TOO_LATE: "biller gateway did not answer in time"}


class _Payment(InFlight):
    """One payment in flight: the biller (None when the catalogue has none by that id) and the
    reference as the payer typed it."""

    __slots__ = ("biller", "reference")

    def __init__(self, trace_id: int, payer: int, biller: Biller | None, reference: str, amount_tyiyn: int, requested_at: float, then: Any):
        topup = biller is not None and biller.reference_kind == "msisdn"
        super().__init__(trace_id, "topup" if topup else "bill", "phone" if topup else "reference", payer, amount_tyiyn, requested_at, then)
        self.biller = biller
        self.reference = reference
        if biller is not None:
            self.biller_id, self.category = biller.biller_id, biller.category


class BillService:
    """Validate the reference, debit the payer, post to the biller's gateway, credit the biller."""

    def __init__(
        self,
        env: simpy.Environment,
        catalogue: BillerCatalogue,
        population: Population,
        gateways: dict[str, BillerGatewayHost],
        legs: AppLegs,
        gateway_latency_s: Sampler,
        ledger: Ledger,
        transfers: Table,
        fee_of: FeeOf,
    ):
        self.env = env
        self.catalogue = catalogue
        self.population = population
        self.gateways = gateways  # by gateway id
        self.legs = legs
        self.gateway_latency_s = gateway_latency_s
        self.ledger = ledger
        self.log = RequestLog(env, population, transfers)
        self.fee_of = fee_of
        self.clearing: Any = None  # model/clearing_cycle.ClearingCycle when the scenario's clearing is enabled

    def start(
        self, trace_id: int, payer: int, biller_id: str, reference: str, amount_tyiyn: int, then: Callable[[TransferResult], None] | None = None
    ) -> None:
        """Start one payment now from card ``payer`` to ``biller_id`` for ``reference`` (as the
        payer typed it); ``then(result)`` when it has ended."""
        biller = self.catalogue.by_id(biller_id)
        payment = _Payment(trace_id, payer, biller, reference, amount_tyiyn, self.env.now, then)
        if biller is None:
            self._end(payment, "declined", ResponseCode.INVALID_TRANSACTION.value, f"no biller {biller_id!r} in the catalogue", "reference")
            return
        refusal = _refusal(biller, reference)
        if refusal:
            self._end(payment, "declined", _BAD_REFERENCE, refusal, "reference")
            return
        if biller.reference_kind == "msisdn":
            payment.reference = parse_msisdn(reference).digits  # as DE48 and the biller carry it
        payment.fee_tyiyn = self.fee_of(payment.service, payment.channel, amount_tyiyn)
        pan = self.population.pan(payer)
        payment.debit = debit = self.legs.request(
            trace_id, pan, ProcessingCode.PAYMENT, amount_tyiyn, bill_data(biller.biller_id, payment.reference), payment.fee_tyiyn
        )
        self.legs.send(trace_id, debit, lambda answer: self._debited(payment, answer), lambda: self._failed(payment, _TOO_LATE, "debit"))

    def _debited(self, payment: _Payment, response: dict[str, Any]) -> None:
        payment.debit_code = code = response["39"]
        if code != "00":
            self._end(payment, "declined", code, response_words(code), "debit")
            return
        biller = payment.biller
        posting = BillPosting(biller.biller_id, payment.reference, payment.amount_tyiyn, payment.debit["37"])
        reply = self.legs.expect(lambda answer: self._answered(payment, answer), lambda: self._failed(payment, _TOO_LATE, "credit"))
        round_trip(self.env, self.gateway_latency_s, self.gateways[biller.gateway].post, posting, payment.trace_id, reply)

    def _answered(self, payment: _Payment, answer: GatewayAnswer) -> None:
        payment.credit_code = answer.code
        if answer.code != "00":
            self._failed(payment, answer.code, "credit")
            return
        bank = self._bank(payment).code
        self.ledger.post(
            accounts.elkart_settlement(bank),
            accounts.biller(bank, payment.biller.biller_id),
            payment.amount_tyiyn,
            kind="bill_credit",
            trace_id=payment.trace_id,
            at=self.env.now,
        )
        if self.clearing is not None:
            self.clearing.credited(payment.trace_id, "bill_credit", bank, payment.amount_tyiyn)
        self._end(payment, "completed", "00", "", "credit")

    def _failed(self, payment: _Payment, code: str, step: str) -> None:
        """The debit (or the gateway) was not answered in time, or the gateway refused: reverse the
        debit, then end reversed once the reversal is acknowledged."""
        if step == "debit":
            payment.debit_code = code
            words = "debit: " + response_words(code)
        else:
            payment.credit_code = code
            words = _GATEWAY_WORDS.get(code, response_words(code))
        reason = f"{words}; debit reversed"
        self.legs.reverse(payment.trace_id, payment.debit, lambda _answer: self._end(payment, "reversed", code, reason, step))

    def _bank(self, payment: _Payment):
        return bank_of_biller(payment.biller.biller_id, self.population.banks)

    def _end(self, payment: _Payment, outcome: str, code: str, reason: str, decided_by: str) -> None:
        if payment.biller is not None:
            payment.receiver_bank = self._bank(payment).code
        self.log.end(payment, outcome, code, reason, decided_by)


def _refusal(biller: Biller, reference: str) -> str:
    """Why ``biller`` cannot take ``reference`` ('' when it can)."""
    if not is_printable_reference(reference):
        return f"{biller.name} expects {biller.reference_label}: a reference is 1 to 40 printable ASCII characters"
    return validate_reference(biller, reference) or ""
