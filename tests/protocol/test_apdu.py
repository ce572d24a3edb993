"""Command/response APDUs (ISO/IEC 7816-4 short cases) and the EMV command builders."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elcart_sim.core.errors import ApduError, StatusWordError, TlvError
from elcart_sim.protocol.emv import apdu, tlv
from elcart_sim.protocol.emv.apdu import CommandApdu, ResponseApdu
from elcart_sim.protocol.emv.tlv import Tlv

AID = bytes.fromhex("F0000004171010")
PDOL_DATA = bytes.fromhex(
    "36004000" "000000012345" "000000000000" "0417" "0000000000" "0417" "261126" "00" "9C753B83"
)
CDOL1_DATA = bytes.fromhex(
    "000000012345" "000000000000" "0417" "0000000000" "0417" "261126" "00" "FEF0CF80" "22" "1F0302"
)


@pytest.mark.parametrize(
    ("command", "expected_hex"),
    [
        (apdu.select(apdu.PPSE), "00A404000E325041592E5359532E444446303100"),
        (apdu.select(AID), "00A4040007F000000417101000"),
        (apdu.get_processing_options(PDOL_DATA),
         "80A8000023832136004000000000012345000000000000041700000000000417261126009C753B8300"),
        (apdu.get_processing_options(b""), "80A80000028300" "00"),
        (apdu.read_record(1, 1), "00B2010C00"),
        (apdu.read_record(3, 2), "00B2031400"),
        (apdu.generate_ac(apdu.AC_ARQC, CDOL1_DATA),
         "80AE800021000000012345000000000000041700000000000417261126" "00FEF0CF80221F030200"),
    ],
)  # fmt: skip
def test_builders_match_the_reference_trace(command: CommandApdu, expected_hex: str) -> None:
    assert command.to_bytes().hex().upper() == expected_hex


@pytest.mark.parametrize(
    ("hex_in", "fields"),
    [
        ("00A40400", (0x00, 0xA4, 0x04, 0x00, b"", None)),  # case 1
        ("00B2010C00", (0x00, 0xB2, 0x01, 0x0C, b"", 256)),  # case 2, Le 00 = 256
        ("00B2010C10", (0x00, 0xB2, 0x01, 0x0C, b"", 16)),
        ("00A4040002AABB", (0x00, 0xA4, 0x04, 0x00, b"\xaa\xbb", None)),  # case 3
        ("00A4040002AABB00", (0x00, 0xA4, 0x04, 0x00, b"\xaa\xbb", 256)),  # case 4
    ],
)
def test_parse_cases(hex_in: str, fields: tuple) -> None:
    raw = bytes.fromhex(hex_in)
    parsed = CommandApdu.parse(raw)
    assert (parsed.cla, parsed.ins, parsed.p1, parsed.p2, parsed.data, parsed.le) == fields
    assert parsed.to_bytes() == raw


@pytest.mark.parametrize(
    ("hex_in", "message"),
    [
        ("", "command APDU shorter than the 4-byte header: "),
        ("00A404", "command APDU shorter than the 4-byte header: 00A404"),
        ("00A40400000007F0000004171010", "extended-length command APDU (Lc byte 00) not supported: "
         "00A40400000007F0000004171010"),
        ("00A404000E3250", "command APDU Lc=0E announces 14 data bytes but 2 byte(s) follow the "
         "Lc byte: 00A404000E3250"),
        ("00A4040002AABBCCDD", "command APDU Lc=02 announces 2 data bytes but 4 byte(s) follow "
         "the Lc byte: 00A4040002AABBCCDD"),
    ],
)  # fmt: skip
def test_parse_rejects_garbled(hex_in: str, message: str) -> None:
    with pytest.raises(ApduError) as info:
        CommandApdu.parse(bytes.fromhex(hex_in))
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cla": 256, "ins": 0, "p1": 0, "p2": 0}, "APDU cla must be one byte (0-255), got 256"),
        ({"cla": 0, "ins": 0, "p1": 0, "p2": 0, "le": 0}, "APDU le must be 1-256 or None, got 0"),
        ({"cla": 0, "ins": 0, "p1": 0, "p2": 0, "data": bytes(256)},
         "APDU data is 256 bytes; short APDUs carry at most 255"),
    ],
)  # fmt: skip
def test_command_validation(kwargs: dict, message: str) -> None:
    with pytest.raises(ApduError) as info:
        CommandApdu(**kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: apdu.read_record(1, 0), "READ RECORD: SFI must be 1-30, got 0"),
        (lambda: apdu.read_record(0, 1), "READ RECORD: record number must be 1-254, got 0"),
        (lambda: apdu.select(b""), "SELECT: DF name must be 1-16 bytes, got 0"),
        (lambda: apdu.generate_ac(0x81, b""), "GENERATE AC: reference control 0x81 is invalid"),
    ],
)
def test_builder_validation(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ApduError) as info:
        call()
    assert str(info.value) == message


def test_response_parse_and_check() -> None:
    r = ResponseApdu.parse(bytes.fromhex("9F360200019000"))
    assert r == ResponseApdu((Tlv(0x9F36, b"\x00\x01"),), 0x9000)
    assert r.ok and (r.sw1, r.sw2) == (0x90, 0x00)
    assert r.to_bytes().hex().upper() == "9F360200019000"
    assert r.check("GET DATA") is r
    bad = ResponseApdu.parse(b"\x69\x85")
    assert bad.data == () and not bad.ok
    with pytest.raises(StatusWordError, match=r"^GPO answered SW 6985$") as info:
        bad.check("GPO")
    assert info.value.sw == 0x6985


def test_response_data_is_read_as_tlv_objects_only_in_a_9000_answer() -> None:
    answer = ResponseApdu.parse(bytes.fromhex("770A82021880940408010100" "9000"))
    assert answer.data == (Tlv(0x77, bytes.fromhex("82021880940408010100"), (Tlv(0x82, b"\x18\x80"), Tlv(0x94, bytes.fromhex("08010100")))),)
    built = ResponseApdu((tlv.template(0x77, Tlv(0x82, b"\x18\x80"), Tlv(0x94, bytes.fromhex("08010100"))),), 0x9000)
    assert built.to_bytes() == bytes.fromhex("770A82021880940408010100" "9000")  # a template built from its children
    assert ResponseApdu.parse(bytes.fromhex("FFFF" "6985")) == ResponseApdu((), 0x6985)  # a refusal's data is not read
    with pytest.raises(TlvError, match=r"^TLV: byte FF at offset 0 is filler"):
        ResponseApdu.parse(bytes.fromhex("FFFF" "9000"))


@pytest.mark.parametrize("hex_in", ["", "90"])
def test_response_needs_status_word(hex_in: str) -> None:
    with pytest.raises(ApduError, match=r"response APDU needs at least the 2 status word bytes"):
        ResponseApdu.parse(bytes.fromhex(hex_in))


def test_status_word_constants() -> None:
    assert (apdu.SW_OK, apdu.SW_WRONG_LENGTH, apdu.SW_CONDITIONS_NOT_SATISFIED) == (
        0x9000, 0x6700, 0x6985)
    assert (apdu.SW_FILE_NOT_FOUND, apdu.SW_INCORRECT_P1P2, apdu.SW_RECORD_NOT_FOUND) == (
        0x6A82, 0x6A86, 0x6A83)
    assert (apdu.SW_INS_NOT_SUPPORTED, apdu.SW_CLA_NOT_SUPPORTED, apdu.SW_WRONG_DATA) == (
        0x6D00, 0x6E00, 0x6A80)
    assert (apdu.SW_SECURITY_STATUS_NOT_SATISFIED, apdu.SW_REFERENCE_DATA_NOT_USABLE) == (0x6982, 0x6984)
    assert apdu.PPSE == b"2PAY.SYS.DDF01"


@given(st.binary(max_size=300))
def test_fuzz_command_parse_raises_only_apdu_error_and_round_trips(raw: bytes) -> None:
    try:
        parsed = CommandApdu.parse(raw)
    except ApduError:
        return
    assert parsed.to_bytes() == raw


@given(st.one_of(st.binary(max_size=40), st.binary(max_size=40).map(lambda data: data + b"\x90\x00")))
def test_fuzz_response_parse(raw: bytes) -> None:
    try:
        parsed = ResponseApdu.parse(raw)
    except ApduError:
        assert len(raw) < 2 or not (0x61 <= raw[-2] <= 0x6F or 0x90 <= raw[-2] <= 0x9F)
        return
    except TlvError:
        assert raw[-2:] == b"\x90\x00"
        return
    assert 0x61 <= parsed.sw1 <= 0x6F or 0x90 <= parsed.sw1 <= 0x9F
    if parsed.ok:  # encoded again (lengths in their shortest form), it reads the same
        assert ResponseApdu.parse(parsed.to_bytes()) == parsed
    else:
        assert parsed.data == () and parsed.to_bytes() == raw[-2:]


@pytest.mark.parametrize("hex_in", ["0000", "9F3602000160FF", "6000", "A000", "5F00"])
def test_response_rejects_bytes_that_are_no_status_word(hex_in: str) -> None:
    raw = bytes.fromhex(hex_in)
    with pytest.raises(ApduError) as info:
        ResponseApdu.parse(raw)
    assert str(info.value) == (
        f"response APDU ends in {hex_in[-4:]}, which is not a status word (SW1 must be 61-6F or "
        f"90-9F; byte {len(raw) - 2} of {len(raw)})"
    )


@pytest.mark.parametrize(
    ("sw", "words"),
    [
        (0x9000, "normal processing"),
        (0x6982, "security status not satisfied"),
        (0x6984, "reference data not usable"),
        (0x6985, "conditions of use not satisfied"),
        (0x6A82, "file or application not found"),
        (0x6110, "16 more response bytes available"),
        (0x6C08, "wrong Le field; 8 bytes available"),
        (0x6283, "warning"),
        (0x6581, "execution error"),
        (0x6999, "checking error"),
        (0x9F10, "unknown status word"),
    ],
)
def test_status_words_are_described(sw: int, words: str) -> None:
    assert apdu.describe_status_word(sw) == words
