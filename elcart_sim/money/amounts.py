"""Amounts as people write them (som, with up to two decimals) and as the model keeps them
(integer tyiyn, 1/100 KGS)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from elcart_sim.core.errors import AmountError

__all__ = ["parse_amount", "MAX_AMOUNT_TYIYN"]

MAX_AMOUNT_TYIYN = 999_999_999_999
"""The largest amount ISO 8583 DE4 (n12) and EMV 9F02 (n12) can carry."""


def parse_amount(text: str) -> int:
    """'123.45' (KGS) -> 12345 tyiyn; at most two decimals, more than 0.

    >>> parse_amount("1390"), parse_amount("0.5")
    (139000, 50)
    """
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise AmountError(f"amount must be a number of KGS like 123.45, got {text!r}") from None
    tyiyn = value * 100
    if not value.is_finite() or tyiyn != tyiyn.to_integral_value():
        raise AmountError(f"amount must have at most two decimals (tyiyn), got {text!r}")
    if not 0 < tyiyn <= MAX_AMOUNT_TYIYN:
        raise AmountError(f"amount must be more than 0 and at most 9999999999.99 KGS, got {text!r}")
    return int(tyiyn)
