"""The card dialogue and the chip data as objects: what the `fast` fidelity sends instead of bytes.

Physical picture: the same tap as in ``kernel.py`` and ``applet.py`` — SELECT PPSE, SELECT AID,
GET PROCESSING OPTIONS, READ RECORD, (GENERATE AC) — but each command is a method call on the
card and each answer an immutable value; a refusal is the status word as an ``int`` (6982,
6984, 6A82 …, as in ``apdu.py``). Where the wire fidelity puts BER-TLV into DE55, the fast one
puts a :class:`ChipData`; where the phone MACs the terminal's data into an ARQC, it hands over a
:class:`Cryptogram` saying which key it used and what it was made over. A verifier then compares
instead of recomputing (``card_authentication.py``): the verdict is the one the cryptography
would give — a cryptogram verifies exactly when its key is one the token service derives for
that token and everything it was made over (CVN 18 input: the terminal's data, AIP, ATC and the
IAD with its key index and device id) is what the message carries.

Fields follow the tags they stand for (EMV 4.4 Book 3 Annex A): numbers are kept as the digit
strings their BCD encoding holds (``'000000012345'`` for 9F02), so a comparison with an ISO 8583
field is a string comparison, as it is after decoding bytes. Nothing here knows about time.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

__all__ = ["TerminalData", "Cryptogram", "ChipData", "Arpc", "Fci", "GpoAnswer", "CardRecord", "ObjectCard"]


class TerminalData(NamedTuple):
    """The terminal's part of the cryptogram input, in CVN 18 order (the PDOL / CDOL1 data)."""

    amount: str  # 9F02, 12 digits (tyiyn)
    amount_other: str  # 9F03, 12 digits
    country: str  # 9F1A, 4 digits
    tvr: bytes  # 95, 5 bytes
    currency: str  # 5F2A, 4 digits
    date: str  # 9A, 'YYMMDD'
    transaction_type: str  # 9C, 2 digits
    unpredictable_number: bytes  # 9F37, 4 bytes


class Cryptogram(NamedTuple):
    """An ARQC (9F26) as an object: made with limited-use key ``key_index`` of token
    ``key_token`` (None: a key the token service did not issue) over ``over`` — the values of
    ``ChipData[:6]`` as the phone saw them (terminal data, AIP, ATC, cryptogram version, key
    index, device id)."""

    key_token: str | None
    key_index: int | None
    over: tuple


class ChipData(NamedTuple):
    """DE55 of a 0100 as an object: the tags the token service checks, in the order of the
    cryptogram input. ``key_index``/``device_id`` None: an IAD without limited-use key data."""

    terminal: TerminalData  # 9F02 9F03 9F1A 95 5F2A 9A 9C 9F37
    aip: bytes  # 82
    atc: int  # 9F36
    cryptogram_version: int  # 9F10: CVN
    key_index: int | None  # 9F10: limited-use key index
    device_id: int | None  # 9F10: the phone's attested device id
    cdcvm: bool  # 9F6C byte 2 bit 8: the phone verified its user
    cryptogram: Cryptogram  # 9F26 (9F27 is always 80: an ARQC)

    stands_for_bytes = True  # DE55 in the fast fidelity (protocol/iso8583/spec.py)


class Arpc(NamedTuple):
    """DE55 tag 91 of a 0110 as an object: the issuer's answer signed over ``cryptogram``
    (ARPC method 2), with the CSU saying approved or not."""

    cryptogram: Cryptogram
    approved: bool

    stands_for_bytes = True  # DE55 tag 91 in the fast fidelity (protocol/iso8583/spec.py)


class Fci(NamedTuple):
    """The answer to SELECT AID: whether the card asks for the terminal's data in its GPO (PDOL)."""

    pdol: bool


class GpoAnswer(NamedTuple):
    """The answer to GPO: AIP (82), AFL (94), and the chip data when the card produced its
    cryptogram now (qVSDC style) — None when it waits for GENERATE AC (M/Chip style)."""

    aip: bytes
    afl: bytes
    chip: ChipData | None


class CardRecord(NamedTuple):
    """The answer to READ RECORD: the token data (57, 5A, 5F24, 5F34, 9F24) and whether the
    record holds a CDOL1 (8C), i.e. the cryptogram comes with GENERATE AC."""

    track2: bytes  # tag 57 as the card sends it
    token_pan: str
    expiry: str  # 'YYMM'
    psn: int | None
    par: str | None
    cdol1: bool


class ObjectCard(Protocol):
    """A card that answers the contactless dialogue as method calls (status word ``int`` on
    refusal), making the state changes its APDU handlers make."""

    def select_ppse(self) -> tuple[bytes, ...] | int: ...

    def select_aid(self, aid: bytes) -> Fci | int: ...

    def get_processing_options(self, terminal: TerminalData | None) -> GpoAnswer | int: ...

    def read_record(self, sfi: int, record: int) -> CardRecord | int: ...

    def generate_ac(self, terminal: TerminalData) -> ChipData | int: ...
