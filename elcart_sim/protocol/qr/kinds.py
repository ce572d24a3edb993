"""Which of the two QR formats a scanned text is: ELQR or EMVCo merchant-presented.

Physical picture: a Kyrgyz banking app's camera meets both kinds. Both start ``000201`` and
end with a four-hex-digit ID 63, so the text alone does not say which it is; the check digits
do. A link (``https://…#…``) is ELQR; a bare row is EMVCo when its CRC holds, ELQR when its
SHA-256 check holds, and when neither holds, EMVCo if it has what only EMVCo has (a country
58 or a city 60), else ELQR, so that the error names the check that failed.

    >>> kind_of("00020101021129370016A000000677010111011300660000000005802TH530376463048956")
    'emvco'
"""

from __future__ import annotations

from typing import Literal

from elcart_sim.protocol.qr import elqr, emvco
from elcart_sim.protocol.qr.tlv import read_fields, write_fields

__all__ = ["Kind", "KINDS", "kind_of", "decode_any"]

Kind = Literal["elqr", "emvco"]
KINDS: tuple[Kind, ...] = ("elqr", "emvco")


def kind_of(text: str) -> Kind:
    """'elqr' or 'emvco' for a link or a bare payload (see the module docstring)."""
    if not text[:1].isdigit():  # a link: a TLV payload starts with its first ID
        return "elqr"
    fields = read_fields(text)
    if text[-8:-4] == "6304" and emvco.crc(text[:-4]) == text[-4:].upper():
        return "emvco"
    if elqr.checksum(write_fields(f for f in fields if f[0] != "63")) in {v.upper() for i, v in fields if i == "63"}:
        return "elqr"
    return "emvco" if {"58", "60"} & {qr_id for qr_id, _ in fields} else "elqr"


def decode_any(text: str, kind: Kind | None = None) -> elqr.ElqrPayload | emvco.EmvcoPayload:
    """``text`` decoded and checked as ``kind``, or as the kind it is (:func:`kind_of`)."""
    kind = kind or kind_of(text)
    return elqr.decode(text) if kind == "elqr" else emvco.decode(text)
