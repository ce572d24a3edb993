"""The issuer: a member bank's authorisation host for its own cards.

It answers an authorisation request (0100) from the switch: it finds the card by PAN, checks
the card's status and the cardholder's available balance, and — when it approves — posts the
debit in the ledger at once (cardholder deposit → the bank's ELKART settlement position, which
end-of-day clearing will settle). A reversal (0400) undoes an approved debit; a reversal that
overtakes its original request marks the trace, so the original is then declined unposted.
Either way each purchase is debited at most once and only if the terminal saw it approved.

Any approval may yet be reversed (reversals are store-and-forward, so no deadline bounds their
arrival), so the issuer remembers every approval of the day — as two integer columns, trace
and ledger entry, 8 bytes per approval; a reversal, which is rare, finds its trace by a
vectorised search.
"""

from __future__ import annotations

from array import array

import numpy as np
import simpy

from elcart_sim.money import accounts
from elcart_sim.core.clock import Reply
from elcart_sim.hosts.host import Host
from elcart_sim.money.ledger import Ledger
from elcart_sim.world.population import CARD_STATUSES, Bank, Population
from elcart_sim.protocol.iso8583 import messages
from elcart_sim.protocol.fidelity import FIDELITIES, WireFormat
from elcart_sim.core.records import Table
from elcart_sim.scenario import HostSpec
from elcart_sim.core.streams import RandomStreams

__all__ = ["Issuer", "STATUS_RESPONSE_CODES"]

# Card status -> DE39 when the card may not pay (ISO 8583:1987 response codes).
STATUS_RESPONSE_CODES = {"blocked": "62", "lost": "41", "stolen": "43", "expired": "54"}
_STATUS_NAMES = CARD_STATUSES


class Issuer(Host):
    """One bank's issuing host."""

    hop = "issuer"

    def __init__(
        self,
        env: simpy.Environment,
        bank: Bank,
        spec: HostSpec,
        population: Population,
        ledger: Ledger,
        streams: RandomStreams,
        hops: Table,
        wire: WireFormat = FIDELITIES["wire"],
    ):
        super().__init__(env, f"issuer.{bank.code}", spec, streams, hops, wire=wire)
        self.bank = bank
        self.population = population
        self.ledger = ledger
        self.settlement_account = accounts.elkart_settlement(bank.code)
        # Approvals in the order posted: the trace, and its purchase's ledger entry (-1 once reversed).
        self._approved_traces = array("i")
        self._approved_entries = array("i")
        self._reversed_early: set[int] = set()
        self._authorisations = 0

    def cardholder_account(self, card: int) -> tuple:
        return accounts.cardholder(self.bank.code, card)

    # -- 0100 ----------------------------------------------------------------------------------

    def authorise(self, raw: bytes, trace_id: int, reply: Reply) -> None:
        """0100 from the switch: serve it, decide, post an approval, answer."""
        self.serve(lambda times: self._answer_authorisation(raw, trace_id, times, reply))

    def _answer_authorisation(self, raw: bytes, trace_id: int, times: tuple, reply: Reply) -> None:
        request = self.wire.decode(raw)
        response_code, reason = self._decide_and_post(request, trace_id)
        authorisation_id = None
        if response_code == "00":
            self._authorisations += 1
            authorisation_id = f"{self._authorisations % 1_000_000:06d}"
        response = messages.response_to(request, response_code, authorisation_id)
        self.record_hop(trace_id, "0100", times, response_code, False)
        reply(self.wire.encode(response))

    def _decide_and_post(self, request: dict, trace_id: int) -> tuple[str, str]:
        card = self.population.card_of_pan(request["2"])
        if card is None or self.population.bank_of_card(card) is not self.bank:
            return "14", "no such card at this issuer"
        if trace_id in self._reversed_early:
            return "05", "reversed before the request was processed"
        status = _STATUS_NAMES[int(self.population.card_status[card])]
        if status != "active":
            return STATUS_RESPONSE_CODES[status], f"card is {status}"
        amount = int(request["4"])
        account = self.cardholder_account(card)
        now = self.env.now
        if self.ledger.available_tyiyn(account, now) < amount:
            return "51", "insufficient funds"
        entry = self.ledger.post(account, self.settlement_account, amount, kind="purchase", trace_id=trace_id, at=now)
        self._approved_traces.append(trace_id)
        self._approved_entries.append(entry)
        return "00", ""

    # -- 0400 ----------------------------------------------------------------------------------

    def reverse(self, raw: bytes, trace_id: int, reply: Reply) -> None:
        """0400 from the switch: serve it, undo the approved debit (or mark the trace), acknowledge."""
        self.serve(lambda times: self._answer_reversal(raw, trace_id, times, reply))

    def _answer_reversal(self, raw: bytes, trace_id: int, times: tuple, reply: Reply) -> None:
        request = self.wire.decode(raw)
        purchase = self._take_approval(trace_id)
        if purchase is None:
            self._reversed_early.add(trace_id)
        else:
            self.ledger.reverse(purchase, at=self.env.now)
        self.record_hop(trace_id, "0400", times, "00", False)
        reply(self.wire.encode(messages.response_to(request, "00")))

    def _take_approval(self, trace_id: int) -> int | None:
        """The ledger entry of the trace's approved purchase, now marked reversed; None if the
        trace has no approval here that is not reversed yet."""
        traces = np.frombuffer(self._approved_traces, dtype=np.int32)
        rows = np.flatnonzero(traces == trace_id).tolist()
        del traces  # release the view: the column grows again with the next approval
        for row in rows:
            entry = self._approved_entries[row]
            if entry >= 0:
                self._approved_entries[row] = -1
                return entry
        return None
