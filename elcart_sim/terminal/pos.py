"""A contactless POS terminal at a checkout: the card dialogue, the host dialogue, the receipt.

One customer at a time holds the checkout lane. The phone is touched to the terminal; the kernel
runs its APDU dialogue over the NFC link (each exchange takes the link's time); the terminal
builds the authorisation request (0100, chip data in DE55) and sends it to its acquirer; it waits
for the answer no longer than its timeout, after which it sends a reversal (0400) and ends the
transaction as reversed. An approved purchase is closed by a fiscal receipt from the KKM.
Every tap ends in exactly one final state: approved, declined, reversed or terminated.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Generator
from dataclasses import dataclass

import simpy

from elcart_sim.host import round_trip
from elcart_sim.population import Bank, Terminal
from elcart_sim.protocol import iso8583, messages
from elcart_sim.protocol.wire import WireFormat
from elcart_sim.records import Table
from elcart_sim.server_pool import ServerPool
from elcart_sim.streams import Sampler
from elcart_sim.terminal.kernel import ContactlessKernel, KernelOutcome
from elcart_sim.terminal.kkm import FiscalRegister
from elcart_sim.terminal.nfc_link import NfcLink

__all__ = ["PosTerminal", "TerminalServices", "TapResult"]

_LOCAL_UTC_OFFSET = datetime.timedelta(hours=6)  # Kyrgyzstan, UTC+6 all year


@dataclass(frozen=True, slots=True)
class TapResult:
    """What the terminal showed, and the card dialogue that led to it."""

    trace_id: int
    outcome: str  # approved | declined | reversed | terminated
    response_code: str
    reason: str
    kernel: KernelOutcome


@dataclass(slots=True)
class TerminalServices:
    """What all terminals share: the acquirer, the clocks and random streams, the record tables."""

    env: simpy.Environment
    kernel: ContactlessKernel
    wire: WireFormat  # how messages cross to the acquirer: bytes or objects (the run's fidelity)
    acquirer: object  # elcart_sim.acquirer.Acquirer (authorise/reverse processes)
    business_day: datetime.datetime  # local midnight of the simulated day
    acquirer_link_latency_s: Sampler
    processing_s: Sampler
    receipt_print_s: Sampler
    unpredictable_number: Callable[[], int]
    timeout_s: float
    transactions: Table
    receipts: Table


class PosTerminal:
    """One terminal and its KKM. Created when first used."""

    def __init__(self, terminal: Terminal, acquirer_bank: Bank, services: TerminalServices):
        self.terminal = terminal
        self.acquirer_bank = acquirer_bank
        self.services = services
        self.lane = ServerPool(services.env, terminal.terminal_id, 1)
        self.kkm = FiscalRegister(f"KKM{terminal.index:09d}")
        self._stan = 0

    def next_stan(self) -> str:
        self._stan = self._stan % 999_999 + 1
        return f"{self._stan:06d}"

    # -- the tap ----------------------------------------------------------------------------------

    def accept_tap(
        self, trace_id: int, link: NfcLink, amount_tyiyn: int, token_masked: str, issuer_code: str
    ) -> Generator[simpy.Event, object, TapResult]:
        """SimPy process: one customer's payment at this checkout, tap to receipt."""
        s = self.services
        env = s.env
        queued_at = env.now
        yield self.lane.request()
        tapped_at = env.now
        now_local = s.business_day + datetime.timedelta(seconds=tapped_at)
        un = s.unpredictable_number().to_bytes(4, "big")
        kernel = s.kernel.perform(link, amount_tyiyn, now_local.strftime("%y%m%d"), un)
        yield env.timeout(kernel.nfc_s)
        host_s = 0.0
        receipt_no = -1
        if kernel.outcome != "online":
            outcome, response_code, reason = "terminated", "", kernel.reason
        else:
            yield env.timeout(s.processing_s())
            request = self.authorisation_request(trace_id, kernel, amount_tyiyn, now_local)
            sent_at = env.now
            reply = env.process(round_trip(env, s.acquirer_link_latency_s, s.acquirer.authorise, s.wire.encode(request), trace_id))
            yield reply | env.timeout(s.timeout_s)
            host_s = env.now - sent_at
            if reply.triggered:
                response = s.wire.decode(reply.value)
                response_code = response["39"]
                outcome = "approved" if response_code == "00" else "declined"
                reason = "" if outcome == "approved" else iso8583.ResponseCode(response_code).description
            else:
                outcome, response_code, reason = "reversed", "68", "no answer from the acquirer in time; reversal sent"
                env.process(round_trip(env, s.acquirer_link_latency_s, s.acquirer.reverse, s.wire.encode(messages.reversal_for(request)), trace_id))
        result_at = env.now
        if outcome == "approved":
            yield env.timeout(s.receipt_print_s())
            receipt = self.kkm.issue_receipt(trace_id, amount_tyiyn, env.now)
            receipt_no = receipt.receipt_no
            s.receipts.append(trace_id, receipt.kkm_id, receipt.receipt_no, receipt.fiscal_sign, amount_tyiyn, env.now)
        self.lane.release()
        s.transactions.append(
            trace_id,
            tapped_at,
            result_at,
            result_at - tapped_at,
            kernel.nfc_s,
            host_s,
            tapped_at - queued_at,
            outcome,
            response_code,
            reason,
            amount_tyiyn,
            issuer_code,
            self.acquirer_bank.code,
            self.terminal.terminal_id,
            self.terminal.chain,
            token_masked,
            len(kernel.exchanges),
            receipt_no,
        )
        return TapResult(trace_id, outcome, response_code, reason, kernel)

    # -- the request (pure) -------------------------------------------------------------------------

    def authorisation_request(
        self, trace_id: int, kernel: KernelOutcome, amount_tyiyn: int, now_local: datetime.datetime
    ) -> dict:
        """The 0100 for a completed card dialogue (ELKART host spec, host_spec.md)."""
        now_utc = now_local - _LOCAL_UTC_OFFSET
        t = self.terminal
        request = {
            "t": iso8583.MTI_AUTHORISATION_REQUEST,
            "2": kernel.token_pan,
            "3": "000000",
            "4": f"{amount_tyiyn:012d}",
            "7": now_utc.strftime("%m%d%H%M%S"),
            "11": self.next_stan(),
            "12": now_local.strftime("%H%M%S"),
            "13": now_local.strftime("%m%d"),
            "14": kernel.expiry,
            "18": t.mcc,
            "22": "071",
            "25": "00",
            "32": self.acquirer_bank.institution_id,
            "35": iso8583.de35_from_track2(kernel.track2),
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
