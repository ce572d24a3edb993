"""Netting: a batch's gross obligations turned into what each bank pays or receives.

Physical picture: a closed batch is a heap of IOUs between banks — "AIYL owes MBANK 1,000
tyiyn" once per record. Bilateral netting sets each pair's IOUs against each other and leaves
one figure per pair; multilateral netting sets each bank's IOUs against everybody's at once and
leaves one figure per bank, which the National Bank then settles: a net debtor pays in, a net
creditor is paid. Three facts always hold, and the tests check them: the multilateral positions
sum to zero (money is only moved, never made), no net figure exceeds the gross it nets, and
netting pair by pair first and then bank by bank gives the same positions as netting bank by
bank directly.

Signs: a position is what the bank receives, so a net debtor's position is negative.

The obligations are NumPy columns (banks as small integers), so a national day's million
records net in a fraction of a second; results are plain dicts keyed by bank code.

Source: bilateral and multilateral netting as in the Bank of Finland's payment and settlement
simulator (BoF-PSS2) and CPMI's glossary (docs/sources.md, "Clearing and settlement").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from elcart_sim.clearing.records import ClearingRecord
from elcart_sim.core.errors import SettlementError

__all__ = [
    "Obligations",
    "multilateral_positions",
    "bilateral_positions",
    "multilateral_from_bilateral",
    "gross_debits",
    "gross_credits",
]


@dataclass(frozen=True)
class Obligations:
    """Gross obligations: row i says ``banks[debtor[i]]`` owes ``banks[creditor[i]]``
    ``amount_tyiyn[i]``. ``banks`` is sorted; every bank in it has a position, zero or not."""

    banks: tuple[str, ...]
    debtor: np.ndarray
    creditor: np.ndarray
    amount_tyiyn: np.ndarray

    @classmethod
    def from_records(cls, records: Iterable[ClearingRecord], *, banks: Iterable[str] = ()) -> Obligations:
        """The obligations of ``records`` (each its debtor and creditor bank, and its interchange
        the other way); ``banks`` adds members that have no record."""
        rows = []
        for r in records:
            rows.append((r.debtor_bank, r.creditor_bank, r.amount_tyiyn))
            if r.interchange_tyiyn:
                rows.append((r.creditor_bank, r.debtor_bank, r.interchange_tyiyn))
        debtors = [row[0] for row in rows]
        creditors = [row[1] for row in rows]
        amounts = [row[2] for row in rows]
        return cls.from_columns(debtors, creditors, amounts, banks=banks)

    @classmethod
    def from_columns(cls, debtors: Sequence[str], creditors: Sequence[str], amounts_tyiyn: Sequence[int], *, banks: Iterable[str] = ()) -> Obligations:
        """Obligations from three equal-length columns (bank codes and positive integer amounts)."""
        amounts = np.asarray(amounts_tyiyn)
        if not (len(debtors) == len(creditors) == amounts.size):
            raise SettlementError(f"obligations need equal columns, got {len(debtors)} debtors, {len(creditors)} creditors, {amounts.size} amounts")
        if amounts.size and (amounts.dtype.kind not in "iu" or amounts.min() <= 0):
            raise SettlementError("obligations' amounts must be positive integers of tyiyn")
        names = np.concatenate([np.asarray(debtors, dtype=str), np.asarray(creditors, dtype=str), np.asarray(list(banks), dtype=str)])
        unique, index = np.unique(names, return_inverse=True)
        n = len(debtors)
        return cls(tuple(str(b) for b in unique), index[:n].astype(np.int64), index[n : 2 * n].astype(np.int64), amounts.astype(np.int64))

    def __len__(self) -> int:
        return int(self.amount_tyiyn.size)

    def without(self, excluded: Iterable[str]) -> Obligations:
        """The obligations with every row that involves a bank in ``excluded`` removed; the bank
        stays a member (its position becomes zero)."""
        drop = [self.banks.index(b) for b in excluded if b in self.banks]
        keep = ~(np.isin(self.debtor, drop) | np.isin(self.creditor, drop))
        return Obligations(self.banks, self.debtor[keep], self.creditor[keep], self.amount_tyiyn[keep])

    def total_tyiyn(self) -> int:
        """The gross value of the obligations."""
        return int(self.amount_tyiyn.sum())


def _per_bank(obligations: Obligations, column: np.ndarray) -> np.ndarray:
    totals = np.zeros(len(obligations.banks), dtype=np.int64)
    np.add.at(totals, column, obligations.amount_tyiyn)
    return totals


def gross_debits(obligations: Obligations) -> dict[str, int]:
    """What each bank owes, gross."""
    return dict(zip(obligations.banks, _per_bank(obligations, obligations.debtor).tolist()))


def gross_credits(obligations: Obligations) -> dict[str, int]:
    """What each bank is owed, gross."""
    return dict(zip(obligations.banks, _per_bank(obligations, obligations.creditor).tolist()))


def multilateral_positions(obligations: Obligations) -> dict[str, int]:
    """Each bank's multilateral net position: what it is owed minus what it owes (negative for a
    net debtor). The positions sum to zero.

    >>> ob = Obligations.from_columns(["A", "B", "C"], ["B", "C", "A"], [10, 30, 5])
    >>> multilateral_positions(ob)
    {'A': -5, 'B': -20, 'C': 25}
    """
    net = _per_bank(obligations, obligations.creditor) - _per_bank(obligations, obligations.debtor)
    return dict(zip(obligations.banks, net.tolist()))


def bilateral_positions(obligations: Obligations) -> dict[tuple[str, str], int]:
    """Each pair's bilateral net position, keyed (a, b) with a < b: what b owes a minus what a
    owes b (negative when a is the pair's net debtor). A bank's obligations to itself (on-us)
    net to nothing and are left out; pairs that never traded have no key.

    >>> ob = Obligations.from_columns(["A", "B", "A"], ["B", "A", "C"], [10, 4, 5])
    >>> bilateral_positions(ob)
    {('A', 'B'): -6, ('A', 'C'): -5}
    """
    n = len(obligations.banks)
    d, c, amount = obligations.debtor, obligations.creditor, obligations.amount_tyiyn
    between = d != c
    d, c, amount = d[between], c[between], amount[between]
    low, high = np.minimum(d, c), np.maximum(d, c)
    # b (high) owing a (low) counts for a; a owing b counts against it.
    signed = np.where(d == high, amount, -amount)
    keys, where = np.unique(low * n + high, return_inverse=True)
    net = np.zeros(keys.size, dtype=np.int64)
    np.add.at(net, where, signed)
    banks = obligations.banks
    return {(banks[k // n], banks[k % n]): v for k, v in zip(keys.tolist(), net.tolist())}


def multilateral_from_bilateral(bilateral: Mapping[tuple[str, str], int], banks: Iterable[str] = ()) -> dict[str, int]:
    """Multilateral positions from bilateral ones: each bank's pair positions summed (``banks``
    adds members with no pair, at zero)."""
    net: dict[str, int] = {b: 0 for b in banks}
    for (a, b), value in bilateral.items():
        net[a] = net.get(a, 0) + value
        net[b] = net.get(b, 0) - value
    return dict(sorted(net.items()))
