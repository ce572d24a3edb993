"""Liquidity during the day: each payer bank's position checked on every payment the switch
forwards, reserved until the issuer answers, and released when its batch settles.

Physical picture: before the switch passes a payment to the issuer it asks the payer bank's
liquidity account (clearing/liquidity.LiquidityAccount) two questions, in Mojaloop's order: is
there cover left for it (else 4001), and room under the net debit cap (else 4200)? The payer is
the debtor of the clearing record the payment would make: the issuing bank for a purchase, a
transfer's debit leg, a bill or a top-up; IPC for a transfer's credit leg. A payment that
passes is reserved; an approval commits it (it becomes what the bank owes in the open period),
a decline or a timeout aborts it. Past ``alarm_share`` of its cover the bank's position raises
an alarm, once until its next settlement. A breach is recorded; with ``breach_declines`` the
switch declines the payment (DE39 51, DE44 ``LIQUIDITY COVER`` or ``NET DEBIT CAP``), otherwise
it passes, reserved all the same.

The position is what the bank owes on the records of the periods not yet settled (amounts, and
the interchange it owes as the creditor of an amount) (gross: what
it is owed counts only once settled, as in settlements-bc's worked example), plus reservations.
Every record counts, checked or not (reversals, IPC's partners' credits). When a batch settles
its records leave the positions and every cover is set to the bank's settlement account at the
National Bank (a batch settled in part, or without an excluded bank, releases all its records:
what it left unsettled is the settlement table's); a batch queued for cover keeps its records in
the positions. On-us records (the
payer's bank is the payee's) need no interbank liquidity and are not checked.

Source: Mojaloop's position check (central-ledger prepare: cover first, then the net debit cap;
the alarm at a share of cover) and settlements-bc's scenarios (docs/sources.md).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

from elcart_sim.clearing.liquidity import INSUFFICIENT_LIQUIDITY, LiquidityAccount
from elcart_sim.clearing.records import ClearingRecord
from elcart_sim.core.records import Table
from elcart_sim.protocol.iso8583.decline_reasons import DeclineReason
from elcart_sim.scenario.clearing import ClearingSpec

__all__ = ["IntradayLiquidity"]

_BREACHES = {INSUFFICIENT_LIQUIDITY: ("breach_cover", DeclineReason.LIQUIDITY_COVER)}
_CAP = ("breach_cap", DeclineReason.NET_DEBIT_CAP)


class IntradayLiquidity:
    """The participants' liquidity accounts, their reservations and the liquidity events."""

    def __init__(self, spec: ClearingSpec, opening_tyiyn: Mapping[str, int], events: Table):
        self.accounts = {
            bank: LiquidityAccount(bank, cover, spec.net_debit_cap_tyiyn(bank), spec.alarm_share) for bank, cover in opening_tyiyn.items()
        }
        self.declines = spec.breach_declines
        self._events = events
        self._payer_of: dict[Hashable, str] = {}  # reservation key -> payer bank
        self._alarmed: set[str] = set()
        self._owed: dict[str, dict[str, list[int]]] = {}  # batch -> bank -> [owes, is owed]

    def prepare(self, key: Hashable, payer: str, payee: str, amount_tyiyn: int, trace_id: int, at: float) -> DeclineReason | None:
        """The check of a payment forwarded to the issuer; returns the decline reason when the
        payment breaches a limit and breaches decline, else None (the payment is reserved)."""
        if payer == payee or amount_tyiyn <= 0 or key in self._payer_of:  # on-us, or already reserved
            return None
        account = self.accounts[payer]
        answer = account.check(amount_tyiyn)
        effective = account.paid_out_tyiyn + account.reserved_tyiyn
        if not answer.ok:
            event, reason = _BREACHES.get(answer.code, _CAP)
            self._record(at, payer, event, effective, account.cover_tyiyn, trace_id)
            if self.declines:
                return reason
        elif answer.alarm and payer not in self._alarmed:
            self._alarmed.add(payer)
            self._record(at, payer, "alarm", effective + amount_tyiyn, account.cover_tyiyn, trace_id)
        account.reserve(key, amount_tyiyn, despite_breach=True)
        self._payer_of[key] = payer
        return None

    def abort(self, key: Hashable) -> None:
        """The issuer declined or did not answer: the reservation is released."""
        payer = self._payer_of.pop(key, None)
        if payer is not None:
            self.accounts[payer].abort(key)

    def cleared(self, record: ClearingRecord, batch: str, key: Hashable = None) -> None:
        """A record filed in ``batch``: its debtor owes it (its reservation committed), its
        creditor is owed it, until the batch settles."""
        debtor, creditor, amount = record.debtor_bank, record.creditor_bank, record.amount_tyiyn
        payer = self._payer_of.pop(key, None) if key is not None else None
        if payer is not None:
            self.accounts[payer].commit(key)
        if debtor == creditor:
            return
        if payer is None:
            self.accounts[debtor].paid_out_tyiyn += amount
        self.accounts[creditor].receive(amount)
        owed = self._owed.setdefault(batch, {})
        owed.setdefault(debtor, [0, 0])[0] += amount
        owed.setdefault(creditor, [0, 0])[1] += amount
        if record.interchange_tyiyn:  # owed the other way
            self.accounts[creditor].paid_out_tyiyn += record.interchange_tyiyn
            self.accounts[debtor].receive(record.interchange_tyiyn)
            owed[creditor][0] += record.interchange_tyiyn
            owed[debtor][1] += record.interchange_tyiyn

    def settled(self, batches: Iterable[str], balances_tyiyn: Mapping[str, int]) -> None:
        """``batches`` settled: their records leave the positions, the covers become the
        settlement accounts' balances, and the alarms are armed again."""
        for batch in batches:
            for bank, (owes, owed) in self._owed.pop(batch, {}).items():
                self.accounts[bank].paid_out_tyiyn -= owes
                self.accounts[bank].received_tyiyn -= owed
        for bank, account in self.accounts.items():
            account.cover_tyiyn = balances_tyiyn[bank]
        self._alarmed.clear()

    def _record(self, at: float, bank: str, event: str, position: int, cover: int, trace_id: int) -> None:
        self._events.append(at=at, bank=bank, event=event, position_tyiyn=position, cover_tyiyn=cover, trace_id=trace_id)
