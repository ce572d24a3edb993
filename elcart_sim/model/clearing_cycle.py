"""IPC's clearing cycle in simulated time: clearing records from what the switch approved,
periods closed at the scenario's cut-offs, net positions settled at the National Bank, and the
settlement posted in the one ledger.

Physical picture: every approval the switch relays (an 0110 for a tap, an 0210 for one of the
app's legs) drops one clearing record into the open period; every reversal the switch delivers
of a message it had approved drops the opposite record. The app's payments to a biller, a bank
account or a merchant are credited by IPC's partners (a biller gateway, the interaction
operator), not through the switch, and those credits (and their cancellations) drop records too.
At each cut-off (``clearing.cutoffs``, local times) the periods that have ended are closed: their
records netted bilaterally and multilaterally, the positions sent to the gross settlement system (clearing/
settlement.Rtgs), settled there under ``clearing.uncovered_rule``, and each bank's settled
position posted between its ``elkart_settlement`` and its ``nbkr_correspondent`` account
("settlement"). When two or more batches wait for cover under the ``queue`` rule and none can
settle alone (gridlock), they are offset at the cut-off: settled together, each bank paying only
its net debit over them (status ``offset``). A record at or after the day's last cut-off belongs to the next day's first
period; when the day has drained, ``settle_rest`` closes every period still open, so a run ends
with every record submitted for settlement.

Banks: for a tap, the acquiring bank is DE32's, the issuing bank the route's. For the app's
payments IPC itself is the acquirer and a settlement participant, "IPC" in the positions, with
its own settlement position and correspondent account in the ledger: a debit leg makes the
payer's bank owe IPC, the matching credit makes IPC owe the payee's bank, so a completed payment
nets to zero at IPC, and IPC's ``elkart_settlement`` holds only the money in transit between the
two (zero at the end of a clean day). The acquirer's side of a tap is posted when its record is
made (at clearing, accounts.py): debit the acquirer's ``elkart_settlement``, credit the merchant.
Interchange (``clearing.interchange``, per kind) is owed by the creditor of the amount to its
debtor — on a purchase the acquirer pays the issuer — netted with the amounts, and posted when
the record is made, out of the creditor's ``fee_income`` into the debtor's, through their
``elkart_settlement`` positions ("interchange"). The fee in DE28 stays with the issuer that
charged it: it is on the record, not netted.

What the ledger shows: an issuer posts a debit when it approves, the switch records it when it
relays the approval, so right after a cut-off an ``elkart_settlement`` balance holds only the
messages in flight across it; once every period has settled in full, every bank's
``elkart_settlement`` is zero.
"""

from __future__ import annotations

import datetime
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from typing import Any

import simpy

from elcart_sim.clearing.netting import Obligations, bilateral_positions, gross_credits, gross_debits
from elcart_sim.clearing.records import DAY_S, DEBIT_KINDS, ClearingRecord, batch_id
from elcart_sim.clearing.settlement import Rtgs
from elcart_sim.core.records import Records
from elcart_sim.hosts.issuer import original_key
from elcart_sim.model.intraday_liquidity import IntradayLiquidity
from elcart_sim.money import accounts
from elcart_sim.money.ledger import Ledger
from elcart_sim.protocol.iso8583 import MTI_AUTHORISATION_REQUEST, MTI_AUTHORISATION_REQUEST_REPEAT, ProcessingCode
from elcart_sim.protocol.iso8583.decline_reasons import DeclineReason
from elcart_sim.scenario.clearing import ClearingSpec

__all__ = ["ClearingCycle", "IPC_BANK", "clearing_kind"]

IPC_BANK = "IPC"
"""IPC as a settlement participant: the acquirer of the app's payments."""

_APP_KINDS = {
    ProcessingCode.TRANSFER_DEBIT: "transfer_debit",
    ProcessingCode.TRANSFER_CREDIT: "transfer_credit",
    ProcessingCode.PAYMENT: "bill",
    ProcessingCode.PURCHASE: "qr_payment",
    ProcessingCode.CASH: "cash_withdrawal",
}
_ACQUIRED_KINDS = ("purchase", "cash_withdrawal")  # the acquirer is DE32's bank (a POS's, an ATM's), not IPC


def clearing_kind(request: Mapping[str, Any]) -> str:
    """The clearing kind of an approved request: an 0100 (or its repeat, 0101) is a purchase —
    a stand-in approval too, cleared as the issuer's own would be; an 0200's processing
    code (DE3) names its leg, a debit to a bank account (DE48 ``ACCT …``) an account transfer."""
    if request["t"] in (MTI_AUTHORISATION_REQUEST, MTI_AUTHORISATION_REQUEST_REPEAT):
        return "purchase"
    kind = _APP_KINDS[request["3"][:2]]
    if kind == "transfer_debit" and request.get("48", "").startswith("ACCT "):
        return "account_transfer"
    return kind


class ClearingCycle:
    """The switch's clearing records, the periods they fall in, and their settlement."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: ClearingSpec,
        business_date: datetime.date,
        banks: Iterable[str],
        bank_of_institution: Mapping[str, str],
        ledger: Ledger,
        records: Records,
        duration_s: float,
    ):
        self.env = env
        self.spec = spec
        self.business_date = business_date
        self.participants = (*banks, IPC_BANK)
        self.bank_of_institution = bank_of_institution
        self.ledger = ledger
        self.rtgs = Rtgs.opened({bank: spec.opening_liquidity_tyiyn(bank) for bank in self.participants})
        self.liquidity = IntradayLiquidity(spec, self.rtgs.balances_tyiyn, records.liquidity_events)
        self._cutoffs = spec.cutoffs_s
        self._clearing, self._positions, self._settlement = records.clearing, records.positions, records.settlement
        self._bilateral = records.bilateral
        self._open: dict[tuple[int, int], list[ClearingRecord]] = {}  # period -> its records, while open
        self._batch_ids: dict[tuple[int, int], str] = {}
        self._approved: dict[tuple[int, int, int], tuple[ClearingRecord, list[int]]] = {}  # original key -> record, its ledger entries
        self._reversed_early: set[tuple[int, int, int]] = set()
        self._credits: dict[int, ClearingRecord] = {}  # trace id -> a partner's credit not cancelled
        self._outcomes_seen = 0
        self.late_s: dict[int, float] = {}  # a fault drill's: the first day's cut-off (index) -> how late its period goes to settlement
        env.process(self.run_clearing_cycle(duration_s))

    # -- records -------------------------------------------------------------------------------

    def prepare(self, request: Mapping[str, Any], issuer_bank: str, trace_id: int) -> DeclineReason | None:
        """The switch forwards ``request`` to ``issuer_bank``: the payer bank's position check
        (model/intraday_liquidity.py); a reason when the switch must decline it."""
        kind = clearing_kind(request)
        acquirer = self.bank_of_institution[request["32"]] if kind in _ACQUIRED_KINDS else IPC_BANK
        payer, payee = (issuer_bank, acquirer) if kind in DEBIT_KINDS else (acquirer, issuer_bank)
        return self.liquidity.prepare(original_key(request), payer, payee, int(request["4"]), trace_id, self.env.now)

    def declined(self, request: Mapping[str, Any]) -> None:
        """The issuer declined ``request``, or did not answer in time: its reservation is released."""
        self.liquidity.abort(original_key(request))

    def approved(self, request: Mapping[str, Any], issuer_bank: str, trace_id: int) -> None:
        """The switch relayed an approval of ``request`` (as the acquirer sent it) from
        ``issuer_bank``: its record, and for a tap the acquirer's credit to the merchant."""
        now = self.env.now
        kind = clearing_kind(request)
        tap = kind == "purchase"
        acquirer = self.bank_of_institution[request["32"]] if kind in _ACQUIRED_KINDS else IPC_BANK
        fee = int(request["28"][1:]) if "28" in request else 0
        amount = int(request["4"])
        record = ClearingRecord(str(trace_id), kind, acquirer, issuer_bank, amount, fee, now, interchange_tyiyn=self.spec.interchange_tyiyn(kind, amount))
        entries: list[int] = []
        if tap:
            entries.append(self.ledger.post(
                accounts.elkart_settlement(acquirer),
                accounts.merchant(acquirer, request["42"].strip()),
                record.amount_tyiyn,
                kind="merchant_credit",
                trace_id=trace_id,
                at=now,
            ))
        elif kind == "cash_withdrawal":  # the ATM's bank paid the cash out of its vault
            entries.append(self.ledger.post(
                accounts.elkart_settlement(acquirer),
                accounts.atm_cash(acquirer),
                record.amount_tyiyn,
                kind="cash_dispensed",
                trace_id=trace_id,
                at=now,
            ))
        if record.interchange_tyiyn:
            entries += self._post_interchange(record, trace_id)
        key = original_key(request)
        self._file(record, key)
        if key in self._reversed_early:  # its reversal was delivered before the approval was relayed
            self._reversed_early.discard(key)
            self._undo(record, entries)
        else:
            self._approved[key] = (record, entries)

    def _post_interchange(self, record: ClearingRecord, trace_id: int) -> list[int]:
        """The creditor of the amount pays the interchange out of its fee income, the debtor is
        paid it into its own, both through their ELKART settlement positions."""
        debtor, creditor, amount = record.debtor_bank, record.creditor_bank, record.interchange_tyiyn
        post, now = self.ledger.post, self.env.now
        return [
            post(accounts.elkart_settlement(debtor), accounts.fee_income(debtor), amount, kind="interchange", trace_id=trace_id, at=now),
            post(accounts.fee_income(creditor), accounts.elkart_settlement(creditor), amount, kind="interchange", trace_id=trace_id, at=now),
        ]

    def reversed(self, request: Mapping[str, Any]) -> None:
        """The switch delivered a reversal (0400, 0420): the opposite of the record it names."""
        key = original_key(request)
        found = self._approved.pop(key, None)
        if found is None:
            self._reversed_early.add(key)
        else:
            self._undo(*found)

    def credited(self, trace_id: int, kind: str, bank: str, amount_tyiyn: int) -> None:
        """IPC's partner credited a customer of ``bank`` (``kind``: bill_credit, account_credit,
        merchant_credit): IPC owes ``bank``."""
        record = ClearingRecord(str(trace_id), kind, IPC_BANK, bank, amount_tyiyn, 0, self.env.now)
        self._credits[trace_id] = record
        self._file(record)

    def credit_cancelled(self, trace_id: int) -> None:
        """IPC's partner undid the credit of payment ``trace_id``: the opposite record."""
        record = self._credits.pop(trace_id, None)
        if record is not None:
            self._file(record.reversal(self.env.now))

    def _undo(self, record: ClearingRecord, entries: list[int]) -> None:
        now = self.env.now
        self._file(record.reversal(now))
        for entry in entries:
            self.ledger.reverse(entry, at=now)

    def _file(self, record: ClearingRecord, key: Any = None) -> None:
        period = self._period(record.cleared_at)
        batch = self._batch_ids.get(period)
        if batch is None:
            day, index = period
            batch = self._batch_ids[period] = batch_id("DNS", 417, self.business_date + datetime.timedelta(days=day), index)
        self._open.setdefault(period, []).append(record)
        self.liquidity.cleared(record, batch, key)
        self._clearing.append(
            trace_id=int(record.trace_id),
            kind=record.kind,
            reverses=record.reverses,
            acquirer_bank=record.acquirer_bank,
            issuer_bank=record.issuer_bank,
            amount_tyiyn=record.amount_tyiyn,
            fee_tyiyn=record.fee_tyiyn,
            interchange_tyiyn=record.interchange_tyiyn,
            cleared_at=record.cleared_at,
            batch_id=batch,
        )

    def _period(self, at: float) -> tuple[int, int]:
        """clearing/records.period_of, for one instant: (day, cut-off index from 1)."""
        day, within = divmod(at, DAY_S)
        index = bisect_right(self._cutoffs, within)
        if index == len(self._cutoffs):
            return int(day) + 1, 1
        return int(day), index + 1

    # -- the cycle -----------------------------------------------------------------------------

    def run_clearing_cycle(self, duration_s: float):
        """Close the periods at each cut-off within the day's ``duration_s``; a late clearing file
        (``late_s``, a fault drill's) goes to settlement that much after its cut-off, the records
        cleared meanwhile falling in the next period as usual."""
        day = 0
        while True:
            for index, cutoff in enumerate(self._cutoffs, 1):
                at = day * DAY_S + cutoff
                if at > duration_s:
                    return
                late = self.late_s.get(index - 1, 0.0) if day == 0 else 0.0
                yield self.env.timeout(max(0.0, at + late - self.env.now))
                self._settle_until((day, index))
            day += 1

    def settle_rest(self) -> None:
        """Close every period still open (the records after the day's last cut-off, and the
        drain's), now."""
        self._settle_until(max(self._open, default=(0, 0)))

    def _settle_until(self, last: tuple[int, int]) -> None:
        for period in sorted(p for p in self._open if p <= last):
            self._settle(self._batch_ids[period], self._open.pop(period))
        if self.rtgs.batches_gridlocked():  # batches queued for cover that only wait for each other
            self.rtgs.offset_batches(self.env.now)
        self._post_outcomes()

    def _settle(self, batch: str, records: list[ClearingRecord]) -> None:
        now = self.env.now
        obligations = Obligations.from_records(records, banks=self.participants)
        debits, credits = gross_debits(obligations), gross_credits(obligations)
        for bank in obligations.banks:
            self._positions.append(
                batch_id=batch,
                bank=bank,
                gross_debit_tyiyn=debits[bank],
                gross_credit_tyiyn=credits[bank],
                net_tyiyn=credits[bank] - debits[bank],
            )
        for (bank_a, bank_b), net in bilateral_positions(obligations).items():
            self._bilateral.append(batch_id=batch, bank_a=bank_a, bank_b=bank_b, net_tyiyn=net)
        self.rtgs.settle_batch(batch, obligations, self.spec.uncovered_rule, now)
        self.rtgs.release(now)

    def _post_outcomes(self) -> None:
        """Each new outcome of the gross settlement system: a settlement row, and what settled
        posted between each bank's ELKART settlement position and its correspondent account."""
        for outcome in self.rtgs.batches[self._outcomes_seen :]:
            self._settlement.append(
                batch_id=outcome.batch_id,
                status=outcome.status,
                submitted_at=outcome.submitted_at,
                settled_at=float("nan") if outcome.settled_at is None else outcome.settled_at,
                unsettled_tyiyn=outcome.unsettled_tyiyn,
                excluded_banks=",".join(outcome.excluded_banks),
            )
            if outcome.settled_at is None:
                continue
            for bank, paid in outcome.settled_tyiyn.items():
                position, correspondent = accounts.elkart_settlement(bank), accounts.nbkr_correspondent(bank)
                if paid > 0:  # a net creditor is paid into its correspondent account
                    self.ledger.post(correspondent, position, paid, kind="settlement", trace_id=-1, at=outcome.settled_at)
                elif paid < 0:
                    self.ledger.post(position, correspondent, -paid, kind="settlement", trace_id=-1, at=outcome.settled_at)
        settled = [o.batch_id for o in self.rtgs.batches[self._outcomes_seen :] if o.settled_at is not None]
        if settled:
            self.liquidity.settled(settled, self.rtgs.balances_tyiyn)
        self._outcomes_seen = len(self.rtgs.batches)
