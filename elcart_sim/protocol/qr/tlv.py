"""The TLV text inside a payment QR code: ID, length, value, all in characters.

Physical picture: the text a banking app reads from a QR code is a row of fields, each written
as a two-digit ID, a two-digit length and that many characters of value:
``000201`` is ID 00, length 02, value ``01``. Some values are themselves such rows (a
template): ELQR's service ID 32 holds sub-IDs 00 (provider), 10 (recipient) and so on; an
EMVCo merchant-presented code nests merchant accounts in IDs 26–51 and additional data in 62.
The length counts characters (Unicode code points), not UTF-8 bytes, so ``КИРИЛЛ Б.`` is 09.

Where it is defined: EMV QR Code Specification for Payment Systems, Merchant-Presented Mode
(EMVCo QRCPS-MPM), §4.1 "data objects"; Kyrgyzstan's ELQR uses the same layout (NBKR rules
2019-П-14/62-5; the ELQR spec v1.3.1 as implemented by qr-kg/elqr-js; docs/sources.md).

One reader and one writer serve both codecs (``elqr``, ``emvco``). Fields are kept in the order
received: ELQR's checksum is over that order, and real producers do not sort their IDs. This is
not EMV's BER-TLV (``protocol/emv/tlv.py``, bytes and binary tags on a card).

    >>> read_fields("000201010211")
    (('00', '01'), ('01', '11'))
    >>> write_fields([("59", "КИРИЛЛ Б.")])
    '5909КИРИЛЛ Б.'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from elcart_sim.core.errors import QrPayloadError
from elcart_sim.protocol.luhn import is_luhn_valid

__all__ = [
    "Field",
    "digits",
    "read_fields",
    "write_fields",
    "field_text",
    "single_fields",
    "value_offsets",
    "arranged",
    "refuse_card_numbers",
    "MAX_LENGTH",
]

Field = tuple[str, str]
"""One data object: (two-digit ID, value)."""

MAX_LENGTH = 99
"""The longest value two length digits can announce."""

_DIGITS2 = re.compile(r"[0-9]{2}")


def _where(parent: str | None, qr_id: str) -> str:
    return f"{parent}/{qr_id}" if parent else qr_id


def read_fields(text: str, *, parent: str | None = None, offset: int = 0) -> tuple[Field, ...]:
    """The fields of ``text`` in the order written.

    ``parent`` names the template being read (its sub-IDs are then reported as ``32/10``) and
    ``offset`` is where ``text`` starts in the whole payload, so that an error gives the
    character offset in what the user holds. Raises QrPayloadError naming the ID and offset."""
    fields: list[Field] = []
    position = 0
    while position < len(text):
        at = offset + position
        qr_id = text[position : position + 2]
        if not _DIGITS2.fullmatch(qr_id):
            raise QrPayloadError(f"character {at}: an ID must be two digits, found {qr_id!r}", qr_id=parent)
        length_text = text[position + 2 : position + 4]
        where = _where(parent, qr_id)
        if not _DIGITS2.fullmatch(length_text):
            raise QrPayloadError(f"ID {where} at character {at}: its length must be two digits, found {length_text!r}", qr_id=where)
        length = int(length_text)
        start = position + 4
        if start + length > len(text):
            raise QrPayloadError(
                f"ID {where} at character {at}: length {length} runs past the end "
                f"({len(text) - start} characters left{' in ID ' + parent if parent else ''})",
                qr_id=where,
            )
        fields.append((qr_id, text[start : start + length]))
        position = start + length
    return tuple(fields)


def value_offsets(fields: Sequence[Field], offset: int = 0) -> list[int]:
    """Where each field's value starts, in characters, for fields read from text starting at
    ``offset`` (to read a template's sub-IDs with offsets in the whole payload)."""
    starts = []
    for _, value in fields:
        starts.append(offset + 4)
        offset += 4 + len(value)
    return starts


def field_text(qr_id: str, value: str, *, parent: str | None = None) -> str:
    """One field written: ID, two-digit length in characters, value."""
    where = _where(parent, qr_id)
    if not _DIGITS2.fullmatch(qr_id):
        raise QrPayloadError(f"an ID must be two digits, got {qr_id!r}", qr_id=parent)
    if not 0 < len(value) <= MAX_LENGTH:
        raise QrPayloadError(f"ID {where}: a value must be 1 to {MAX_LENGTH} characters, got {len(value)}", qr_id=where)
    return f"{qr_id}{len(value):02d}{value}"


def write_fields(fields: Iterable[Field], *, parent: str | None = None) -> str:
    """The fields written one after another, in the order given."""
    return "".join(field_text(qr_id, value, parent=parent) for qr_id, value in fields)


def single_fields(fields: Sequence[Field], *, parent: str | None = None, repeatable: Iterable[str] = ()) -> dict[str, str]:
    """``fields`` as a dict by ID; an ID that appears twice (other than ``repeatable`` ones,
    which are left out of the dict) is an error naming it."""
    repeatable = set(repeatable)
    found: dict[str, str] = {}
    for qr_id, value in fields:
        if qr_id in repeatable:
            continue
        if qr_id in found:
            where = _where(parent, qr_id)
            raise QrPayloadError(f"ID {where} appears twice", qr_id=where)
        found[qr_id] = value
    return found


def arranged(fields: Iterable[Field], order: Sequence[str]) -> list[Field]:
    """``fields`` in the ``order`` of IDs a decoded payload remembered: each ID in ``order``
    takes the next field with that ID; fields ``order`` does not name follow, by ID (a stable
    sort, so repeated IDs keep their order). An empty ``order`` means by ID.

    >>> arranged([("52", "4829"), ("53", "417"), ("59", "A")], ["53", "52"])
    [('53', '417'), ('52', '4829'), ('59', 'A')]
    """
    pending = sorted(fields, key=lambda f: f[0])
    out: list[Field] = []
    for qr_id in order:
        for index, candidate in enumerate(pending):
            if candidate[0] == qr_id:
                out.append(pending.pop(index))
                break
    return out + pending


# A full card number written plainly or in groups of four (as printed on a card): 13-19 digits.
_CARD_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{13,19}|[0-9]{4}(?:[ -][0-9]{4}){2}[ -][0-9]{1,7})(?![0-9])")


def refuse_card_numbers(fields: Iterable[Field], *, exempt: Iterable[str] = ()) -> None:
    """Raise QrPayloadError when a value holds what looks like a full card number (13-19
    digits, plainly or in groups of four, that pass the Luhn check): a QR code is printed and
    photographed, so the simulator's codes carry tokens and masked numbers only. ``fields`` are
    (ID, value) pairs with IDs as reported (``32/10``); ``exempt`` IDs (amounts) are numbers,
    not identifiers. The message never quotes the digits."""
    exempt = set(exempt)
    for qr_id, value in fields:
        if qr_id in exempt:
            continue
        for match in _CARD_NUMBER.finditer(value):
            digits = re.sub(r"[ -]", "", match.group(0))
            if 13 <= len(digits) <= 19 and is_luhn_valid(digits):
                raise QrPayloadError(
                    f"ID {qr_id}: refusing to write a full card number ({len(digits)} digits passing the Luhn check) "
                    "into a QR code; use an opaque recipient id or a masked number like 9417 **** **** 5269",
                    qr_id=qr_id,
                )


def digits(qr_id: str, value: str, count: int) -> str:
    """``value`` of ID ``qr_id`` if it is exactly ``count`` ASCII digits (an MCC, a currency code)."""
    if not (value.isascii() and value.isdigit() and len(value) == count):
        raise QrPayloadError(f"ID {qr_id}: must be {count} digits, found {value!r}", qr_id=qr_id)
    return value
