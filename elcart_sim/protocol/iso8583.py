"""ELKART host messages: ISO 8583:1987 authorisations and reversals (see ``host_spec.md``).

Physical picture: after the tap, the POS terminal's acquirer sends an authorisation request
(MTI 0100) through the national switch to the issuer, which answers 0110 with a response
code; if the answer never arrives in time the acquirer sends a reversal (0400, answered 0410)
so no money stays blocked. Each message is an MTI, a bitmap saying which data elements follow,
and the elements themselves in a fixed order and format.

The layout is the ELKART host spec in ``elcart_sim/protocol/host_spec.md``: ASCII everywhere,
except binary bitmaps and binary DE55 (EMV ICC data, BER-TLV). The codec is pyiso8583 4.x with
the spec below as data; this module adds what pyiso8583 leaves to the user: numeric-only
checks, allowed MTIs, mandatory fields per MTI, and errors as
:class:`~elcart_sim.errors.IsoMessageError` naming the field.

Message dicts map field numbers as strings (``"2"``, ``"55"``) and ``"t"`` (MTI) to ``str``
values; DE55 alone is ``bytes``. Bitmaps are computed on encode and dropped on decode, so
``decode(encode(m)) == m``. (pyiso8583 itself wants binary fields as hex strings; the
conversion happens here.) Error messages never quote field values: DE2 and DE35 carry PANs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import iso8583 as _iso

from elcart_sim.errors import IsoMessageError

__all__ = [
    "ELKART_SPEC",
    "MTI_AUTHORISATION_REQUEST",
    "MTI_AUTHORISATION_RESPONSE",
    "MTI_REVERSAL_REQUEST",
    "MTI_REVERSAL_RESPONSE",
    "MANDATORY_FIELDS",
    "ResponseCode",
    "TokenData",
    "encode",
    "decode",
    "original_data_elements",
    "de35_from_track2",
]

MTI_AUTHORISATION_REQUEST = "0100"
MTI_AUTHORISATION_RESPONSE = "0110"
MTI_REVERSAL_REQUEST = "0400"
MTI_REVERSAL_RESPONSE = "0410"


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
    "32": _field("n", 2, 11, "Acquiring Institution ID"),
    "35": _field("z", 2, 37, "Track 2 Data"),
    "37": _field("an", 0, 12, "Retrieval Reference Number (trace id)"),
    "38": _field("an", 0, 6, "Authorisation ID Response"),
    "39": _field("an", 0, 2, "Response Code"),
    "41": _field("ans", 0, 8, "Card Acceptor Terminal ID"),
    "42": _field("ans", 0, 15, "Card Acceptor ID (merchant)"),
    "43": _field("ans", 0, 40, "Card Acceptor Name/Location"),
    "44": _field("ans", 2, 25, "Additional Response Data (decline reason)"),
    "49": _field("n", 0, 3, "Currency Code, Transaction"),
    "55": _field("b", 3, 255, "ICC Data (EMV BER-TLV)"),
    "90": _field("n", 0, 42, "Original Data Elements"),
    "100": _field("n", 2, 11, "Receiving Institution ID"),
    "123": _field("ans", 3, 999, "Token Data"),
}

_USER_FIELDS = frozenset(k for k in ELKART_SPEC if k not in ("h", "p", "1"))
_MTIS = (
    MTI_AUTHORISATION_REQUEST,
    MTI_AUTHORISATION_RESPONSE,
    MTI_REVERSAL_REQUEST,
    MTI_REVERSAL_RESPONSE,
)

MANDATORY_FIELDS: dict[str, frozenset[str]] = {
    MTI_AUTHORISATION_REQUEST: frozenset(
        "2 3 4 7 11 12 13 14 18 22 25 32 37 41 42 49".split()
    ),
    MTI_AUTHORISATION_RESPONSE: frozenset("3 4 7 11 37 39 41 49".split()),
    MTI_REVERSAL_REQUEST: frozenset("2 3 4 7 11 32 37 41 42 49 90".split()),
    MTI_REVERSAL_RESPONSE: frozenset("3 4 7 11 37 39 41 49".split()),
}
"""Always required per MTI. Also: 0100 with DE22 '07x' (contactless chip) needs DE55, and an
approved 0110 (DE39 '00') needs DE38."""


class ResponseCode(StrEnum):
    """DE39 values used by ELKART (ISO 8583:1987 Annex A codes)."""

    APPROVED = "00"
    DO_NOT_HONOUR = "05"
    INVALID_CARD_NUMBER = "14"
    FORMAT_ERROR = "30"
    LOST_CARD = "41"
    STOLEN_CARD = "43"
    INSUFFICIENT_FUNDS = "51"
    EXPIRED_CARD = "54"
    NOT_PERMITTED_TO_CARDHOLDER = "57"
    RESTRICTED_CARD = "62"
    SECURITY_VIOLATION = "63"
    RESPONSE_RECEIVED_TOO_LATE = "68"
    ISSUER_OR_SWITCH_INOPERATIVE = "91"
    SYSTEM_MALFUNCTION = "96"

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS: dict[str, str] = {
    "00": "Approved",
    "05": "Do not honour",
    "14": "Invalid card number",
    "30": "Format error",
    "41": "Lost card, pick up",
    "43": "Stolen card, pick up",
    "51": "Insufficient funds",
    "54": "Expired card",
    "57": "Transaction not permitted to cardholder",
    "62": "Restricted card",
    "63": "Security violation",
    "68": "Response received too late",
    "91": "Issuer or switch inoperative",
    "96": "System malfunction",
}


def _check_values(msg: dict[str, Any], where: str) -> None:
    """Raise IsoMessageError naming the first thing wrong with ``msg`` (the slow, explaining
    check; :func:`_is_valid` is the fast one and must accept no message this one rejects)."""
    mti = msg.get("t")
    if mti not in _MTIS:
        raise IsoMessageError(
            f"ISO 8583 {where}: MTI {mti!r} is not one of {', '.join(_MTIS)}", field="t"
        )
    for key, value in msg.items():
        if key == "t":
            continue
        if key not in _USER_FIELDS:
            raise IsoMessageError(
                f"ISO 8583 {where}: field {key} is not in the ELKART host spec", field=key
            )
        spec = ELKART_SPEC[key]
        if key == "55":
            if not isinstance(value, (bytes, bytearray)):
                raise IsoMessageError(
                    f"ISO 8583 {where}: field 55 (ICC data) must be bytes, "
                    f"got {type(value).__name__}",
                    field="55",
                )
            continue
        if not isinstance(value, str):
            raise IsoMessageError(
                f"ISO 8583 {where}: field {key} ({spec['desc']}) must be str, "
                f"got {type(value).__name__}",
                field=key,
            )
        fmt = spec["fmt"]
        if fmt == "n" and not (value.isascii() and value.isdigit()):
            raise IsoMessageError(
                f"ISO 8583 {where}: field {key} ({spec['desc']}) must be digits only", field=key
            )
        if fmt == "z" and not (value.isascii() and value.replace("=", "").isdigit()):
            raise IsoMessageError(
                f"ISO 8583 {where}: field {key} ({spec['desc']}) must be digits and '='",
                field=key,
            )
        if fmt == "an" and not (value.isascii() and value.isalnum()):
            raise IsoMessageError(
                f"ISO 8583 {where}: field {key} ({spec['desc']}) must be letters and digits only",
                field=key,
            )
        if fmt == "ans" and not (value.isascii() and value.isprintable()):
            raise IsoMessageError(
                f"ISO 8583 {where}: field {key} ({spec['desc']}) must be printable ASCII",
                field=key,
            )
    required = set(MANDATORY_FIELDS[mti])
    if mti == MTI_AUTHORISATION_REQUEST and msg.get("22", "").startswith("07"):
        required.add("55")
    if mti == MTI_AUTHORISATION_RESPONSE and msg.get("39") == ResponseCode.APPROVED:
        required.add("38")
    missing = sorted(required - msg.keys(), key=int)
    if missing:
        raise IsoMessageError(
            f"ISO 8583 {where}: MTI {mti} lacks mandatory field(s) {', '.join(missing)}",
            field=missing[0],
        )


# The format of each field a message may hold, as a small int for _is_valid ("t" is checked
# against _MTIS first, so its "n" check always passes).
_N, _Z, _AN, _ANS, _B = range(5)
_FORMAT_CODES = {"n": _N, "z": _Z, "an": _AN, "ans": _ANS, "b": _B}
_FORMATS: dict[str, int] = {key: _FORMAT_CODES[ELKART_SPEC[key]["fmt"]] for key in _USER_FIELDS}


def _is_valid(msg: dict[str, Any]) -> bool:
    """True when :func:`_check_values` would pass ``msg``: the same checks in one pass without
    building messages. On False the caller runs _check_values, which says what is wrong."""
    mti = msg.get("t")
    if mti not in _MTIS:
        return False
    formats = _FORMATS
    for key, value in msg.items():
        fmt = formats.get(key)
        if fmt is None:
            return False
        if fmt == _B:
            if not isinstance(value, (bytes, bytearray)):
                return False
        elif not isinstance(value, str) or not value.isascii():
            return False
        elif fmt == _N:
            if not value.isdigit():
                return False
        elif fmt == _ANS:
            if not value.isprintable():
                return False
        elif fmt == _AN:
            if not value.isalnum():
                return False
        elif not value.replace("=", "").isdigit():  # _Z
            return False
    if not msg.keys() >= MANDATORY_FIELDS[mti]:
        return False
    if mti == MTI_AUTHORISATION_REQUEST:
        return "55" in msg or not msg.get("22", "").startswith("07")
    if mti == MTI_AUTHORISATION_RESPONSE:
        return "38" in msg or msg.get("39") != ResponseCode.APPROVED
    return True


def _is_track2(value: str) -> bool:
    return value.replace("=", "").isdigit()


def _is_bytes(value: Any) -> bool:
    return isinstance(value, bytes)


# What _is_valid checks per field, for a message fresh from pyiso8583: every text value is then
# an ASCII str already, DE55 bytes (converted in decode), so one call per field is enough.
_DECODED_CHECKS: dict[str, Callable[[Any], bool]] = {
    key: {"n": str.isdigit, "z": _is_track2, "an": str.isalnum, "ans": str.isprintable, "b": _is_bytes}[
        ELKART_SPEC[key]["fmt"]
    ]
    for key in _USER_FIELDS
}


def _decoded_is_valid(doc: dict[str, Any]) -> bool:
    """:func:`_is_valid` for what pyiso8583 decoded (ASCII text, DE55 as bytes)."""
    mti = doc["t"]
    if mti not in _MTIS:
        return False
    checks = _DECODED_CHECKS
    for key, value in doc.items():
        if not checks[key](value):
            return False
    if not doc.keys() >= MANDATORY_FIELDS[mti]:
        return False
    if mti == MTI_AUTHORISATION_REQUEST:
        return "55" in doc or not doc.get("22", "").startswith("07")
    if mti == MTI_AUTHORISATION_RESPONSE:
        return "38" in doc or doc.get("39") != ResponseCode.APPROVED
    return True


def encode(message: dict[str, Any]) -> bytes:
    """Encode an ELKART host message; raises IsoMessageError naming the field."""
    if not _is_valid(message):
        _check_values(message, "encode")
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
    return bytes(raw)


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
    if not _decoded_is_valid(doc):
        _check_values(doc, "decode")
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


def de35_from_track2(track2: bytes) -> str:
    """DE35 text from EMV tag 57 (BCD, separator D, F pad): '9999...0019=3012201...'."""
    text = track2.hex().upper().rstrip("F").replace("D", "=")
    if not text.replace("=", "").isdigit() or text.count("=") != 1:
        raise IsoMessageError("DE35: tag 57 is not PAN 'D' expiry/service code digits", field="35")
    return text


# DE123 subfields: (id, name, min length, max length, fmt).
_TOKEN_SUBFIELDS = (
    ("01", "token_pan", 13, 19, "n"),
    ("02", "token_expiry", 4, 4, "n"),
    ("03", "token_requestor_id", 11, 11, "n"),
    ("04", "par", 29, 29, "an"),
    ("05", "assurance_level", 2, 2, "n"),
)


@dataclass(frozen=True, slots=True)
class TokenData:
    """DE123 'token data', set by the switch after detokenising (layout in host_spec.md).

    On the wire: subfields ``ID(2) LEN(3) VALUE`` in ID order, e.g. ``01016<token PAN>``."""

    token_pan: str
    token_expiry: str
    token_requestor_id: str
    par: str
    assurance_level: str = "00"

    def __post_init__(self) -> None:
        pan, expiry, requestor, par, level = (
            self.token_pan, self.token_expiry, self.token_requestor_id, self.par, self.assurance_level
        )
        # Fast path (the subfield table below, for well-formed data); the loop says what is wrong.
        if (
            13 <= len(pan) <= 19 and len(expiry) == 4 and len(requestor) == 11 and len(par) == 29 and len(level) == 2
            and pan.isascii() and pan.isdigit() and expiry.isascii() and expiry.isdigit()
            and requestor.isascii() and requestor.isdigit() and par.isascii() and par.isalnum()
            and level.isascii() and level.isdigit()
        ):  # fmt: skip
            return
        for sid, name, lo, hi, fmt in _TOKEN_SUBFIELDS:
            value = getattr(self, name)
            ok = lo <= len(value) <= hi and value.isascii()
            ok = ok and (value.isdigit() if fmt == "n" else value.isalnum())
            if not ok:
                size = f"{lo}" if lo == hi else f"{lo}-{hi}"
                raise IsoMessageError(
                    f"DE123.{sid} ({name}) must be {size} {fmt} characters ({len(value)} given)",
                    field=f"123.{sid}",
                )

    def to_de123(self) -> str:
        pan, expiry, requestor, par, level = (
            self.token_pan, self.token_expiry, self.token_requestor_id, self.par, self.assurance_level
        )
        return (
            f"01{len(pan):03d}{pan}02{len(expiry):03d}{expiry}03{len(requestor):03d}{requestor}"
            f"04{len(par):03d}{par}05{len(level):03d}{level}"
        )

    @classmethod
    def from_de123(cls, text: str) -> TokenData:
        values: dict[str, str] = {}
        names = {sid: name for sid, name, *_ in _TOKEN_SUBFIELDS}
        i = 0
        while i < len(text):
            sid, length = text[i : i + 2], text[i + 2 : i + 5]
            if len(length) != 3 or not length.isdigit():
                raise IsoMessageError(f"DE123: truncated subfield header at {i}", field="123")
            n = int(length)
            if i + 5 + n > len(text):
                raise IsoMessageError(
                    f"DE123.{sid}: length {n} runs past the end at {i}", field=f"123.{sid}"
                )
            if sid not in names:
                raise IsoMessageError(f"DE123: unknown subfield {sid!r} at {i}", field="123")
            values[names[sid]] = text[i + 5 : i + 5 + n]
            i += 5 + n
        missing = [sid for sid, name, *_ in _TOKEN_SUBFIELDS if name not in values]
        if missing:
            raise IsoMessageError(
                f"DE123: subfield(s) {', '.join(missing)} missing", field=f"123.{missing[0]}"
            )
        return cls(**values)
