"""BER-TLV codec (EMV Book 3 Annex B): byte vectors, round trips, malformed input."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from elcart_sim.core.errors import TlvError
from elcart_sim.protocol.emv import tlv
from elcart_sim.protocol.emv.tlv import Tlv

# SELECT PPSE answer of the reference qVSDC dialogue, docs/sources.md (without SW).
PPSE_FCI = bytes.fromhex(
    "6F2F840E325041592E5359532E4444463031A51DBF0C1A61184F07F0000004171010"
    "500A454C4B41525420504159870101"
)


def test_decode_ppse_fci_structure() -> None:
    (fci,) = tlv.decode(PPSE_FCI)
    assert fci.tag == 0x6F and fci.constructed
    df_name, a5 = fci.children
    assert df_name == Tlv(0x84, b"2PAY.SYS.DDF01")
    (bf0c,) = a5.children
    assert bf0c.tag == 0xBF0C
    (entry,) = bf0c.children
    assert entry.tag == 0x61
    assert [(c.tag, c.value.hex().upper()) for c in entry.children] == [
        (0x4F, "F0000004171010"),
        (0x50, "454C4B41525420504159"),
        (0x87, "01"),
    ]


@pytest.mark.parametrize(
    ("hex_in", "expected"),
    [
        ("9F36020001", [Tlv(0x9F36, b"\x00\x01")]),
        ("5F8101020A0B", [Tlv(0x5F8101, b"\x0a\x0b")]),  # three-byte tag
        ("8400", [Tlv(0x84, b"")]),
        ("9F2701809F2701 00".replace(" ", ""), [Tlv(0x9F27, b"\x80"), Tlv(0x9F27, b"\x00")]),
        ("5A81020102", [Tlv(0x5A, b"\x01\x02")]),  # long form accepted even if not minimal
        ("A000", [Tlv(0xA0, b"", ())]),
    ],
)
def test_decode_vectors(hex_in: str, expected: list[Tlv]) -> None:
    assert tlv.decode(bytes.fromhex(hex_in)) == expected


@pytest.mark.parametrize(
    ("tag", "length", "header_hex"),
    [
        (0x9F36, 2, "9F3602"),
        (0x5A, 127, "5A7F"),
        (0x5A, 128, "5A8180"),
        (0x5A, 255, "5A81FF"),
        (0x5A, 256, "5A820100"),
        (0x9F8101, 300, "9F810182012C"),
    ],
)
def test_encode_length_forms(tag: int, length: int, header_hex: str) -> None:
    value = (bytes(range(256)) * 2)[:length]
    raw = tlv.encode(tag, value)
    assert raw == bytes.fromhex(header_hex) + value
    assert tlv.decode(raw) == [Tlv(tag, value)]


def test_encode_constructed_and_order_and_duplicates() -> None:
    entry = lambda aid: tlv.encode_constructed(0x61, tlv.encode(0x4F, aid))  # noqa: E731
    raw = tlv.encode_constructed(0xBF0C, entry(b"\xa1"), entry(b"\xb2"))
    assert raw.hex().upper() == "BF0C0A61034F01A161034F01B2"
    (bf0c,) = tlv.decode(raw)
    assert [t.tag for t in bf0c.children] == [0x61, 0x61]
    assert [t.value for t in tlv.find_all(bf0c.children, 0x4F)] == [b"\xa1", b"\xb2"]
    assert tlv.encode_all(tlv.decode(raw)) == raw


def test_encode_constructed_rejects_primitive_tag() -> None:
    with pytest.raises(TlvError, match=r"tag 9F26 is primitive"):
        tlv.encode_constructed(0x9F26, b"")


def test_encode_rejects_bad_tag_and_huge_value() -> None:
    with pytest.raises(TlvError, match=r"tag 0x0 is not a 1-3 byte BER-TLV tag"):
        tlv.encode(0, b"")
    with pytest.raises(TlvError, match=r"value of tag 5A is 65536 bytes"):
        tlv.encode(0x5A, bytes(65536))


@pytest.mark.parametrize(
    ("hex_in", "message"),
    [
        ("9F", "TLV: truncated tag 9F at offset 0: tag continues past end of data"),
        ("5A", "TLV: tag 5A at offset 0 has no length byte"),
        ("5A80", "TLV: indefinite length (80) of tag 5A at offset 1 is not allowed"),
        ("5A83000001FF", "TLV: length field 83 of tag 5A at offset 1 announces 3 length bytes"),
        ("5A81", "TLV: truncated length of tag 5A at offset 1"),
        ("5A8201", "TLV: truncated length of tag 5A at offset 1"),
        ("5A0512", "TLV: value of tag 5A at offset 0 runs past the end: length 5, only 1 byte"),
        ("9F360200019F", "TLV: truncated tag 9F at offset 5"),  # trailing garbage
        ("9F3602000100", "TLV: byte 00 at offset 5 is filler, not a tag"),  # trailing filler
        ("FF9F36020001", "TLV: byte FF at offset 0 is filler, not a tag"),  # leading filler
        ("70045A051234", "TLV: value of tag 5A at offset 2 runs past the end"),  # nested offset
        ("9F818101", "TLV: tag 9F8181.. at offset 0 is longer than 3 bytes"),
        ("70035A011299", "TLV: tag 99 at offset 5 has no length byte"),
    ],
)
def test_malformed_input_names_offset_and_tag(hex_in: str, message: str) -> None:
    with pytest.raises(TlvError) as info:
        tlv.decode(bytes.fromhex(hex_in))
    assert str(info.value).startswith(message)


def test_nesting_depth_is_bounded() -> None:
    raw = b""
    for _ in range(tlv.MAX_DEPTH + 2):
        raw = tlv.encode_constructed(0x70, raw)
    with pytest.raises(TlvError, match=r"templates nested deeper than 16 at offset 34"):
        tlv.decode(raw)


def test_error_messages_never_quote_values() -> None:
    track2 = bytes.fromhex("9999041700000019D30122010000000000000F")
    raw = tlv.encode(0x57, track2)[:-1]
    with pytest.raises(TlvError) as info:
        tlv.decode(raw)
    assert "9999" not in str(info.value)


def test_find_and_flatten() -> None:
    tlvs = tlv.decode(PPSE_FCI + bytes.fromhex("4F01AA"))
    assert tlv.find(tlvs, 0x4F) == Tlv(0x4F, bytes.fromhex("F0000004171010"))
    assert tlv.find(tlvs, 0x9F26) is None
    flat = tlv.flatten(tlvs)
    assert flat[0x4F] == bytes.fromhex("F0000004171010")  # first occurrence wins
    assert flat[0x87] == b"\x01"
    assert 0x6F not in flat and 0x61 not in flat


def test_tag_helpers() -> None:
    assert tlv.tag_bytes(0x9F26) == b"\x9f\x26"
    assert tlv.is_constructed(0xBF0C) and tlv.is_constructed(0x77)
    assert not tlv.is_constructed(0x9F26) and not tlv.is_constructed(0x57)


PDOL = bytes.fromhex("9F66049F02069F03069F1A0295055F2A029A039C019F3704")


def test_parse_dol() -> None:
    assert tlv.parse_dol(PDOL) == [
        (0x9F66, 4), (0x9F02, 6), (0x9F03, 6), (0x9F1A, 2), (0x95, 5),
        (0x5F2A, 2), (0x9A, 3), (0x9C, 1), (0x9F37, 4),
    ]  # fmt: skip
    assert tlv.parse_dol(b"") == []


@pytest.mark.parametrize(
    ("hex_in", "message"),
    [
        ("9F", "DOL: truncated tag at offset 0"),
        ("9F66", "DOL: tag 9F66 at offset 0 has no length byte"),
        ("9F6681", "DOL: length 81 of tag 9F66 at offset 2 is not a one-byte length"),
        ("9F818101", "DOL: tag at offset 0 is longer than 3 bytes"),
        ("9F660400", "DOL: byte 00 at offset 3 is not a tag"),
    ],
)
def test_parse_dol_malformed(hex_in: str, message: str) -> None:
    with pytest.raises(TlvError) as info:
        tlv.parse_dol(bytes.fromhex(hex_in))
    assert str(info.value) == message


# --- properties --------------------------------------------------------------------------

_primitive_tags = st.sampled_from([0x57, 0x5A, 0x82, 0x9F26, 0x9F36, 0x5F2A, 0x9F8101, 0xDF8117])
_constructed_tags = st.sampled_from([0x61, 0x6F, 0x70, 0x77, 0xA5, 0xBF0C, 0xBF8101])


def _objects() -> st.SearchStrategy[list[Tlv]]:
    leaf = st.builds(lambda t, v: Tlv(t, v), _primitive_tags, st.binary(max_size=300))
    tree = st.recursive(
        leaf,
        lambda kids: st.builds(
            lambda t, cs: Tlv(t, b"".join(c.to_bytes() for c in cs), tuple(cs)),
            _constructed_tags,
            st.lists(kids, max_size=4),
        ),
        max_leaves=12,
    )
    return st.lists(tree, max_size=5)


@given(_objects())
def test_round_trip_objects(objects: list[Tlv]) -> None:
    raw = tlv.encode_all(objects)
    assert tlv.decode(raw) == objects
    assert tlv.encode_all(tlv.decode(raw)) == raw


@given(st.one_of(st.binary(max_size=400), st.lists(st.binary(max_size=3)).map(b"".join)))
@example(b"\x00\x00")
@example(b"\x1f\x00\x00")
@example(bytes.fromhex("6F03A00100"))
def test_fuzz_decode_raises_only_tlv_error(data: bytes) -> None:
    try:
        objects = tlv.decode(data)
    except TlvError:
        return
    # Re-encoding is canonical (minimal lengths) and decodes to the same objects.
    assert tlv.decode(tlv.encode_all(objects)) == objects


@given(st.binary(max_size=60))
def test_fuzz_parse_dol_raises_only_tlv_error(data: bytes) -> None:
    try:
        tlv.parse_dol(data)
    except TlvError:
        pass
