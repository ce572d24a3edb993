"""ICC data in ISO 8583 DE55, read the strict way a host must read them (host_spec.md §4).

Physical picture: DE55 is the chip's evidence — cryptogram, counter, the terminal data the
cryptogram covers — copied by the POS kernel into the authorisation request, and the issuer's
answer (tag 91, the ARPC) on the way back. A terminal must ignore EMV tags it does not know
(Book 3 §5.3); a host must not: whatever it cannot account for in DE55 is either a broken
terminal or someone probing, so the host refuses the message (DE39 30) and says why.

The policy, as data: each tag the host spec allows in a direction, with its allowed value
lengths (EMV Book 3 Annex A). Any other tag, a tag given twice, a template (constructed object)
or a value of another length raises :class:`~elcart_sim.core.errors.IccDataError` naming the tag and
its byte offset; malformed BER-TLV raises TlvError. Errors never quote values.

DE55 of the fast fidelity is the same objects as ``{tag: value}`` (``apdu_format.py``): it is
held to the same policy, tag by tag (a mapping cannot repeat a tag or hold a template).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elcart_sim.core.errors import IccDataError
from elcart_sim.protocol.emv.tags import tag_name
from elcart_sim.protocol.emv.tlv import decode_with_offsets

__all__ = ["REQUEST_TAGS", "RESPONSE_TAGS", "parse_icc_data"]

# tag -> (min, max) value length in bytes. Source: EMV 4.4 Book 3 Annex A; Book C-3 (9F6C).
REQUEST_TAGS: dict[int, tuple[int, int]] = {
    0x9F26: (8, 8),  # Application Cryptogram
    0x9F27: (1, 1),  # Cryptogram Information Data
    0x9F10: (1, 32),  # Issuer Application Data
    0x9F37: (4, 4),  # Unpredictable Number
    0x9F36: (2, 2),  # Application Transaction Counter
    0x95: (5, 5),  # Terminal Verification Results
    0x9A: (3, 3),  # Transaction Date
    0x9C: (1, 1),  # Transaction Type
    0x9F02: (6, 6),  # Amount, Authorised
    0x5F2A: (2, 2),  # Transaction Currency Code
    0x82: (2, 2),  # Application Interchange Profile
    0x9F1A: (2, 2),  # Terminal Country Code
    0x9F03: (6, 6),  # Amount, Other
    0x9F6C: (2, 2),  # Card Transaction Qualifiers
}
"""DE55 of a 0100 (and its 0400): the tags of host_spec.md §4."""

RESPONSE_TAGS: dict[int, tuple[int, int]] = {
    0x91: (8, 16),  # Issuer Authentication Data: ARPC (4) || CSU (4) [|| proprietary data]
}
"""DE55 of a 0110: the issuer authentication data."""


def parse_icc_data(data: bytes | dict[int, Any], allowed: Mapping[int, tuple[int, int]] = REQUEST_TAGS) -> dict[int, Any]:
    """DE55 as ``{tag: value}``, checked against ``allowed``; raises IccDataError or TlvError.
    DE55 given as ``{tag: value}`` is checked and returned as it is."""
    if type(data) is dict:
        return _checked(data, allowed)
    out = _parse_well_formed(data, allowed)
    if out is not None:
        return out
    return _parse_and_explain(data, allowed)


def _parse_well_formed(data: bytes, allowed: Mapping[int, tuple[int, int]]) -> dict[int, bytes] | None:
    """The fast path: DE55 as the host spec wants it — allowed primitive tags of one or two
    bytes, each once, with a one-byte length in range — read in one pass. Anything else
    (a template, a long-form length, a fault) gives None, and :func:`_parse_and_explain`
    decides, so both paths accept exactly the same data and only the slow one raises."""
    if type(data) is not bytes:
        return None
    out: dict[int, bytes] = {}
    i, end = 0, len(data)
    while i < end:
        tag = data[i]
        if tag & 0x20:  # a template (or FF filler)
            return None
        i += 1
        if tag & 0x1F == 0x1F:
            if i >= end or data[i] & 0x80:  # truncated, or a tag of three bytes
                return None
            tag = (tag << 8) | data[i]
            i += 1
        if i >= end:
            return None
        n = data[i]
        i += 1
        j = i + n
        if n & 0x80 or j > end:  # long-form length, or the value runs past the end
            return None
        limits = allowed.get(tag)
        if limits is None or tag in out or not limits[0] <= n <= limits[1]:
            return None
        out[tag] = data[i:j]
        i = j
    return out


def _checked(data: dict[int, Any], allowed: Mapping[int, tuple[int, int]]) -> dict[int, Any]:
    """DE55 as objects, held to the policy; errors name the tag and its place (object n)."""
    for tag, value in data.items():
        limits = allowed.get(tag)
        if limits is None or not limits[0] <= len(value) <= limits[1]:
            break
    else:
        return data
    at = list(data).index(tag)
    if limits is None:
        raise IccDataError(f"DE55: tag {tag:X} ({tag_name(tag)}), object {at}, is not allowed here by the host spec")
    lo, hi = limits
    size = f"{lo}" if lo == hi else f"{lo}-{hi}"
    raise IccDataError(f"DE55: tag {tag:X} ({tag_name(tag)}), object {at}, is {len(value)} bytes, expected {size}")


def _parse_and_explain(data: bytes, allowed: Mapping[int, tuple[int, int]]) -> dict[int, bytes]:
    """DE55 read through the general BER-TLV decoder, raising the error that names the fault."""
    out: dict[int, bytes] = {}
    for at, obj in decode_with_offsets(data):
        if obj.children is not None:
            raise IccDataError(f"DE55: template {obj.tag:X} at offset {at}; DE55 holds primitive objects only")
        limits = allowed.get(obj.tag)
        if limits is None:
            raise IccDataError(f"DE55: tag {obj.tag:X} ({tag_name(obj.tag)}) at offset {at} is not allowed here by the host spec")
        if obj.tag in out:
            raise IccDataError(f"DE55: tag {obj.tag:X} ({tag_name(obj.tag)}) at offset {at} appears twice")
        lo, hi = limits
        if not lo <= len(obj.value) <= hi:
            size = f"{lo}" if lo == hi else f"{lo}-{hi}"
            raise IccDataError(
                f"DE55: tag {obj.tag:X} ({tag_name(obj.tag)}) at offset {at} is {len(obj.value)} bytes, expected {size}"
            )
        out[obj.tag] = obj.value
    return out
