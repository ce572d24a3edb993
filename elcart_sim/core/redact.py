"""Redaction of card numbers: the one function on the path to records, logs and exports.

Only tokens or masked PANs may leave the simulated hosts. `mask_pan` keeps the BIN (first six)
and the last four digits, as PCI DSS allows for display.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["mask_pan", "mask_pan_grouped", "card_number_pattern", "find_card_numbers", "notebook_output_texts"]


def mask_pan(pan: str) -> str:
    """'9417101234567890' -> '941710******7890'."""
    if len(pan) < 13:
        return "*" * len(pan)
    return pan[:6] + "*" * (len(pan) - 10) + pan[-4:]


def mask_pan_grouped(pan: str) -> str:
    """A card as apps show it, the first and last four in groups: '9417101234567890' ->
    '9417 **** **** 7890' (as ELKART's transfer QR codes name the recipient)."""
    if len(pan) < 13:
        return "*" * len(pan)
    return f"{pan[:4]} **** **** {pan[-4:]}"


def card_number_pattern(card_bins: Iterable[str]) -> re.Pattern[str]:
    """A regex matching a full 16-digit card number under any of `card_bins` (not tokens)."""
    alternatives = "|".join(sorted(re.escape(b) for b in card_bins))
    return re.compile(rf"(?<!\d)(?:{alternatives})\d{{10}}(?!\d)")


def find_card_numbers(path: str | Path, card_bins: Iterable[str]) -> list[str]:
    """Full card numbers found in an output file (Parquet read back as tables, a notebook's
    stored outputs as the text they show, anything else as text), masked for the report. Empty
    means the file is clean."""
    pattern = card_number_pattern(card_bins)
    path = Path(path)
    if path.suffix == ".parquet":
        import pandas as pd

        text = pd.read_parquet(path).astype(str).to_csv(index=False)
    elif path.suffix == ".ipynb":
        text = "\n".join(notebook_output_texts(path))
    else:
        text = path.read_bytes().decode("utf-8", errors="replace")
    return [mask_pan(m.group(0)) for m in pattern.finditer(text)]


def notebook_output_texts(path: str | Path) -> list[str]:
    """Every text a notebook's stored outputs show: streams, plain text, HTML, error tracebacks
    (images are skipped: they hold pixels, not text)."""
    import json

    texts: list[str] = []
    for cell in json.loads(Path(path).read_text(encoding="utf-8")).get("cells", []):
        for output in cell.get("outputs", []):
            pieces = [output.get("text", "")] + list(output.get("traceback", []))
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") or mime.endswith("json"):
                    pieces.append(value if isinstance(value, (str, list)) else json.dumps(value))
            for piece in pieces:
                texts.append("".join(piece) if isinstance(piece, list) else str(piece))
    return texts
