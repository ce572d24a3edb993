"""An ATM: the card inserted, the PIN and amount keyed, the chip dialogue, the withdrawal request,
the cash.

Physical picture: one customer at a time stands at the ATM. The card goes in; the customer
keys the PIN and picks the amount (the session's time; the PIN itself is not modelled: a gap,
cards/applet.py); the ATM runs the same kernel dialogue as a POS terminal over the card's
contacts, builds a financial request (0200, processing code 01 cash withdrawal, chip data in
DE55, POS entry mode 051) and sends it to its bank's acquiring host, which sends it through the
switch to the card's bank. It waits for the 0210 no longer than its timeout; after that it
sends a reversal advice (0420) and ends the withdrawal as reversed, paying nothing. An approval
is followed by the dispenser counting out the notes. Every withdrawal ends in one of the
terminal's final states (terminal.OUTCOMES) and is one row of the transactions table, channel
"atm", timed as a tap is: from the chip dialogue's start (the customer's session before it,
and the dispensing after the result, hold the ATM but are the customer's time, not the
system's) to the result shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import simpy

from elcart_sim.acceptance.kernel import ContactlessKernel, KernelOutcome
from elcart_sim.acceptance.nfc_link import NfcLink
from elcart_sim.acceptance.terminal import PosTerminal, TapResult, _Online, deliver_to_acquirer
from elcart_sim.core.clock import Deadlines, after, round_trip
from elcart_sim.core.link import Link
from elcart_sim.core.local_time import BusinessDay
from elcart_sim.core.records import Table
from elcart_sim.core.server_pool import Lane
from elcart_sim.core.streams import Sampler
from elcart_sim.protocol import iso8583
from elcart_sim.protocol.emv import track2
from elcart_sim.protocol.iso8583 import ProcessingCode, messages
from elcart_sim.protocol.iso8583.wire import WireFormat
from elcart_sim.world.atms import ATM_MCC, Atm
from elcart_sim.world.population import Bank

__all__ = ["AtmTerminal", "AtmServices", "ATM_ENTRY_MODE"]

ATM_ENTRY_MODE = "051"  # DE22: contact chip read, PIN entry capability


@dataclass(slots=True)
class AtmServices:
    """What all ATMs share: the acquirer, the clocks and random streams, the record tables."""

    env: simpy.Environment
    kernel: ContactlessKernel  # the chip kernel (no device CVM, no relay limit through contacts)
    wire: WireFormat
    acquirer: Any  # elcart_sim.hosts.acquirer.Acquirer (withdraw/reverse_advice entries)
    day: BusinessDay
    acquirer_link_latency_s: Sampler
    session_s: Sampler  # card in, PIN keyed, amount chosen
    dispense_s: Sampler
    unpredictable_number: Callable[[], int]
    deadlines: Deadlines  # the ATMs' host timeout
    transactions: Table
    acquirer_link: Link | None = None  # with a bandwidth (core/link.py); None: acquirer_link_latency_s alone


@dataclass(slots=True)
class _Withdrawal:
    trace_id: int
    amount_tyiyn: int
    card_masked: str
    issuer_code: str
    then: Callable[[TapResult], None] | None
    queued_at: float
    lane_at: float = 0.0  # the ATM free: the card goes in
    inserted_at: float = 0.0  # the session done: the chip dialogue starts (the record's tapped_at)
    kernel: KernelOutcome | None = None


class AtmTerminal:
    """One ATM. Created when first used."""

    def __init__(self, atm: Atm, acquirer_bank: Bank, services: AtmServices):
        self.atm = atm
        self.acquirer_bank = acquirer_bank
        self.services = services
        self.lane = Lane(atm.terminal_id)
        self._stan = 0

    def next_stan(self) -> str:
        self._stan = self._stan % 999_999 + 1
        return f"{self._stan:06d}"

    def accept_card(
        self,
        trace_id: int,
        link: NfcLink,
        amount_tyiyn: int,
        card_masked: str,
        issuer_code: str,
        then: Callable[[TapResult], None] | None = None,
    ) -> None:
        """One customer's withdrawal of ``amount_tyiyn``, card in to cash out; `then(result)` at the end."""
        withdrawal = _Withdrawal(trace_id, amount_tyiyn, card_masked, issuer_code, then, self.services.env.now)
        self.lane.request(lambda: self._insert(withdrawal, link))

    def _insert(self, w: _Withdrawal, link: NfcLink) -> None:
        w.lane_at = self.services.env.now
        after(self.services.env, self.services.session_s(), self._read_chip, w, link)

    def _read_chip(self, w: _Withdrawal, link: NfcLink) -> None:
        s = self.services
        w.inserted_at = s.env.now
        un = s.unpredictable_number().to_bytes(4, "big")
        w.kernel = kernel = s.kernel.perform(link, w.amount_tyiyn, s.day.emv_date(s.env.now), un)
        if kernel.outcome != "online":
            after(s.env, kernel.nfc_s, self._close, w, _Online("terminated", "", kernel.reason, kernel.check, 0.0, None, None))
            return
        after(s.env, kernel.nfc_s, self._send, w)

    def _send(self, w: _Withdrawal) -> None:
        s = self.services
        env = s.env
        request = self.withdrawal_request(w.trace_id, w.kernel, w.amount_tyiyn, w.inserted_at)
        sent_at = env.now

        def answered(raw: Any) -> None:
            self._close(w, PosTerminal._answer(s.wire.decode(raw), request, env.now - sent_at))

        def timed_out() -> None:
            deliver_to_acquirer(s, s.acquirer.reverse_advice, s.acquirer.reverse_advice_repeat, messages.reversal_for(request), w.trace_id)
            self._close(w, _Online("reversed", "68", "no answer from the acquirer in time; reversal advice sent", "", env.now - sent_at, request, None))

        if s.acquirer_link is None:
            round_trip(env, s.acquirer_link_latency_s, s.acquirer.withdraw, s.wire.encode(request), w.trace_id, s.deadlines.expect(answered, timed_out))
        else:
            s.acquirer_link.round_trip(s.acquirer.withdraw, s.wire.encode(request), w.trace_id, s.deadlines.expect(answered, timed_out))

    def _close(self, w: _Withdrawal, online: _Online) -> None:
        s = self.services
        result = TapResult(w.trace_id, online.outcome, online.response_code, online.reason, w.kernel, online.stopped_by, online.request, online.response)
        if result.outcome == "approved":
            after(s.env, s.dispense_s(), self._end, w, result, online.host_s, s.env.now)
        else:
            self._end(w, result, online.host_s, s.env.now)

    def _end(self, w: _Withdrawal, result: TapResult, host_s: float, result_at: float) -> None:
        """The cash taken (or the card returned), the ATM free, the transaction record written."""
        s = self.services
        kernel = w.kernel
        nfc_s, apdus = (kernel.nfc_s, len(kernel.exchanges)) if kernel is not None else (0.0, 0)
        self.lane.release()
        s.transactions.append(
            trace_id=w.trace_id,
            tapped_at=w.inserted_at,
            result_at=result_at,
            nfc_s=nfc_s,
            host_s=host_s,
            lane_wait_s=w.lane_at - w.queued_at,
            outcome=result.outcome,
            response_code=result.response_code,
            reason=result.reason,
            amount_tyiyn=w.amount_tyiyn,
            issuer=w.issuer_code,
            acquirer=self.acquirer_bank.code,
            terminal_id=self.atm.terminal_id,
            merchant="ATM",
            token_masked=w.card_masked,
            apdus=apdus,
            receipt_no=-1,
            attack="",
            stopped_by=result.stopped_by,
            channel="atm",
        )
        if w.then is not None:
            w.then(result)

    # -- the request (pure) -------------------------------------------------------------------------

    def withdrawal_request(self, trace_id: int, kernel: KernelOutcome, amount_tyiyn: int, inserted_at: float) -> dict:
        """The 0200 of a cash withdrawal for a completed chip dialogue (ELKART host spec)."""
        day = self.services.day
        local = day.local_date_time(inserted_at)
        atm = self.atm
        request = {
            "t": iso8583.MTI_FINANCIAL_REQUEST,
            "2": kernel.token_pan,
            "3": f"{ProcessingCode.CASH}0000",
            "4": f"{amount_tyiyn:012d}",
            "7": day.utc_date_time(inserted_at),
            "11": self.next_stan(),
            "12": local[4:],
            "13": local[:4],
            "14": kernel.expiry,
            "18": ATM_MCC,
            "22": ATM_ENTRY_MODE,
            "25": "02",  # unattended terminal able to accept a PIN
            "32": self.acquirer_bank.institution_id,
            "35": track2.to_de35(kernel.track2),
            "37": f"{trace_id:012d}",
            "41": atm.terminal_id,
            "43": atm.name.ljust(40),
            "48": f"ATM {atm.terminal_id}",
            "49": "417",
            "55": kernel.icc_data,
        }
        if kernel.psn is not None:
            request["23"] = f"{kernel.psn:03d}"
        return request
