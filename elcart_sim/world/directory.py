"""The directory: which ELKART card a phone number, a card number or a QR recipient id reaches.

Physical picture: a sender in ELKART Mobile types a phone number, types a card number or scans a
friend's transfer QR code; before any money moves, IPC's directory answers "that is a card of
bank X" — or says why not. It is the role Mojaloop's account lookup service plays
(``GET /participants/MSISDN/{ID}``: which participant owns this identifier; its "party not
found" is error 3204). This module is the pure lookup: data in, an answer out, no time. The
directory host (a SimPy server with latency) wraps it.

Which cards are linked: a cardholder *links* an ELKART card to their phone number in ELKART
Mobile. Every holder of an ELKART Pay wallet (``population.enrolled``) did so — the wallet is
added from the app — and of the others a share ``linked_share`` did too [estimate]. A plastic
card needs no app to *receive* money by its number, so ``by_card_number`` answers for any
issued card of a member bank; a phone number and a QR id reach only linked cards. The card's
status (blocked, lost) is the issuer's business on the credit leg, not the directory's.

QR recipient ids are opaque: 32 hex digits, an HMAC-SHA-256 of the card index under a per-run
secret drawn from the run's seed — never the PAN, and not invertible without the secret; an id
with 13 digits in a row (which a QR code refuses as a possible card number) is derived again. The
directory remembers the ids it has handed out, so resolving one is a dict lookup, and nothing is
computed for the millions of cards nobody asks about.

Lookups at national size (millions of cards) are a ``numpy.searchsorted`` over the numbers,
sorted once when the directory is built.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import Enum

import numpy as np

from elcart_sim.core.errors import ConfigurationError, PhoneNumberError
from elcart_sim.core.streams import RandomStreams
from elcart_sim.protocol.luhn import is_luhn_valid
from elcart_sim.world.msisdn import parse_msisdn
from elcart_sim.world.population import Population

__all__ = ["Directory", "Lookup", "DirectoryDecline", "DirectoryReason", "DEFAULT_LINKED_SHARE", "QR_ID_HEX_DIGITS"]

DEFAULT_LINKED_SHARE = 0.3
"""Share of cardholders without an ELKART Pay wallet who linked their card in ELKART Mobile
[estimate]: the number of ELKART Mobile users is not published (docs/sources.md)."""

_DIGIT_RUN = re.compile(r"[0-9]{13}")  # as long as the shortest card number: never in an id


def could_be_a_card_number(recipient_id: str) -> bool:
    """Whether ``recipient_id`` holds a run of digits as long as the shortest card number: an id
    that does is never written into a QR code (protocol/qr/tlv.refuse_card_numbers would refuse it)."""
    return _DIGIT_RUN.search(recipient_id) is not None

QR_ID_HEX_DIGITS = 32
"""Length of a transfer QR code's opaque recipient id (a real ELKART transfer QR code carries
32 hex digits; docs/sources.md)."""


@dataclass(frozen=True, slots=True)
class DirectoryReason:
    code: str  # the directory's own reason, as a DE44-style text
    response_code: str  # ISO 8583:1987 DE39 the P2P flow answers with
    description: str  # the words in the record's reason


class DirectoryDecline(Enum):
    """Why the directory found no card. Response codes (ISO 8583:1987 Annex A), chosen per kind:

    - 14 invalid card number: the identifier cannot designate an account at all (a phone number
      that is not a Kyrgyz mobile number, a card number that fails its Luhn check, a QR id that is
      not 32 hex digits);
    - 56 no card record: a well-formed identifier with no card behind it (a number no cardholder
      has, a cardholder who linked no card, a card number not issued, a QR id never handed out);
    - 15 no such issuer: a card number whose BIN is not an ELKART member bank's.

    Mojaloop answers the 56 cases with one error, 3204 "party not found"; ours keep apart in
    ``code``, so a run's failed lookups can be counted by kind from the records.
    """

    INVALID_NUMBER = DirectoryReason("MSISDN INVALID", "14", "phone number is not a Kyrgyz mobile number")
    UNKNOWN_NUMBER = DirectoryReason("MSISDN UNKNOWN", "56", "no ELKART cardholder has this phone number")
    NOT_LINKED = DirectoryReason("MSISDN NOT LINKED", "56", "the cardholder has not linked an ELKART card in ELKART Mobile")
    INVALID_CARD_NUMBER = DirectoryReason("PAN INVALID", "14", "card number is not 16 digits with a valid Luhn check digit")
    UNKNOWN_CARD = DirectoryReason("PAN UNKNOWN BIN", "15", "card number's BIN is not an ELKART member bank's")
    CARD_NOT_ISSUED = DirectoryReason("PAN NOT ISSUED", "56", "no ELKART card has this number")
    INVALID_QR_ID = DirectoryReason("QR ID INVALID", "14", f"QR recipient id is not {QR_ID_HEX_DIGITS} hex digits")
    UNKNOWN_QR_ID = DirectoryReason("QR ID UNKNOWN", "56", "QR recipient id was not issued by the directory")

    @property
    def code(self) -> str:
        return self.value.code

    @property
    def response_code(self) -> str:
        return self.value.response_code

    @property
    def description(self) -> str:
        return self.value.description


@dataclass(frozen=True, slots=True)
class Lookup:
    """The directory's answer: a card and its bank, or a decline. Declines are data."""

    card: int | None  # card index in the population; None when declined
    bank_code: str  # the issuing bank's code; '' when declined
    decline: DirectoryDecline | None = None

    @property
    def found(self) -> bool:
        return self.decline is None

    @property
    def response_code(self) -> str:
        """ISO 8583 DE39: '00' when found, else the decline's."""
        return "00" if self.decline is None else self.decline.response_code


def _declined(reason: DirectoryDecline) -> Lookup:
    return Lookup(card=None, bank_code="", decline=reason)


class Directory:
    """The lookup of one run: phone numbers, card numbers and QR ids to cards of the population.

    ``linked`` is a boolean column (one per card): the cards reachable by phone number and QR id.
    ``secret`` keys the QR ids. ``Directory.build`` draws both from the run's named streams.
    """

    def __init__(self, population: Population, linked: np.ndarray, secret: bytes):
        linked = np.asarray(linked)
        if linked.dtype != np.bool_ or linked.shape != (population.n_cards,):
            raise ConfigurationError(
                f"Directory: linked must be a boolean column of {population.n_cards} cards, got {linked.dtype} {linked.shape}"
            )
        if len(secret) < 16:
            raise ConfigurationError(f"Directory: secret must be at least 16 bytes, got {len(secret)}")
        self.population = population
        self.linked = linked
        self._secret = bytes(secret)
        order = np.argsort(population.msisdn, kind="stable")
        self._sorted_msisdn = population.msisdn[order]
        self._card_by_rank = order.astype(np.int32 if population.n_cards < 2**31 else np.int64)
        self._card_by_qr_id: dict[str, int] = {}

    @classmethod
    def build(cls, population: Population, streams: RandomStreams, *, linked_share: float = DEFAULT_LINKED_SHARE) -> "Directory":
        """Wallet holders plus a share ``linked_share`` of the other cardholders are linked (stream
        ``directory.linked``); the QR secret comes from stream ``directory.qr_secret``."""
        if not 0.0 <= linked_share <= 1.0:
            raise ConfigurationError(f"Directory.build: linked_share must be between 0 and 1, got {linked_share!r}")
        draws = streams.generator("directory.linked").random(population.n_cards)
        linked = population.enrolled | (draws < linked_share)
        secret = streams.generator("directory.qr_secret").bytes(32)
        return cls(population, linked, secret)

    @property
    def n_linked(self) -> int:
        return int(np.count_nonzero(self.linked))

    @property
    def nbytes(self) -> int:
        """Bytes of the directory's own columns (linked, the sorted numbers and their cards)."""
        return self.linked.nbytes + self._sorted_msisdn.nbytes + self._card_by_rank.nbytes

    def _found(self, card: int) -> Lookup:
        return Lookup(card=card, bank_code=self.population.bank_of_card(card).code)

    # -- by phone number ------------------------------------------------------------------------

    def card_of_number(self, number: int) -> int | None:
        """The card of the cardholder whose mobile number is ``number`` (996XXXXXXXXX), or None."""
        rank = int(np.searchsorted(self._sorted_msisdn, number))
        if rank < len(self._sorted_msisdn) and int(self._sorted_msisdn[rank]) == number:
            return int(self._card_by_rank[rank])
        return None

    def by_phone(self, msisdn_text: str) -> Lookup:
        """The linked card of a phone number as the sender typed it."""
        try:
            msisdn = parse_msisdn(msisdn_text)
        except PhoneNumberError:
            return _declined(DirectoryDecline.INVALID_NUMBER)
        card = self.card_of_number(msisdn.as_int)
        if card is None:
            return _declined(DirectoryDecline.UNKNOWN_NUMBER)
        if not self.linked[card]:
            return _declined(DirectoryDecline.NOT_LINKED)
        return self._found(card)

    # -- by card number -------------------------------------------------------------------------

    def by_card_number(self, pan: str) -> Lookup:
        """The card of a card number and its bank by BIN; any issued card, linked or not."""
        if len(pan) != 16 or not pan.isdigit() or not is_luhn_valid(pan):
            return _declined(DirectoryDecline.INVALID_CARD_NUMBER)
        if self.population.bank_of_card_bin(pan[:6]) is None:
            return _declined(DirectoryDecline.UNKNOWN_CARD)
        card = self.population.card_of_pan(pan)
        if card is None:
            return _declined(DirectoryDecline.CARD_NOT_ISSUED)
        return self._found(card)

    # -- by QR recipient id ---------------------------------------------------------------------

    def qr_id(self, card: int) -> str:
        """The opaque recipient id a linked card's transfer QR code carries (32 lower-case hex
        digits); the directory remembers it so that ``by_qr_id`` resolves it."""
        if not 0 <= card < self.population.n_cards:
            raise ConfigurationError(f"Directory.qr_id: card {card} is not a card of the population (0..{self.population.n_cards - 1})")
        if not self.linked[card]:
            raise ConfigurationError(f"Directory.qr_id: card {card} is not linked in ELKART Mobile, so it has no transfer QR code")
        attempt = 0
        while True:  # an id with 13 digits in a row could read as a card number: derive another
            message = b"elkart-qr-recipient" + int(card).to_bytes(8, "big") + attempt.to_bytes(2, "big")
            recipient_id = hmac.new(self._secret, message, hashlib.sha256).hexdigest()[:QR_ID_HEX_DIGITS]
            if not could_be_a_card_number(recipient_id):
                break
            attempt += 1
        self._card_by_qr_id[recipient_id] = int(card)
        return recipient_id

    def by_qr_id(self, recipient_id_hex: str) -> Lookup:
        """The card behind a scanned QR recipient id (hex digits in either case)."""
        key = recipient_id_hex.lower()
        if len(key) != QR_ID_HEX_DIGITS or any(c not in "0123456789abcdef" for c in key):
            return _declined(DirectoryDecline.INVALID_QR_ID)
        card = self._card_by_qr_id.get(key)
        if card is None:
            return _declined(DirectoryDecline.UNKNOWN_QR_ID)
        if not self.linked[card]:  # unlinked after its QR code was shown
            return _declined(DirectoryDecline.NOT_LINKED)
        return self._found(card)
