"""The issuer: a member bank's authorisation host for its own cards.

It answers an authorisation request (0100) from the switch: it finds the card by PAN, checks
the card's status and the cardholder's available balance, and — when it approves — posts the
debit in the ledger at once (cardholder deposit → the bank's ELKART settlement position, which
clearing will settle). A reversal (0400) undoes an approved debit; a reversal that overtakes
its original request is remembered, so the original is then declined unposted. Either way each
purchase is debited at most once and only if the terminal saw it approved.

A reversal names its original by the original's data elements, as a real issuer matches it:
the retrieval reference number, the system trace audit number and the transmission date and
time (DE37, DE11, DE7, which the reversal repeats; DE90 holds the latter two again). Any
approval may yet be reversed (reversals are store-and-forward, so no deadline bounds their
arrival), so the issuer remembers every approval of the day — as integer columns, 24 bytes per
approval; a reversal, which is rare, finds its original by a vectorised search.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping
from typing import Any

import numpy as np
import simpy

from elcart_sim.core.clock import Reply
from elcart_sim.core.records import Table
from elcart_sim.core.streams import RandomStreams
from elcart_sim.hosts.host import Host, Times, entry
from elcart_sim.money import accounts
from elcart_sim.money.ledger import Ledger
from elcart_sim.protocol.fidelity import FIDELITIES, WireFormat
from elcart_sim.protocol.iso8583 import MTI_AUTHORISATION_REQUEST, MTI_REVERSAL_REQUEST, messages
from elcart_sim.scenario import CARD_STATUSES, HostSpec
from elcart_sim.world.population import Bank, Population

__all__ = ["Issuer", "STATUS_RESPONSE_CODES", "original_key"]

# Card status -> DE39 when the card may not pay (ISO 8583:1987 response codes).
STATUS_RESPONSE_CODES = {"blocked": "62", "lost": "41", "stolen": "43", "expired": "54"}


def original_key(message: Mapping[str, Any]) -> tuple[int, int, int]:
    """What names an authorisation among all others: its retrieval reference number (DE37, an12,
    read as a base-36 number: 12 characters fit in 63 bits), STAN (DE11) and transmission date
    and time (DE7), as the request carries them and its reversal repeats them."""
    return int(message["37"], 36), int(message["11"]), int(message["7"])


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
        # Approvals in the order posted: the original's key (original_key), and its purchase's
        # ledger entry (-1 once reversed).
        self._approved_rrn = array("q")
        self._approved_stan = array("i")
        self._approved_sent_at = array("q")
        self._approved_entries = array("i")
        self._reversed_early: set[tuple[int, int, int]] = set()
        self._authorisations = 0

    def cardholder_account(self, card: int) -> tuple:
        return accounts.cardholder(self.bank.code, card)

    # -- 0100 ----------------------------------------------------------------------------------

    @entry(MTI_AUTHORISATION_REQUEST)
    def authorise(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0100 from the switch: serve it, decide, post an approval, answer."""
        response_code = self._decide_and_post(request, trace_id)
        authorisation_id = None
        if response_code == "00":
            self._authorisations += 1
            authorisation_id = f"{self._authorisations % 1_000_000:06d}"
        self.record_hop(trace_id, MTI_AUTHORISATION_REQUEST, self.bank.code, times, response_code, False)
        reply(self.wire.encode(messages.response_to(request, response_code, authorisation_id)))

    def _decide_and_post(self, request: Mapping[str, Any], trace_id: int) -> str:
        """DE39 for ``request``; an approval's debit is posted."""
        card = self.population.card_of_pan(request["2"])
        if card is None or self.population.bank_of_card(card) is not self.bank:
            return "14"  # no such card at this issuer
        key = original_key(request)
        if key in self._reversed_early:
            return "05"  # reversed before the request was processed
        status = CARD_STATUSES[int(self.population.card_status[card])]
        if status != "active":
            return STATUS_RESPONSE_CODES[status]
        amount = int(request["4"])
        account = self.cardholder_account(card)
        now = self.env.now
        if self.ledger.available_tyiyn(account, now) < amount:
            return "51"
        entry = self.ledger.post(account, self.settlement_account, amount, kind="purchase", trace_id=trace_id, at=now)
        rrn, stan, sent_at = key
        self._approved_rrn.append(rrn)
        self._approved_stan.append(stan)
        self._approved_sent_at.append(sent_at)
        self._approved_entries.append(entry)
        return "00"

    # -- 0400 ----------------------------------------------------------------------------------

    @entry(MTI_REVERSAL_REQUEST)
    def reverse(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0400 from the switch: serve it, undo the approved debit (or remember it), acknowledge."""
        key = original_key(request)
        purchase = self._take_approval(key)
        if purchase is None:
            self._reversed_early.add(key)
        else:
            self.ledger.reverse(purchase, at=self.env.now)
        self.record_hop(trace_id, MTI_REVERSAL_REQUEST, self.bank.code, times, "00", False)
        reply(self.wire.encode(messages.response_to(request, "00")))

    def _take_approval(self, key: tuple[int, int, int]) -> int | None:
        """The ledger entry of the approved purchase ``key`` names, now marked reversed; None if
        it has no approval here that is not reversed yet."""
        rrn, stan, sent_at = key
        rrns = np.frombuffer(self._approved_rrn, dtype=np.int64)
        rows = np.flatnonzero(rrns == rrn).tolist()
        del rrns  # release the view: the column grows again with the next approval
        for row in rows:
            entry = self._approved_entries[row]
            if entry >= 0 and self._approved_stan[row] == stan and self._approved_sent_at[row] == sent_at:
                self._approved_entries[row] = -1
                return entry
        return None
