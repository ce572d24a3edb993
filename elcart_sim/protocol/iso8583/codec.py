"""The ISO 8583 codec for ELKART host messages: pyiso8583 with the host spec (spec.py) as data.

Physical picture: every host boundary in the wire fidelity: the sender encodes its message
dict into bytes, the receiver decodes the bytes and refuses what breaks the host spec.

pyiso8583 4.x lays out the bytes; this module adds what it leaves to the user: the format of
each field and its length, the allowed MTIs, the mandatory fields per MTI, and errors as
:class:`~elcart_sim.core.errors.IsoMessageError` naming the field. One check (``problem``)
says what is wrong with a message, from the rules of spec.py; encode and decode call it.

Message dicts map field numbers as strings (``"2"``, ``"55"``) and ``"t"`` (MTI) to ``str``
values; DE55 alone is ``bytes``. Bitmaps are computed on encode and dropped on decode, so
``decode(encode(m)) == m``. (pyiso8583 itself wants binary fields as hex strings; the
conversion happens here.) Error messages never quote field values: DE2 and DE35 carry PANs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import iso8583 as _iso

from elcart_sim.core.errors import IsoMessageError
from elcart_sim.protocol.iso8583.spec import ELKART_SPEC, FIELD_FORMATS, FIELD_LENGTHS, MTIS, USER_FIELDS, required_fields, stands_for_bytes

__all__ = ["encode", "decode", "encoded_length", "problem", "validate", "original_data_elements"]


def problem(message: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first thing wrong with ``message`` under the host spec, as (field, what is wrong),
    or None when it is a valid ELKART host message: its MTI, then each field in order (known to
    the spec, of its type, of its format's characters, of its length), then the mandatory fields."""
    mti = message.get("t")
    if mti not in MTIS:
        return "t", f"MTI {mti!r} is not one of {', '.join(MTIS)}"
    rules = _RULES
    for key, value in message.items():
        rule = rules.get(key)
        if rule is None:
            if key == "t":
                continue
            return key, f"field {key} is not in the ELKART host spec"
        kind, characters, low, high = rule
        if type(value) is not kind:
            if kind is bytes and stands_for_bytes(value):
                if isinstance(value, bytearray) and not low <= len(value) <= high:
                    return key, _length_problem(key, len(value))
                continue  # an object standing for bytes: its length is the encoder's concern
            return key, f"field {key} ({ELKART_SPEC[key]['desc']}) must be {kind.__name__}, got {type(value).__name__}"
        if characters is not None and not characters.issuperset(value):
            return key, f"field {key} ({ELKART_SPEC[key]['desc']}) must be {FIELD_FORMATS[key].described}"
        if not low <= len(value) <= high:
            return key, _length_problem(key, len(value))
    required = required_fields(message)
    if not message.keys() >= required:
        missing = sorted(required - message.keys(), key=int)
        return missing[0], f"MTI {mti} lacks mandatory field(s) {', '.join(missing)}"
    return None


# Per field: (type, allowed characters or None, shortest, longest), from spec.py.
_RULES = {key: (fmt.kind, fmt.characters, *FIELD_LENGTHS[key]) for key, fmt in FIELD_FORMATS.items()}


def _length_problem(key: str, length: int) -> str:
    low, high = FIELD_LENGTHS[key]
    unit = "bytes" if FIELD_FORMATS[key].kind is bytes else "characters"
    size = f"{high}" if low == high else f"at most {high}"
    return f"field {key} ({ELKART_SPEC[key]['desc']}) must be {size} {unit} long, got {length}"


def validate(message: dict[str, Any], where: str = "message") -> None:
    """Raise IsoMessageError naming the field when ``message`` breaks the host spec."""
    found = problem(message)
    if found is not None:
        field, what = found
        raise IsoMessageError(f"ISO 8583 {where}: {what}", field=field)


def encode(message: Mapping[str, Any], *, check: bool = True) -> bytes:
    """Encode an ELKART host message; raises IsoMessageError naming the field. ``check`` False:
    the message is laid out as it is — what a host sends, which the receiver's ``decode`` checks
    (the wire fidelity); pyiso8583 still refuses what it cannot lay out."""
    if check:
        validate(message, "encode")
    doc = dict(message)  # pyiso8583 adds the bitmap to the dict it encodes
    icc = doc.get("55")
    if icc is not None:
        doc["55"] = icc.hex()
    try:
        raw, _ = _iso.encode(doc, ELKART_SPEC)
    except _iso.EncodeError as e:
        raise IsoMessageError(
            f"ISO 8583 encode: field {e.field} ({ELKART_SPEC[e.field]['desc']}): {e.msg}",
            field=e.field,
        ) from None
    except (AttributeError, KeyError, TypeError, ValueError):  # a value pyiso8583 cannot take
        validate(message, "encode")  # names the field
        raise
    return bytes(raw)


# Per field: the digits of its length prefix (0 for a fixed field); whether it needs the secondary bitmap.
_PREFIX = {key: ELKART_SPEC[key]["len_type"] for key in USER_FIELDS}
_SECONDARY = frozenset(key for key in USER_FIELDS if key != "t" and int(key) > 64)
_MTI_AND_PRIMARY_BITMAP = ELKART_SPEC["t"]["max_len"] + ELKART_SPEC["p"]["max_len"]
_SECONDARY_BITMAP = ELKART_SPEC["1"]["max_len"]


def encoded_length(message: Mapping[str, Any]) -> int:
    """The length in bytes of the message laid out, from the field lengths alone (nothing laid
    out): the MTI and the primary bitmap, the secondary bitmap when a field above 64 is present,
    and each field's length prefix and value (one byte a character: every character field is
    ASCII; DE55 its bytes, or, held as ``{tag: value}`` in the fast fidelity, the BER-TLV they
    make). A link's transmission time in the fast fidelity (protocol/iso8583/wire.py)."""
    n = _MTI_AND_PRIMARY_BITMAP
    secondary = False
    prefix = _PREFIX
    for key, value in message.items():
        if key != "t":
            n += prefix[key] + (_tlv_length(value) if type(value) is dict else len(value))
            if not secondary and key in _SECONDARY:
                secondary = True
    return n + _SECONDARY_BITMAP if secondary else n


def _tlv_length(objects: Mapping[int, Any]) -> int:
    """Bytes of ``{tag: value}`` as BER-TLV (EMV Book 3 Annex B: the tag's bytes, a length of
    one byte below 128, else 81 or 82 and one or two bytes, the value)."""
    n = 0
    for tag, value in objects.items():
        size = len(value)
        n += (1 if tag <= 0xFF else 2 if tag <= 0xFFFF else 3) + (1 if size < 0x80 else 2 if size <= 0xFF else 3) + size
    return n


def decode(raw: bytes) -> dict[str, Any]:
    """Decode an ELKART host message; raises IsoMessageError naming the field."""
    try:
        doc, _ = _iso.decode(raw if type(raw) is bytes else bytes(raw), ELKART_SPEC)
    except _iso.DecodeError as e:
        raise IsoMessageError(
            f"ISO 8583 decode: field {e.field} at byte {e.pos}: {e.msg}", field=e.field
        ) from None
    except KeyError as e:
        field = str(e.args[0])
        raise IsoMessageError(
            f"ISO 8583 decode: bitmap announces field {field}, which is not in the ELKART "
            f"host spec",
            field=field,
        ) from None
    del doc["p"]
    doc.pop("1", None)
    icc = doc.get("55")
    if icc is not None:
        doc["55"] = bytes.fromhex(icc)
    validate(doc, "decode")
    return doc


def original_data_elements(
    mti: str, stan: str, transmission_date_time: str, acquirer_id: str, forwarding_id: str = ""
) -> str:
    """DE90 for a reversal: original MTI(4) STAN(6) DE7(10) acquirer(11) forwarder(11)."""
    parts = ((mti, 4), (stan, 6), (transmission_date_time, 10))
    for value, width in parts:
        if len(value) != width or not value.isdigit():
            raise IsoMessageError(f"DE90: part must be {width} digits, got {value!r}", field="90")
    for value in (acquirer_id, forwarding_id):
        if len(value) > 11 or (value and not value.isdigit()):
            raise IsoMessageError(
                f"DE90: institution id must be up to 11 digits, got {value!r}", field="90"
            )
    return mti + stan + transmission_date_time + acquirer_id.zfill(11) + forwarding_id.zfill(11)
