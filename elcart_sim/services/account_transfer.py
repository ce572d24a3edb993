"""Transfers from an ELKART card to a bank account (commission-free), through the interaction operator.

Physical picture: a sender in ELKART Mobile types a 16-digit bank account number — at any
member bank — and an amount. The service at IPC reads the number (world/bank_accounts.py: the
bank's code, the check digit); a number it refuses is a decline (14, the words say why) and
nothing is sent. Then:

    debit     0200, DE3 100000 (as a P2P debit leg), DE48 ``ACCT <account number>``
              → the switch → the sender's issuer, which debits the card ("transfer_debit")
    credit    `AccountCredit` → the interaction operator (hosts/interaction_operator.py), which
              posts the receiving bank's settlement position → the account ("transfer_credit")

No ISO 8583 credit leg: the operator is NBKR's system, not a card issuer. If the debit is
declined, nothing moved. If the operator refuses, or does not answer within
``services.account_transfers.timeout_s`` (68), the service cancels the credit (a
`CreditCancellation`, delivered however long it takes: the operator undoes a credit it posted,
or refuses one still to come) and reverses the debit (0420); the transfer ends reversed, the
money back. Each transfer is one row of the `transfers` table (service account, channel account).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

from elcart_sim.core.clock import discard, round_trip
from elcart_sim.core.records import Table
from elcart_sim.core.streams import Sampler
from elcart_sim.hosts.interaction_operator import AccountCredit, CreditCancellation, InteractionOperatorHost, OperatorAnswer
from elcart_sim.protocol.iso8583 import ProcessingCode, ResponseCode
from elcart_sim.protocol.iso8583.service_data import account_data
from elcart_sim.services.bills import FeeOf
from elcart_sim.services.legs import AppLegs, response_words
from elcart_sim.services.requests import InFlight, RequestLog, TransferResult
from elcart_sim.world.bank_accounts import read_account_number
from elcart_sim.world.population import Population

__all__ = ["AccountTransferService", "PaymentInFlight"]

_TOO_LATE = ResponseCode.RESPONSE_RECEIVED_TOO_LATE.value
_OPERATOR_WORDS = {_TOO_LATE: "interaction operator did not answer in time", "05": "credit refused: cancelled", "30": "interaction operator could not read the credit"}


class PaymentInFlight(InFlight):
    """One transfer (or merchant QR payment) in flight: ``account_number`` is what is credited
    (an account number, a merchant id); ``receiver_bank`` the bank that credits it."""

    __slots__ = ("account_number",)

    def __init__(self, trace_id: int, service: str, channel: str, sender: int, account_number: str, amount_tyiyn: int, requested_at: float,
                 then: Any):  # fmt: skip
        super().__init__(trace_id, service, channel, sender, amount_tyiyn, requested_at, then)
        self.account_number = account_number


class AccountTransferService:
    """Read the account number, debit the sender, have the interaction operator credit the account."""

    service = channel = "account"  # the transfers table's labels

    def __init__(
        self,
        env: simpy.Environment,
        population: Population,
        operator: InteractionOperatorHost,
        legs: AppLegs,
        operator_latency_s: Sampler,
        transfers: Table,
        fee_of: FeeOf,
    ):
        self.env = env
        self.population = population
        self.operator = operator
        self.legs = legs
        self.operator_latency_s = operator_latency_s
        self.log = RequestLog(env, population, transfers)
        self.fee_of = fee_of

    def start(self, trace_id: int, sender: int, account_number: str, amount_tyiyn: int, then: Callable[[TransferResult], None] | None = None) -> None:
        """Start one transfer now from card ``sender`` to ``account_number`` (as typed); ``then(result)`` when it has ended."""
        transfer = PaymentInFlight(trace_id, self.service, self.channel, sender, account_number, amount_tyiyn, self.env.now, then)
        bank, why = read_account_number(account_number, self.population.banks)
        if bank is None:
            self._end(transfer, "declined", ResponseCode.INVALID_CARD_NUMBER.value, why, "reference")
            return
        transfer.receiver_bank = bank.code
        transfer.account_number = number = account_number.replace(" ", "")
        transfer.fee_tyiyn = self.fee_of("account", "account", amount_tyiyn)
        pan = self.population.pan(sender)
        transfer.debit = debit = self.legs.request(trace_id, pan, ProcessingCode.TRANSFER_DEBIT, amount_tyiyn, account_data(number), transfer.fee_tyiyn)
        self.legs.send(trace_id, debit, lambda answer: self._debited(transfer, answer), lambda: self._failed(transfer, _TOO_LATE, "debit"))

    def _debited(self, transfer: PaymentInFlight, response: dict[str, Any]) -> None:
        transfer.debit_code = code = response["39"]
        if code != "00":
            self._end(transfer, "declined", code, response_words(code), "debit")
            return
        credit = self._credit_for(transfer)
        reply = self.legs.expect(lambda answer: self._answered(transfer, answer), lambda: self._failed(transfer, _TOO_LATE, "credit"))
        round_trip(self.env, self.operator_latency_s, self.operator.credit, credit, transfer.trace_id, reply)

    def _credit_for(self, transfer: PaymentInFlight) -> Any:
        """What the interaction operator is asked to credit, once the debit is approved."""
        return AccountCredit(transfer.account_number, transfer.amount_tyiyn, transfer.debit["37"])

    def _answered(self, transfer: PaymentInFlight, answer: OperatorAnswer) -> None:
        transfer.credit_code = answer.code
        if answer.code == "00":
            self._end(transfer, "completed", "00", "", "credit")
        else:
            self._failed(transfer, answer.code, "credit")

    def _failed(self, transfer: PaymentInFlight, code: str, step: str) -> None:
        """The debit or the credit was not answered in time, or the operator refused: cancel the
        credit (it may have been posted), reverse the debit, end reversed once that is acknowledged."""
        if step == "debit":
            transfer.debit_code = code
            words = "debit: " + response_words(code)
        else:
            transfer.credit_code = code
            words = _OPERATOR_WORDS.get(code, response_words(code))
            cancellation = CreditCancellation(transfer.debit["37"])
            round_trip(self.env, self.operator_latency_s, self.operator.cancel, cancellation, transfer.trace_id, discard)
        reason = f"{words}; debit reversed"
        self.legs.reverse(transfer.trace_id, transfer.debit, lambda _answer: self._end(transfer, "reversed", code, reason, step))

    def _end(self, transfer: PaymentInFlight, outcome: str, code: str, reason: str, decided_by: str) -> None:
        self.log.end(transfer, outcome, code, reason, decided_by)
