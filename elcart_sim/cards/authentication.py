"""The issuer's check of a plastic card's chip: the ARQC verified, the answer signed with an ARPC.

Physical picture: an authorisation from a plastic card (a chip purchase at a POS, an ATM
withdrawal) reaches the card's bank with the card number in DE2 and the chip data in DE55; no
token service stands in between, so the bank's own host (with its hardware security module)
re-derives the card's ICC master key from its IMK-AC (cards/keys.py, option A via pyemv),
recomputes the ARQC over the data in DE55 and, answering, signs the answer with an ARPC in DE55
tag 91. The steps are the ones every chip verifier shares (protocol/emv/chip_evidence.py): DE55
readable and agreeing with the message, the configured cryptogram version, the ARQC genuine. A
failure declines with the reason's code (63 security violation for a bad cryptogram; DE44 names
the check). In the fast fidelity a cryptogram nothing computed is judged by what it was made
from, as the token service judges a phone's (its key is the card's, made from this issuer's
master key; its ATC and input what DE55 carries); one of bytes is recomputed. Replay memory of a card's ATC is the token service's, for tokens only: a gap [E].
"""

from __future__ import annotations

from typing import Any

from elcart_sim.cards.keys import CardKeys, PersonalisedKey
from elcart_sim.protocol.emv.chip_evidence import ChipEvidence, cryptogram_genuine, issuer_authentication_data, read_evidence
from elcart_sim.protocol.emv.cryptogram import ApplicationCryptogram
from elcart_sim.protocol.iso8583.decline_reasons import DeclineReason
from elcart_sim.tokens.card_authentication import Authentication

__all__ = ["ChipAuthentication"]


class ChipAuthentication:
    """An issuer's verification of its plastic cards' cryptograms."""

    def __init__(self, keys: CardKeys, cryptogram_version: int):
        self.keys = keys
        self.cryptogram_version = cryptogram_version

    def authenticate(self, request: dict[str, Any]) -> Authentication:
        """The verdict on the chip data of ``request`` (DE2 the card number, DE23 its PSN)."""
        evidence = read_evidence(request, self.cryptogram_version)
        if type(evidence) is not ChipEvidence:
            return Authentication(evidence)
        pan, psn = request["2"], int(request.get("23", "0"))
        arqc = evidence.arqc
        if type(arqc) is ApplicationCryptogram and type(arqc.key) is PersonalisedKey:  # nothing computed it: compare
            genuine = arqc.key.made_by(self.keys, pan, psn) and arqc.atc == evidence.atc and arqc.data == evidence.data
            session_key = b""
        else:
            genuine, session_key = cryptogram_genuine(evidence, self.keys.issuer_key(pan, psn))
        if not genuine:
            return Authentication(DeclineReason.ARQC)
        return Authentication(None, evidence.arqc, session_key)

    @staticmethod
    def sign(authentication: Authentication, approved: bool) -> Any:
        """DE55 of the answer (ARPC || CSU in tag 91), or None when no cryptogram verified."""
        if not authentication.verified:
            return None
        return issuer_authentication_data(authentication.arqc, authentication.session_key, approved)
