"""Issuer-side ARQC check and ARPC method 2, through pyemv (EMV Book 2 §8.1-8.2)."""

from __future__ import annotations

import pytest

from elcart_sim.errors import CryptogramError
from elcart_sim.protocol.arqc_verify import CSU_APPROVED, generate_arpc, verify_arqc

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
    # pcsc-and-emv.md §3.1: ARPC (method 2, CSU 00820000) = FA5782A4.
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
