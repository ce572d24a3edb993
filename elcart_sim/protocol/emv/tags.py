"""The EMV data objects elcart-sim speaks, as a table, plus readable traces of card answers.

Physical picture: a terminal and a phone exchange dozens of small numbered data objects (the
amount, the unpredictable number, the cryptogram...). This module gives each tag its name and
format so that traces can be read by a person, and fills a Data Object List the way a
terminal must (EMV 4.4 Book 3 §5.4).

Names and formats come from EMV 4.4 Book 3 Annex A (data elements dictionary), EMV Contactless
Book C-3 (Kernel 3: ``9F66`` TTQ, ``9F6C`` CTQ, ``9F6E``) and the EMVCo Payment Tokenisation
Technical Framework v2.3 (``9F19`` token requestor ID, ``9F24`` PAR). Formats: ``b`` binary,
``n`` BCD numeric, ``cn`` compressed numeric (left aligned, ``F`` padded), ``an``/``ans``
alphanumeric (special) ASCII.

Traces never show a card number: :func:`describe` masks ``5A`` and shows only the masked PAN
of track 2 (``57``) through :func:`elcart_sim.core.redact.mask_pan`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from elcart_sim.core.redact import mask_pan
from elcart_sim.protocol.emv import track2
from elcart_sim.protocol.emv.tlv import Tlv, decode, encode_all

__all__ = ["TAGS", "tag_name", "describe", "build_dol_data"]

# tag -> (name, format). Source: EMV Book 3 Annex A; Book C-3; EMVCo tokenisation framework.
TAGS: dict[int, tuple[str, str]] = {
    0x4F: ("Application Identifier (AID) - card", "b"),
    0x50: ("Application Label", "ans"),
    0x57: ("Track 2 Equivalent Data", "b"),
    0x5A: ("Application Primary Account Number (PAN)", "cn"),
    0x5F20: ("Cardholder Name", "ans"),
    0x5F24: ("Application Expiration Date", "n"),
    0x5F25: ("Application Effective Date", "n"),
    0x5F28: ("Issuer Country Code", "n"),
    0x5F2A: ("Transaction Currency Code", "n"),
    0x5F2D: ("Language Preference", "an"),
    0x5F34: ("Application PAN Sequence Number", "n"),
    0x61: ("Application Template", "b"),
    0x6F: ("File Control Information (FCI) Template", "b"),
    0x70: ("READ RECORD Response Message Template", "b"),
    0x77: ("Response Message Template Format 2", "b"),
    0x80: ("Response Message Template Format 1", "b"),
    0x82: ("Application Interchange Profile", "b"),
    0x83: ("Command Template", "b"),
    0x84: ("Dedicated File (DF) Name", "b"),
    0x87: ("Application Priority Indicator", "b"),
    0x8C: ("Card Risk Management Data Object List 1 (CDOL1)", "b"),
    0x8D: ("Card Risk Management Data Object List 2 (CDOL2)", "b"),
    0x8E: ("Cardholder Verification Method (CVM) List", "b"),
    0x91: ("Issuer Authentication Data", "b"),
    0x94: ("Application File Locator (AFL)", "b"),
    0x95: ("Terminal Verification Results", "b"),
    0x9A: ("Transaction Date", "n"),
    0x9C: ("Transaction Type", "n"),
    0x9F02: ("Amount, Authorised (Numeric)", "n"),
    0x9F03: ("Amount, Other (Numeric)", "n"),
    0x9F09: ("Application Version Number - terminal", "b"),
    0x9F10: ("Issuer Application Data", "b"),
    0x9F19: ("Token Requestor ID", "n"),
    0x9F1A: ("Terminal Country Code", "n"),
    0x9F21: ("Transaction Time", "n"),
    0x9F24: ("Payment Account Reference (PAR)", "an"),
    0x9F25: ("Last 4 Digits of PAN", "n"),
    0x9F26: ("Application Cryptogram", "b"),
    0x9F27: ("Cryptogram Information Data", "b"),
    0x9F29: ("Extended Selection", "b"),
    0x9F2A: ("Kernel Identifier", "b"),
    0x9F33: ("Terminal Capabilities", "b"),
    0x9F34: ("Cardholder Verification Method (CVM) Results", "b"),
    0x9F35: ("Terminal Type", "n"),
    0x9F36: ("Application Transaction Counter (ATC)", "b"),
    0x9F37: ("Unpredictable Number", "b"),
    0x9F38: ("Processing Options Data Object List (PDOL)", "b"),
    0x9F4E: ("Merchant Name and Location", "ans"),
    0x9F66: ("Terminal Transaction Qualifiers (TTQ)", "b"),
    0x9F6C: ("Card Transaction Qualifiers (CTQ)", "b"),
    0x9F6E: ("Form Factor Indicator", "b"),
    0xA5: ("FCI Proprietary Template", "b"),
    0xBF0C: ("FCI Issuer Discretionary Data", "b"),
}

_PAN_BEARING = frozenset({0x57, 0x5A})


def tag_name(tag: int) -> str:
    entry = TAGS.get(tag)
    return entry[0] if entry else "unknown"


def _show(tag: int, fmt: str, value: bytes) -> str:
    if tag == 0x57:
        return mask_pan(track2.pan_of(value))
    if tag == 0x5A:
        return mask_pan(value.hex().upper().rstrip("F"))
    if fmt in ("an", "ans") and all(0x20 <= b < 0x7F for b in value):
        return value.decode("ascii")
    return value.hex().upper()


def describe(tlvs: Sequence[Tlv] | bytes) -> list[dict[str, object]]:
    """One row per data object, depth first, for traces.

    Each row: ``depth`` (0 = top level), ``tag`` (hex text), ``name``, ``format``, ``length``
    and ``value`` (text; templates show ``''``). PANs are masked."""
    if isinstance(tlvs, (bytes, bytearray)):
        tlvs = decode(bytes(tlvs))
    rows: list[dict[str, object]] = []
    _describe(tlvs, 0, rows)
    return rows


def _describe(tlvs: Sequence[Tlv], depth: int, rows: list[dict[str, object]]) -> None:
    for t in tlvs:
        name, fmt = TAGS.get(t.tag, ("unknown", "b"))
        value = bytes(t.value) if t.value is not None else encode_all(t.children or ())  # as it is (or would be) sent
        rows.append(
            {
                "depth": depth,
                "tag": f"{t.tag:X}",
                "name": name,
                "format": fmt,
                "length": len(value),
                "value": "" if t.children is not None else _show(t.tag, fmt, value),
            }
        )
        if t.children is not None:
            _describe(t.children, depth + 1, rows)


def build_dol_data(dol: Sequence[tuple[int, int]], values: Mapping[int, bytes]) -> bytes:
    """Concatenate the values a DOL asks for, fitted to the requested lengths (Book 3 §5.4).

    Missing tags are sent as zeros. A value too long loses its leftmost bytes if numeric
    (``n``) and its rightmost bytes otherwise; a value too short is padded with leading zeros
    if numeric, trailing ``FF`` if compressed numeric and trailing zeros otherwise."""
    out = bytearray()
    for tag, length in dol:
        value = values.get(tag)
        if value is None:
            out += bytes(length)
            continue
        n = len(value)
        if n == length:
            out += value
            continue
        fmt = TAGS.get(tag, ("", "b"))[1]
        if n > length:
            out += value[n - length :] if fmt == "n" else value[:length]
        elif fmt == "n":
            out += bytes(length - n) + value
        elif fmt == "cn":
            out += value + b"\xff" * (length - n)
        else:
            out += value + bytes(length - n)
    return bytes(out)
