"""EMV tag dictionary, redacted traces and DOL filling (EMV Book 3 Annex A, §5.4)."""

from __future__ import annotations

import pytest

from elcart_sim.protocol.emv import tlv
from elcart_sim.protocol.emv.tags import TAGS, build_dol_data, describe, tag_name

RECORD_1 = bytes.fromhex(
    "704E57139999041700000019D30122010000000000000F5A0899990417000000195F2403301231"
    "5F280204175F3401009F241D51314B4730343137544553545041523030303030303030303030303031"
)


def test_dictionary_covers_the_tags_we_use() -> None:
    used = """4F 50 57 5A 5F24 5F25 5F28 5F2A 5F2D 5F34 61 6F 70 77 80 82 84 87 8C 8E 91 94 95
    9A 9C 9F02 9F03 9F10 9F19 9F1A 9F24 9F26 9F27 9F33 9F34 9F35 9F36 9F37 9F38 9F66 9F6C
    A5 BF0C""".split()
    assert not [t for t in used if int(t, 16) not in TAGS]
    assert all(fmt in {"b", "n", "cn", "an", "ans"} for _, fmt in TAGS.values())
    assert tag_name(0x9F26) == "Application Cryptogram"
    assert tag_name(0xDF01) == "unknown"


def test_describe_masks_card_numbers() -> None:
    rows = describe(RECORD_1)
    by_tag = {r["tag"]: r for r in rows}
    assert by_tag["70"] == {
        "depth": 0, "tag": "70", "name": "READ RECORD Response Message Template",
        "format": "b", "length": 78, "value": "",
    }  # fmt: skip
    assert by_tag["57"]["value"] == "999904******0019"
    assert by_tag["5A"]["value"] == "999904******0019"
    assert by_tag["5F24"]["value"] == "301231"
    assert by_tag["9F24"]["value"] == "Q1KG0417TESTPAR00000000000001"
    assert by_tag["57"]["depth"] == 1
    assert not any("9999041700000019" in str(r["value"]) for r in rows)
    assert describe(tlv.decode(RECORD_1)) == rows


def test_describe_non_printable_text_falls_back_to_hex() -> None:
    assert describe(bytes.fromhex("5002FF41"))[0]["value"] == "FF41"


PDOL = [(0x9F66, 4), (0x9F02, 6), (0x9F1A, 2), (0x9F37, 4)]


@pytest.mark.parametrize(
    ("dol", "values", "expected_hex"),
    [
        (PDOL, {0x9F66: bytes.fromhex("36004000"), 0x9F02: bytes.fromhex("000000012345"),
                0x9F1A: bytes.fromhex("0417"), 0x9F37: bytes.fromhex("9C753B83")},
         "36004000" "000000012345" "0417" "9C753B83"),
        (PDOL, {}, "00" * 16),  # missing -> zeros
        ([(0x9F02, 4)], {0x9F02: bytes.fromhex("000000012345")}, "00012345"),  # n: cut left
        ([(0x9F02, 8)], {0x9F02: bytes.fromhex("012345")}, "0000000000012345"),  # n: pad left
        ([(0x9F66, 2)], {0x9F66: bytes.fromhex("36004000")}, "3600"),  # b: cut right
        ([(0x9F66, 6)], {0x9F66: bytes.fromhex("3600")}, "360000000000"),  # b: pad right
        ([(0x5A, 10)], {0x5A: bytes.fromhex("9999041700000019")}, "9999041700000019FFFF"),
    ],
)  # fmt: skip
def test_build_dol_data(
    dol: list[tuple[int, int]], values: dict[int, bytes], expected_hex: str
) -> None:
    assert build_dol_data(dol, values).hex().upper() == expected_hex
