"""Bank account numbers: where a transfer to a bank account goes, and which bank keeps a biller's account.

Physical picture: a sender in ELKART Mobile types the 16-digit number of a current account at
some bank — their landlord's, their own savings account. A Kyrgyz bank account number is 16
digits whose first three are the bank's code, as banks' payment details show them [not checked
against a primary source]; the rest of the real layout is not published, so ours is an estimate:

    BBB SSSSSSSSSSSS C      B the bank's 3-digit code, S a 12-digit serial, C a Luhn check digit

The bank's 3-digit code is the last three digits of its institution id (data/banks.csv, DE32:
41700001 → 001) [estimate: the member banks' real codes are synthetic here]. The check digit
(the card numbers' Luhn digit, ISO/IEC 7812-1) catches any single mistyped digit, so a mistyped
account is refused in the app before any money moves, as a wrong card number is.

A biller's account is at one member bank, chosen by its id (a CRC-32 of the id modulo the number
of banks) [estimate: which bank each biller banks with is not published], so the same biller is
paid at the same bank in every run.

Pure: text in, data out.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from elcart_sim.protocol.luhn import is_luhn_valid, luhn_check_digit
from elcart_sim.world.population import Bank

__all__ = ["ACCOUNT_DIGITS", "bank_account_code", "account_number", "read_account_number", "bank_of_biller"]

ACCOUNT_DIGITS = 16
"""Digits of a Kyrgyz bank account number."""

_SERIAL_DIGITS = 12


def bank_account_code(bank: Bank) -> str:
    """The 3 digits that open the numbers of ``bank``'s accounts (the end of its institution id)."""
    return bank.institution_id[-3:]


def account_number(bank: Bank, serial: int) -> str:
    """Account ``serial`` (0 ≤ serial < 10^12) at ``bank``, with its check digit.

    >>> from elcart_sim.world.population import Bank
    >>> account_number(Bank(0, "AIYL", "Aiyl Bank", "41700001", "941710", "941760"), 1234567890)
    '0010012345678901'
    """
    partial = f"{bank_account_code(bank)}{serial:0{_SERIAL_DIGITS}d}"
    return partial + luhn_check_digit(partial)


def read_account_number(text: str, banks: Sequence[Bank]) -> tuple[Bank | None, str]:
    """(the bank, '') for a well-formed account number of a member bank; otherwise (None, why
    not, in words). Spaces people type between groups of digits are ignored."""
    digits = text.replace(" ", "") if isinstance(text, str) else ""
    if len(digits) != ACCOUNT_DIGITS or not digits.isascii() or not digits.isdigit():
        return None, f"a bank account number is {ACCOUNT_DIGITS} digits, got {text!r}"
    if not is_luhn_valid(digits):
        return None, f"account number {digits} fails its check digit (a digit mistyped)"
    for bank in banks:
        if bank_account_code(bank) == digits[:3]:
            return bank, ""
    return None, f"account number {digits} names no member bank (bank code {digits[:3]})"


def bank_of_biller(biller_id: str, banks: Sequence[Bank]) -> Bank:
    """The member bank that keeps ``biller_id``'s account."""
    return banks[zlib.crc32(biller_id.encode("ascii")) % len(banks)]
