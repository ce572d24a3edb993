"""Kyrgyz mobile numbers: the ways people write them, the operator behind each range (from
phonenumbers' carrier data and data/mobile_operators.csv), refusals that name the number, and
synthetic numbers for a national population that are valid and distinct."""

from __future__ import annotations

import re

import numpy as np
import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elcart_sim.core.errors import PhoneNumberError
from elcart_sim.world.msisdn import Msisdn, mobile_operators, msisdn_from_digits, parse_msisdn, synthetic_msisdns


@pytest.mark.parametrize("text", ["+996 555 123 456", "0555123456", "996555123456", "555123456", "+996 (555) 12-34-56", "00996555123456"])
def test_the_ways_people_write_one_number(text):
    number = parse_msisdn(text)
    assert number == Msisdn(e164="+996555123456", operator="MegaCom")
    assert (number.digits, number.national, number.as_int) == ("996555123456", "0555123456", 996555123456)


@pytest.mark.parametrize(
    ("text", "operator"),
    [
        ("+996 555 123 456", "MegaCom"),  # ALFA Telecom
        ("+996 755 123 456", "MegaCom"),
        ("+996 999 123 456", "MegaCom"),
        ("+996 700 123 456", "O!"),  # Nur Telecom
        ("+996 505 123 456", "O!"),
        ("+996 770 123 456", "Beeline"),  # Sky Mobile
        ("+996 222 123 456", "Beeline"),
        ("+996 600 123 456", "Beeline"),
        ("+996 545 123 456", "Aktel"),  # a licensed operator without a better-known brand
    ],
)
def test_operator_is_the_brand_of_the_ranges_carrier(text, operator):
    assert parse_msisdn(text).operator == operator


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("hello", "not a phone number"),
        ("", "not a phone number"),
        ("+7 701 123 4567", r"not Kyrgyz \(country code \+7"),
        ("+49 151 23456789", r"not Kyrgyz \(country code \+49"),
        ("+996 312 123 456", "it is a fixed line"),  # Bishkek landline
        ("+996 555 12345", r"wrong length \(8 digits"),
        ("+996 555 1234567", r"wrong length \(10 digits"),
        ("+996 211 123 456", r"\+996 211 is not an allocated range"),
    ],
)
def test_refusals_name_the_number_and_why(text, why):
    with pytest.raises(PhoneNumberError, match=re.escape(f"phone number {text!r} is not a Kyrgyz mobile number: ") + why) as caught:
        parse_msisdn(text)
    assert isinstance(caught.value, ValueError)


def test_every_listed_range_is_a_mobile_range_of_its_carrier():
    for op in mobile_operators():
        for prefix in op.prefixes:
            for tail in ("000000", "999999"):
                number = phonenumbers.parse(f"+996{prefix}{tail}")
                assert phonenumbers.is_valid_number(number), (op.carrier, prefix)
                assert phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
                assert phonenumbers.carrier.name_for_number(number, "en") == op.carrier
    brands = {op.carrier: op.operator for op in mobile_operators()}
    assert brands["Nur Telecom"] == "O!" and brands["Sky mobile"] == "Beeline" and brands["ALFA Telecom"] == "MegaCom"


def test_synthetic_numbers_are_valid_distinct_and_follow_the_shares():
    numbers = synthetic_msisdns(200_000, np.random.default_rng(4))
    assert numbers.dtype == np.int64 and len(numbers) == 200_000
    assert len(np.unique(numbers)) == len(numbers)
    sample = numbers[:: len(numbers) // 300]
    operators = [msisdn_from_digits(int(n)).operator for n in sample]
    assert set(operators) <= {"O!", "Beeline", "MegaCom"}
    ranges = (numbers // 10**6) % 1000
    shares = {op.operator: np.isin(ranges, op.prefixes).mean() for op in mobile_operators() if op.subscriber_share > 0}
    for op in mobile_operators():
        if op.subscriber_share > 0:
            assert abs(shares[op.operator] - op.subscriber_share) < 0.01


def test_synthetic_numbers_are_reproducible_from_the_generator():
    a = synthetic_msisdns(1000, np.random.default_rng(9))
    b = synthetic_msisdns(1000, np.random.default_rng(9))
    assert np.array_equal(a, b)
    assert len(synthetic_msisdns(0, np.random.default_rng(9))) == 0


PREFIXES = [p for op in mobile_operators() for p in op.prefixes]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PREFIXES), st.integers(0, 999_999), st.sampled_from(["e164", "digits", "national", "spaced"]))
def test_round_trip_parse_of_a_formatted_number(prefix, subscriber, style):
    number = parse_msisdn(f"+996{prefix}{subscriber:06d}")
    text = {
        "e164": number.e164,
        "digits": number.digits,
        "national": number.national,
        "spaced": f"+996 {prefix} {subscriber // 1000:03d} {subscriber % 1000:03d}",
    }[style]
    assert parse_msisdn(text) == number
