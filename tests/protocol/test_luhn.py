"""Luhn check digit (ISO/IEC 7812-1 Annex B)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from elcart_sim.core.errors import ConfigurationError
from elcart_sim.protocol.luhn import is_luhn_valid, luhn_check_digit


@pytest.mark.parametrize(
    ("partial", "digit"),
    [
        ("999904170000001", "9"),
        ("7992739871", "3"),
        ("0", "0"),
        ("1", "8"),
        ("94171012345678", "8"),
    ],
)
def test_check_digit_vectors(partial: str, digit: str) -> None:
    assert luhn_check_digit(partial) == digit
    assert is_luhn_valid(partial + digit)


@pytest.mark.parametrize("pan", ["9999041700000018", "79927398710", "", "7", "9999 0417", "٩٩"])
def test_invalid_numbers(pan: str) -> None:
    assert not is_luhn_valid(pan)


def test_check_digit_rejects_non_digits_without_quoting() -> None:
    with pytest.raises(ConfigurationError) as info:
        luhn_check_digit("9417AB")
    assert str(info.value) == "Luhn: partial card number must be decimal digits (6 chars given)"
    assert isinstance(info.value, ValueError)


@given(st.text(alphabet="0123456789", min_size=1, max_size=18), st.data())
def test_any_single_digit_change_is_caught(partial: str, data: st.DataObject) -> None:
    pan = partial + luhn_check_digit(partial)
    assert is_luhn_valid(pan)
    i = data.draw(st.integers(0, len(pan) - 1))
    new = data.draw(st.sampled_from([d for d in "0123456789" if d != pan[i]]))
    assert not is_luhn_valid(pan[:i] + new + pan[i + 1 :])
