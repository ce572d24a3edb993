"""Redaction of card numbers: the one function on the path to records, logs and exports.

Only tokens or masked PANs may leave the simulated hosts. `mask_pan` keeps the BIN (first six)
and the last four digits, as PCI DSS allows for display.
"""

from __future__ import annotations

__all__ = ["mask_pan"]


def mask_pan(pan: str) -> str:
    """'9417101234567890' -> '941710******7890'."""
    if len(pan) < 13:
        return "*" * len(pan)
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]
