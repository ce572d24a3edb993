"""The interaction operator: NBKR's system that credits a bank account for a transfer from an ELKART card.

Physical picture: once the sender's bank has debited the card, the app's account-transfer
service asks the interaction operator (the National Bank's system through which banks' apps
reach each other's accounts; about 1.36 M payments a day in 2025, NBKR via the press) to credit account 0011234567890128 with 5,000 som
(an `AccountCredit`). It is no ISO 8583 leg: the operator, a host with servers and a service
time, posts the credit in the receiving bank's books at once — the bank's ELKART settlement
position pays its customer's account (``money/accounts.customer_account``) — and answers 00.

A merchant QR payment is credited the same way (a `MerchantCredit`): the merchant's acquiring
bank pays the merchant's account (``money/accounts.merchant``) from its ELKART settlement
position ("merchant_credit").

If the app's service stops waiting (its timeout), it sends a `CreditCancellation`; like a
reversal advice it is delivered however long it takes, and the operator undoes the credit if it
posted it, or — if the cancellation overtook the credit — refuses the credit when it comes
(05), so a transfer whose debit was reversed never leaves the account credited. An operator that
is down (``down``, host.py: a fault drill) answers no credit; a cancellation, store-and-forward,
is taken when it is back.

A message that is not a well-formed credit for an account or a merchant of a member bank is answered 30
(format error), recorded, and nothing is posted. Each credit and each cancellation is one hop
record: ``hop`` interaction_operator, no MTI, ``issuer`` the receiving bank.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import simpy

from elcart_sim.core.clock import Reply
from elcart_sim.core.records import Table
from elcart_sim.core.streams import RandomStreams
from elcart_sim.hosts.host import Host, Times
from elcart_sim.money import accounts
from elcart_sim.money.ledger import Ledger
from elcart_sim.scenario import HostSpec
from elcart_sim.world.bank_accounts import read_account_number
from elcart_sim.world.population import Bank

__all__ = ["AccountCredit", "MerchantCredit", "CreditCancellation", "OperatorAnswer", "InteractionOperatorHost"]


@dataclass(frozen=True, slots=True)
class AccountCredit:
    """Credit ``amount_tyiyn`` to ``account_number``; ``rrn`` names the transfer (its debit's DE37)."""

    account_number: str
    amount_tyiyn: int
    rrn: str


@dataclass(frozen=True, slots=True)
class MerchantCredit:
    """Credit ``amount_tyiyn`` to merchant ``merchant_id`` at its acquiring bank ``acquirer``
    (a bank code); ``rrn`` names the payment (its debit's DE37)."""

    merchant_id: str
    acquirer: str
    amount_tyiyn: int
    rrn: str


@dataclass(frozen=True, slots=True)
class CreditCancellation:
    """Undo the credit of transfer ``rrn`` (or refuse it, if it has not come yet)."""

    rrn: str


@dataclass(frozen=True, slots=True)
class OperatorAnswer:
    """00 done; 05 a credit cancelled before it came; 30 unreadable."""

    rrn: str
    code: str


class InteractionOperatorHost(Host):
    hop = "interaction_operator"

    def __init__(self, env: simpy.Environment, spec: HostSpec, banks: Sequence[Bank], ledger: Ledger, streams: RandomStreams, hops: Table):
        super().__init__(env, "interaction_operator", spec, streams, hops)
        self.banks = tuple(banks)
        self._bank_by_code = {bank.code: bank for bank in self.banks}
        self.ledger = ledger
        self._credited: dict[str, int] = {}  # rrn -> the credit's ledger entry (-1 once cancelled)
        self._cancelled_early: set[str] = set()
        self.clearing: Any = None  # model/clearing_cycle.ClearingCycle when the scenario's clearing is enabled

    def credit(self, request: Any, trace_id: int, reply: Reply) -> None:
        """Entry: an `AccountCredit` or a `MerchantCredit`; ``reply(OperatorAnswer)`` — unless
        the operator is down."""
        self.serve(self._post, request, trace_id, reply)

    def cancel(self, request: Any, trace_id: int, reply: Reply) -> None:
        """Entry: a `CreditCancellation` (store-and-forward); ``reply(OperatorAnswer)``."""
        self.serve_kept(self._cancel, request, trace_id, reply)

    def _post(self, times: Times, request: Any, trace_id: int, reply: Reply) -> None:
        bank = self._bank(request)
        if bank is None or request.rrn in self._credited:
            code = "30"
        elif request.rrn in self._cancelled_early:
            code = "05"
        else:
            if isinstance(request, MerchantCredit):
                account, kind = accounts.merchant(bank.code, request.merchant_id), "merchant_credit"
            else:
                account, kind = accounts.customer_account(bank.code, request.account_number), "transfer_credit"
            entry = self.ledger.post(
                accounts.elkart_settlement(bank.code),
                account,
                request.amount_tyiyn,
                kind=kind,
                trace_id=trace_id,
                at=self.env.now,
            )
            self._credited[request.rrn] = entry
            if self.clearing is not None:
                self.clearing.credited(trace_id, "merchant_credit" if kind == "merchant_credit" else "account_credit", bank.code, request.amount_tyiyn)
            code = "00"
        self.record_hop(trace_id, "", bank.code if bank else "", times, code, False)
        reply(OperatorAnswer(getattr(request, "rrn", ""), code))

    def _cancel(self, times: Times, request: Any, trace_id: int, reply: Reply) -> None:
        if not isinstance(request, CreditCancellation) or not isinstance(request.rrn, str):
            code = "30"
        else:
            code = "00"
            entry = self._credited.get(request.rrn)
            if entry is None:
                self._cancelled_early.add(request.rrn)
            elif entry >= 0:
                self.ledger.reverse(entry, at=self.env.now)
                self._credited[request.rrn] = -1
                if self.clearing is not None:
                    self.clearing.credit_cancelled(trace_id)
        self.record_hop(trace_id, "", "", times, code, False)
        reply(OperatorAnswer(getattr(request, "rrn", ""), code))

    def _bank(self, request: Any) -> Bank | None:
        """The bank of a well-formed credit's account or merchant; None for anything else."""
        if not isinstance(request, (AccountCredit, MerchantCredit)) or type(request.amount_tyiyn) is not int or request.amount_tyiyn <= 0:
            return None
        if not isinstance(request.rrn, str):
            return None
        if isinstance(request, MerchantCredit):
            return self._bank_by_code.get(request.acquirer) if isinstance(request.merchant_id, str) and request.merchant_id else None
        bank, _why = read_account_number(request.account_number, self.banks)
        return bank
