"""DE48 (additional data, private: ans..999) of the app's financial requests: what the payment is for.

Physical picture: a bill payment travels to the payer's issuer as an 0200 with processing code
50 (payment from account); the issuer must see, and its statement show, whom the cardholder
paid and under which reference. Card networks carry that in a private field (DE48 or DE62;
docs/sources.md). The ELKART host spec in this repository lays it out in DE48 as text, one
space between the parts:

    BILL <biller id> <reference>        BILL BL0001 996555123456
    ACCT <account number>               ACCT 0011234567890128
    QRPAY <merchant id>                 QRPAY M00010000000003

- ``biller id`` is the catalogue's (``BL`` and 4 digits, data/billers.csv);
- ``reference`` is what the biller knows the payer by, as the service validated it: a top-up's
  phone number as its 12 digits (996XXXXXXXXX), any other reference as typed. It may hold
  spaces (a donor's note), so it is everything after the second space; it is printable ASCII,
  1 to 40 characters;
- ``account number`` is a bank account's 16 digits (world/bank_accounts.py), for the debit leg
  of a transfer to a bank account;
- ``merchant id`` is the id a merchant's static ELQR code carries (32/10), 1 to 15 printable
  ASCII characters without spaces — the card acceptor id the 0200 repeats in DE42 — for the
  debit of a merchant QR payment (processing code 00, purchase).

A P2P transfer's legs carry ``P2P <channel>`` (services/p2p.py). Pure: text in, data out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from elcart_sim.core.errors import IsoMessageError

__all__ = [
    "BillData",
    "bill_data",
    "read_bill_data",
    "is_printable_reference",
    "account_data",
    "qr_payment_data",
    "read_qr_payment_data",
    "MAX_REFERENCE_CHARS",
]

MAX_REFERENCE_CHARS = 40
"""The longest reference a biller of the catalogue asks for (a donor's note)."""

_BILL = re.compile(r"BILL (BL\d{4}) ([\x20-\x7e]{1,%d})" % MAX_REFERENCE_CHARS)
_QRPAY = re.compile(r"QRPAY ([\x21-\x7e]{1,15})")
_PRINTABLE = re.compile(r"[\x20-\x7e]{1,%d}" % MAX_REFERENCE_CHARS)


@dataclass(frozen=True, slots=True)
class BillData:
    """Whom a bill payment pays, and under which reference."""

    biller_id: str
    reference: str


def bill_data(biller_id: str, reference: str) -> str:
    """DE48 of a bill payment.

    >>> bill_data("BL0001", "996555123456")
    'BILL BL0001 996555123456'
    """
    text = f"BILL {biller_id} {reference}"
    read_bill_data(text)  # refuse what the issuer could not read back
    return text


def read_bill_data(text: str) -> BillData:
    """The biller and reference of a bill payment's DE48; IsoMessageError (field 48) when it is
    not laid out as ``BILL <biller id> <reference>``.

    >>> read_bill_data("BILL BL0042 1234567890")
    BillData(biller_id='BL0042', reference='1234567890')
    """
    match = _BILL.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise IsoMessageError(
            f"DE48 of a bill payment must be 'BILL <biller id BLnnnn> <reference: 1 to {MAX_REFERENCE_CHARS} printable ASCII>', "
            f"got {text!r}",
            field="48",
        )
    return BillData(match[1], match[2])


def is_printable_reference(reference: str) -> bool:
    """True when ``reference`` can travel in DE48: 1 to 40 printable ASCII characters."""
    return isinstance(reference, str) and _PRINTABLE.fullmatch(reference) is not None


def account_data(account_number: str) -> str:
    """DE48 of the debit leg of a transfer to a bank account: ``ACCT`` and the account number."""
    return f"ACCT {account_number}"


def qr_payment_data(merchant_id: str) -> str:
    """DE48 of a merchant QR payment's debit: ``QRPAY`` and the merchant id.

    >>> qr_payment_data("M00010000000003")
    'QRPAY M00010000000003'
    """
    text = f"QRPAY {merchant_id}"
    read_qr_payment_data(text)  # refuse what the issuer could not read back
    return text


def read_qr_payment_data(text: str) -> str:
    """The merchant id of a merchant QR payment's DE48; IsoMessageError (field 48) when it is not
    laid out as ``QRPAY <merchant id>``."""
    match = _QRPAY.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise IsoMessageError(
            f"DE48 of a merchant QR payment must be 'QRPAY <merchant id: 1 to 15 printable ASCII, no spaces>', got {text!r}", field="48"
        )
    return match[1]
