"""A contactless POS terminal at a checkout: the card dialogue, the host dialogue, the receipt.

One customer at a time holds the checkout lane. The phone is touched to the terminal; the kernel
runs its APDU dialogue over the NFC link (each exchange takes the link's time); the terminal
builds the authorisation request (0100, chip data in DE55) and sends it to its acquirer; it waits
for the answer no longer than its timeout, after which it sends a reversal (0400) and ends the
transaction as reversed. An approved purchase is closed by a fiscal receipt from the KKM.
Every tap ends in exactly one final state: approved, declined, reversed or terminated.

The same checkout takes plastic ELKART cards (cards/): held to the reader ("card_contactless")
or inserted into its chip reader ("card_chip", POS entry mode 05; the time to insert the card
and take it back holds the lane after the result: the customer's time, not the system's). Each
channel has its kernel configuration (a card has no consumer device CVM) and each transaction
record names its channel.

A decline is explained in the record: the response code's meaning, and — when the switch named
the check that failed (DE44, protocol/decline_reasons.py) — that reason too, with the check in
``stopped_by``; a card dialogue ended by a security check (locked phone, no usable key, relay
timing) names it the same way. ``submit_request`` sends a request that no card dialogue at this
terminal produced (a key-entered or swiped number, a resubmission, raw bytes): the attacks of
fraud scenarios, and hostile-input tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import simpy

from elcart_sim.acceptance.kernel import ContactlessKernel, KernelOutcome
from elcart_sim.acceptance.kkm import FiscalRegister
from elcart_sim.acceptance.nfc_link import NfcLink
from elcart_sim.core.clock import REPEAT_AFTER_S, Deadlines, after, discard, round_trip, until_acknowledged
from elcart_sim.core.errors import IsoMessageError
from elcart_sim.core.link import Link
from elcart_sim.core.local_time import BusinessDay
from elcart_sim.core.records import Table
from elcart_sim.core.server_pool import Lane
from elcart_sim.core.streams import Sampler
from elcart_sim.protocol import iso8583
from elcart_sim.protocol.emv import track2
from elcart_sim.protocol.iso8583 import messages
from elcart_sim.protocol.iso8583.decline_reasons import decline_for_code
from elcart_sim.protocol.iso8583.repeats import as_repeat
from elcart_sim.protocol.iso8583.wire import WireFormat
from elcart_sim.world.population import Bank, Terminal

__all__ = ["PosTerminal", "TerminalServices", "TapResult", "OUTCOMES", "POS_ENTRY_MODES", "deliver_to_acquirer"]

OUTCOMES = ("approved", "declined", "reversed", "terminated")
"""Every tap ends in exactly one of these final states."""

POS_ENTRY_MODES = {"contactless": "071", "card_contactless": "071", "card_chip": "051"}
"""DE22 per channel at a POS: 07 contactless chip, 05 contact chip; 1: PIN entry capability."""

class _Online(NamedTuple):
    """How the host dialogue ended."""

    outcome: str
    response_code: str
    reason: str
    stopped_by: str
    host_s: float
    request: dict | None
    response: dict | None


@dataclass(slots=True)
class _Payment:
    """One customer's payment at a checkout while it is under way."""

    trace_id: int
    amount_tyiyn: int
    token_masked: str | None
    issuer_code: str | None
    attack: str
    then: Callable[[TapResult], None] | None
    queued_at: float
    tapped_at: float = 0.0
    kernel: KernelOutcome | None = None  # None for a request that no card dialogue produced
    channel: str = "contactless"  # choices.CARD_CHANNELS: a phone's tap, or a plastic card's


class TapResult(NamedTuple):
    """What the terminal showed, and the card dialogue that led to it (immutable; the repr
    leaves out the messages, which hold the token PAN)."""

    trace_id: int
    outcome: str  # approved | declined | reversed | terminated
    response_code: str
    reason: str
    kernel: KernelOutcome | None  # None for a request that no card dialogue produced
    stopped_by: str = ""  # the security check that stopped it, if one did
    request: Mapping[str, Any] | None = None  # the 0100 as sent (holds the token PAN)
    response: Mapping[str, Any] | None = None  # the 0110 as received

    def __repr__(self) -> str:
        return (
            f"TapResult(trace_id={self.trace_id!r}, outcome={self.outcome!r}, response_code={self.response_code!r}, "
            f"reason={self.reason!r}, stopped_by={self.stopped_by!r})"
        )


@dataclass(slots=True)
class TerminalServices:
    """What all terminals share: the acquirer, the clocks and random streams, the record tables."""

    env: simpy.Environment
    kernel: ContactlessKernel
    wire: WireFormat  # how messages cross to the acquirer: bytes or objects (the run's fidelity)
    acquirer: object  # elcart_sim.hosts.acquirer.Acquirer (authorise/reverse handlers)
    day: BusinessDay  # the simulated day's calendar (local midnight is simulated time 0)
    acquirer_link_latency_s: Sampler
    processing_s: Sampler
    receipt_print_s: Sampler
    unpredictable_number: Callable[[], int]
    deadlines: Deadlines  # the terminals' host timeout: how long each waits for its 0110
    transactions: Table
    receipts: Table
    apdus: Table | None = None  # one row per APDU, only when the run records them (off: speed)
    # A live device (a phone on a PC/SC reader) is known by the token it presents:
    # token PAN -> (masked token, issuer code) for the records; see Simulation.identify_token.
    identify_token: Callable[[str], tuple[str, str]] | None = None
    # Plastic cards: the kernel of each card channel (a card has no device CVM), and the time a
    # chip card takes to be inserted and taken back.
    kernels: dict[str, ContactlessKernel] = field(default_factory=dict)
    card_insert_s: Sampler | None = None
    acquirer_link: Link | None = None  # with a bandwidth (core/link.py); None: acquirer_link_latency_s alone


class PosTerminal:
    """One terminal and its KKM. Created when first used."""

    def __init__(self, terminal: Terminal, acquirer_bank: Bank, services: TerminalServices):
        self.terminal = terminal
        self.acquirer_bank = acquirer_bank
        self.services = services
        self.lane = Lane(terminal.terminal_id)
        self.kkm = FiscalRegister(f"KKM{terminal.index:09d}")
        self._stan = 0

    def next_stan(self) -> str:
        self._stan = self._stan % 999_999 + 1
        return f"{self._stan:06d}"

    # -- the payment ------------------------------------------------------------------------------

    def accept_tap(
        self,
        trace_id: int,
        link: NfcLink,
        amount_tyiyn: int,
        token_masked: str | None,
        issuer_code: str | None,
        attack: str = "",
        then: Callable[[TapResult], None] | None = None,
        channel: str = "contactless",
    ) -> None:
        """One customer's payment at this checkout, tap to receipt; `then(result)` when it has ended.

        The customer waits for the lane; the card dialogue's APDUs take their time, then the
        terminal's processing; the authorisation goes online. On a live link the APDU durations
        are measured wall time, and simulated time advances by them. ``token_masked``/
        ``issuer_code`` None: a live device, identified by its token. ``attack`` labels an
        injected attack (fraud.py) in the record. ``channel``: a phone's tap, or a plastic card's
        (``token_masked`` is then the masked card number)."""
        payment = _Payment(trace_id, amount_tyiyn, token_masked, issuer_code, attack, then, self.services.env.now, channel=channel)
        self.lane.request(lambda: self._tap(payment, link))

    def submit_request(
        self,
        trace_id: int,
        request: dict[str, Any] | bytes,
        amount_tyiyn: int,
        token_masked: str,
        issuer_code: str,
        attack: str = "",
        then: Callable[[TapResult], None] | None = None,
    ) -> None:
        """Send an authorisation request that no card dialogue here produced — a message dict
        (encoded per the run's fidelity) or raw bytes sent as they are — and record it like a
        tap with no APDUs; `then(result)` when it has ended. A dict that breaks the host spec is
        refused here, in either fidelity, as the wire's encoder refuses it (IsoMessageError)."""
        if not isinstance(request, bytes):
            iso8583.validate(request, "encode")
        payment = _Payment(trace_id, amount_tyiyn, token_masked, issuer_code, attack, then, self.services.env.now)

        def send() -> None:
            payment.tapped_at = self.services.env.now
            self.go_online(trace_id, request, lambda online: self._close(payment, online))

        self.lane.request(send)

    def _tap(self, payment: _Payment, link: NfcLink) -> None:
        """The lane is free: the card dialogue, then — if the card went online — the host dialogue."""
        s = self.services
        payment.tapped_at = tapped_at = s.env.now
        un = s.unpredictable_number().to_bytes(4, "big")
        channel = payment.channel
        channel_kernel = s.kernels.get(channel, s.kernel) if channel != "contactless" else s.kernel
        payment.kernel = kernel = channel_kernel.perform(link, payment.amount_tyiyn, s.day.emv_date(tapped_at), un)
        if payment.token_masked is None or payment.issuer_code is None:
            identified = s.identify_token(kernel.token_pan) if s.identify_token and kernel.token_pan else ("", "")
            payment.token_masked, payment.issuer_code = identified
        if s.apdus is not None:
            self._record_apdus(payment.trace_id, tapped_at, kernel)
        if kernel.outcome != "online":
            after(s.env, kernel.nfc_s, self._close, payment, _Online("terminated", "", kernel.reason, kernel.check, 0.0, None, None))
            return
        # The phone leaves the field when the dialogue ends; the terminal then prepares the 0100.
        after(s.env, kernel.nfc_s + s.processing_s(), self._send, payment)

    def _record_apdus(self, trace_id: int, tapped_at: float, kernel: KernelOutcome) -> None:
        apdu_at = tapped_at
        for seq, exchange in enumerate(kernel.exchanges):
            sw = exchange.response[-2:].hex().upper() if len(exchange.response) >= 2 else ""
            self.services.apdus.append(
                trace_id=trace_id,
                seq=seq,
                sent_at=apdu_at,
                command=exchange.name,
                command_length=len(exchange.command),
                sw=sw,
                duration_s=exchange.duration_s,
            )
            apdu_at += exchange.duration_s

    def _send(self, payment: _Payment) -> None:
        request = self.authorisation_request(payment.trace_id, payment.kernel, payment.amount_tyiyn, payment.tapped_at, payment.channel)
        self.go_online(payment.trace_id, request, lambda online: self._close(payment, online))

    def go_online(self, trace_id: int, request: dict[str, Any] | bytes, then: Callable[[_Online], None]) -> None:
        """Send the 0100 to the acquirer and wait for the 0110 no longer than the timeout; on a
        timeout send the reversal (when the request was a message) and end reversed.
        `then(online)` gets how the host dialogue ended."""
        s = self.services
        env = s.env
        payload = request if isinstance(request, bytes) else s.wire.encode(request)
        sent = None if isinstance(request, bytes) else request
        sent_at = env.now

        def answered(raw: Any) -> None:
            then(self._answer(s.wire.decode(raw), sent, env.now - sent_at))

        def timed_out() -> None:
            host_s = env.now - sent_at
            if sent is None:
                then(_Online("reversed", "68", "no answer from the acquirer in time; nothing to reverse (not a valid 0100)", "", host_s, None, None))
                return
            deliver_to_acquirer(s, s.acquirer.reverse, s.acquirer.reverse_repeat, messages.reversal_for(sent), trace_id)
            then(_Online("reversed", "68", "no answer from the acquirer in time; reversal sent", "", host_s, sent, None))

        if s.acquirer_link is None:
            round_trip(env, s.acquirer_link_latency_s, s.acquirer.authorise, payload, trace_id, s.deadlines.expect(answered, timed_out))
        else:
            s.acquirer_link.round_trip(s.acquirer.authorise, payload, trace_id, s.deadlines.expect(answered, timed_out))

    @staticmethod
    def _answer(response: dict[str, Any], sent: dict | None, host_s: float) -> _Online:
        """How the host dialogue ended, from the 0110 the terminal received (pure)."""
        response_code = response["39"]
        if response_code == "00":
            return _Online("approved", "00", "", "", host_s, sent, response)
        reason, stopped_by = iso8583.ResponseCode(response_code).description, ""
        if "44" in response:
            try:
                decline = decline_for_code(response["44"])
            except IsoMessageError:
                reason += f" ({response['44']})"
            else:
                reason, stopped_by = f"{reason}: {decline.description}", decline.check
        return _Online("declined", response_code, reason, stopped_by, host_s, sent, response)

    def _close(self, payment: _Payment, online: _Online) -> None:
        """The result is shown; an approval waits for its fiscal receipt, then the payment ends."""
        s = self.services
        result = TapResult(
            payment.trace_id, online.outcome, online.response_code, online.reason, payment.kernel, online.stopped_by, online.request, online.response
        )
        if result.outcome == "approved":
            after(s.env, s.receipt_print_s(), self._end, payment, result, online.host_s, s.env.now)
        else:
            self._end(payment, result, online.host_s, s.env.now)

    def _end(self, payment: _Payment, result: TapResult, host_s: float, result_at: float) -> None:
        """Print the receipt of an approval, free the lane, write the transaction record."""
        s = self.services
        env = s.env
        tapped_at, queued_at, amount_tyiyn = payment.tapped_at, payment.queued_at, payment.amount_tyiyn
        issuer_code, token_masked, attack = payment.issuer_code, payment.token_masked, payment.attack
        kernel = payment.kernel
        nfc_s, apdus = (kernel.nfc_s, len(kernel.exchanges)) if kernel is not None else (0.0, 0)
        receipt_no = -1
        if result.outcome == "approved":
            receipt = self.kkm.issue_receipt(result.trace_id, amount_tyiyn, env.now)
            receipt_no = receipt.receipt_no
            s.receipts.append(
                trace_id=result.trace_id,
                kkm_id=receipt.kkm_id,
                receipt_no=receipt.receipt_no,
                fiscal_sign=receipt.fiscal_sign,
                amount_tyiyn=amount_tyiyn,
                printed_at=env.now,
            )
        if payment.channel == "card_chip" and s.card_insert_s is not None:
            after(env, s.card_insert_s(), self.lane.release)  # the card inserted and taken back: the customer's time
        else:
            self.lane.release()
        s.transactions.append(
            trace_id=result.trace_id,
            tapped_at=tapped_at,
            result_at=result_at,
            nfc_s=nfc_s,
            host_s=host_s,
            lane_wait_s=tapped_at - queued_at,
            outcome=result.outcome,
            response_code=result.response_code,
            reason=result.reason,
            amount_tyiyn=amount_tyiyn,
            issuer=issuer_code,
            acquirer=self.acquirer_bank.code,
            terminal_id=self.terminal.terminal_id,
            merchant=self.terminal.chain,
            token_masked=token_masked,
            apdus=apdus,
            receipt_no=receipt_no,
            attack=attack,
            stopped_by=result.stopped_by,
            channel=payment.channel,
        )
        if payment.then is not None:
            payment.then(result)

    # -- the request (pure) -------------------------------------------------------------------------

    def authorisation_request(
        self, trace_id: int, kernel: KernelOutcome, amount_tyiyn: int, tapped_at: float, channel: str = "contactless"
    ) -> dict:
        """The 0100 for a completed card dialogue tapped (or inserted) at ``tapped_at`` on
        ``channel`` (ELKART host spec, host_spec.md)."""
        day = self.services.day
        local = day.local_date_time(tapped_at)
        t = self.terminal
        request = {
            "t": iso8583.MTI_AUTHORISATION_REQUEST,
            "2": kernel.token_pan,
            "3": "000000",
            "4": f"{amount_tyiyn:012d}",
            "7": day.utc_date_time(tapped_at),
            "11": self.next_stan(),
            "12": local[4:],
            "13": local[:4],
            "14": kernel.expiry,
            "18": t.mcc,
            "22": POS_ENTRY_MODES[channel],
            "25": "00",
            "32": self.acquirer_bank.institution_id,
            "35": track2.to_de35(kernel.track2),
            "37": f"{trace_id:012d}",
            "41": t.terminal_id,
            "42": t.merchant_id,
            "43": t.merchant_name.ljust(40),
            "49": "417",
            "55": kernel.icc_data,
        }
        if kernel.psn is not None:  # DE23 only when the card has a PAN sequence number (5F34)
            request["23"] = f"{kernel.psn:03d}"
        return request


def deliver_to_acquirer(services: Any, entry: Any, repeat_entry: Any, message: dict[str, Any], trace_id: int) -> None:
    """Store and forward from a terminal or an ATM (``services``: its env, wire and link to the
    acquirer): ``message`` (a reversal) to the acquirer's ``entry``, repeated to ``repeat_entry``
    every `REPEAT_AFTER_S` until it is acknowledged (core/clock.until_acknowledged)."""
    s = services
    encode = s.wire.encode

    def send(attempt: tuple[Any, dict[str, Any]], answer: Any) -> None:
        if s.acquirer_link is None:
            round_trip(s.env, s.acquirer_link_latency_s, attempt[0], encode(attempt[1]), trace_id, answer)
        else:
            s.acquirer_link.round_trip(attempt[0], encode(attempt[1]), trace_id, answer)

    until_acknowledged(s.env, REPEAT_AFTER_S, send, (entry, message), (repeat_entry, as_repeat(message)), discard)
