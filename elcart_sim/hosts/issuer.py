"""The issuer: a member bank's authorisation host for its own cards.

It answers an authorisation request (0100) from the switch: it finds the card by PAN, checks
the card's status and the cardholder's available balance, and — when it approves — posts the
debit in the ledger at once (cardholder deposit → the bank's ELKART settlement position, which
clearing will settle). A reversal (0400) undoes an approved debit; a reversal that overtakes
its original request is remembered, so the original is then declined unposted. Either way each
purchase is debited at most once and only if the terminal saw it approved.

A transfer's legs come as financial requests (0200). The debit leg (processing code 10) is
decided and posted as a purchase is, with the fee in DE28 charged beside it; the credit leg
(26) pays the bank's settlement position into the recipient's card, if the card may receive
(a blocked, lost or stolen card may not). A reversal advice (0420) undoes either leg as a
reversal undoes a purchase. A bill payment (0200, processing code 50, payment from account) is
a debit too, posted as "bill_payment"; its DE48 must name the biller and the reference
(protocol/iso8583/service_data.py), or it is answered 30 (format error) unposted. A merchant QR
payment's debit (0200, processing code 00, purchase) is posted as "qr_payment"; its DE48 must
name the merchant of its DE42 (``QRPAY <merchant id>``), or it is answered 30 unposted. A cash
withdrawal at an ATM (0200, processing code 01) is a debit posted as "cash_withdrawal".

A plastic card's authorisation (a chip purchase's 0100, an ATM's 0200) carries the card's
cryptogram in DE55 and no token data (DE123): the issuer verifies it itself before deciding
(cards/authentication.py) — a bad one is declined 63 with its reason in DE44 — and signs its
answer with the ARPC in DE55 tag 91. A token's cryptogram the token service has checked.

A reversal names its original by the original's data elements, as a real issuer matches it:
the retrieval reference number, the system trace audit number and the transmission date and
time (DE37, DE11, DE7, which the reversal repeats; DE90 holds the latter two again). Any
approval may yet be reversed (reversals are store-and-forward, so no deadline bounds their
arrival), so the issuer remembers every approval of the day — as integer columns, 24 bytes per
approval; a reversal, which is rare, finds its original by a vectorised search.

Duplicates and repeats: a repeat (0101) of an approved request, or a request whose advice came
first, is answered from the approvals' columns and never posted twice; one that changes the
original's amount is refused 94. With ``switch.duplicates: all`` (links that may deliver a
message twice) every request's answer is remembered besides (hosts/answers.py, about a hundred
bytes a request), so any duplicate is answered as its original was. A repeated reversal (0401,
0421) finds its approval already reversed and undoes nothing more.

Advices (0120, its repeat 0121): the switch approved an authorisation in the issuer's stead
(hosts/switch/stand_in.py). The issuer may not decline an advice: it posts the purchase even
beyond the cardholder's balance or on a card it would have refused, once — not when it has
approved the authorisation itself, nor when the authorisation was reversed first — answers
0130, and reports the part beyond the available balance (``on_advice_posted``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import simpy

from elcart_sim.cards.authentication import ChipAuthentication
from elcart_sim.core.clock import Reply
from elcart_sim.core.errors import IsoMessageError
from elcart_sim.core.records import Table
from elcart_sim.core.streams import RandomStreams
from elcart_sim.hosts.answers import Answer, Answers, Approvals, fields_of
from elcart_sim.hosts.host import Host, Times, entry
from elcart_sim.money import accounts
from elcart_sim.money.ledger import Ledger
from elcart_sim.protocol.fidelity import FIDELITIES, WireFormat
from elcart_sim.protocol.iso8583 import (
    MTI_AUTHORISATION_ADVICE,
    MTI_AUTHORISATION_ADVICE_REPEAT,
    MTI_AUTHORISATION_REQUEST,
    MTI_AUTHORISATION_REQUEST_REPEAT,
    MTI_FINANCIAL_REQUEST,
    MTI_REVERSAL_ADVICE,
    MTI_REVERSAL_ADVICE_REPEAT,
    MTI_REVERSAL_REQUEST,
    MTI_REVERSAL_REQUEST_REPEAT,
    ProcessingCode,
    messages,
)
from elcart_sim.protocol.iso8583.repeats import exchange_key
from elcart_sim.protocol.iso8583.service_data import read_bill_data, read_qr_payment_data
from elcart_sim.scenario import CARD_STATUSES, HostSpec
from elcart_sim.tokens.card_authentication import Authentication
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
        chip_authentication: ChipAuthentication | None = None,
    ):
        super().__init__(env, f"issuer.{bank.code}", spec, streams, hops, wire=wire)
        self.bank = bank
        self.chip_authentication = chip_authentication  # None: plastic cards' cryptograms are not checked
        self.population = population
        self.ledger = ledger
        self.settlement_account = accounts.elkart_settlement(bank.code)
        self._approvals = Approvals()  # every approval of the day (hosts/answers.py)
        self._reversed_early: set[tuple[int, int, int]] = set()
        self._fees: dict[int, int] = {}  # ledger entry of a charged debit -> its fee's entry
        self._authorisations = 0
        self.answers: Answers | None = None  # every request's answer (hosts/answers.py), when the run remembers them all
        self._advised: set[tuple[int, int, int]] = set()  # the original keys of the stand-in advices posted
        self.on_advice_posted: Callable[[int, float, int], None] | None = None  # (trace id, at, exposure in tyiyn)

    def cardholder_account(self, card: int) -> tuple:
        return accounts.cardholder(self.bank.code, card)

    # -- 0100 ----------------------------------------------------------------------------------

    @entry(MTI_AUTHORISATION_REQUEST)
    def authorise(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0100 from the switch: serve it, decide, post an approval, answer. A plastic card's
        chip data (DE55 without a token's DE123) is checked first (cards/authentication.py)."""
        self._authorise(times, request, trace_id, reply)

    @entry(MTI_AUTHORISATION_REQUEST_REPEAT)
    def authorise_repeat(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0101, a repeat: answered from memory, or decided as an 0100 if the original never came."""
        self._authorise(times, request, trace_id, reply)

    def _authorise(self, times: Times, request: Mapping[str, Any], trace_id: int, reply: Reply) -> None:
        key = self._unless_answered(times, request, trace_id, reply)
        if key is None:
            return
        chip = self._check_chip(request)
        if chip is not None and chip.decline is not None:
            self._answer(times, request, trace_id, reply, key, chip.decline.response_code, chip)
            return
        self._answer(times, request, trace_id, reply, key, self._debit(request, trace_id, "purchase"), chip)

    def _unless_answered(self, times: Times, request: Mapping[str, Any], trace_id: int, reply: Reply) -> int | None:
        """The exchange key of ``request`` (0 when every answer is not remembered), to decide it
        under; None when this issuer has answered it before — a duplicate or a repeat (0101) of
        a request it approved, or one whose advice it posted first — which is then answered again
        from memory (94 when it changed the original's fields) and posts nothing."""
        answers = self.answers
        if answers is None:  # only approvals and advices are remembered (the default, and the lean path)
            if request["t"] != MTI_AUTHORISATION_REQUEST_REPEAT and not (self._advised and original_key(request) in self._advised):
                return 0
            known = self._recall_approval(request)
        else:
            key = exchange_key(request)
            known = answers.recall(key)
            if known is None:
                return key
        if known is None:
            return 0
        if known.fields != fields_of(request):
            response = messages.response_to(request, "94")
        else:
            response = messages.response_to(request, known.response_code, _authorisation_id(known))
        self.record_hop(trace_id, request["t"], self.bank.code, times, response["39"], False)
        reply(self.wire.encode(response))
        return None

    def _recall_approval(self, request: Mapping[str, Any]) -> Answer | None:
        """The approval of ``request``'s transaction, from the approvals' columns (its row is its
        authorisation number less one), or None when there is none."""
        row = self._approvals.find(original_key(request))
        if row is None:
            return None
        entry = self._approvals.entry(row)
        amount = int(self.ledger.amount_tyiyn[entry]) if entry >= 0 else int(request["4"])
        fields = fields_of(request)
        return Answer("00", row + 1, fields if amount == int(request["4"]) else ~fields)  # ~: a fingerprint it cannot have

    @entry(MTI_FINANCIAL_REQUEST)
    def transfer(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0200 from the switch, a transfer's debit leg (DE3 10) or credit leg (26), a bill
        payment (50) or a merchant QR payment (00): serve it, decide, post an approval, answer;
        a cash withdrawal at an ATM (01, its chip data checked first); another processing code
        is an invalid transaction (12)."""
        key = self._unless_answered(times, request, trace_id, reply)
        if key is None:
            return
        kind = request["3"][:2]
        chip = None
        if kind == ProcessingCode.CASH:
            chip = self._check_chip(request)
            if chip is not None and chip.decline is not None:
                response_code = chip.decline.response_code
            else:
                response_code = self._debit(request, trace_id, "cash_withdrawal")
        elif kind == ProcessingCode.TRANSFER_DEBIT:
            response_code = self._debit(request, trace_id, "transfer_debit")
        elif kind == ProcessingCode.TRANSFER_CREDIT:
            response_code = self._credit(request, trace_id)
        elif kind == ProcessingCode.PAYMENT:
            response_code = self._debit(request, trace_id, "bill_payment") if _names_a_bill(request) else "30"
        elif kind == ProcessingCode.PURCHASE:
            response_code = self._debit(request, trace_id, "qr_payment") if _names_a_merchant(request) else "30"
        else:
            response_code = "12"
        self._answer(times, request, trace_id, reply, key, response_code, chip)

    def _check_chip(self, request: Mapping[str, Any]) -> Authentication | None:
        """The verdict on a plastic card's chip data; None when there is none to check here (a
        token's, which the token service checked, or no DE55, or no checks configured)."""
        if self.chip_authentication is None or "55" not in request or "123" in request:
            return None
        return self.chip_authentication.authenticate(request)

    def _answer(
        self, times: Times, request: Mapping[str, Any], trace_id: int, reply: Reply, key: int, response_code: str, chip: Authentication | None = None
    ) -> None:
        authorisation_id = None
        if response_code == "00":
            self._authorisations += 1
            authorisation_id = f"{self._authorisations % 1_000_000:06d}"
        if self.answers is not None:
            self.answers.remember(key, response_code, self._authorisations if authorisation_id else 0, fields_of(request))
        self.record_hop(trace_id, request["t"], self.bank.code, times, response_code, False)
        decline = chip.decline.code if chip is not None and chip.decline is not None else None
        response = messages.response_to(request, response_code, authorisation_id, additional_response=decline)
        if chip is not None:
            signed = ChipAuthentication.sign(chip, response_code == "00")
            if signed is not None:
                response["55"] = signed
        reply(self.wire.encode(response))

    def _card(self, request: Mapping[str, Any], key: tuple[int, int, int]) -> tuple[int | None, str]:
        """The card DE2 names and why it may not be used (a DE39), or '' when it may; ``key``
        is the request's original_key."""
        card = self.population.card_of_pan(request["2"])
        if card is None or self.population.bank_of_card(card) is not self.bank:
            return None, "14"  # no such card at this issuer
        if key in self._reversed_early:
            return card, "05"  # reversed before the request was processed
        status = CARD_STATUSES[int(self.population.card_status[card])]
        return card, ("" if status == "active" else STATUS_RESPONSE_CODES[status])

    def _debit(self, request: Mapping[str, Any], trace_id: int, kind: str) -> str:
        """DE39 for a request that takes money from the card (a purchase, a transfer's debit
        leg); an approval's debit, and the fee in DE28 if any, are posted."""
        key = original_key(request)
        card, refusal = self._card(request, key)
        if refusal:
            return refusal
        amount = int(request["4"])
        fee = int(request["28"][1:]) if "28" in request else 0
        account = self.cardholder_account(card)
        now = self.env.now
        if self.ledger.available_tyiyn(account, now) < amount + fee:
            return "51"
        entry = self.ledger.post(account, self.settlement_account, amount, kind=kind, trace_id=trace_id, at=now)
        if fee:
            self._fees[entry] = self.ledger.post(account, accounts.fee_income(self.bank.code), fee, kind="fee", trace_id=trace_id, at=now)
        self._approvals.remember(key, entry)
        return "00"

    def _credit(self, request: Mapping[str, Any], trace_id: int) -> str:
        """DE39 for a transfer's credit leg; an approval's credit to the card is posted."""
        key = original_key(request)
        card, refusal = self._card(request, key)
        if refusal:
            return refusal
        now = self.env.now
        entry = self.ledger.post(
            self.settlement_account, self.cardholder_account(card), int(request["4"]), kind="transfer_credit", trace_id=trace_id, at=now
        )
        self._approvals.remember(key, entry)
        return "00"

    # -- 0400 ----------------------------------------------------------------------------------

    @entry(MTI_REVERSAL_REQUEST)
    def reverse(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0400 from the switch: serve it, undo the approved debit (or remember it), acknowledge."""
        self._reverse(times, request, trace_id, reply)

    @entry(MTI_REVERSAL_ADVICE)
    def reverse_advice(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0420 from the switch: serve it, undo the approved leg (or remember it), acknowledge."""
        self._reverse(times, request, trace_id, reply)

    @entry(MTI_REVERSAL_REQUEST_REPEAT)
    def reverse_repeat(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0401, a repeat: acknowledged; the approval it names is undone once."""
        self._reverse(times, request, trace_id, reply)

    @entry(MTI_REVERSAL_ADVICE_REPEAT)
    def reverse_advice_repeat(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0421, a repeat: acknowledged; the leg it names is undone once."""
        self._reverse(times, request, trace_id, reply)

    def _reverse(self, times: Times, request: Mapping[str, Any], trace_id: int, reply: Reply) -> None:
        key = original_key(request)
        posted = self._take_approval(key)
        if posted is None:
            self._reversed_early.add(key)
        else:
            now = self.env.now
            self.ledger.reverse(posted, at=now)
            fee = self._fees.pop(posted, None)
            if fee is not None:
                self.ledger.reverse(fee, at=now)
        self.record_hop(trace_id, request["t"], self.bank.code, times, "00", False)
        reply(self.wire.encode(messages.response_to(request, "00")))

    def _take_approval(self, key: tuple[int, int, int]) -> int | None:
        """The ledger entry of the approval ``key`` names, now marked reversed; None if it has no
        approval here that is not reversed yet (hosts/answers.Approvals)."""
        return self._approvals.take(key)

    # -- 0120 ----------------------------------------------------------------------------------

    @entry(MTI_AUTHORISATION_ADVICE)
    def advise(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0120 from the switch, a stand-in approval: posted once, whatever the balance, answered 0130."""
        self._post_advice(times, request, trace_id, reply)

    @entry(MTI_AUTHORISATION_ADVICE_REPEAT)
    def advise_repeat(self, times: Times, request: Mapping[str, Any], payload: Any, trace_id: int, reply: Reply) -> None:
        """0121, the advice's repeat: posted if the advice never came, answered 0130."""
        self._post_advice(times, request, trace_id, reply)

    def _post_advice(self, times: Times, request: Mapping[str, Any], trace_id: int, reply: Reply) -> None:
        """Post the advice's purchase unless its transaction is on the books already (approved
        here, or advised before) or was reversed first; answer 0130."""
        key = original_key(request)
        now = self.env.now
        exposure = 0
        card = self.population.card_of_pan(request["2"])
        ours = card is not None and self.population.bank_of_card(card) is self.bank
        if ours and key not in self._advised and key not in self._reversed_early and self._approvals.find(key) is None:
            account = self.cardholder_account(card)
            amount = int(request["4"])
            exposure = amount - min(max(self.ledger.available_tyiyn(account, now), 0), amount)
            entry = self.ledger.post(account, self.settlement_account, amount, kind="purchase", trace_id=trace_id, at=now)
            self._approvals.remember(key, entry)
            self._advised.add(key)
            self._authorisations += 1
            if self.answers is not None:
                self.answers.remember(exchange_key(request), "00", self._authorisations, fields_of(request))
        if self.on_advice_posted is not None and ours:
            self.on_advice_posted(trace_id, now, exposure)
        response_code = "00" if ours else "14"
        self.record_hop(trace_id, request["t"], self.bank.code, times, response_code, False)
        reply(self.wire.encode(messages.response_to(request, response_code)))


def _authorisation_id(answer: Answer) -> str | None:
    """DE38 of a remembered approval (None for a decline)."""
    return f"{answer.authorisation_number % 1_000_000:06d}" if answer.response_code == "00" else None


def _names_a_bill(request: Mapping[str, Any]) -> bool:
    """True when a payment's DE48 names a biller and a reference."""
    try:
        read_bill_data(request["48"])
    except IsoMessageError:
        return False
    return True


def _names_a_merchant(request: Mapping[str, Any]) -> bool:
    """True when a merchant QR payment's DE48 names the merchant its DE42 does."""
    try:
        return read_qr_payment_data(request["48"]) == request.get("42", "").strip()
    except IsoMessageError:
        return False
