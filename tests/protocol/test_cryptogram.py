"""Card-side ARQC (EMV Book 2 A1): published vectors and agreement with pyemv."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyemv import ac as pyemv_ac
from pyemv import cvn as pyemv_cvn
from pyemv import kd as pyemv_kd

from elcart_sim.core.errors import CryptogramError
from elcart_sim.protocol.emv.arqc_verify import verify_arqc
from elcart_sim.protocol.emv.cryptogram import (
    ApplicationCryptogram,
    IssuerApplicationData,
    IssuerAuthentication,
    arpc_method_2,
    arqc_input,
    derive_icc_master_key,
    derive_limited_use_key,
    derive_session_key,
    generate_arqc,
    odd_parity,
)

IMK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
PAN = "9999041700000019"
# The reference qVSDC dialogue (docs/sources.md): GPO data, then AIP 0000, ATC 0001, IAD 06011203A00000.
TAGS = {
    0x9F02: bytes.fromhex("000000012345"),
    0x9F03: bytes.fromhex("000000000000"),
    0x9F1A: bytes.fromhex("0417"),
    0x95: bytes.fromhex("0000000000"),
    0x5F2A: bytes.fromhex("0417"),
    0x9A: bytes.fromhex("261126"),
    0x9C: bytes.fromhex("00"),
    0x9F37: bytes.fromhex("9C753B83"),
    0x82: bytes.fromhex("0000"),
    0x9F36: bytes.fromhex("0001"),
    0x9F10: bytes.fromhex("06011203A00000"),
}
INPUT_HEX = (
    "000000012345" "000000000000" "0417" "0000000000" "0417" "261126" "00" "9C753B83"
    "0000" "0001" "06011203A00000"
)


def test_published_vector_icc_master_key_and_arqc() -> None:
    icc_mk = derive_icc_master_key(IMK, PAN, 0)
    assert icc_mk.hex().upper() == "2513A78AF2C4010880CBBC3D97FDC21F"
    data = arqc_input(TAGS)
    assert data.hex().upper() == INPUT_HEX
    arqc = generate_arqc(derive_session_key(icc_mk, 1), data)
    assert arqc.hex().upper() == "F512DDBF502EB823"


@pytest.mark.parametrize(
    ("pan", "psn", "expected"),
    [  # pyemv kd docstring vectors (option A)
        ("12345678901234567", 1, "73AD54688CEF2934B0979857E3C719F1"),
        ("99012345678901234", 45, "67F8292358083E5EA7AB7FDA58D53B6B"),
    ],
)
def test_option_a_vectors(pan: str, psn: int, expected: str) -> None:
    assert derive_icc_master_key(IMK, pan, psn).hex().upper() == expected


def test_common_session_key_vector() -> None:
    # pyemv kd docstring: MK 0123..3210, R = 001C000000000000.
    assert derive_session_key(IMK, 0x001C).hex().upper() == "E9FB384AF807B940FEDCEA613461B0C4"


def test_mac_vector() -> None:
    # pyemv ac docstring: session key AA..BB.., ten-tag input -> 3B76CF10FECD8789.
    sk = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB")
    data = bytes.fromhex("000000002000000000000000012400000080000124110309003804823E58000001")
    assert generate_arqc(sk, data).hex().upper() == "3B76CF10FECD8789"


def test_odd_parity() -> None:
    assert odd_parity(bytes.fromhex("0001FEFF")).hex().upper() == "0101FEFE"
    assert all(bin(b).count("1") % 2 == 1 for b in odd_parity(bytes(range(256))))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: derive_icc_master_key(IMK[:8], PAN, 0),
         "issuer master key must be a 16-byte double-length 3DES key, got 8"),
        (lambda: derive_icc_master_key(IMK, "99990417ABCD0019", 0),
         "PAN must be 12-19 decimal digits (16 chars given)"),
        (lambda: derive_icc_master_key(IMK, PAN, 100), "PAN sequence number must be 0-99, got 100"),
        (lambda: derive_session_key(IMK, 0x10000), "ATC must be 0-65535, got 65536"),
        (lambda: generate_arqc(b"", b""),
         "session key must be a 16-byte double-length 3DES key, got 0"),
        (lambda: arqc_input({k: v for k, v in TAGS.items() if k != 0x9F37}),
         "ARQC input: tag 9F37 is missing"),
        (lambda: arqc_input({**TAGS, 0x9F36: b"\x01"}),
         "ARQC input: tag 9F36 must be 2 bytes, got 1"),
    ],
)  # fmt: skip
def test_invalid_inputs(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CryptogramError) as info:
        call()
    assert str(info.value) == message


_b = st.binary


@settings(max_examples=40, deadline=None)
@given(
    imk=_b(min_size=16, max_size=16),
    pan_body=st.text(alphabet="0123456789", min_size=16, max_size=16),
    psn=st.integers(0, 99),
    atc=st.integers(0, 0xFFFF),
    amount=_b(min_size=6, max_size=6),
    un=_b(min_size=4, max_size=4),
    tvr=_b(min_size=5, max_size=5),
    aip=_b(min_size=2, max_size=2),
    iad=_b(min_size=0, max_size=32),
)
def test_agrees_with_pyemv_visa_cvn18(
    imk: bytes, pan_body: str, psn: int, atc: int, amount: bytes, un: bytes, tvr: bytes,
    aip: bytes, iad: bytes,
) -> None:
    atc_b = atc.to_bytes(2, "big")
    tags = {**TAGS, 0x9F02: amount, 0x9F37: un, 0x95: tvr, 0x82: aip, 0x9F36: atc_b, 0x9F10: iad}
    ours = generate_arqc(derive_session_key(derive_icc_master_key(imk, pan_body, psn), atc),
                         arqc_input(tags))
    # pyemv's CVN 18 uses option B, which equals option A for PANs of 16 digits or fewer.
    theirs = pyemv_cvn.VisaCVN18(imk, imk, imk, pan_body, f"{psn:02d}").generate_ac(
        amount, TAGS[0x9F03], TAGS[0x9F1A], tvr, TAGS[0x5F2A], TAGS[0x9A], TAGS[0x9C], un,
        aip, atc_b, iad,
    )
    assert ours == theirs
    assert verify_arqc(imk, pan_body, psn, atc, arqc_input(tags), ours)


@settings(max_examples=40, deadline=None)
@given(
    imk=_b(min_size=16, max_size=16),
    pan=st.text(alphabet="0123456789", min_size=12, max_size=19),
    psn=st.integers(0, 99),
    data=_b(max_size=70),
)
def test_key_derivation_and_mac_agree_with_pyemv(
    imk: bytes, pan: str, psn: int, data: bytes
) -> None:
    assert derive_icc_master_key(imk, pan, psn) == pyemv_kd.derive_icc_mk_a(imk, pan, f"{psn:02d}")
    assert generate_arqc(imk, data) == pyemv_ac.generate_ac(imk, data, pyemv_ac.PaddingType.EMV)


# -- limited-use keys, ARPC, the M/Chip-style trace ------------------------------------------------------

ICC_MK = bytes.fromhex("2513A78AF2C4010880CBBC3D97FDC21F")  # §3.1, option A of IMK and PAN


@pytest.mark.parametrize(
    ("key_index", "expected"),
    [  # computed independently with pyemv: kd.derive_common_sk(ICC MK, KI || 00 || 4C || 00000000)
        (1, "E064542CAB295B529D64E6FE7A1C34BA"),
        (0x0107, "1370238FA4DF861C6440FBD0B046ECEC"),
    ],
)
def test_limited_use_key_vectors(key_index: int, expected: str) -> None:
    assert derive_limited_use_key(ICC_MK, key_index).hex().upper() == expected


def test_a_limited_use_key_is_never_the_session_key_of_the_same_number() -> None:
    for k in (1, 2, 300, 0xFFFF):
        assert derive_limited_use_key(ICC_MK, k) != derive_session_key(ICC_MK, k)


def test_arqc_under_a_limited_use_key_vector() -> None:
    """§3.1 terminal data, AIP 0000, ATC 0001, our LUK IAD (key 1, device DEADBEEF): the
    cryptogram and ARPC computed independently with pyemv are 6BDB8432028CC233 and 34C36FB9."""
    iad = IssuerApplicationData(1, 0x12, bytes.fromhex("03A00000"), key_index=1, device_id=0xDEADBEEF).to_bytes()
    assert iad.hex().upper() == "06011203A00000074C0001DEADBEEF"
    data = arqc_input({**TAGS, 0x9F10: iad})
    session_key = derive_session_key(derive_limited_use_key(ICC_MK, 1), 1)
    arqc = generate_arqc(session_key, data)
    assert arqc.hex().upper() == "6BDB8432028CC233"
    assert arpc_method_2(session_key, arqc, bytes.fromhex("00820000")).hex().upper() == "34C36FB9"


def test_arpc_method_2_published_vectors() -> None:
    # The reference qVSDC dialogue (docs/sources.md): ARPC (method 2, CSU 00820000) = FA5782A4 under the ATC 1 session key.
    sk = derive_session_key(ICC_MK, 1)
    assert arpc_method_2(sk, bytes.fromhex("F512DDBF502EB823"), bytes.fromhex("00820000")).hex().upper() == "FA5782A4"
    # pyemv ac.generate_arpc_2 docstring: session key AA..BB.., ARQC 1234567890ABCDEF, CSU 0 -> 9308BEBC.
    sk = bytes.fromhex("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBB")
    assert arpc_method_2(sk, bytes.fromhex("1234567890ABCDEF"), bytes(4)).hex().upper() == "9308BEBC"


def test_mchip_style_trace_vector_cvn20() -> None:
    """The reference M/Chip-style dialogue (docs/sources.md): GENERATE AC with the CDOL1 data, AIP 1880, ATC 1, CVR A50000000000
    (IAD bytes 3-8, Mastercard CVN 20 input) -> CAF670BC25381426; pyemv MasterCardCVN20 agrees."""
    h = bytes.fromhex
    terminal = h("000000012345" "000000000000" "0417" "0000000000" "0417" "261126" "00" "FEF0CF80")
    arqc = generate_arqc(derive_session_key(ICC_MK, 1), terminal + h("1880") + h("0001") + h("A50000000000"))
    assert arqc.hex().upper() == "CAF670BC25381426"
    theirs = pyemv_cvn.MasterCardCVN20(IMK, IMK, IMK, PAN, "00").generate_ac(
        terminal[:6], terminal[6:12], terminal[12:14], terminal[14:19], terminal[19:21], terminal[21:24],
        terminal[24:25], terminal[25:29], h("1880"), h("0001"), h("A50000000000"),
    )  # fmt: skip
    assert theirs == arqc


@settings(max_examples=40, deadline=None)
@given(icc_mk=_b(min_size=16, max_size=16), key_index=st.integers(1, 0xFFFF), atc=st.integers(0, 0xFFFF))
def test_limited_use_keys_agree_with_pyemv(icc_mk: bytes, key_index: int, atc: int) -> None:
    r = key_index.to_bytes(2, "big") + bytes.fromhex("004C00000000")
    luk = derive_limited_use_key(icc_mk, key_index)
    assert luk == pyemv_kd.derive_common_sk(icc_mk, r)
    assert derive_session_key(luk, atc) == pyemv_kd.derive_common_sk(luk, atc.to_bytes(2, "big") + bytes(6))


@pytest.mark.parametrize(
    ("iad", "expected"),
    [
        ("06011203A00000", IssuerApplicationData(1, 0x12, bytes.fromhex("03A00000"))),
        ("06012B03A00000074C01070000002A",
         IssuerApplicationData(1, 0x2B, bytes.fromhex("03A00000"), key_index=0x0107, device_id=42)),
    ],
)  # fmt: skip
def test_iad_layout_round_trip(iad: str, expected: IssuerApplicationData) -> None:
    assert IssuerApplicationData.parse(bytes.fromhex(iad)) == expected
    assert expected.to_bytes().hex().upper() == iad


@pytest.mark.parametrize(
    ("iad", "message"),
    [
        ("0114A5000000000000000000000000000000",
         "IAD: byte 0 must be 06 (Visa-style format) and the IAD at least 7 bytes, got 18 byte(s)"),
        ("060112", "IAD: byte 0 must be 06 (Visa-style format) and the IAD at least 7 bytes, got 3 byte(s)"),
        ("06011203A00000074D0001DEADBEEF",
         "IAD: issuer discretionary data at byte 7 must be 07 4C KI(2) DEVICE(4), got 8 byte(s)"),
        ("06011203A00000074C0001DEAD",
         "IAD: issuer discretionary data at byte 7 must be 07 4C KI(2) DEVICE(4), got 6 byte(s)"),
    ],
)  # fmt: skip
def test_iad_parse_names_what_is_wrong(iad: str, message: str) -> None:
    with pytest.raises(CryptogramError) as info:
        IssuerApplicationData.parse(bytes.fromhex(iad))
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: derive_limited_use_key(ICC_MK, 0), "key index must be 1-65535, got 0"),
        (lambda: derive_limited_use_key(ICC_MK[:8], 1), "ICC master key must be a 16-byte double-length 3DES key, got 8"),
        (lambda: arpc_method_2(ICC_MK, b"\x00" * 7, bytes(4)), "ARQC must be 8 bytes, got 7"),
        (lambda: arpc_method_2(ICC_MK, bytes(8), bytes(3)), "CSU must be 4 bytes, got 3"),
    ],
)
def test_limited_use_key_and_arpc_inputs(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CryptogramError) as info:
        call()
    assert str(info.value) == message


class _Key:
    """A limited-use key as a card holds it (tokens/keys.LimitedUseKey has the same shape)."""

    def __init__(self, key_index: int, token_pan: str | None):
        self.key_index, self.token_pan = key_index, token_pan
        self.key = derive_limited_use_key(ICC_MK, key_index)


def test_a_cryptogram_nothing_computed_has_the_bytes_it_stands_for_when_encoded() -> None:
    iad = IssuerApplicationData(1, 0x12, bytes.fromhex("03A00000"), key_index=1, device_id=0xDEADBEEF).to_bytes()
    data = arqc_input({**TAGS, 0x9F10: iad})
    cryptogram = ApplicationCryptogram(_Key(1, PAN), 1, data)
    assert len(cryptogram) == 8 and bytes(cryptogram).hex().upper() == "6BDB8432028CC233"  # the vector above
    assert PAN not in repr(cryptogram) and "6BDB" not in repr(cryptogram)
    static = ApplicationCryptogram(ICC_MK, 1, bytes.fromhex(INPUT_HEX))
    assert bytes(static).hex().upper() == "F512DDBF502EB823"  # the static-key prototype's qVSDC dialogue (docs/sources.md)
    answer = IssuerAuthentication(static, bytes.fromhex("00820000"))
    assert len(answer) == 8 and bytes(answer).hex().upper() == "FA5782A4" "00820000"  # ARPC method 2 of §3.1


def test_a_cryptogram_is_from_the_token_service_key_it_names_only() -> None:
    cryptogram = ApplicationCryptogram(_Key(3, PAN), 1, b"")
    assert cryptogram.is_from(PAN, 3)
    assert not cryptogram.is_from(PAN, 4) and not cryptogram.is_from("9999041700000027", 3)
    assert not ApplicationCryptogram(_Key(3, None), 1, b"").is_from(PAN, 3)  # a key made some other way
    assert not ApplicationCryptogram(ICC_MK, 1, b"").is_from(PAN, 3)  # the static key is no limited-use key
