"""The Luhn check digit that ends every card number (ISO/IEC 7812-1 Annex B).

Physical picture: the last digit of a PAN or token PAN is chosen so that, doubling every second
digit from the right and summing the digits, the total is a multiple of ten. It catches any
single mistyped digit and most swaps of neighbours; it is not a security feature.
"""

from __future__ import annotations

from elcart_sim.core.errors import ConfigurationError

__all__ = ["luhn_check_digit", "is_luhn_valid"]

# Each digit replaced by the digit sum of its double (0->0, 5->1, 9->9).
_DOUBLED = str.maketrans("0123456789", "0246813579")


def _luhn_sum(digits: str, double_first: bool) -> int:
    """Sum of the digits of ``digits`` (ASCII decimal) with every second one, from the right,
    doubled and digit-summed (starting with the last when ``double_first``), by string slicing
    and byte sums rather than a loop per digit: it runs for every card number a host reads."""
    backwards = digits[::-1]
    doubled, plain = (backwards[0::2], backwards[1::2]) if double_first else (backwards[1::2], backwards[0::2])
    return sum(doubled.translate(_DOUBLED).encode()) + sum(plain.encode()) - 48 * len(digits)


def luhn_check_digit(partial: str) -> str:
    """The digit to append to ``partial``, a PAN without its last digit.

    '999904170000001' -> '9'."""
    if not partial.isascii() or not partial.isdigit():
        # The value itself is not quoted: it may be most of a card number.
        raise ConfigurationError(
            f"Luhn: partial card number must be decimal digits ({len(partial)} chars given)"
        )
    return str((10 - _luhn_sum(partial, True) % 10) % 10)


def is_luhn_valid(pan: str) -> bool:
    """True when ``pan`` is at least two digits and its last digit is the Luhn check digit."""
    if len(pan) < 2 or not pan.isascii() or not pan.isdigit():
        return False
    return _luhn_sum(pan, False) % 10 == 0
