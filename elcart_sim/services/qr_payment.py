"""Merchant QR payments from ELKART Mobile: the payer scans a merchant's static ELQR code.

Physical picture: at the till a cardholder opens ELKART Mobile, scans the sticker
(world/merchant_codes.py) and types the amount. The app reads the code first
(protocol/qr/elqr.py): one that does not read — damaged, its checksum failing, not an ELKART
merchant code — is declined (DE39 30, decided by "qr") and nothing is sent; a code that names
no merchant in IPC's registry is declined 14 (decided by "qr"). Then, with the merchant id IPC's
registry gives for the code's token (32/10) and the merchant category code the code gives (52):

    debit     0200, DE3 000000 (purchase), DE18 the code's MCC, DE42 the merchant id,
              DE48 ``QRPAY <merchant id>`` → the switch → the payer's issuer ("qr_payment")
    credit    `MerchantCredit` → the interaction operator (hosts/interaction_operator.py),
              which has the merchant's acquirer pay the merchant ("merchant_credit")

The merchant is paid at once through the interaction operator, as other banks' apps pay a
merchant's QR code, not at the card side's clearing. If the debit is declined, nothing moved.
If the operator refuses, or does not answer within ``services.qr_payments.timeout_s`` (68), the
service cancels the credit and reverses the debit (0420) exactly as a transfer to a bank
account does (services/account_transfer.py); the payment ends reversed, the money back. Each
payment is one row of the `transfers` table (service qr_payment, channel qr).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

from elcart_sim.core.errors import QrPayloadError
from elcart_sim.core.records import Table
from elcart_sim.core.streams import Sampler
from elcart_sim.hosts.interaction_operator import InteractionOperatorHost, MerchantCredit
from elcart_sim.protocol.iso8583 import ProcessingCode, ResponseCode
from elcart_sim.protocol.iso8583.service_data import qr_payment_data
from elcart_sim.protocol.qr import elqr
from elcart_sim.services.account_transfer import AccountTransferService, PaymentInFlight
from elcart_sim.services.bills import FeeOf
from elcart_sim.services.legs import AppLegs
from elcart_sim.services.requests import TransferResult
from elcart_sim.world.merchant_codes import MerchantCodes
from elcart_sim.world.population import Population

__all__ = ["QrPaymentService", "read_merchant_code"]

_UNREADABLE = ResponseCode.FORMAT_ERROR.value
_NO_MERCHANT = ResponseCode.INVALID_CARD_NUMBER.value  # 14: the code designates no account


def read_merchant_code(text: str) -> elqr.ElqrPayload:
    """The payload of an ELKART merchant code; QrPayloadError when it does not read or is not one."""
    payload = elqr.decode(text)
    if payload.provider_guid != elqr.ELKART_MERCHANT_GUID or not payload.recipient_id:
        raise QrPayloadError(f"ID 32/00: not an ELKART merchant code (provider {payload.provider_guid!r})", qr_id="32/00")
    return payload


class QrPaymentService(AccountTransferService):
    """Read the code, debit the payer (a purchase), have the interaction operator credit the merchant."""

    service, channel = "qr_payment", "qr"

    def __init__(
        self,
        env: simpy.Environment,
        population: Population,
        merchants: MerchantCodes,
        operator: InteractionOperatorHost,
        legs: AppLegs,
        operator_latency_s: Sampler,
        transfers: Table,
        fee_of: FeeOf,
    ):
        super().__init__(env, population, operator, legs, operator_latency_s, transfers, fee_of)
        self.merchants = merchants

    def start(self, trace_id: int, payer: int, code: str, amount_tyiyn: int, then: Callable[[TransferResult], None] | None = None) -> None:
        """Start one payment now from card ``payer`` to the merchant whose code reads ``code``;
        ``then(result)`` when it has ended."""
        payment = PaymentInFlight(trace_id, self.service, self.channel, payer, "", amount_tyiyn, self.env.now, then)
        try:
            payload = read_merchant_code(code)
        except QrPayloadError as error:
            self._end(payment, "declined", _UNREADABLE, f"QR code does not read: {error}", "qr")
            return
        merchant = self.merchants.merchant(payload.recipient_id)
        if merchant is None:
            self._end(payment, "declined", _NO_MERCHANT, "QR code names no merchant IPC issued a code to", "qr")
            return
        merchant_id = merchant.merchant_id
        payment.account_number = merchant_id
        payment.receiver_bank = self.population.banks[merchant.acquirer].code
        payment.fee_tyiyn = self.fee_of(self.service, self.channel, amount_tyiyn)
        pan = self.population.pan(payer)
        payment.debit = debit = self.legs.request(
            trace_id, pan, ProcessingCode.PURCHASE, amount_tyiyn, qr_payment_data(merchant_id), payment.fee_tyiyn, (payload.mcc, merchant_id)
        )
        self.legs.send(trace_id, debit, lambda answer: self._debited(payment, answer), lambda: self._failed(payment, "68", "debit"))

    def _credit_for(self, transfer: PaymentInFlight) -> Any:
        return MerchantCredit(transfer.account_number, transfer.receiver_bank, transfer.amount_tyiyn, transfer.debit["37"])
