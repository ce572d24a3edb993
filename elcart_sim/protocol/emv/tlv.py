"""BER-TLV, the way EMV cards and terminals pack data objects (EMV 4.4 Book 3, Annex B).

Physical picture: every answer a payment card (or an HCE phone) gives is a string of
tag-length-value triplets, some of them templates (constructed tags such as ``6F``, ``77``,
``70``) that hold further triplets. A tag is one or more bytes: the first byte's low five bits
set to ``11111`` announce more tag bytes, and each following byte with bit 8 set announces yet
another. Bit 6 of the first byte marks a constructed object. A length is one byte (``00``-``7F``)
or ``81 xx`` or ``82 xx xx``; EMV allows nothing longer and no indefinite form (``80``).

This decoder keeps order and duplicates (a PPSE directory holds one ``61`` per application) and
reports malformed input as :class:`~elcart_sim.core.errors.TlvError` naming the byte offset and the
tag. Filler bytes (``00``/``FF`` between objects, allowed by Annex B) are not skipped: our cards
never pad, so such bytes are reported as malformed (``00``/``FF`` never start a tag). Error messages never quote values, so a
track 2 cannot leak through an exception.

A decoded object is a :class:`Tlv`; the same objects, built in memory and never encoded, are the
fast fidelity's form of a card's answers (``apdu_format.py``). A value there may be one that
computes its bytes only when it is encoded (an application cryptogram, ``cryptogram.py``): it has
a length, and ``bytes(value)`` gives its bytes.

Data Object Lists (PDOL, CDOL; Book 3 §5.4) are tag-length pairs without values; see
:func:`parse_dol`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from elcart_sim.core.errors import TlvError

__all__ = [
    "Tlv",
    "decode",
    "decode_with_offsets",
    "encode",
    "encode_constructed",
    "template",
    "encode_all",
    "find",
    "find_all",
    "flatten",
    "parse_dol",
    "tag_bytes",
    "is_constructed",
    "MAX_DEPTH",
]

MAX_DEPTH = 16
"""Deepest template nesting accepted; real EMV answers use at most four levels."""


class Tlv(NamedTuple):
    """One data object (immutable). ``value`` holds the value: bytes, or a value that makes its
    bytes when encoded; for a template the raw bytes of its children as decoded, or None when it
    was built from its ``children`` (:func:`template`), which are then encoded with it.
    ``children`` is the content of a constructed tag, ``None`` for a primitive one."""

    tag: int
    value: Any
    children: tuple[Tlv, ...] | None = None

    @property
    def constructed(self) -> bool:
        return self.children is not None

    def to_bytes(self) -> bytes:
        value = self.value
        if value is None:
            value = b"".join([child.to_bytes() for child in self.children or ()])
        return encode(self.tag, value)


_new = tuple.__new__  # a Tlv from its three fields, without the named tuple's Python-level __new__

# Wire form of tags already seen (a few dozen EMV tags in practice; bounded all the same).
_TAG_BYTES: dict[int, bytes] = {}
_TAG_BYTES_MAX = 4096
# One-byte lengths 00-7F, the only form our objects normally need.
_SHORT_LENGTHS = tuple(bytes((n,)) for n in range(0x80))


def tag_bytes(tag: int) -> bytes:
    """The tag as it appears on the wire: ``0x9F26`` -> ``b'\\x9f\\x26'``."""
    if type(tag) is int:
        known = _TAG_BYTES.get(tag)
        if known is not None:
            return known
    if not 0 < tag <= 0xFFFFFF:
        raise TlvError(f"tag {tag:#x} is not a 1-3 byte BER-TLV tag")
    wire = tag.to_bytes((tag.bit_length() + 7) // 8, "big")
    if type(tag) is int and len(_TAG_BYTES) < _TAG_BYTES_MAX:
        _TAG_BYTES[tag] = wire
    return wire


def is_constructed(tag: int) -> bool:
    """True when bit 6 of the tag's first byte is set (a template such as ``70`` or ``BF0C``)."""
    return bool(tag_bytes(tag)[0] & 0x20)


def _length_bytes(length: int, tag: int) -> bytes:
    if length < 0x80:
        return bytes((length,))
    if length <= 0xFF:
        return bytes((0x81, length))
    if length <= 0xFFFF:
        return bytes((0x82, length >> 8, length & 0xFF))
    raise TlvError(f"value of tag {tag:X} is {length} bytes; EMV lengths stop at 65535")


def encode(tag: int, value: Any) -> bytes:
    """One primitive or constructed object from its tag and raw value bytes (or a value that
    makes its bytes when encoded: ``bytes(value)``)."""
    head = _TAG_BYTES.get(tag) if type(tag) is int else None
    if head is None:
        head = tag_bytes(tag)
    if type(value) is not bytes:
        value = bytes(value)
    n = len(value)
    if n < 0x80:
        return head + _SHORT_LENGTHS[n] + value
    return head + _length_bytes(n, tag) + value


def encode_constructed(tag: int, *children: bytes) -> bytes:
    """A template (``6F``, ``A5``, ``77``...) around already encoded children."""
    if not is_constructed(tag):
        raise TlvError(f"tag {tag:X} is primitive (bit 6 of its first byte is 0), not a template")
    return encode(tag, b"".join(children))


def template(tag: int, *children: Tlv) -> Tlv:
    """A template (``6F``, ``77``, ``70``...) built from its children, encoded only if it is."""
    if not is_constructed(tag):
        raise TlvError(f"tag {tag:X} is primitive (bit 6 of its first byte is 0), not a template")
    return _new(Tlv, (tag, None, children))


def decode(data: bytes) -> list[Tlv]:
    """All objects in ``data`` in order, recursing into templates; raises TlvError."""
    return _decode(bytes(data), 0, len(data), 0)


def decode_with_offsets(data: bytes) -> list[tuple[int, Tlv]]:
    """Like :func:`decode`, with the byte offset at which each top-level object starts."""
    offsets: list[int] = []
    objects = _decode(bytes(data), 0, len(data), 0, offsets)
    return list(zip(offsets, objects, strict=True))



def _decode(data: bytes, start: int, end: int, depth: int, offsets: list[int] | None = None) -> list[Tlv]:
    if depth > MAX_DEPTH:
        raise TlvError(f"TLV: templates nested deeper than {MAX_DEPTH} at offset {start}")
    out: list[Tlv] = []
    i = start
    while i < end:
        tag_at = i
        if offsets is not None:
            offsets.append(tag_at)
        first = data[i]
        if first == 0x00 or first == 0xFF:
            raise TlvError(
                f"TLV: byte {first:02X} at offset {tag_at} is filler, not a tag "
                f"(EMV Book 3 Annex B); this decoder does not skip filler"
            )
        tag = first
        i += 1
        if first & 0x1F == 0x1F:
            while True:
                if i >= end:
                    raise TlvError(
                        f"TLV: truncated tag {data[tag_at:end].hex().upper()} at offset {tag_at}: "
                        f"tag continues past end of data"
                    )
                b = data[i]
                tag = (tag << 8) | b
                i += 1
                if not b & 0x80:
                    break
                if i - tag_at >= 3:
                    raise TlvError(
                        f"TLV: tag {data[tag_at:i].hex().upper()}.. at offset {tag_at} "
                        f"is longer than 3 bytes"
                    )
        if i >= end:
            raise TlvError(f"TLV: tag {tag:X} at offset {tag_at} has no length byte")
        n = data[i]
        i += 1
        if n & 0x80:
            len_at = i - 1
            if n == 0x80:
                raise TlvError(
                    f"TLV: indefinite length (80) of tag {tag:X} at offset {len_at} is not allowed"
                )
            count = n & 0x7F
            if count > 2:
                raise TlvError(
                    f"TLV: length field {n:02X} of tag {tag:X} at offset {len_at} "
                    f"announces {count} length bytes; EMV allows at most 2 (81 xx, 82 xx xx)"
                )
            if i + count > end:
                raise TlvError(f"TLV: truncated length of tag {tag:X} at offset {len_at}")
            n = int.from_bytes(data[i : i + count], "big")
            i += count
        j = i + n
        if j > end:
            raise TlvError(
                f"TLV: value of tag {tag:X} at offset {tag_at} runs past the end: "
                f"length {n}, only {end - i} byte(s) left"
            )
        out.append(_new(Tlv, (tag, data[i:j], tuple(_decode(data, i, j, depth + 1)) if first & 0x20 else None)))
        i = j
    return out


def find(tlvs: Iterable[Tlv], tag: int) -> Tlv | None:
    """The first object with ``tag``, searching depth first through templates."""
    for t in tlvs:
        if t.tag == tag:
            return t
        if t.children:
            hit = find(t.children, tag)
            if hit is not None:
                return hit
    return None


def find_all(tlvs: Iterable[Tlv], tag: int) -> list[Tlv]:
    """Every object with ``tag``, depth first, in order (e.g. all ``61`` directory entries)."""
    out: list[Tlv] = []
    for t in tlvs:
        if t.tag == tag:
            out.append(t)
        if t.children:
            out.extend(find_all(t.children, tag))
    return out


def flatten(tlvs: Iterable[Tlv], into: dict[int, Any] | None = None) -> dict[int, Any]:
    """Primitive objects as ``{tag: value}``; the first occurrence of a duplicate tag wins."""
    out: dict[int, Any] = {} if into is None else into
    for tag, value, children in tlvs:
        if children is None:
            if tag not in out:
                out[tag] = value
        else:
            flatten(children, out)
    return out


def parse_dol(data: bytes) -> list[tuple[int, int]]:
    """A Data Object List (PDOL ``9F38``, CDOL ``8C``) as ``[(tag, length), ...]``.

    Each entry is a BER tag followed by a one-byte length (Book 3 §5.4)."""
    entries: list[tuple[int, int]] = []
    i, end = 0, len(data)
    while i < end:
        tag_at = i
        first = data[i]
        if first == 0x00 or first == 0xFF:
            raise TlvError(f"DOL: byte {first:02X} at offset {tag_at} is not a tag")
        tag = first
        i += 1
        if first & 0x1F == 0x1F:
            while True:
                if i >= end:
                    raise TlvError(f"DOL: truncated tag at offset {tag_at}")
                b = data[i]
                tag = (tag << 8) | b
                i += 1
                if not b & 0x80:
                    break
                if i - tag_at >= 3:
                    raise TlvError(f"DOL: tag at offset {tag_at} is longer than 3 bytes")
        if i >= end:
            raise TlvError(f"DOL: tag {tag:X} at offset {tag_at} has no length byte")
        length = data[i]
        if length & 0x80:
            raise TlvError(
                f"DOL: length {length:02X} of tag {tag:X} at offset {i} is not a one-byte length"
            )
        i += 1
        entries.append((tag, length))
    return entries


def encode_all(tlvs: Sequence[Tlv]) -> bytes:
    """Re-encode decoded objects (inverse of :func:`decode`)."""
    return b"".join(t.to_bytes() for t in tlvs)

