"""Clearing records, clearing periods and batch ids: what the switch approved, sorted into the
period in which the National Bank will settle it.

Physical picture: every financial message the switch approves leaves one clearing record — the
trace id that ran from the tap, the kind of message, the two banks and the amount. Records pile
up until a cut-off (one, two or four a day, local time); at the cut-off the period closes and
its records become one batch, named so that anyone holding a record can name its batch again:
settlement model, currency, business date, cut-off number ("DNS-417-2025-07-01-C1"). A record
cleared at or after the day's last cut-off belongs to the next day's first period.

Who owes whom follows the scheme's debit/credit indicator: a debit to the cardholder (a
purchase, a transfer's debit leg, a bill, a top-up, a transfer to an account, a merchant QR
payment) makes the issuing bank owe the acquiring bank; a credit to a customer (a transfer's
credit leg to a card; the credit to a biller, a bank account or a merchant paid by QR code, which
IPC's partners post) makes the acquiring bank owe the customer's bank; a reversal turns the direction of the
kind it reverses. In the app's payments IPC, as interaction operator, is the acquirer: a P2P's
debit leg makes the sender's bank owe IPC, its credit leg IPC owe the recipient's bank, so a
completed transfer nets to zero at IPC.

Sources: deterministic batch allocation by (model, currency, time, batch lifespan) as in
Mojaloop's settlements bounded context; positions at the end of each clearing period as in the
National Bank's batch clearing system (both in docs/sources.md, "Clearing and settlement").
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from elcart_sim.core.errors import SettlementError
from elcart_sim.scenario.choices import DEBIT_KINDS as _DEBIT_KINDS

__all__ = [
    "DEBIT_KINDS",
    "CREDIT_KINDS",
    "CLEARING_KINDS",
    "SETTLEMENT_MODELS",
    "DAY_S",
    "ClearingRecord",
    "Period",
    "batch_id",
    "batch_of",
    "period_of",
    "periods_of",
]

DAY_S = 86_400
"""Seconds in a day; simulated time counts from local midnight of the business date."""

DEBIT_KINDS = _DEBIT_KINDS
"""Kinds that debit the cardholder: the issuing bank owes the acquiring bank (declared in
scenario/choices.py, where clearing.interchange names them)."""

CREDIT_KINDS = ("transfer_credit", "bill_credit", "account_credit", "merchant_credit")
"""Kinds that credit a customer — a card (a transfer's credit leg), a biller, a bank account, a
merchant paid by QR code: the acquiring bank (IPC) owes the customer's bank."""

CLEARING_KINDS = (*DEBIT_KINDS, *CREDIT_KINDS, "reversal")
"""Every kind of clearing record; a reversal names the kind it reverses in ``reverses``."""

SETTLEMENT_MODELS = ("DNS", "IGS")
"""Deferred net settlement and immediate gross settlement (Mojaloop's settlement models)."""


@dataclass(frozen=True, slots=True)
class ClearingRecord:
    """One approved financial message as clearing sees it.

    ``acquirer_bank`` is the acquiring bank (IPC for the app's payments), ``issuer_bank`` the
    cardholder's bank; ``amount_tyiyn`` is positive and the kind says who owes whom
    (``debtor_bank``, ``creditor_bank``). ``fee_tyiyn`` is the fee charged on the message, kept
    for reconciliation and not netted: the issuer that charged it keeps it. ``interchange_tyiyn``
    is owed the other way, by the creditor of the amount to its debtor (on a purchase the
    acquirer pays the issuer), and netted with the amount. ``cleared_at`` is the simulated instant (seconds
    since local midnight of the business date) the switch approved it.

    >>> r = ClearingRecord("T1", "purchase", "MBANK", "AIYL", 1_000, 0, 3_600.0)
    >>> (r.debtor_bank, r.creditor_bank)
    ('AIYL', 'MBANK')
    >>> r.reversal(7_200.0).debtor_bank
    'MBANK'
    """

    trace_id: str
    kind: str
    acquirer_bank: str
    issuer_bank: str
    amount_tyiyn: int
    fee_tyiyn: int
    cleared_at: float
    reverses: str = ""
    interchange_tyiyn: int = 0

    def __post_init__(self) -> None:
        if self.kind not in CLEARING_KINDS:
            raise SettlementError(f"clearing record {self.trace_id}: kind must be one of {', '.join(CLEARING_KINDS)}, got {self.kind!r}")
        if self.kind == "reversal" and self.reverses not in (*DEBIT_KINDS, *CREDIT_KINDS):
            raise SettlementError(f"clearing record {self.trace_id}: a reversal must name the kind it reverses, got {self.reverses!r}")
        if self.kind != "reversal" and self.reverses:
            raise SettlementError(f"clearing record {self.trace_id}: only a reversal reverses, got {self.kind} reversing {self.reverses!r}")
        if not self.acquirer_bank or not self.issuer_bank:
            raise SettlementError(f"clearing record {self.trace_id}: both banks must be named, got {self.acquirer_bank!r} and {self.issuer_bank!r}")
        if isinstance(self.amount_tyiyn, bool) or not isinstance(self.amount_tyiyn, int) or self.amount_tyiyn <= 0:
            raise SettlementError(f"clearing record {self.trace_id}: amount_tyiyn must be a positive integer, got {self.amount_tyiyn!r}")
        if isinstance(self.fee_tyiyn, bool) or not isinstance(self.fee_tyiyn, int) or self.fee_tyiyn < 0:
            raise SettlementError(f"clearing record {self.trace_id}: fee_tyiyn must be a non-negative integer, got {self.fee_tyiyn!r}")
        if isinstance(self.interchange_tyiyn, bool) or not isinstance(self.interchange_tyiyn, int) or not 0 <= self.interchange_tyiyn <= self.amount_tyiyn:
            raise SettlementError(f"clearing record {self.trace_id}: interchange_tyiyn must be an integer from 0 to the amount, got {self.interchange_tyiyn!r}")
        if not self.cleared_at >= 0:
            raise SettlementError(f"clearing record {self.trace_id}: cleared_at must be >= 0 s, got {self.cleared_at!r}")

    @property
    def issuer_owes(self) -> bool:
        """True when the issuing bank owes the acquiring bank (a debit to the cardholder)."""
        if self.kind == "reversal":
            return self.reverses in CREDIT_KINDS
        return self.kind in DEBIT_KINDS

    @property
    def debtor_bank(self) -> str:
        return self.issuer_bank if self.issuer_owes else self.acquirer_bank

    @property
    def creditor_bank(self) -> str:
        return self.acquirer_bank if self.issuer_owes else self.issuer_bank

    def reversal(self, cleared_at: float) -> ClearingRecord:
        """The opposite record: same trace id, banks and amount, the direction turned."""
        if self.kind == "reversal":
            raise SettlementError(f"clearing record {self.trace_id}: a reversal is not reversed again")
        return ClearingRecord(
            self.trace_id, "reversal", self.acquirer_bank, self.issuer_bank, self.amount_tyiyn, self.fee_tyiyn, cleared_at, self.kind, self.interchange_tyiyn
        )


class Period(NamedTuple):
    """A clearing period: ``day`` days after the business date, closing at cut-off number
    ``cutoff_index`` (1 is the day's first)."""

    day: int
    cutoff_index: int


def _checked_cutoffs(cutoffs_s: Sequence[float]) -> np.ndarray:
    cutoffs = np.asarray(cutoffs_s, dtype=float)
    if cutoffs.ndim != 1 or cutoffs.size == 0:
        raise SettlementError(f"cutoffs_s must list at least one cut-off, got {list(cutoffs_s)!r}")
    if not (0 < cutoffs[0] and cutoffs[-1] <= DAY_S and np.all(np.diff(cutoffs) > 0)):
        raise SettlementError(f"cutoffs_s must rise strictly within (0, {DAY_S}] s after midnight, got {list(cutoffs_s)!r}")
    return cutoffs


def period_of(cleared_at: float, cutoffs_s: Sequence[float]) -> Period:
    """The clearing period of a record cleared at ``cleared_at`` (seconds since local midnight
    of the business date; a run's drain may pass midnight). A period runs from the previous
    cut-off, included, to its own, excluded.

    >>> period_of(3_600.0, [43_200, 64_800])
    Period(day=0, cutoff_index=1)
    >>> period_of(43_200.0, [43_200, 64_800])
    Period(day=0, cutoff_index=2)
    >>> period_of(64_800.0, [43_200, 64_800])
    Period(day=1, cutoff_index=1)
    """
    day, cutoff = periods_of(np.array([cleared_at], dtype=float), cutoffs_s)
    return Period(int(day[0]), int(cutoff[0]))


def periods_of(cleared_at: np.ndarray, cutoffs_s: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """``period_of`` for an array of instants: (days, cut-off indices), both int64 arrays."""
    cutoffs = _checked_cutoffs(cutoffs_s)
    at = np.asarray(cleared_at, dtype=float)
    if at.size and not np.all(at >= 0):
        raise SettlementError(f"cleared_at must be >= 0 s, got {at[~(at >= 0)][0]!r}")
    day = np.floor_divide(at, DAY_S).astype(np.int64)
    within = at - day * DAY_S
    index = np.searchsorted(cutoffs, within, side="right")
    after_last = index == cutoffs.size
    return day + after_last, np.where(after_last, 0, index).astype(np.int64) + 1


def batch_id(model: str, currency: int, business_date: datetime.date, cutoff_index: int) -> str:
    """The batch of a clearing period, named from what any record in it carries.

    >>> batch_id("DNS", 417, datetime.date(2025, 7, 1), 1)
    'DNS-417-2025-07-01-C1'
    """
    if model not in SETTLEMENT_MODELS:
        raise SettlementError(f"settlement model must be one of {', '.join(SETTLEMENT_MODELS)}, got {model!r}")
    if not 0 < currency < 1000:
        raise SettlementError(f"currency must be an ISO 4217 numeric code, got {currency!r}")
    if cutoff_index < 1:
        raise SettlementError(f"cutoff_index must be >= 1 (the day's first cut-off is 1), got {cutoff_index!r}")
    return f"{model}-{currency:03d}-{business_date.isoformat()}-C{cutoff_index}"


def batch_of(record: ClearingRecord, business_date: datetime.date, cutoffs_s: Sequence[float], *, model: str = "DNS", currency: int = 417) -> str:
    """The batch id of ``record``'s clearing period."""
    period = period_of(record.cleared_at, cutoffs_s)
    return batch_id(model, currency, business_date + datetime.timedelta(days=period.day), period.cutoff_index)
