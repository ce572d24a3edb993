"""Issuer-side ARQC check and ARPC method 2, through pyemv (EMV Book 2 §8.1-8.2)."""

from __future__ import annotations

import pytest

from elcart_sim.core.errors import CryptogramError
from elcart_sim.protocol.emv.arqc_verify import (
    CSU_APPROVED,
    arpc,
    cryptogram_matches,
    generate_arpc,
    icc_master_key,
    session_key,
    verify_arqc,
)

IMK = bytes.fromhex("0123456789ABCDEFFEDCBA9876543210")
PAN = "9999041700000019"
DATA = bytes.fromhex(
    "000000012345000000000000041700000000000417261126009C753B83000000010601" "1203A00000"
)
ARQC = bytes.fromhex("F512DDBF502EB823")


def test_verifies_the_published_vector() -> None:
    assert verify_arqc(IMK, PAN, 0, 1, DATA, ARQC)


@pytest.mark.parametrize(
    ("pan", "psn", "atc", "data", "arqc"),
    [
        (PAN, 0, 1, DATA, bytes.fromhex("F512DDBF502EB824")),  # cryptogram altered
        (PAN, 0, 1, DATA.replace(bytes.fromhex("012345"), bytes.fromhex("012346")), ARQC),  # amount
        (PAN, 0, 2, DATA, ARQC),  # replayed with another ATC
        (PAN, 1, 1, DATA, ARQC),  # wrong PSN
        ("9999041700000027", 0, 1, DATA, ARQC),  # other card
    ],
)
def test_rejects_anything_altered(pan: str, psn: int, atc: int, data: bytes, arqc: bytes) -> None:
    assert not verify_arqc(IMK, pan, psn, atc, data, arqc)


def test_arpc_method_2_vector() -> None:
    # The reference qVSDC dialogue (docs/sources.md): ARPC (method 2, CSU 00820000) = FA5782A4.
    assert CSU_APPROVED.hex().upper() == "00820000"
    assert generate_arpc(IMK, PAN, 0, 1, ARQC).hex().upper() == "FA5782A4"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: verify_arqc(IMK, PAN, 0, 1, DATA, ARQC[:4]), "ARQC must be 8 bytes, got 4"),
        (lambda: verify_arqc(IMK[:8], PAN, 0, 1, DATA, ARQC),
         "issuer master key must be 16 bytes, got 8"),
        (lambda: verify_arqc(IMK, PAN, 0, -1, DATA, ARQC), "ATC must be 0-65535, got -1"),
        (lambda: generate_arpc(IMK, PAN, 0, 1, ARQC, b"\x00"), "CSU must be 4 bytes, got 1"),
    ],
)  # fmt: skip
def test_invalid_inputs(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CryptogramError) as info:
        call()
    assert str(info.value) == message


# -- limited-use keys (our model): the verifier's own key hierarchy, through pyemv ---------------------

LUK_IAD = bytes.fromhex("06011203A00000074C0001DEADBEEF")
LUK_DATA = DATA[: -len("06011203A00000") // 2] + LUK_IAD
LUK_ARQC = bytes.fromhex("6BDB8432028CC233")  # tests/protocol/test_cryptogram.py, independently


def test_verifies_a_cryptogram_made_with_a_limited_use_key() -> None:
    assert LUK_DATA.hex().upper().endswith("00000001" + LUK_IAD.hex().upper())
    assert verify_arqc(IMK, PAN, 0, 1, LUK_DATA, LUK_ARQC, key_index=1)
    assert not verify_arqc(IMK, PAN, 0, 1, LUK_DATA, LUK_ARQC)  # not under the ICC master key
    assert not verify_arqc(IMK, PAN, 0, 1, LUK_DATA, LUK_ARQC, key_index=2)  # nor another key
    assert generate_arpc(IMK, PAN, 0, 1, LUK_ARQC, CSU_APPROVED, key_index=1).hex().upper() == "34C36FB9"


def test_the_split_hierarchy_gives_the_same_answers() -> None:
    icc_mk = icc_master_key(IMK, PAN, 0)
    assert icc_mk.hex().upper() == "2513A78AF2C4010880CBBC3D97FDC21F"
    sk = session_key(icc_mk, 1, key_index=1)
    assert cryptogram_matches(sk, LUK_DATA, LUK_ARQC)
    assert not cryptogram_matches(sk, LUK_DATA.replace(bytes.fromhex("9C753B83"), bytes.fromhex("9C753B84")), LUK_ARQC)
    assert arpc(sk, LUK_ARQC, CSU_APPROVED).hex().upper() == "34C36FB9"
    assert arpc(session_key(icc_mk, 1), ARQC).hex().upper() == "FA5782A4"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: session_key(IMK, 1, key_index=0), "key index must be 1-65535, got 0"),
        (lambda: session_key(IMK, 0x10000), "ATC must be 0-65535, got 65536"),
        (lambda: cryptogram_matches(IMK, DATA, ARQC[:7]), "ARQC must be 8 bytes, got 7"),
        (lambda: arpc(IMK, ARQC, b"\x00"), "CSU must be 4 bytes, got 1"),
        (lambda: icc_master_key(IMK, "99990417000000X9", 0), "PAN must be 12-19 decimal digits (16 chars given)"),
    ],
)
def test_split_hierarchy_inputs(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CryptogramError) as info:
        call()
    assert str(info.value) == message
