"""ELKART host messages (ISO 8583:1987 over pyiso8583): vectors, round trips, errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elcart_sim.core.errors import IsoMessageError
from elcart_sim.protocol import iso8583
from elcart_sim.protocol.iso8583 import ResponseCode, TokenData
from elcart_sim.protocol.iso8583.messages import response_to

DE55 = bytes.fromhex(
    "9F2608F512DDBF502EB8239F2701809F100706011203A000009F37049C753B839F3602000195050000000000"
    "9A032611269C01009F02060000000123455F2A020417820200009F1A0204179F03060000000000009F6C020080"
)
TOKEN = TokenData("9999041700000019", "3012", "40000000001", "Q1KG0417TESTPAR00000000000001", "01")
AUTH_REQUEST = {
    "t": "0100",
    "2": "9999041700000019",
    "3": "000000",
    "4": "000000012345",
    "7": "1126101500",
    "11": "000001",
    "12": "161500",
    "13": "1126",
    "14": "3012",
    "18": "5411",
    "22": "071",
    "23": "000",
    "25": "00",
    "32": "417001",
    "35": "9999041700000019=30122010000000000000",
    "37": "000000000001",
    "41": "TERM0001",
    "42": "MERCHANT0000001",
    "43": "ELKART TEST SHOP         BISHKEK      KG",
    "49": "417",
    "55": DE55,
}
AUTH_RESPONSE = {
    "t": "0110",
    "3": "000000",
    "4": "000000012345",
    "7": "1126101500",
    "11": "000001",
    "37": "000000000001",
    "38": "A1B2C3",
    "39": "00",
    "41": "TERM0001",
    "49": "417",
}
AUTH_RESPONSE_BYTES = (
    b"0110" + bytes.fromhex("322000000E808000")
    + b"000000" b"000000012345" b"1126101500" b"000001" b"000000000001" b"A1B2C3" b"00"
    b"TERM0001" b"417"
)  # fmt: skip


def test_authorisation_response_exact_bytes() -> None:
    assert iso8583.encode(AUTH_RESPONSE) == AUTH_RESPONSE_BYTES
    assert iso8583.decode(AUTH_RESPONSE_BYTES) == AUTH_RESPONSE


def test_authorisation_request_with_de55_round_trip() -> None:
    raw = iso8583.encode(AUTH_REQUEST)
    assert raw[:4] == b"0100"
    assert raw[4:12].hex().upper() == "723C468128E08200"
    assert raw.endswith(b"417" + b"089" + DE55)  # DE49, then DE55 as LLL + raw BER-TLV
    decoded = iso8583.decode(raw)
    assert decoded == AUTH_REQUEST
    assert isinstance(decoded["55"], bytes)


def test_switch_to_issuer_request_with_secondary_bitmap() -> None:
    msg = {**AUTH_REQUEST, "2": "9417000000000001", "100": "417002", "123": TOKEN.to_de123()}
    raw = iso8583.encode(msg)
    assert raw[4:20].hex().upper() == "F23C468128E082000000000010000020"
    decoded = iso8583.decode(raw)
    assert decoded == msg
    assert TokenData.from_de123(decoded["123"]) == TOKEN


def test_reversal_and_its_response_round_trip() -> None:
    de90 = iso8583.original_data_elements("0100", "000001", "1126101500", "417001")
    assert de90 == "010000000111261015000000041700100000000000"
    reversal = {k: AUTH_REQUEST[k] for k in "t 2 3 4 7 11 32 37 41 42 49".split()}
    reversal |= {"t": "0400", "7": "1126101530", "11": "000002", "90": de90}
    assert iso8583.decode(iso8583.encode(reversal)) == reversal
    response = {**{k: reversal[k] for k in "3 4 7 11 37 41 49".split()}, "t": "0410", "39": "00"}
    assert iso8583.decode(iso8583.encode(response)) == response


def test_encode_does_not_mutate_its_argument() -> None:
    msg = dict(AUTH_REQUEST)
    iso8583.encode(msg)
    assert msg == AUTH_REQUEST


def _without(key: str) -> dict:
    return {k: v for k, v in AUTH_REQUEST.items() if k != key}


@pytest.mark.parametrize(
    ("message", "field", "text"),
    [
        ({**AUTH_REQUEST, "t": "0800"}, "t",
         "ISO 8583 encode: MTI '0800' is not one of 0100, 0101, 0110, 0120, 0121, 0130, 0200, 0210, 0400, 0401, 0410, 0420, 0421, 0430"),
        (_without("41"), "41", "ISO 8583 encode: MTI 0100 lacks mandatory field(s) 41"),
        (_without("55"), "55", "ISO 8583 encode: MTI 0100 lacks mandatory field(s) 55"),
        ({k: v for k, v in AUTH_RESPONSE.items() if k != "38"}, "38",
         "ISO 8583 encode: MTI 0110 lacks mandatory field(s) 38"),
        ({**AUTH_REQUEST, "4": "00000001234X"}, "4",
         "ISO 8583 encode: field 4 (Amount, Transaction (tyiyn)) must be digits only"),
        ({**AUTH_REQUEST, "2": "9999O41700000019"}, "2",
         "ISO 8583 encode: field 2 (Primary Account Number (PAN)) must be digits only"),
        ({**AUTH_REQUEST, "35": "9999041700000019D3012"}, "35",
         "ISO 8583 encode: field 35 (Track 2 Data) must be digits and '='"),
        ({**AUTH_REQUEST, "11": "123"}, "11",
         "ISO 8583 encode: field 11 (System Trace Audit Number (STAN)) must be 6 characters long, got 3"),
        ({**AUTH_REQUEST, "2": "99990417000000190000"}, "2",
         "ISO 8583 encode: field 2 (Primary Account Number (PAN)) must be at most 19 characters long, got 20"),
        ({**AUTH_REQUEST, "43": "ÖSKEMEN"}, "43",
         "ISO 8583 encode: field 43 (Card Acceptor Name/Location) must be printable ASCII"),
        ({**AUTH_REQUEST, "55": DE55.hex()}, "55",
         "ISO 8583 encode: field 55 (ICC Data (EMV BER-TLV)) must be bytes, got str"),
        ({**AUTH_REQUEST, "55": bytes(256)}, "55",
         "ISO 8583 encode: field 55 (ICC Data (EMV BER-TLV)) must be at most 255 bytes long, got 256"),
        ({**AUTH_REQUEST, "64": "00"}, "64",
         "ISO 8583 encode: field 64 is not in the ELKART host spec"),
        ({**AUTH_REQUEST, "p": "00"}, "p",
         "ISO 8583 encode: field p is not in the ELKART host spec"),
        ({**AUTH_REQUEST, "4": 12345}, "4",
         "ISO 8583 encode: field 4 (Amount, Transaction (tyiyn)) must be str, got int"),
        ({**AUTH_REQUEST, "37": "00000000000#"}, "37",
         "ISO 8583 encode: field 37 (Retrieval Reference Number (trace id)) must be letters and "
         "digits only"),
        ({**AUTH_REQUEST, "41": "TERM\x0001"}, "41",
         "ISO 8583 encode: field 41 (Card Acceptor Terminal ID) must be printable ASCII"),
        ({**AUTH_RESPONSE, "39": "05", "44": "TOKEN\tSUSPENDED"}, "44",
         "ISO 8583 encode: field 44 (Additional Response Data (decline reason)) must be printable "
         "ASCII"),
    ],
)  # fmt: skip
def test_encode_errors_name_the_field(message: dict, field: str, text: str) -> None:
    with pytest.raises(IsoMessageError) as info:
        iso8583.encode(message)
    assert info.value.field == field
    assert str(info.value) == text
    assert "9999041700000019" not in str(info.value)


@pytest.mark.parametrize(
    ("raw", "field", "text"),
    [
        (AUTH_RESPONSE_BYTES[:-1], "49", "ISO 8583 decode: field 49 at byte 74: "
         "Field data is 2 bytes, expecting 3"),
        (AUTH_RESPONSE_BYTES + b"X", "49", "ISO 8583 decode: field 49 at byte 77: "
         "Extra data after last field"),
        (b"01", "t", "ISO 8583 decode: field t at byte 0: Field data is 2 bytes, expecting 4"),
        (b"0110" + bytes.fromhex("0000000000000001") + b"12345678", "64",
         "ISO 8583 decode: bitmap announces field 64, which is not in the ELKART host spec"),
        (b"0800" + bytes.fromhex("0000000000000000"), "t",
         "ISO 8583 decode: MTI '0800' is not one of 0100, 0101, 0110, 0120, 0121, 0130, 0200, 0210, 0400, 0401, 0410, 0420, 0421, 0430"),
        (AUTH_RESPONSE_BYTES.replace(b"000000012345", b"00000001234X"), "4",
         "ISO 8583 decode: field 4 (Amount, Transaction (tyiyn)) must be digits only"),
        (b"0110" + bytes.fromhex("0000000000000000"), "3",
         "ISO 8583 decode: MTI 0110 lacks mandatory field(s) 3, 4, 7, 11, 37, 39, 41, 49"),
        (AUTH_RESPONSE_BYTES.replace(b"A1B2C3", b"A1B2C~"), "38",
         "ISO 8583 decode: field 38 (Authorisation ID Response) must be letters and digits only"),
        (AUTH_RESPONSE_BYTES.replace(b"TERM0001", b"TERM\x7f001"), "41",
         "ISO 8583 decode: field 41 (Card Acceptor Terminal ID) must be printable ASCII"),
    ],
)  # fmt: skip
def test_decode_errors_name_the_field(raw: bytes, field: str, text: str) -> None:
    with pytest.raises(IsoMessageError) as info:
        iso8583.decode(raw)
    assert info.value.field == field
    assert str(info.value) == text


def test_response_codes() -> None:
    table = {rc.value: rc.description for rc in ResponseCode}
    assert table == {
        "00": "Approved", "05": "Do not honour", "12": "Invalid transaction", "13": "Invalid amount",
        "14": "Invalid card number",
        "30": "Format error", "41": "Lost card, pick up", "43": "Stolen card, pick up",
        "51": "Insufficient funds", "54": "Expired card",
        "57": "Transaction not permitted to cardholder", "61": "Exceeds withdrawal amount limit",
        "62": "Restricted card", "63": "Security violation", "65": "Exceeds withdrawal frequency limit", "68": "Response received too late", "91": "Issuer or switch inoperative", "94": "Duplicate transmission",
        "96": "System malfunction",
    }  # fmt: skip
    assert ResponseCode("51") is ResponseCode.INSUFFICIENT_FUNDS
    assert ResponseCode.APPROVED == "00"


def test_token_data_layout() -> None:
    text = TOKEN.to_de123()
    assert text == (
        "01016" "9999041700000019" "02004" "3012" "03011" "40000000001"
        "04029" "Q1KG0417TESTPAR00000000000001" "05002" "01"
    )  # fmt: skip
    assert TokenData.from_de123(text) == TOKEN


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ("0101", "123", "DE123: truncated subfield header at 0"),
        ("01016999904", "123.01", "DE123.01: length 16 runs past the end at 0"),
        ("09002AB", "123", "DE123: unknown subfield '09' at 0"),
        ("010169999041700000019", "123.02", "DE123: subfield(s) 02, 03, 04, 05 missing"),
    ],
)
def test_token_data_errors(text: str, field: str, message: str) -> None:
    with pytest.raises(IsoMessageError) as info:
        TokenData.from_de123(text)
    assert (info.value.field, str(info.value)) == (field, message)


def test_token_data_validation() -> None:
    with pytest.raises(IsoMessageError) as info:
        TokenData("9999041700000019", "3012", "40000000001", "SHORT")
    assert (info.value.field, str(info.value)) == (
        "123.04", "DE123.04 (par) must be 29 an characters (5 given)"
    )


def test_original_data_elements_validation() -> None:
    with pytest.raises(IsoMessageError, match=r"DE90: part must be 6 digits, got '1'"):
        iso8583.original_data_elements("0100", "1", "1126101500", "417001")


def test_an_approval_without_an_authorisation_id_is_refused() -> None:
    with pytest.raises(IsoMessageError) as info:
        response_to(AUTH_REQUEST, "00")
    assert info.value.field == "38"
    assert str(info.value) == "ISO 8583 0110: an approved response (DE39 00) needs an authorisation id (DE38)"
    assert response_to(AUTH_REQUEST, "51")["39"] == "51"  # a decline needs none


def test_host_spec_documents_every_field_and_code() -> None:
    doc = (Path(iso8583.__file__).parent / "host_spec.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| (\w+) \|", doc, flags=re.MULTILINE))
    assert set(iso8583.ELKART_SPEC) - {"h"} <= rows
    for rc in ResponseCode:
        assert f"| {rc.value} | {rc.description} |" in doc
    for mti, fields in iso8583.MANDATORY_FIELDS.items():
        assert f"| {mti} | {' '.join(sorted(fields, key=int))} |" in doc


@given(st.binary(max_size=300))
def test_fuzz_decode_raises_only_iso_message_error(raw: bytes) -> None:
    try:
        iso8583.decode(raw)
    except IsoMessageError:
        pass


@given(st.sampled_from([b"0100", b"0110", b"0400", b"0410"]), st.binary(max_size=300))
def test_fuzz_decode_after_valid_mti(mti: bytes, rest: bytes) -> None:
    try:
        iso8583.decode(mti + rest)
    except IsoMessageError:
        pass


@given(st.integers(0, len(AUTH_RESPONSE_BYTES) - 1), st.integers(0, 255))
def test_fuzz_single_byte_corruption(i: int, b: int) -> None:
    raw = bytearray(AUTH_RESPONSE_BYTES)
    raw[i] = b
    try:
        iso8583.decode(bytes(raw))
    except IsoMessageError:
        pass


@given(st.one_of(st.text(max_size=120), st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", max_size=120),
                 st.just(TOKEN.to_de123()).flatmap(lambda t: st.integers(0, len(t)).map(lambda i: t[:i]))))  # fmt: skip
def test_fuzz_de123_raises_only_iso_message_error(text: str) -> None:
    try:
        parsed = TokenData.from_de123(text)
    except IsoMessageError as exc:
        assert exc.field is not None and exc.field.startswith("123")
        return
    assert TokenData.from_de123(parsed.to_de123()) == parsed


@given(st.dictionaries(st.sampled_from(sorted(iso8583.ELKART_SPEC, key=str)), st.one_of(st.text(max_size=30), st.binary(max_size=30)), max_size=8))
def test_fuzz_encode_raises_only_iso_message_error(fields: dict) -> None:
    message = {**AUTH_RESPONSE, **fields}
    try:
        raw = iso8583.encode(message)
    except IsoMessageError as exc:
        assert exc.field is not None
        return
    assert iso8583.decode(raw) == {k: v for k, v in message.items() if k not in ("h", "p", "1")}


# One check (problem) says what is wrong with any message: it never raises, and it names a field
# the message holds (a bad value) or lacks (a mandatory one).
_VALUES = st.one_of(
    st.text(alphabet="0123456789", max_size=14),
    st.text(alphabet="0123456789=", max_size=14),
    st.text(alphabet="AZaz09 ~#\x7f\t²Ö", max_size=10),
    st.sampled_from(["00", "05", "071", "051", ResponseCode.APPROVED, "A1B2C3", ""]),
    st.binary(max_size=12),
    st.integers(0, 99),
)


@given(
    st.sampled_from([AUTH_REQUEST, AUTH_RESPONSE, {**AUTH_RESPONSE, "t": "0410"}]),
    st.dictionaries(st.sampled_from(sorted(iso8583.ELKART_SPEC, key=str) + ["64"]), _VALUES, max_size=4),
    st.sets(st.sampled_from(["t", "2", "22", "38", "39", "41", "55"]), max_size=2),
)
def test_fuzz_the_check_names_the_field_it_refuses(base: dict, fields: dict, dropped: set) -> None:
    message = {k: v for k, v in {**base, **fields}.items() if k not in dropped}
    found = iso8583.problem(message)
    if found is None:  # valid by the spec's rules: only a length pyiso8583 refuses can stop it
        try:
            raw = iso8583.encode(message)
        except IsoMessageError as exc:
            assert "bytes" in str(exc) and exc.field in message
        else:
            assert iso8583.decode(raw) == message
        return
    field, text = found
    assert field == "t" or field in message or field in iso8583.required_fields(message)
    with pytest.raises(IsoMessageError) as info:
        iso8583.validate(message)
    assert info.value.field == field and text in str(info.value)
