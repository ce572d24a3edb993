"""EMVCo merchant-presented QR codes (MPM): the shop's code that the payer's app scans.

Physical picture: a sticker at the till, or a code on the terminal's screen, holds one row of
two-digit IDs (``tlv.py``): the format (00 ``01``), static or dynamic (01), one or more merchant
accounts (02–51; 26–51 are templates whose sub-ID 00 names the scheme by a GUID), the
merchant's category, currency, amount, country, name and city, additional data (62: bill
number, terminal label, …) and last, in ID 63, a CRC-16/CCITT-FALSE over everything before it
including the characters ``6304``. The amount is written as a decimal (``10.00``); the model
keeps integer tyiyn, so it is read with two decimals, as KGS (ISO 4217 417) has.

Where it is defined: EMVCo, EMV QR Code Specification for Payment Systems: Merchant-Presented
Mode (QRCPS-MPM) v1.1, §4 (data objects, the CRC in §4.7.3), listed in docs/sources.md. The CRC
is ``binascii.crc_hqx(data, 0xFFFF)`` (polynomial 1021, start FFFF, no reflection; not KERMIT,
not XMODEM). Kyrgyzstan's own ELQR (``elqr.py``) shares the TLV layout but not the rest.

QRCPS-MPM makes 52 (MCC), 59 (name) and 60 (city) mandatory; Thailand's PromptPay codes leave
them out, so this reader accepts their absence and requires 00, a merchant account, 53, 58
and 63. The city's limit of 15 characters is not enforced either: a published example's city
has 16. Every currency's amount is read with two decimals.

    >>> payload = decode("00020101021129370016A000000677010111011300669245317755802TH"
    ...                  "54076000.00530376463049B3B")
    >>> payload.amount_tyiyn, payload.currency, payload.country
    (600000, '764', 'TH')
    >>> encode(payload)[-4:]
    '9B3B'
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

from elcart_sim.core.errors import QrPayloadError
from elcart_sim.protocol.qr.tlv import (
    Field,
    arranged,
    digits,
    read_fields,
    refuse_card_numbers,
    single_fields,
    value_offsets,
    write_fields,
)

__all__ = ["EmvcoPayload", "decode", "encode", "crc", "merchant_account", "ADDITIONAL_DATA_NAMES", "KGS", "KYRGYZSTAN"]

KGS = "417"
"""ISO 4217 numeric code of the som (2 decimals: tyiyn)."""
KYRGYZSTAN = "KG"
"""ISO 3166-1 alpha-2 country code, as ID 58 carries it."""

VERSION = "01"
_STATIC, _DYNAMIC = "11", "12"
_ACCOUNT_IDS = {f"{n:02d}" for n in range(2, 52)}
_TEMPLATE_IDS = {f"{n:02d}" for n in range(26, 52)}
_KNOWN = {"00", "01", *_ACCOUNT_IDS, "52", "53", "54", "58", "59", "60", "61", "62", "63"}
_MAX_CHARS = {"59": 25}  # QRCPS-MPM's limit, in characters (its 15 for the city is not kept: see the docstring)
_AMOUNT = re.compile(r"[0-9]+(?:\.[0-9]{0,2})?")
_AMOUNT_CHARS = 13

ADDITIONAL_DATA_NAMES = {
    "01": "bill number", "02": "mobile number", "03": "store label", "04": "loyalty number",
    "05": "reference label", "06": "customer label", "07": "terminal label", "08": "purpose of transaction",
    "09": "additional consumer data request",
}  # fmt: skip
"""Sub-IDs of the additional data template (ID 62), QRCPS-MPM §4.8; 50–99 are payment
system templates."""


@dataclass(frozen=True)
class EmvcoPayload:
    """One merchant-presented code in the project's words (ID in brackets).

    ``merchant_accounts`` are the (ID, value) pairs of IDs 02–51 as written (26–51 are
    templates: see :func:`merchant_account`); ``additional_data`` the sub-fields of ID 62;
    ``other_fields`` IDs not named here (tip and fees 55–57, language template 64, 65–99),
    kept as written. ``id_order`` is the order the root IDs were read in (empty: by ID)."""

    merchant_accounts: tuple[Field, ...]  # 02-51
    currency: str = KGS  # 53
    country: str = KYRGYZSTAN  # 58
    mcc: str | None = None  # 52
    merchant_name: str | None = None  # 59
    merchant_city: str | None = None  # 60
    amount_tyiyn: int | None = None  # 54, written as a decimal
    dynamic: bool | None = None  # 01: 12 dynamic, 11 static, None absent
    postal_code: str | None = None  # 61
    additional_data: tuple[Field, ...] = ()  # 62
    other_fields: tuple[Field, ...] = ()
    version: str = VERSION  # 00
    id_order: tuple[str, ...] = ()


def crc(text: str) -> str:
    """ID 63's value for ``text``, everything before the CRC's value including ``6304``:
    CRC-16/CCITT-FALSE of its UTF-8 bytes, four upper-case hex digits."""
    return f"{binascii.crc_hqx(text.encode('utf-8'), 0xFFFF):04X}"


def merchant_account(guid: str, merchant_id: str | None = None, qr_id: str = "26") -> Field:
    """A merchant account template (IDs 26–51): sub-ID 00 the scheme's GUID, 01 the merchant's
    id in it. ``merchant_account("kg.elcart.qr", "M0042")`` -> ('26', '0012kg.elcart.qr0105M0042')."""
    if qr_id not in _TEMPLATE_IDS:
        raise QrPayloadError(f"ID {qr_id}: a merchant account template must be ID 26 to 51", qr_id=qr_id)
    subs = [("00", guid)] + ([("01", merchant_id)] if merchant_id is not None else [])
    return (qr_id, write_fields(subs, parent=qr_id))


def decode(text: str, *, verify: bool = True) -> EmvcoPayload:
    """The payload of a merchant-presented code's text, its CRC verified (unless ``verify`` is
    False). Raises QrPayloadError naming the ID that is wrong."""
    fields = read_fields(text)
    if not fields or fields[-1][0] != "63" or len(fields[-1][1]) != 4:
        raise QrPayloadError("ID 63 (CRC) must be the last field, with 4 hex digits", qr_id="63")
    if verify:
        expected, found = crc(text[:-4]), fields[-1][1]
        if found.upper() != expected:
            raise QrPayloadError(f"ID 63: CRC fails: expected {expected} (CRC-16/CCITT-FALSE), found {found!r}", qr_id="63")
    return _interpret(fields)


def _interpret(fields: tuple[Field, ...]) -> EmvcoPayload:
    root = single_fields(fields)
    for qr_id, name in (("00", "payload format indicator"), ("53", "currency"), ("58", "country")):
        if qr_id not in root:
            raise QrPayloadError(f"ID {qr_id} ({name}) is missing", qr_id=qr_id)
    if root["00"] != VERSION or fields[0][0] != "00":
        raise QrPayloadError(f"ID 00: the payload must start with format {VERSION}, found {fields[0][0]}={fields[0][1]!r}",
                             qr_id="00")  # fmt: skip
    accounts = tuple(f for f in fields if f[0] in _ACCOUNT_IDS)
    if not accounts:
        raise QrPayloadError("no merchant account (IDs 02 to 51)", qr_id="26")
    offsets = dict(zip((f[0] for f in fields), value_offsets(fields)))
    for qr_id, value in accounts:
        if qr_id in _TEMPLATE_IDS and "00" not in single_fields(read_fields(value, parent=qr_id, offset=offsets[qr_id]), parent=qr_id):
            raise QrPayloadError(f"ID {qr_id}/00 (the scheme's GUID) is missing", qr_id=f"{qr_id}/00")
    additional = read_fields(root["62"], parent="62", offset=offsets["62"]) if "62" in root else ()
    for qr_id in _MAX_CHARS:
        if qr_id in root and len(root[qr_id]) > _MAX_CHARS[qr_id]:
            raise QrPayloadError(f"ID {qr_id}: at most {_MAX_CHARS[qr_id]} characters, found {len(root[qr_id])}", qr_id=qr_id)
    if len(root["58"]) != 2:
        raise QrPayloadError(f"ID 58: the country must be 2 letters, found {root['58']!r}", qr_id="58")
    dynamic = root.get("01")
    if dynamic not in (None, _STATIC, _DYNAMIC):
        raise QrPayloadError(f"ID 01: must be {_STATIC} or {_DYNAMIC}, found {dynamic!r}", qr_id="01")
    return EmvcoPayload(
        merchant_accounts=accounts,
        currency=digits("53", root["53"], 3),
        country=root["58"],
        mcc=digits("52", root["52"], 4) if "52" in root else None,
        merchant_name=root.get("59"),
        merchant_city=root.get("60"),
        amount_tyiyn=_amount(root.get("54")),
        dynamic=None if dynamic is None else dynamic == _DYNAMIC,
        postal_code=root.get("61"),
        additional_data=additional,
        other_fields=tuple(f for f in fields if f[0] not in _KNOWN),
        version=root["00"],
        id_order=tuple(f[0] for f in fields if f[0] != "63"),
    )



def _amount(value: str | None) -> int | None:
    if value is None:
        return None
    if not (_AMOUNT.fullmatch(value) and len(value) <= _AMOUNT_CHARS):
        raise QrPayloadError(f"ID 54: the amount must be a decimal like 10.00 with at most two decimals and "
                             f"{_AMOUNT_CHARS} characters, found {value!r}", qr_id="54")  # fmt: skip
    units, _, cents = value.partition(".")
    tyiyn = int(units) * 100 + int(cents.ljust(2, "0"))
    if tyiyn == 0:
        raise QrPayloadError("ID 54: the amount must be more than 0 (leave ID 54 out to let the payer type it)", qr_id="54")
    return tyiyn


def encode(payload: EmvcoPayload) -> str:
    """The text of ``payload`` with its CRC in ID 63, root IDs in ``id_order`` (63 last).

    Refuses (QrPayloadError) what the decoder would refuse, and a value that looks like a full
    card number (a merchant PAN in IDs 02–05 too: the simulator's codes carry none)."""
    amount = payload.amount_tyiyn
    if amount is not None and not (isinstance(amount, int) and amount > 0):
        raise QrPayloadError(f"ID 54: amount_tyiyn must be a positive integer or None, got {amount!r}", qr_id="54")
    dynamic = None if payload.dynamic is None else (_DYNAMIC if payload.dynamic else _STATIC)
    root = [("00", payload.version), ("01", dynamic), *payload.merchant_accounts, ("52", payload.mcc),
            ("53", payload.currency), ("54", None if amount is None else f"{amount // 100}.{amount % 100:02d}"),
            ("58", payload.country), ("59", payload.merchant_name), ("60", payload.merchant_city),
            ("61", payload.postal_code),
            ("62", write_fields(payload.additional_data, parent="62") if payload.additional_data else None),
            *payload.other_fields]  # fmt: skip
    root = [(i, v) for i, v in root if v is not None]
    subs = [(f"{i}/{s}", v) for i, value in root if i in _TEMPLATE_IDS for s, v in read_fields(value, parent=i)]
    subs += [(f"62/{s}", v) for s, v in payload.additional_data]
    refuse_card_numbers([f for f in root if f[0] not in _TEMPLATE_IDS | {"62"}] + subs, exempt={"54"})
    body = write_fields(arranged(root, payload.id_order)) + "6304"
    text = body + crc(body)
    decode(text)  # one set of rules: what the decoder refuses is not written
    return text
