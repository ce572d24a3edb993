"""The ELKART host spec as data: message types, data elements and their formats (host_spec.md).

Physical picture: after the tap, the POS terminal's acquirer sends an authorisation request
(MTI 0100) through the national switch to the issuer, which answers 0110 with a response
code; if the answer never arrives in time the acquirer sends a reversal (0400, answered 0410)
so no money stays blocked. The app's money services send financial requests (0200, answered
0210): a transfer is two of them, a debit at the sender's issuer (processing code 10) and a
credit at the receiver's (26), a merchant QR payment's debit is a purchase (00) naming the
merchant (DE18, DE42); a financial request is undone by a reversal advice (0420,
answered 0430). Each message is an MTI, a bitmap saying which data elements follow,
and the elements themselves in a fixed order and format: ASCII everywhere, except binary bitmaps
and binary DE55 (EMV ICC data, BER-TLV).

Everything a message must satisfy is declared here once — the pyiso8583 field specs, each
field's ISO 8583 format (``FORMATS``: its type and characters, and how it is said) and length,
the mandatory fields per MTI and the conditional ones (``required_fields``) — and the codec
(codec.py) checks messages against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

__all__ = [
    "ELKART_SPEC",
    "FIELD_FORMATS",
    "FIELD_LENGTHS",
    "MTI_AUTHORISATION_REQUEST",
    "MTI_AUTHORISATION_RESPONSE",
    "MTI_REVERSAL_REQUEST",
    "MTI_REVERSAL_RESPONSE",
    "MTI_FINANCIAL_REQUEST",
    "MTI_FINANCIAL_RESPONSE",
    "MTI_REVERSAL_ADVICE",
    "MTI_REVERSAL_ADVICE_RESPONSE",
    "MTI_AUTHORISATION_ADVICE",
    "MTI_AUTHORISATION_ADVICE_RESPONSE",
    "MTI_AUTHORISATION_REQUEST_REPEAT",
    "MTI_AUTHORISATION_ADVICE_REPEAT",
    "MTI_REVERSAL_REQUEST_REPEAT",
    "MTI_REVERSAL_ADVICE_REPEAT",
    "MTIS",
    "REQUEST_MTIS",
    "ProcessingCode",
    "USER_FIELDS",
    "MANDATORY_FIELDS",
    "FORMATS",
    "Format",
    "stands_for_bytes",
    "required_fields",
    "ResponseCode",
]

MTI_AUTHORISATION_REQUEST = "0100"
MTI_AUTHORISATION_RESPONSE = "0110"
MTI_REVERSAL_REQUEST = "0400"
MTI_REVERSAL_RESPONSE = "0410"
MTI_FINANCIAL_REQUEST = "0200"
MTI_FINANCIAL_RESPONSE = "0210"
MTI_REVERSAL_ADVICE = "0420"
MTI_REVERSAL_ADVICE_RESPONSE = "0430"
# Advices the switch sends after standing in for an issuer, and repeats: a last MTI digit of 1
# marks a retransmission of the message whose last digit is 0 (ISO 8583:1987 §4.1, message function).
MTI_AUTHORISATION_ADVICE = "0120"
MTI_AUTHORISATION_ADVICE_RESPONSE = "0130"
MTI_AUTHORISATION_REQUEST_REPEAT = "0101"
MTI_AUTHORISATION_ADVICE_REPEAT = "0121"
MTI_REVERSAL_REQUEST_REPEAT = "0401"
MTI_REVERSAL_ADVICE_REPEAT = "0421"


class ProcessingCode(StrEnum):
    """DE3 positions 1–2, the transaction type (ISO 8583:1987; 10 and 26 as card networks use
    them for a transfer's debit and credit legs: Visa's account funding and original credit)."""

    PURCHASE = "00"
    CASH = "01"
    TRANSFER_DEBIT = "10"
    TRANSFER_CREDIT = "26"
    PAYMENT = "50"


def _field(fmt: str, len_type: int, max_len: int, desc: str) -> dict[str, Any]:
    """A pyiso8583 field spec; ``fmt`` (ours, ignored by pyiso8583) is the ISO 8583 format:
    n numeric, an/ans alphanumeric (special), z track 2 characters, b binary."""
    return {
        "data_enc": "b" if fmt == "b" else "ascii",
        "len_enc": "ascii",
        "len_type": len_type,
        "max_len": max_len,
        "desc": desc,
        "fmt": fmt,
    }


# Structure follows iso8583.specs.default; fields and formats: ELKART host spec (host_spec.md).
ELKART_SPEC: dict[str, dict[str, Any]] = {
    "h": _field("ans", 0, 0, "Message Header (none)"),
    "t": _field("n", 0, 4, "Message Type Indicator"),
    "p": _field("b", 0, 8, "Bitmap, Primary"),
    "1": _field("b", 0, 8, "Bitmap, Secondary"),
    "2": _field("n", 2, 19, "Primary Account Number (PAN)"),
    "3": _field("n", 0, 6, "Processing Code"),
    "4": _field("n", 0, 12, "Amount, Transaction (tyiyn)"),
    "7": _field("n", 0, 10, "Transmission Date and Time (MMDDhhmmss, UTC)"),
    "11": _field("n", 0, 6, "System Trace Audit Number (STAN)"),
    "12": _field("n", 0, 6, "Time, Local Transaction (hhmmss)"),
    "13": _field("n", 0, 4, "Date, Local Transaction (MMDD)"),
    "14": _field("n", 0, 4, "Date, Expiration (YYMM)"),
    "18": _field("n", 0, 4, "Merchant Category Code"),
    "22": _field("n", 0, 3, "POS Entry Mode"),
    "23": _field("n", 0, 3, "Card Sequence Number"),
    "25": _field("n", 0, 2, "POS Condition Code"),
    "28": _field("ans", 0, 9, "Amount, Transaction Fee (C/D + 8 digits, tyiyn)"),
    "32": _field("n", 2, 11, "Acquiring Institution ID"),
    "35": _field("z", 2, 37, "Track 2 Data"),
    "37": _field("an", 0, 12, "Retrieval Reference Number (trace id)"),
    "38": _field("an", 0, 6, "Authorisation ID Response"),
    "39": _field("an", 0, 2, "Response Code"),
    "41": _field("ans", 0, 8, "Card Acceptor Terminal ID"),
    "42": _field("ans", 0, 15, "Card Acceptor ID (merchant)"),
    "43": _field("ans", 0, 40, "Card Acceptor Name/Location"),
    "44": _field("ans", 2, 25, "Additional Response Data (decline reason)"),
    "48": _field("ans", 3, 999, "Additional Data, Private (service data: channel, biller, reference)"),
    "49": _field("n", 0, 3, "Currency Code, Transaction"),
    "55": _field("b", 3, 255, "ICC Data (EMV BER-TLV)"),
    "60": _field("n", 0, 4, "Advice Reason Code (ISO 8583:1993 message reason: 1002 issuer timed out, 1003 issuer unavailable)"),
    "90": _field("n", 0, 42, "Original Data Elements"),
    "100": _field("n", 2, 11, "Receiving Institution ID"),
    "123": _field("ans", 3, 999, "Token Data"),
}

USER_FIELDS = frozenset(k for k in ELKART_SPEC if k not in ("h", "p", "1"))
"""The data elements a message may hold (the MTI "t" and the bitmaps are the codec's)."""
MTIS = (
    MTI_AUTHORISATION_REQUEST,
    MTI_AUTHORISATION_REQUEST_REPEAT,
    MTI_AUTHORISATION_RESPONSE,
    MTI_AUTHORISATION_ADVICE,
    MTI_AUTHORISATION_ADVICE_REPEAT,
    MTI_AUTHORISATION_ADVICE_RESPONSE,
    MTI_FINANCIAL_REQUEST,
    MTI_FINANCIAL_RESPONSE,
    MTI_REVERSAL_REQUEST,
    MTI_REVERSAL_REQUEST_REPEAT,
    MTI_REVERSAL_RESPONSE,
    MTI_REVERSAL_ADVICE,
    MTI_REVERSAL_ADVICE_REPEAT,
    MTI_REVERSAL_ADVICE_RESPONSE,
)
REQUEST_MTIS = {
    MTI_AUTHORISATION_REQUEST: MTI_AUTHORISATION_RESPONSE,
    MTI_FINANCIAL_REQUEST: MTI_FINANCIAL_RESPONSE,
    MTI_REVERSAL_REQUEST: MTI_REVERSAL_RESPONSE,
    MTI_REVERSAL_ADVICE: MTI_REVERSAL_ADVICE_RESPONSE,
    MTI_AUTHORISATION_REQUEST_REPEAT: MTI_AUTHORISATION_RESPONSE,
    MTI_AUTHORISATION_ADVICE: MTI_AUTHORISATION_ADVICE_RESPONSE,
    MTI_AUTHORISATION_ADVICE_REPEAT: MTI_AUTHORISATION_ADVICE_RESPONSE,
    MTI_REVERSAL_REQUEST_REPEAT: MTI_REVERSAL_RESPONSE,
    MTI_REVERSAL_ADVICE_REPEAT: MTI_REVERSAL_ADVICE_RESPONSE,
}
"""Each request MTI and the MTI that answers it (a repeat is answered as its original is)."""

MANDATORY_FIELDS: dict[str, frozenset[str]] = {
    MTI_AUTHORISATION_REQUEST: frozenset(
        "2 3 4 7 11 12 13 14 18 22 25 32 37 41 42 49".split()
    ),
    MTI_AUTHORISATION_RESPONSE: frozenset("3 4 7 11 37 39 41 49".split()),
    # An advice states what the switch decided in the issuer's stead: the approval's DE38 and
    # DE39, and why (DE60).
    MTI_AUTHORISATION_ADVICE: frozenset("2 3 4 7 11 32 37 38 39 41 49 60".split()),
    MTI_AUTHORISATION_ADVICE_RESPONSE: frozenset("3 4 7 11 37 39 41 49".split()),
    MTI_REVERSAL_REQUEST: frozenset("2 3 4 7 11 32 37 41 42 49 90".split()),
    MTI_REVERSAL_RESPONSE: frozenset("3 4 7 11 37 39 41 49".split()),
    MTI_FINANCIAL_REQUEST: frozenset("2 3 4 7 11 12 13 32 37 41 48 49".split()),
    MTI_FINANCIAL_RESPONSE: frozenset("3 4 7 11 37 39 41 49".split()),
    MTI_REVERSAL_ADVICE: frozenset("2 3 4 7 11 32 37 41 49 90".split()),
    MTI_REVERSAL_ADVICE_RESPONSE: frozenset("3 4 7 11 37 39 41 49".split()),
}
for _repeat, _original in (
    (MTI_AUTHORISATION_REQUEST_REPEAT, MTI_AUTHORISATION_REQUEST),
    (MTI_AUTHORISATION_ADVICE_REPEAT, MTI_AUTHORISATION_ADVICE),
    (MTI_REVERSAL_REQUEST_REPEAT, MTI_REVERSAL_REQUEST),
    (MTI_REVERSAL_ADVICE_REPEAT, MTI_REVERSAL_ADVICE),
):
    MANDATORY_FIELDS[_repeat] = MANDATORY_FIELDS[_original]  # a repeat is its original again
"""Always required per MTI; ``required_fields`` adds the conditional ones."""


class ResponseCode(StrEnum):
    """DE39 values used by ELKART (ISO 8583:1987 Annex A codes)."""

    APPROVED = "00"
    DO_NOT_HONOUR = "05"
    INVALID_TRANSACTION = "12"
    INVALID_AMOUNT = "13"
    INVALID_CARD_NUMBER = "14"
    FORMAT_ERROR = "30"
    LOST_CARD = "41"
    STOLEN_CARD = "43"
    INSUFFICIENT_FUNDS = "51"
    EXPIRED_CARD = "54"
    NOT_PERMITTED_TO_CARDHOLDER = "57"
    EXCEEDS_AMOUNT_LIMIT = "61"
    RESTRICTED_CARD = "62"
    SECURITY_VIOLATION = "63"
    EXCEEDS_FREQUENCY_LIMIT = "65"
    RESPONSE_RECEIVED_TOO_LATE = "68"
    ISSUER_OR_SWITCH_INOPERATIVE = "91"
    DUPLICATE_TRANSMISSION = "94"
    SYSTEM_MALFUNCTION = "96"

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS: dict[str, str] = {
    "00": "Approved",
    "05": "Do not honour",
    "12": "Invalid transaction",
    "13": "Invalid amount",
    "14": "Invalid card number",
    "30": "Format error",
    "41": "Lost card, pick up",
    "43": "Stolen card, pick up",
    "51": "Insufficient funds",
    "54": "Expired card",
    "57": "Transaction not permitted to cardholder",
    "61": "Exceeds withdrawal amount limit",
    "62": "Restricted card",
    "63": "Security violation",
    "65": "Exceeds withdrawal frequency limit",
    "68": "Response received too late",
    "91": "Issuer or switch inoperative",
    "94": "Duplicate transmission",
    "96": "System malfunction",
}


class Format:
    """An ISO 8583 data element format: the Python type of its values, the characters a text
    value may hold (None: any byte), and how the format is said in an error."""

    __slots__ = ("code", "kind", "characters", "described")

    def __init__(self, code: str, kind: type, characters: str | None, described: str):
        self.code = code
        self.kind = kind
        self.characters = frozenset(characters) if characters is not None else None
        self.described = described  # "must be <described>"


_DIGITS = "0123456789"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

FORMATS: dict[str, Format] = {
    f.code: f
    for f in (
        Format("n", str, _DIGITS, "digits only"),
        Format("z", str, _DIGITS + "=", "digits and '='"),
        Format("an", str, _DIGITS + _LETTERS, "letters and digits only"),
        Format("ans", str, "".join(map(chr, range(0x20, 0x7F))), "printable ASCII"),
        Format("b", bytes, None, "bytes"),
    )
}
"""ISO 8583 formats: n numeric, z track 2 characters, an alphanumeric, ans alphanumeric and
special (printable ASCII), b binary."""

FIELD_FORMATS: dict[str, Format] = {key: FORMATS[ELKART_SPEC[key]["fmt"]] for key in USER_FIELDS}
"""Each data element's format, from ELKART_SPEC."""


def stands_for_bytes(value: Any) -> bool:
    """A value a binary field may hold: bytes, or — in the fast fidelity — an object that stands
    for them (EMV chip data as an object, protocol/emv/objects.py: it says so with a true
    ``stands_for_bytes``)."""
    return isinstance(value, (bytes, bytearray)) or getattr(value, "stands_for_bytes", False) is True


FIELD_LENGTHS: dict[str, tuple[int, int]] = {
    key: ((0, ELKART_SPEC[key]["max_len"]) if ELKART_SPEC[key]["len_type"] else (ELKART_SPEC[key]["max_len"],) * 2)
    for key in USER_FIELDS
}
"""Each data element's (shortest, longest) length, from ELKART_SPEC: fixed-length fields have
one length, variable ones (LLVAR, LLLVAR) up to their maximum."""


def required_fields(message: Mapping[str, Any]) -> frozenset[str]:
    """The fields ``message`` must hold: its MTI's mandatory fields and the conditional ones —
    a 0100 with DE22 '07x' (contactless chip) needs DE55, as does a 0200 cash withdrawal (DE3
    '01': an ATM reads the card's chip), a 0200 purchase (DE3 '00': a merchant
    QR payment's debit) the merchant's category code and id (DE18, DE42), an approved 0110 or
    0210 (DE39 '00') DE38."""
    mti = message["t"]
    required = MANDATORY_FIELDS[mti]
    if mti in (MTI_AUTHORISATION_REQUEST, MTI_AUTHORISATION_REQUEST_REPEAT) and message.get("22", "").startswith("07"):
        return required | {"55"}
    if mti == MTI_FINANCIAL_REQUEST and str(message.get("3", "")).startswith(ProcessingCode.CASH):
        return required | {"55"}
    if mti == MTI_FINANCIAL_REQUEST and str(message.get("3", "")).startswith(ProcessingCode.PURCHASE):
        return required | {"18", "42"}
    if mti in (MTI_AUTHORISATION_RESPONSE, MTI_FINANCIAL_RESPONSE) and message.get("39") == ResponseCode.APPROVED:
        return required | {"38"}
    return required
