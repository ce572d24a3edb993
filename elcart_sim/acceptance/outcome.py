"""What the contactless kernel leaves with after one tap: the exchanges and the card's data.

Physical picture: when the phone leaves the field, the terminal holds a trace of the APDUs it
exchanged (each with its round-trip time) and — if the card agreed to go online — what the
acquirer needs for the authorisation request: token PAN, expiry, PSN, track 2 and the chip data
for DE55.

Records must not store ``exchanges`` responses, ``track2`` or ``token_pan`` unredacted: they
carry the token PAN. Use :func:`elcart_sim.protocol.emv.tags.describe` for traces.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from elcart_sim.protocol.emv.track2 import Track2

__all__ = ["ApduExchange", "KernelOutcome"]


class ApduExchange(NamedTuple):
    """One command/response pair on the NFC link and its round-trip duration, as the link carried
    them: bytes on a byte link, ``CommandApdu``/``ResponseApdu`` objects on a link of objects."""

    name: str
    command: Any
    response: Any
    duration_s: float

    @property
    def sw(self) -> int | None:
        """The status word the card answered with (None: an answer too short to carry one)."""
        response = self.response
        if type(response) is bytes:
            return int.from_bytes(response[-2:], "big") if len(response) >= 2 else None
        return response.sw

    def __repr__(self) -> str:
        return f"ApduExchange(name={self.name!r}, command={self.command!r}, duration_s={self.duration_s!r})"


class KernelOutcome(NamedTuple):
    """Result of one tap (immutable).

    - ``exchanges``: every APDU sent, in order, with the card's answer and its duration
    - ``nfc_s``: sum of the exchanges' durations, seconds
    - ``outcome``: 'online' (go for authorisation) or 'terminated'
    - ``reason``: '' when online; else the APDU (or 'card data') and what was wrong
    - ``token_pan``: PAN from track 2 (57), checked against 5A if present
    - ``expiry``: 'YYMM' from track 2, checked against 5F24 if present
    - ``psn``: PAN sequence number (5F34), None if the card sent none
    - ``track2``: tag 57 as sent (BCD, 'D' separator, 'F' pad), or its parts (``track2.Track2``)
      on a link of objects: see ``track2.to_de35``
    - ``par``: Payment Account Reference (9F24), None if absent
    - ``atc``: Application Transaction Counter (9F36)
    - ``icc_data``: DE55: the objects of DE55_TAGS in that order, terminal values for its own
      tags — BER-TLV bytes, or ``{tag: value}`` when the link carried objects
    - ``cdcvm_performed``: CTQ (9F6C) byte 2 bit 8: the phone verified its user
    - ``check``: when terminated by one of the modelled security checks, its name
      ('device_cvm', 'relay_timing', 'limited_use_keys'; see protocol/decline_reasons.CHECKS)

    On 'terminated' only exchanges, nfc_s, outcome, reason and check are set. The repr leaves
    out the exchanges, the token PAN, track 2 and the ICC data."""

    exchanges: tuple[ApduExchange, ...]
    nfc_s: float
    outcome: str
    reason: str = ""
    token_pan: str | None = None
    expiry: str | None = None  # 'YYMM'
    psn: int | None = None
    track2: bytes | Track2 | None = None  # tag 57 as sent by the card
    par: str | None = None
    atc: int | None = None
    icc_data: bytes | dict[int, Any] = b""
    cdcvm_performed: bool = False
    check: str = ""

    def __repr__(self) -> str:
        return (
            f"KernelOutcome(nfc_s={self.nfc_s!r}, outcome={self.outcome!r}, reason={self.reason!r}, expiry={self.expiry!r}, "
            f"psn={self.psn!r}, par={self.par!r}, atc={self.atc!r}, cdcvm_performed={self.cdcvm_performed!r}, check={self.check!r})"
        )
