"""Track 2 equivalent data (tag 57) and DE35: one module builds and reads them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elcart_sim.core.errors import Track2Error
from elcart_sim.protocol.emv import track2

TAG_57 = bytes.fromhex("9999041700000019D30122010000000000000F")


def test_encode_pads_an_odd_number_of_digits_with_one_f() -> None:
    assert track2.encode("9999041700000019", "3012") == TAG_57
    assert track2.encode("999904170000001", "3012", discretionary="0" * 13) == bytes.fromhex("999904170000001D30122010000000000000")


def test_decode_reads_the_parts() -> None:
    assert track2.decode(TAG_57) == track2.Track2("9999041700000019", "3012", "201", "0" * 13)


def test_to_de35_writes_equals_for_the_separator_and_drops_the_pad() -> None:
    assert track2.to_de35(TAG_57) == "9999041700000019=30122010000000000000"


def test_tag_57_held_as_its_parts_is_its_own_reading_and_encodes_to_the_bytes() -> None:
    parts = track2.Track2.of("9999041700000019", "3012")
    assert bytes(parts) == TAG_57 and track2.decode(parts) is parts
    assert track2.to_de35(parts) == track2.to_de35(TAG_57) and track2.pan_of(parts) == track2.pan_of(TAG_57)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (bytes.fromhex("999904170000001930"), "no D separator"),
        (bytes.fromhex("9999D3012201"), "PAN is not 12-19 digits"),
        (bytes.fromhex("9999041700000019D3013201"), "expiry YYMM and service code missing or invalid"),
        (bytes.fromhex("9999041700000019D30122"), "expiry YYMM and service code missing or invalid"),
        (bytes.fromhex("9999041700000019D3012201AB"), "discretionary data is not numeric"),
        (bytes.fromhex("9999041700000019D3012201FF"), "more than one F pad"),
    ],
)
def test_decode_names_what_is_malformed_without_the_digits(value: bytes, problem: str) -> None:
    with pytest.raises(Track2Error) as info:
        track2.decode(value)
    assert problem in str(info.value)
    assert "9999041700000019" not in str(info.value)
    with pytest.raises(Track2Error):
        track2.to_de35(value)


def test_pan_of_reads_the_digits_before_the_separator_however_malformed() -> None:
    assert track2.pan_of(TAG_57) == "9999041700000019"
    assert track2.pan_of(bytes.fromhex("999904170000001930")) == "999904170000001930"


@given(
    st.text(alphabet="0123456789", min_size=12, max_size=19),
    st.integers(0, 99),
    st.integers(1, 12),
    st.text(alphabet="0123456789", max_size=13),
)
def test_encode_and_decode_round_trip(pan: str, year: int, month: int, discretionary: str) -> None:
    expiry = f"{year:02d}{month:02d}"
    value = track2.encode(pan, expiry, discretionary=discretionary)
    assert track2.decode(value) == (pan, expiry, track2.SERVICE_CODE, discretionary)


_NIBBLES = st.lists(st.sampled_from("0123456789DF"), min_size=20, max_size=44).map("".join)


@given(st.one_of(_NIBBLES, st.builds(lambda pan, tail: pan + "D" + tail, st.text("0123456789", min_size=11, max_size=20), _NIBBLES)))
def test_decode_in_one_match_reads_what_the_part_by_part_reading_reads(nibbles: str) -> None:
    value = bytes.fromhex(nibbles if len(nibbles) % 2 == 0 else nibbles + "F")
    try:
        explained = track2._decode_explained(value)
    except Track2Error as e:
        with pytest.raises(Track2Error) as info:
            track2.decode(value)
        assert str(info.value) == str(e)
        return
    assert track2.decode(value) == explained
