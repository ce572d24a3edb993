"""ELQR, Kyrgyzstan's national payment QR code: a link whose fragment is a checked TLV row.

Physical picture: a shop's sticker or a friend's phone shows a QR code holding a link such as
``https://pay.payqr.kg#000201010211…63049EE1``. Any Kyrgyz banking app that scans it reads the
part after ``#`` (percent-decoded): a row of two-digit IDs (``tlv.py``) naming the service and
its provider (ID 32), the recipient, the amount in tyiyn, the name to show, and in ID 63 a
check: the last four hex digits of SHA-256 over the UTF-8 text of every other field, in the
order they were written. Banks use different link prefixes (``https://app.mbank.kg/qr/#…``,
some with an empty query before ``#``); the fragment is what counts.

Where it is defined: NBKR rules 2019-П-14/62-5 (the national QR standard) and the ELQR
specification v1.3.1, read here through the MIT implementation qr-kg/elqr-js and its real bank
links (docs/sources.md). It differs from EMVCo's merchant-presented code (``emvco.py``): no
country (58) or city (60), the amount is an integer in tyiyn, the check is SHA-256, not CRC.

Root IDs: 00 version ``01``; 01 static ``11`` / dynamic ``12``; 32 service (sub-IDs 00 provider
GUID, 01 service code, 10 recipient id, 11 transaction id, 12 amount editable, 13 recipient
editable; flags are ``11`` yes / ``12`` no); 33 merchant; 34 comment (≤ 32); 35–39 additional
fields (may repeat); 52 MCC; 53 currency; 54 amount in tyiyn (≤ 13 digits, ``0`` = none);
59 provider name (≤ 25); 63 checksum.

    >>> payload = decode("https://app.mbank.kg/qr/#00020101021132440012c2c.mbank.kg0102021012996554185519"
    ...                  "1302125204999953034175909KIRILL%20B.63047129")
    >>> payload.provider_guid, payload.recipient_id, payload.provider_name, payload.amount_tyiyn
    ('c2c.mbank.kg', '996554185519', 'KIRILL B.', None)
    >>> encode(payload)[-8:]
    '63047129'
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

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

__all__ = [
    "ElqrPayload",
    "decode",
    "encode",
    "link",
    "p2p_payload",
    "merchant_payload",
    "checksum",
    "carried_payload",
    "DEFAULT_PREFIX",
    "ELKART_P2P_GUID",
    "ELKART_MERCHANT_GUID",
    "P2P_MCC",
    "KGS",
]

DEFAULT_PREFIX = "https://pay.payqr.kg"
"""The universal ELQR link router; any Kyrgyz banking app opens its links."""
ELKART_P2P_GUID = "p2p.elcart.kg"
"""Provider GUID (32/00) of ELKART's person-to-person transfer links."""
ELKART_MERCHANT_GUID = "qr.elcart.kg"
"""Provider GUID (32/00) of the merchant codes this model issues for ELKART merchants, shaped
like the acquirers' real ``qr.<bank>.kg`` GUIDs (ELKART's own merchant GUID is not published)."""
P2P_MCC = "4822"
"""MCC (ID 52) that ELKART's real p2p link carries."""
KGS = "417"
"""ISO 4217 numeric code of the som (2 decimals: tyiyn)."""

VERSION = "01"
_STATIC, _DYNAMIC = "11", "12"
_YES, _NO = "11", "12"
_ADDITIONAL = ("35", "36", "37", "38", "39")
_KNOWN = {"00", "01", "32", "33", "34", *_ADDITIONAL, "52", "53", "54", "59", "63"}
_KNOWN_SERVICE = {"00", "01", "10", "11", "12", "13"}
_MAX_CHARS = {"34": 32, "59": 25, "32/00": 32}  # the spec's limits, in characters
_AMOUNT_DIGITS = 13
_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


@dataclass(frozen=True)
class ElqrPayload:
    """One ELQR code's content in the project's words (ID in brackets).

    ``amount_tyiyn`` None means the payer types the amount (54 absent or ``0``).
    ``merchant`` (33) and ``additional_fields`` (35–39) are kept as written (templates);
    ``other_fields`` and ``other_service_fields`` hold IDs the spec does not name, so nothing
    read is dropped. ``id_order`` and ``service_id_order`` are the order the IDs were read in
    (empty: by ID); encoding follows them, so a decoded code encodes to the same text. A None
    amount whose ID 54 is in ``id_order`` is written ``0``, as some static codes carry it."""

    provider_guid: str  # 32/00
    provider_name: str  # 59
    mcc: str  # 52
    currency: str = KGS  # 53
    amount_tyiyn: int | None = None  # 54
    dynamic: bool = False  # 01: 12 dynamic (one payment), 11 static (reusable)
    service_code: str | None = None  # 32/01
    recipient_id: str | None = None  # 32/10
    transaction_id: str | None = None  # 32/11
    amount_editable: bool | None = None  # 32/12
    recipient_editable: bool | None = None  # 32/13
    merchant: str | None = None  # 33
    comment: str | None = None  # 34
    additional_fields: tuple[Field, ...] = ()  # 35-39
    other_fields: tuple[Field, ...] = ()
    other_service_fields: tuple[Field, ...] = ()
    version: str = VERSION  # 00
    id_order: tuple[str, ...] = ()
    service_id_order: tuple[str, ...] = ()


def checksum(body: str) -> str:
    """ID 63's value for ``body``, the written fields other than 63: the last four hex digits
    (upper case) of SHA-256 over its UTF-8 bytes."""
    return hashlib.sha256(body.encode("utf-8")).hexdigest()[-4:].upper()


def carried_payload(text: str) -> str:
    """The TLV text a link carries: the fragment after the first ``#``, percent-decoded as UTF-8.
    Text that starts with a digit is a bare payload (a link starts with its scheme), taken as
    written: a ``#`` or ``%`` in its values is text."""
    if text[:1].isdigit():
        return text
    if "#" not in text:
        raise QrPayloadError("neither a link with a '#' fragment nor a TLV payload (which starts with ID 00)")
    try:
        return unquote(text.split("#", 1)[1], errors="strict")
    except UnicodeDecodeError as exc:
        raise QrPayloadError(f"the link's fragment is not percent-encoded UTF-8: {exc.reason} at byte {exc.start}") from None


def decode(text: str, *, verify: bool = True) -> ElqrPayload:
    """The payload of an ELQR link or of its bare TLV text, its checksum verified (unless
    ``verify`` is False). Raises QrPayloadError naming the ID that is wrong."""
    payload = carried_payload(text)
    fields = read_fields(payload)
    body_fields = [f for f in fields if f[0] != "63"]
    found = [value for qr_id, value in fields if qr_id == "63"]
    if len(found) != 1:
        raise QrPayloadError("ID 63 (checksum) is missing" if not found else "ID 63 appears twice", qr_id="63")
    if verify:
        expected = checksum(write_fields(body_fields))
        if found[0].upper() != expected:
            raise QrPayloadError(
                f"ID 63: checksum fails: expected {expected} (SHA-256 of the other IDs), found {found[0]!r}", qr_id="63"
            )
    return _interpret(fields)


def _interpret(fields: tuple[Field, ...]) -> ElqrPayload:
    root = single_fields(fields, repeatable=_ADDITIONAL)
    for qr_id, name in (("00", "version"), ("01", "link type"), ("32", "service"), ("52", "MCC"), ("53", "currency"),
                        ("59", "provider name")):  # fmt: skip
        if qr_id not in root:
            raise QrPayloadError(f"ID {qr_id} ({name}) is missing", qr_id=qr_id)
    offsets = dict(zip((f[0] for f in fields), value_offsets(fields)))  # repeated IDs: the last; only singles are looked up
    for qr_id in ("33", *_ADDITIONAL):  # templates: their sub-IDs must read
        for (sub_id, value), start in zip(fields, value_offsets(fields)):
            if sub_id == qr_id:
                read_fields(value, parent=qr_id, offset=start)
    service_fields = read_fields(root["32"], parent="32", offset=offsets["32"])
    service = single_fields(service_fields, parent="32")
    if "00" not in service:
        raise QrPayloadError("ID 32/00 (provider GUID) is missing", qr_id="32/00")
    for where, value in (("34", root.get("34")), ("59", root["59"]), ("32/00", service["00"])):
        _check_length(where, value)
    if root["00"] != VERSION:
        raise QrPayloadError(f"ID 00: version must be {VERSION}, found {root['00']!r}", qr_id="00")
    return ElqrPayload(
        provider_guid=service["00"],
        provider_name=root["59"],
        mcc=digits("52", root["52"], 4),
        currency=digits("53", root["53"], 3),
        amount_tyiyn=_amount(root.get("54")),
        dynamic=_code("01", root["01"], {_STATIC: False, _DYNAMIC: True}),
        service_code=service.get("01"),
        recipient_id=service.get("10"),
        transaction_id=service.get("11"),
        amount_editable=_flag("32/12", service.get("12")),
        recipient_editable=_flag("32/13", service.get("13")),
        merchant=root.get("33"),
        comment=root.get("34"),
        additional_fields=tuple(f for f in fields if f[0] in _ADDITIONAL),
        other_fields=tuple(f for f in fields if f[0] not in _KNOWN),
        other_service_fields=tuple(f for f in service_fields if f[0] not in _KNOWN_SERVICE),
        version=root["00"],
        id_order=tuple(f[0] for f in fields if f[0] != "63"),
        service_id_order=tuple(f[0] for f in service_fields),
    )


def _check_length(where: str, value: str | None) -> None:
    if value is not None and len(value) > _MAX_CHARS[where]:
        raise QrPayloadError(f"ID {where}: at most {_MAX_CHARS[where]} characters, found {len(value)}", qr_id=where)



def _amount(value: str | None) -> int | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= _AMOUNT_DIGITS):
        raise QrPayloadError(f"ID 54: the amount must be 1 to {_AMOUNT_DIGITS} digits of tyiyn, found {value!r}", qr_id="54")
    return int(value) or None


def _code(qr_id: str, value: str, meanings: dict[str, bool]) -> bool:
    if value not in meanings:
        raise QrPayloadError(f"ID {qr_id}: must be {' or '.join(meanings)}, found {value!r}", qr_id=qr_id)
    return meanings[value]


def _flag(qr_id: str, value: str | None) -> bool | None:
    return None if value is None else _code(qr_id, value, {_YES: True, _NO: False})


def encode(payload: ElqrPayload) -> str:
    """The TLV text of ``payload`` with its checksum in ID 63, fields in ``id_order``.

    Refuses (QrPayloadError) what a decoder would refuse, and a value that looks like a full
    card number."""
    if payload.amount_tyiyn is not None and not (isinstance(payload.amount_tyiyn, int) and payload.amount_tyiyn > 0):
        raise QrPayloadError(f"ID 54: amount_tyiyn must be a positive integer or None, got {payload.amount_tyiyn!r}", qr_id="54")
    service = [("00", payload.provider_guid), ("01", payload.service_code), ("10", payload.recipient_id),
               ("11", payload.transaction_id), ("12", _flag_code(payload.amount_editable)),
               ("13", _flag_code(payload.recipient_editable))]  # fmt: skip
    service = [(i, v) for i, v in service if v is not None] + list(payload.other_service_fields)
    amount = str(payload.amount_tyiyn) if payload.amount_tyiyn is not None else ("0" if "54" in payload.id_order else None)
    root = [("00", payload.version), ("01", _DYNAMIC if payload.dynamic else _STATIC),
            ("32", write_fields(arranged(service, payload.service_id_order), parent="32")),
            ("33", payload.merchant), ("34", payload.comment), ("52", payload.mcc), ("53", payload.currency),
            ("54", amount), ("59", payload.provider_name)]  # fmt: skip
    root = [(i, v) for i, v in root if v is not None] + list(payload.additional_fields) + list(payload.other_fields)
    refuse_card_numbers([*root, *((f"32/{i}", v) for i, v in service)], exempt={"54", "32"})
    body = write_fields(arranged(root, payload.id_order))
    text = body + "6304" + checksum(body)
    decode(text)  # one set of rules: what the decoder refuses is not written
    return text


def _flag_code(flag: bool | None) -> str | None:
    return None if flag is None else (_YES if flag else _NO)


def link(payload: ElqrPayload, prefix: str = DEFAULT_PREFIX) -> str:
    """The link a QR code shows: ``prefix#`` and the encoded payload, percent-encoded (UTF-8)."""
    return f"{prefix}#{quote(encode(payload), safe='*')}"


def p2p_payload(recipient_id: str, masked_name: str, amount_tyiyn: int | None = None) -> ElqrPayload:
    """A person-to-person transfer code shaped like ELKART's real p2p links: provider
    ``p2p.elcart.kg``, service ``1``, the recipient as an opaque 32-hex id (a token the switch
    resolves to a card; never the card number), the name shown as given (a masked card
    number like ``9417 **** **** 5269``), MCC 4822, som. Without an amount the code is static and
    the payer types the amount; with one it is dynamic and the amount fixed.

    >>> code = p2p_payload("3435fba7738e54e59d8f3e8e664785d9", "9417 **** **** 5269")
    >>> encode(code)[-4:]
    '9EE1'
    """
    if not _HEX32.fullmatch(recipient_id):
        raise QrPayloadError(f"ID 32/10: a p2p recipient id must be 32 hex digits (an opaque token), got {len(recipient_id)} "
                             "characters", qr_id="32/10")  # fmt: skip
    fixed = amount_tyiyn is not None
    payload = ElqrPayload(
        provider_guid=ELKART_P2P_GUID,
        provider_name=masked_name,
        mcc=P2P_MCC,
        currency=KGS,
        amount_tyiyn=amount_tyiyn,
        dynamic=fixed,
        service_code="1",
        recipient_id=recipient_id,
        amount_editable=not fixed,
        recipient_editable=False,
        id_order=("00", "01", "32", "53", "52", "54", "59") if fixed else ("00", "01", "32", "53", "52", "59"),
    )
    encode(payload)  # refuses a card number in the name, a name too long, a bad amount
    return payload


def merchant_payload(merchant_token: str, name: str, mcc: str) -> ElqrPayload:
    """A merchant's static payment code, as this model issues one for every ELKART merchant
    (the layout is the model's: no real ELKART merchant code is published): provider
    ``qr.elcart.kg`` (32/00), the merchant as an opaque 32-hex token that IPC's registry
    resolves to the merchant id and its acquirer (32/10; as in ELKART's transfer codes — a
    merchant id, ``M`` and 14 digits, can pass the Luhn check of a card number, which a code
    never carries), recipient not editable (32/13 ``12``), amount typed by the payer (static,
    32/12 ``11``, no 54), the merchant's category code (52), som (53), its name cut to 25
    characters (59). The app's service takes the MCC from the code.

    >>> code = merchant_payload("0f3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e", "Pharmacy #8 Bishkek", "5912")
    >>> encode(code)[:50], code.mcc
    ('00020101021132640012qr.elcart.kg10320f3a5c7e9b1d2f', '5912')
    """
    if not _HEX32.fullmatch(merchant_token):
        raise QrPayloadError(f"ID 32/10: a merchant token must be 32 hex digits, got {len(merchant_token)} characters", qr_id="32/10")
    payload = ElqrPayload(
        provider_guid=ELKART_MERCHANT_GUID,
        provider_name=name[: _MAX_CHARS["59"]],
        mcc=mcc,
        currency=KGS,
        recipient_id=merchant_token,
        amount_editable=True,
        recipient_editable=False,
    )
    encode(payload)  # refuses an MCC that is not 4 digits, a card number in the name
    return payload
