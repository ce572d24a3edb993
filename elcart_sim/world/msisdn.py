"""Kyrgyz mobile numbers (+996): read as people type them, named by operator, drawn for a population.

Physical picture: a sender in ELKART Mobile types the recipient's phone number the way it is
written on a business card or in a contact list — ``+996 555 123 456``, ``0555 123 456`` (the
trunk prefix 0), ``996555123456`` (as QR codes and ISO 8583 fields carry it) or just the nine
digits ``555123456``. The app must refuse a landline, a foreign number or a digit too few before
anything is sent, and a top-up must reach the operator whose SIM carries the number. Validity and
the operator come from Google's libphonenumber data (the ``phonenumbers`` package): a Kyrgyz
mobile number is 9 national digits, and the first three name the range an operator was given
(555 ALFA Telecom, 700 Nur Telecom, 770 Sky Mobile). People know the operators by their brands —
MegaCom, O!, Beeline — so ``data/mobile_operators.csv`` maps the legal names to the brands, with
its sources (docs/sources.md).

The operator is the one the number's range was *originally allocated to*: phonenumbers' carrier
data are blind to number portability, so a number moved to another operator still shows its
first one. The model has no portability, so the two agree here.

A national population needs millions of numbers; ``synthetic_msisdns`` draws them column-wise
from the same allocated ranges (each operator's share of subscribers is our estimate), without
one phonenumbers call per number, and no two cardholders share one.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

import numpy as np
import phonenumbers
from phonenumbers import carrier

from elcart_sim.core.errors import ConfigurationError, PhoneNumberError, PopulationError
from elcart_sim.scenario import data_dir

__all__ = [
    "Msisdn",
    "MobileOperator",
    "parse_msisdn",
    "msisdn_from_digits",
    "mobile_operators",
    "synthetic_msisdns",
    "COUNTRY_CODE",
    "NATIONAL_DIGITS",
]

COUNTRY_CODE = 996
"""ITU-T E.164 country calling code of Kyrgyzstan."""

NATIONAL_DIGITS = 9
"""Digits of a Kyrgyz mobile number after +996 (3-digit range ‖ 6-digit subscriber number)."""

_SUBSCRIBERS_PER_RANGE = 10**6  # the six digits after a three-digit range
_OPERATORS_FILE = "mobile_operators.csv"


@dataclass(frozen=True, slots=True)
class Msisdn:
    """A valid Kyrgyz mobile number.

    >>> number = parse_msisdn("0555 123 456")
    >>> number.e164, number.digits, number.national, number.operator
    ('+996555123456', '996555123456', '0555123456', 'MegaCom')
    """

    e164: str  # "+996555123456"
    operator: str  # the brand people know (O!, Beeline, MegaCom, ...); '' if the range names no carrier

    @property
    def digits(self) -> str:
        """The number without '+', as QR payloads and ISO 8583 fields carry it: '996555123456'."""
        return self.e164[1:]

    @property
    def national(self) -> str:
        """The number as dialled inside Kyrgyzstan: trunk prefix 0 and the 9 digits, '0555123456'."""
        return "0" + self.e164[4:]

    @property
    def as_int(self) -> int:
        """The digits as one integer (996555123456), the form of the population's column."""
        return int(self.e164[1:])


@dataclass(frozen=True, slots=True)
class MobileOperator:
    """One row of data/mobile_operators.csv: a licensed operator, its brand and its number ranges."""

    carrier: str  # the legal name in phonenumbers' carrier data ("Nur Telecom")
    operator: str  # the brand ("O!")
    prefixes: tuple[int, ...]  # three-digit ranges after +996 allocated to it (555, 700, ...)
    subscriber_share: float  # share of mobile numbers drawn for a synthetic population [estimate]
    source: str


def parse_msisdn(text: str) -> Msisdn:
    """Read a Kyrgyz mobile number as people write it; raise PhoneNumberError naming the number
    and why when it is not one (not a phone number, not Kyrgyz, wrong length, not mobile).

    >>> parse_msisdn("+996 700 12-34-56").operator
    'O!'
    >>> parse_msisdn("+996 312 123 456")
    Traceback (most recent call last):
    ...
    elcart_sim.core.errors.PhoneNumberError: phone number '+996 312 123 456' is not a Kyrgyz mobile number: it is a fixed line
    """
    if not isinstance(text, str):
        raise _refusal(text, "not text")
    try:
        number = phonenumbers.parse(text, "KG")
    except phonenumbers.NumberParseException:
        raise _refusal(text, "not a phone number") from None
    if number.country_code != COUNTRY_CODE:
        raise _refusal(text, f"not Kyrgyz (country code +{number.country_code}, Kyrgyzstan is +{COUNTRY_CODE})")
    national = str(number.national_number)
    if number.italian_leading_zero or len(national) != NATIONAL_DIGITS:
        raise _refusal(text, f"wrong length ({len(national)} digits after +{COUNTRY_CODE}, a mobile number has {NATIONAL_DIGITS})")
    if not phonenumbers.is_valid_number(number):
        raise _refusal(text, f"+{COUNTRY_CODE} {national[:3]} is not an allocated range")
    kind = phonenumbers.number_type(number)
    if kind != phonenumbers.PhoneNumberType.MOBILE:
        what = "a fixed line" if kind == phonenumbers.PhoneNumberType.FIXED_LINE else "not a mobile number"
        raise _refusal(text, f"it is {what}")
    return Msisdn(e164=f"+{COUNTRY_CODE}{national}", operator=_brand(carrier.name_for_number(number, "en")))


def _refusal(text: object, why: str) -> PhoneNumberError:
    return PhoneNumberError(f"phone number {text!r} is not a Kyrgyz mobile number: {why}")


def msisdn_from_digits(number: int) -> Msisdn:
    """The Msisdn of a number held as an integer (996555123456), as the population stores them."""
    return parse_msisdn(f"+{int(number)}")


def _brand(carrier_name: str) -> str:
    """The brand of a legal carrier name; a carrier missing from the file keeps its own name."""
    if not carrier_name:
        return ""
    for row in mobile_operators():
        if row.carrier == carrier_name:
            return row.operator
    return carrier_name


@cache
def mobile_operators() -> tuple[MobileOperator, ...]:
    """The rows of data/mobile_operators.csv, validated (PopulationError names the line and column)."""
    path = data_dir() / _OPERATORS_FILE
    if not path.exists():
        raise PopulationError(f"data file {path} does not exist")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    operators: list[MobileOperator] = []
    seen: set[int] = set()
    for line, row in enumerate(rows, start=2):
        try:
            prefixes = _ranges(row["prefixes"], f"{path.name} line {line}: column prefixes")
            if seen & set(prefixes):
                raise PopulationError(f"{path.name} line {line}: column prefixes repeats {sorted(seen & set(prefixes))}")
            seen.update(prefixes)
            share = float(row["subscriber_share"])
            if not 0.0 <= share <= 1.0:
                raise PopulationError(f"{path.name} line {line}: column subscriber_share must be in [0, 1], got {share!r}")
            if not row["carrier"] or not row["operator"]:
                raise PopulationError(f"{path.name} line {line}: columns carrier and operator must not be empty")
            operators.append(MobileOperator(row["carrier"], row["operator"], prefixes, share, row["source"]))
        except KeyError as exc:
            raise PopulationError(f"{path.name}: missing column {exc.args[0]!r}") from None
        except ValueError:
            raise PopulationError(
                f"{path.name} line {line}: column subscriber_share is not a number: {row['subscriber_share']!r}"
            ) from None
    if not any(op.subscriber_share > 0 for op in operators):
        raise PopulationError(f"{path.name}: no operator has a subscriber_share above 0")
    return tuple(operators)


def _ranges(text: str, where: str) -> tuple[int, ...]:
    """'500-509 700' -> (500, ..., 509, 700)."""
    prefixes: list[int] = []
    for part in text.split():
        low, _, high = part.partition("-")
        if not (low.isdigit() and len(low) == 3 and (not high or (high.isdigit() and len(high) == 3 and high >= low))):
            raise PopulationError(f"{where}: {part!r} is not a three-digit range like 500 or 500-509")
        prefixes.extend(range(int(low), int(high or low) + 1))
    if not prefixes:
        raise PopulationError(f"{where}: no ranges")
    return tuple(prefixes)


def synthetic_msisdns(count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` distinct Kyrgyz mobile numbers as int64 (996XXXXXXXXX), in random order.

    Each number's operator is drawn by ``subscriber_share``, its range uniformly among that
    operator's ranges, and its six subscriber digits without replacement inside the range, so no
    two numbers are equal. Every number is valid (tests/test_msisdn.py parses a sample back).

    >>> numbers = synthetic_msisdns(3, np.random.default_rng(1))
    >>> [parse_msisdn(f"+{n}").operator != "" for n in numbers]
    [True, True, True]
    """
    if count < 0:
        raise ConfigurationError(f"synthetic_msisdns: count must be >= 0, got {count}")
    prefixes: list[int] = []
    weights: list[float] = []
    for op in mobile_operators():
        if op.subscriber_share > 0:
            prefixes.extend(op.prefixes)
            weights.extend([op.subscriber_share / len(op.prefixes)] * len(op.prefixes))
    p = np.array(weights) / sum(weights)
    per_range = rng.multinomial(count, p)
    if per_range.max(initial=0) > _SUBSCRIBERS_PER_RANGE:
        raise ConfigurationError(f"synthetic_msisdns: {count} numbers do not fit the allocated ranges (at most 10^6 per range)")
    base = COUNTRY_CODE * 10**NATIONAL_DIGITS
    parts = [
        base + prefix * _SUBSCRIBERS_PER_RANGE + rng.choice(_SUBSCRIBERS_PER_RANGE, size=k, replace=False)
        for prefix, k in zip(prefixes, per_range.tolist())
        if k
    ]
    numbers = np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)
    rng.shuffle(numbers)
    return numbers
