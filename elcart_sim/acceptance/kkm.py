"""The fiscal cash register (KKM, контрольно-кассовая машина) beside each POS terminal.

Kyrgyz law requires a fiscal receipt for every sale; at the Globus and Narodny checkouts the
POS terminal and the KKM are integrated, so an approved ELKART Pay purchase is closed by a
receipt. Each KKM numbers its fiscal documents in sequence and signs each with a fiscal sign,
a 10-digit code computed over the document (here a keyed hash standing in for the fiscal
drive's signature: the real algorithm belongs to the tax authority's fiscal drive).
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

__all__ = ["FiscalRegister", "FiscalReceipt"]


class FiscalReceipt(NamedTuple):
    kkm_id: str
    receipt_no: int
    amount_tyiyn: int
    printed_at: float
    fiscal_sign: str


class FiscalRegister:
    """One KKM: sequential fiscal document numbers and a fiscal sign per receipt."""

    __slots__ = ("kkm_id", "_next_no")

    def __init__(self, kkm_id: str):
        self.kkm_id = kkm_id
        self._next_no = 1

    def issue_receipt(self, trace_id: int, amount_tyiyn: int, at: float) -> FiscalReceipt:
        number = self._next_no
        self._next_no += 1
        digest = hashlib.blake2b(f"{self.kkm_id}|{number}|{trace_id}|{amount_tyiyn}".encode(), digest_size=8).digest()
        sign = f"{int.from_bytes(digest, 'big') % 10**10:010d}"
        return FiscalReceipt(self.kkm_id, number, amount_tyiyn, at, sign)
