"""Redaction of card numbers: the one function on the path to records, logs and exports.

Only tokens or masked PANs may leave the simulated hosts. `mask_pan` keeps the BIN (first six)
and the last four digits, as PCI DSS allows for display.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["mask_pan", "card_number_pattern", "find_card_numbers"]


def mask_pan(pan: str) -> str:
    """'9417101234567890' -> '941710******7890'."""
    if len(pan) < 13:
        return "*" * len(pan)
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def card_number_pattern(card_bins: Iterable[str]) -> re.Pattern[str]:
    """A regex matching a full 16-digit card number under any of `card_bins` (not tokens)."""
    alternatives = "|".join(sorted(re.escape(b) for b in card_bins))
    return re.compile(rf"(?<!\d)(?:{alternatives})\d{{10}}(?!\d)")


def find_card_numbers(path: str | Path, card_bins: Iterable[str]) -> list[str]:
    """Full card numbers found in an output file (Parquet read back as tables, anything else as
    text), masked for the report. Empty means the file is clean."""
    pattern = card_number_pattern(card_bins)
    path = Path(path)
    if path.suffix == ".parquet":
        import pandas as pd

        text = pd.read_parquet(path).astype(str).to_csv(index=False)
    else:
        text = path.read_bytes().decode("utf-8", errors="replace")
    return [mask_pan(m.group(0)) for m in pattern.finditer(text)]
