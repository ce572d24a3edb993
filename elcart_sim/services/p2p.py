"""P2P transfers between ELKART cards: ELKART Mobile's transfer service at IPC.

Physical picture: a sender names the recipient by phone number, card number or a scanned QR
code, and an amount. The app reads a QR code first (protocol/qr/elqr.py): one that does not
read — a damaged code, a failed checksum, not an ELKART transfer code — is declined (DE39 30,
decided by "qr") before anything is sent. The service checks the sender's limits (per transfer, per day in amount
and in count), asks the directory whose card that is (hosts/directory.py; a directory that
does not answer within ``timeout_s`` — it is down — declines the transfer 68), works out the fee
(scenario ``services.transfers.fees``; none by default), and moves the money in two legs
through the switch, as card networks move a card-to-card transfer:

    debit leg   0200, DE3 10 (the sender's card, DE28 the fee)   → the sender's issuer
    credit leg  0200, DE3 26 (the recipient's card)              → the recipient's issuer

If the debit is declined, nothing moved. If the credit is declined, or either leg is not
answered within ``timeout_s``, the debit is undone with a reversal advice (0420, DE90 naming
the debit leg; store and forward: delivered however long it takes) — and a credit leg that was
not answered is reversed too, so a late credit cannot stand. Every transfer ends in exactly
one final state, recorded once in the `transfers` table: completed, declined (nothing moved)
or reversed (the money is back), with the response code and the step that stopped it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy

from elcart_sim.core.clock import discard, round_trip
from elcart_sim.core.errors import QrPayloadError
from elcart_sim.core.records import Table
from elcart_sim.core.streams import Sampler
from elcart_sim.hosts.directory import DirectoryHost
from elcart_sim.protocol.iso8583 import ProcessingCode, ResponseCode
from elcart_sim.protocol.qr import elqr
from elcart_sim.scenario import TransferSpec
from elcart_sim.services.legs import AppLegs, response_words
from elcart_sim.services.requests import InFlight, RequestLog, TransferResult
from elcart_sim.world.directory import Lookup
from elcart_sim.world.population import Population

__all__ = ["TransferService", "TransferResult"]

_CHANNEL_NAMES = {"p2p_phone": "phone", "p2p_card": "card", "p2p_qr": "qr"}
_TOO_LATE = ResponseCode.RESPONSE_RECEIVED_TOO_LATE.value


class _Transfer(InFlight):
    """One transfer in flight: the channel the sender used (p2p_phone, p2p_card, p2p_qr), the
    directory's answer, and the credit leg."""

    __slots__ = ("app_channel", "lookup", "credit")

    def __init__(self, trace_id: int, channel: str, sender: int, amount_tyiyn: int, requested_at: float, then: Any):
        super().__init__(trace_id, "p2p", _CHANNEL_NAMES[channel], sender, amount_tyiyn, requested_at, then)
        self.app_channel = channel
        self.lookup: Lookup | None = None
        self.credit: dict[str, Any] | None = None


class TransferService:
    """The transfer service: limits, lookup, fee, the two legs, the reversal; one record per transfer."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: TransferSpec,
        population: Population,
        directory: DirectoryHost,
        legs: AppLegs,
        directory_latency_s: Sampler,
        transfers: Table,
    ):
        self.env = env
        self.spec = spec
        self.population = population
        self.directory = directory
        self.legs = legs
        self.directory_latency_s = directory_latency_s
        self.log = RequestLog(env, population, transfers)
        self._sent_today: dict[int, tuple[int, int]] = {}  # sender card -> (tyiyn, count) not declined or reversed

    # -- the flow ----------------------------------------------------------------------------------

    def start(
        self, trace_id: int, channel: str, sender: int, recipient: str, amount_tyiyn: int, then: Callable[[TransferResult], None] | None = None
    ) -> None:
        """Start one transfer now from card ``sender`` to ``recipient`` (a phone number, a card
        number or a scanned QR code's text, as ``channel`` says); ``then(result)`` when it has ended."""
        transfer = _Transfer(trace_id, channel, sender, amount_tyiyn, self.env.now, then)
        if channel == "p2p_qr":
            try:
                recipient = _recipient_of_code(recipient)
            except QrPayloadError as error:
                self._end(transfer, "declined", ResponseCode.FORMAT_ERROR.value, f"QR code does not read: {error}", "qr")
                return
        refusal = self._over_limit(sender, amount_tyiyn)
        if refusal is not None:
            self._end(transfer, "declined", refusal[0], refusal[1], "limits")
            return
        self._count(sender, amount_tyiyn, 1)
        query = (channel, recipient)
        found = self.legs.expect(lambda lookup: self._found(transfer, lookup), lambda: self._not_found_in_time(transfer))
        round_trip(self.env, self.directory_latency_s, self.directory.look_up, query, trace_id, found)

    def _over_limit(self, sender: int, amount_tyiyn: int) -> tuple[str, str] | None:
        limits = self.spec.limits
        if amount_tyiyn > limits.per_transfer_tyiyn:
            return ResponseCode.INVALID_AMOUNT.value, f"over the limit per transfer ({limits.per_transfer_tyiyn} tyiyn)"
        sent_tyiyn, count = self._sent_today.get(sender, (0, 0))
        if sent_tyiyn + amount_tyiyn > limits.per_day_tyiyn:
            return ResponseCode.EXCEEDS_AMOUNT_LIMIT.value, f"over the sender's daily limit ({limits.per_day_tyiyn} tyiyn)"
        if count >= limits.per_day_count:
            return ResponseCode.EXCEEDS_FREQUENCY_LIMIT.value, f"over the sender's transfers a day ({limits.per_day_count})"
        return None

    def _count(self, sender: int, amount_tyiyn: int, count: int) -> None:
        sent_tyiyn, sent = self._sent_today.get(sender, (0, 0))
        self._sent_today[sender] = (sent_tyiyn + amount_tyiyn, sent + count)

    def _found(self, transfer: _Transfer, lookup: Lookup) -> None:
        transfer.lookup = lookup
        if not lookup.found:
            self._count(transfer.payer, -transfer.amount_tyiyn, -1)
            self._end(transfer, "declined", lookup.response_code, lookup.decline.description, "directory")
            return
        transfer.receiver_bank = lookup.bank_code
        transfer.fee_tyiyn = self.spec.fee_tyiyn("p2p", transfer.channel, transfer.amount_tyiyn)
        transfer.debit = self._leg(transfer, self.population.pan(transfer.payer), ProcessingCode.TRANSFER_DEBIT, transfer.fee_tyiyn)
        self.legs.send(transfer.trace_id, transfer.debit, lambda answer: self._debited(transfer, answer), lambda: self._failed(transfer, _TOO_LATE, "debit"))

    def _not_found_in_time(self, transfer: _Transfer) -> None:
        """The directory did not answer within the service's timeout (it is down): nothing moved."""
        self._count(transfer.payer, -transfer.amount_tyiyn, -1)
        self._end(transfer, "declined", _TOO_LATE, "directory did not answer in time", "directory")

    def _debited(self, transfer: _Transfer, response: dict[str, Any]) -> None:
        transfer.debit_code = code = response["39"]
        if code != "00":
            self._count(transfer.payer, -transfer.amount_tyiyn, -1)
            self._end(transfer, "declined", code, response_words(code), "debit")
            return
        transfer.credit = self._leg(transfer, self.population.pan(transfer.lookup.card), ProcessingCode.TRANSFER_CREDIT)
        self.legs.send(transfer.trace_id, transfer.credit, lambda answer: self._credited(transfer, answer), lambda: self._failed(transfer, _TOO_LATE, "credit"))

    def _credited(self, transfer: _Transfer, response: dict[str, Any]) -> None:
        transfer.credit_code = code = response["39"]
        if code == "00":
            self._end(transfer, "completed", code, "", "credit")
        else:
            self._failed(transfer, code, "credit")

    def _failed(self, transfer: _Transfer, code: str, leg: str) -> None:
        """A leg was declined (the credit) or not answered in time (either): reverse what may
        have been posted, then end reversed once the debit's reversal is acknowledged."""
        if leg == "credit" and code == _TOO_LATE:
            transfer.credit_code = code
            self.legs.reverse(transfer.trace_id, transfer.credit, discard)
        elif leg == "debit":
            transfer.debit_code = code
        self._count(transfer.payer, -transfer.amount_tyiyn, -1)
        reason = f"{leg} leg: {response_words(code)}; debit reversed"
        self.legs.reverse(transfer.trace_id, transfer.debit, lambda _answer: self._end(transfer, "reversed", code, reason, leg))

    # -- messages ----------------------------------------------------------------------------------

    def _leg(self, transfer: _Transfer, pan: str, processing_code: str, fee_tyiyn: int = 0) -> dict[str, Any]:
        """A 0200 of ``transfer``: the debit or the credit leg, for the card ``pan``."""
        channel = f"P2P {transfer.channel.upper()}"
        return self.legs.request(transfer.trace_id, pan, processing_code, transfer.amount_tyiyn, channel, fee_tyiyn)

    def _end(self, transfer: _Transfer, outcome: str, code: str, reason: str, decided_by: str) -> None:
        self.log.end(transfer, outcome, code, reason, decided_by)


def _recipient_of_code(text: str) -> str:
    """The recipient id an ELKART transfer QR code carries (32/10)."""
    payload = elqr.decode(text)
    if payload.provider_guid != elqr.ELKART_P2P_GUID or payload.recipient_id is None:
        raise QrPayloadError(f"ID 32/00: not an ELKART transfer code (provider {payload.provider_guid!r})", qr_id="32/00")
    return payload.recipient_id
