"""What the kernel reads in the card's data before it goes online, and the DE55 it builds.

Physical picture: the phone's answers to GPO, READ RECORD and GENERATE AC leave the kernel with a
set of data objects. Before the terminal asks the acquirer for an authorisation it checks them
the way EMV terminals do (Book 3 §10, Book C-3 §5): the mandatory objects are there with their
lengths, the card asked to go online (CID = ARQC), track 2 is well formed and agrees with the
PAN (5A) and expiry (5F24), the PSN is BCD and the PAR printable. Then it copies the chip's
evidence — cryptogram, counter, IAD, AIP, CTQ — and its own values (amount, date, unpredictable
number...) into DE55 in the order of :data:`DE55_TAGS`.

Values are read as the objects carry them, whichever way the dialogue crossed the link: bytes,
except on a link of objects tag 57, held as its parts (``track2.Track2``, read by the same
``track2.decode``), and the cryptogram, a value not yet computed
(``cryptogram.ApplicationCryptogram``), which has its 8-byte length and is copied as it is. A card answer with tags the kernel does not know is not an
error: EMV terminals ignore them (Book 3 §5.3); it is the host that refuses unknown tags in DE55.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from elcart_sim.core.errors import KernelError, Track2Error
from elcart_sim.protocol.emv import track2
from elcart_sim.protocol.emv.tags import tag_name

__all__ = ["DE55_TAGS", "TERMINAL_TAGS", "CardData", "read_card_data", "icc_data"]

DE55_TAGS: tuple[int, ...] = (
    0x9F26, 0x9F27, 0x9F10, 0x9F37, 0x9F36, 0x95, 0x9A, 0x9C,
    0x9F02, 0x5F2A, 0x82, 0x9F1A, 0x9F03, 0x9F6C,
)  # fmt: skip
"""ICC data sent online in DE55, in this order (9F6C only if the card gave a CTQ)."""

TERMINAL_TAGS = frozenset({0x9F37, 0x95, 0x9A, 0x9C, 0x9F02, 0x5F2A, 0x9F1A, 0x9F03})
"""The DE55 objects that are the terminal's own values, whatever the card says."""

_DE55_SOURCES = tuple((tag, tag in TERMINAL_TAGS) for tag in DE55_TAGS)
_new = tuple.__new__  # a CardData from all its fields, without the named tuple's Python-level __new__ (per tap)

# (tag, length; None = any) of the objects a card must have given before going online.
_REQUIRED: tuple[tuple[int, int | None], ...] = (
    (0x57, None),
    (0x82, 2),
    (0x9F10, None),
    (0x9F26, 8),
    (0x9F27, 1),
    (0x9F36, 2),
)


class CardData(NamedTuple):
    """The card's data as the authorisation request needs them (see ``KernelOutcome``)."""

    token_pan: str
    expiry: str  # 'YYMM'
    psn: int | None
    track2: bytes | track2.Track2
    par: str | None
    atc: int
    cdcvm_performed: bool


def _digits(value: bytes) -> str | None:
    text = value.hex()
    return text if text.isdigit() else None


def read_card_data(card: dict[int, Any]) -> CardData:
    """The card's data objects (``{tag: value}``) checked and read; raises KernelError naming
    what is wrong ('card data: ...')."""
    for tag, length in _REQUIRED:
        value = card.get(tag)
        if value is None:
            raise KernelError(f"card data: required tag {tag:X} ({tag_name(tag)}) missing")
        if length is not None and len(value) != length:
            raise KernelError(f"card data: tag {tag:X} ({tag_name(tag)}) is {len(value)} bytes, expected {length}")
    cid = card[0x9F27][0] & 0xC0
    if cid == 0x00:
        raise KernelError("card data: card declined offline (CID 00 = AAC)")
    if cid != 0x80:
        raise KernelError(f"card data: CID {cid:02X} is not an ARQC; this kernel is online-only")

    track2_data = card[0x57]
    try:
        pan, expiry, _service_code, _discretionary = track2.decode(track2_data)
    except Track2Error as e:
        raise KernelError(f"card data: {e}") from None
    pan_value = card.get(0x5A)
    if pan_value is not None and pan_value.hex().rstrip("f") != pan:
        raise KernelError("card data: PAN (5A) differs from track 2 (57)")
    expiry_value = card.get(0x5F24)
    if expiry_value is not None:
        expiry_date = _digits(expiry_value)
        if expiry_date is None or len(expiry_date) != 6 or expiry_date[:4] != expiry:
            raise KernelError("card data: expiry (5F24) is malformed or differs from track 2")
    psn = None
    psn_value = card.get(0x5F34)
    if psn_value is not None:
        psn_text = _digits(psn_value)
        if psn_text is None:
            raise KernelError("card data: PAN sequence number (5F34) is not BCD")
        psn = int(psn_text)
    par = None
    par_value = card.get(0x9F24)
    if par_value is not None:
        if not (par_value.isascii() and par_value.decode("ascii").isprintable()):
            raise KernelError("card data: PAR (9F24) is not printable ASCII")
        par = par_value.decode("ascii")
    ctq = card.get(0x9F6C, b"")
    cdcvm = len(ctq) >= 2 and bool(ctq[1] & 0x80)
    return _new(CardData, (pan, expiry, psn, track2_data, par, int.from_bytes(card[0x9F36], "big"), cdcvm))


def icc_data(card: dict[int, Any], terminal: dict[int, bytes]) -> dict[int, Any]:
    """DE55 as ``{tag: value}`` in the order of DE55_TAGS: the terminal's values for its own
    tags, the card's for the others (those it gave)."""
    card_value = card.get
    return {
        tag: value
        for tag, from_terminal in _DE55_SOURCES
        if (value := terminal[tag] if from_terminal else card_value(tag)) is not None
    }
