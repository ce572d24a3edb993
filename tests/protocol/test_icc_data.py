"""DE55 read the strict way a host reads it: allowed tags, once each, primitive, EMV lengths."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elcart_sim.core.errors import IccDataError, ProtocolError, TlvError
from elcart_sim.protocol.emv import icc_data, tlv
from elcart_sim.protocol.emv.icc_data import REQUEST_TAGS, RESPONSE_TAGS, parse_icc_data

DE55 = bytes.fromhex(
    "9F2608F512DDBF502EB8239F2701809F100706011203A000009F37049C753B839F3602000195050000000000"
    "9A032611269C01009F02060000000123455F2A020417820200009F1A0204179F03060000000000009F6C020080"
)


def test_the_reference_de55_reads_completely() -> None:
    tags = parse_icc_data(DE55)
    assert list(tags) == [0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C, 0x9F02, 0x5F2A, 0x82, 0x9F1A, 0x9F03, 0x9F6C]
    assert tags[0x9F26].hex().upper() == "F512DDBF502EB823"
    assert parse_icc_data(bytes.fromhex("910834C36FB900820000"), RESPONSE_TAGS) == {0x91: bytes.fromhex("34C36FB900820000")}


@pytest.mark.parametrize(
    ("hex_in", "message"),
    [
        ("9F2608F512DDBF502EB823DF0101AA", "DE55: tag DF01 (unknown) at offset 11 is not allowed here by the host spec"),
        ("9F2701809F270180", "DE55: tag 9F27 (Cryptogram Information Data) at offset 4 appears twice"),
        ("77039F2700", "DE55: template 77 at offset 0; DE55 holds primitive objects only"),
        ("9F2607F512DDBF502EB8", "DE55: tag 9F26 (Application Cryptogram) at offset 0 is 7 bytes, expected 8"),
        ("9F1000", "DE55: tag 9F10 (Issuer Application Data) at offset 0 is 0 bytes, expected 1-32"),
        ("910434C36FB9", "DE55: tag 91 (Issuer Authentication Data) at offset 0 is not allowed here by the host spec"),
    ],
)
def test_what_the_host_spec_does_not_allow_is_named_with_its_offset(hex_in: str, message: str) -> None:
    with pytest.raises(IccDataError) as info:
        parse_icc_data(bytes.fromhex(hex_in))
    assert str(info.value) == message


def test_malformed_tlv_is_a_tlv_error_and_values_are_never_quoted() -> None:
    with pytest.raises(TlvError, match="runs past the end"):
        parse_icc_data(DE55[:-1])
    with pytest.raises(IccDataError) as info:
        parse_icc_data(bytes.fromhex("5A0899990417000000195F340100"))
    assert "99990417" not in str(info.value)


def test_a_long_form_length_is_read_and_offsets_stay_exact() -> None:
    tags = parse_icc_data(bytes.fromhex("9F028106000000000123" "9F0306000000000000"))
    assert tags == {0x9F02: bytes.fromhex("000000000123"), 0x9F03: bytes(6)}
    with pytest.raises(IccDataError, match=r"^DE55: tag 9F03 \(Amount, Other \(Numeric\)\) at offset 19 appears twice$"):
        parse_icc_data(bytes.fromhex("9F028106000000000123" "9F0306000000000000" "9F0306000000000000"))


def test_the_allowed_tags_are_the_host_spec_tags() -> None:
    assert set(REQUEST_TAGS) == {t.tag for t in tlv.decode(DE55)}
    assert set(RESPONSE_TAGS) == {0x91}


@given(st.one_of(st.binary(max_size=120), st.lists(st.sampled_from([o.to_bytes() for o in tlv.decode(DE55)])).map(b"".join)))
def test_fuzz_only_protocol_errors(data: bytes) -> None:
    try:
        tags = parse_icc_data(data)
    except ProtocolError:
        return
    assert set(tags) <= set(REQUEST_TAGS)
    for tag, value in tags.items():
        low, high = REQUEST_TAGS[tag]
        assert low <= len(value) <= high


# The one-pass reader (icc_data._parse_well_formed) must accept only what the general decoder
# accepts and return the same map; anything it is unsure of goes to the general decoder.
_PIECES = [o.to_bytes() for o in tlv.decode(DE55)] + [
    bytes.fromhex(h) for h in ("9F028106000000000123", "77039F2700", "9F818101", "00", "FF", "9F", "DF0101AA", "9F1000", "910834C36FB900820000")
]


@given(st.one_of(st.binary(max_size=120), st.lists(st.sampled_from(_PIECES), max_size=16).map(b"".join)), st.booleans())
def test_fuzz_fast_reader_agrees_with_the_general_decoder(data: bytes, response: bool) -> None:
    allowed = RESPONSE_TAGS if response else REQUEST_TAGS
    fast = icc_data._parse_well_formed(data, allowed)
    if fast is not None:
        assert list(fast.items()) == list(icc_data._parse_and_explain(data, allowed).items())


def test_the_reference_de55_takes_the_fast_reader() -> None:
    assert icc_data._parse_well_formed(DE55, REQUEST_TAGS) == parse_icc_data(DE55)
    assert icc_data._parse_well_formed(bytes.fromhex("910834C36FB900820000"), RESPONSE_TAGS) is not None


def test_de55_as_objects_is_held_to_the_same_policy() -> None:
    tags = parse_icc_data(DE55)
    assert parse_icc_data(tags) is tags  # the fast fidelity's DE55: checked, given back as it is
    with pytest.raises(IccDataError, match=r"^DE55: tag DF01 \(unknown\), object 14, is not allowed here by the host spec$"):
        parse_icc_data({**tags, 0xDF01: b"\xaa"})
    with pytest.raises(IccDataError, match=r"^DE55: tag 9F6C \(Card Transaction Qualifiers \(CTQ\)\), object 13, is 3 bytes, expected 2$"):
        parse_icc_data({**tags, 0x9F6C: b"\x00\x80\x00"})
    assert parse_icc_data({0x91: bytes(8)}, RESPONSE_TAGS) == {0x91: bytes(8)}
