"""The plastic card's chip: the phone applet's dialogue, holding the card number.

Physical picture: a plastic ELKART card carries an EMV payment application that answers the
same kernel as the phone does — SELECT PPSE, SELECT AID, GET PROCESSING OPTIONS, READ RECORD (and
GENERATE AC in the M/Chip style) — through its contacts when inserted (a POS terminal's chip
reader, an ATM) or through its antenna when held to the reader (a contactless card). It holds
the card number (PAN), not a token, and its ICC master key itself, written at personalisation
(cards/keys.py; derived when a cryptogram's bytes are first computed, ``PersonalisedKey``): so :func:`plastic_card_applet` is wallet/applet.PaymentApplet personalised with
a credential whose number is the PAN and with no limited-use keys. A card has no consumer device
CVM: it never refuses a GPO for a locked phone and says (CTQ) that it verified no one.

Gap [E]: cardholder verification at a chip terminal is signature or none here (offline PIN and
online PIN, DE52, are not modelled); an ATM's PIN entry is only its time.

``PlasticCards`` holds the applets of the cards that have paid, built on first use, so each
card's ATC counts up from one transaction to the next as a real card's does.
"""

from __future__ import annotations

from elcart_sim.cards.keys import CardKeys, PersonalisedKey
from elcart_sim.tokens.credential import TokenCredential
from elcart_sim.wallet.applet import PaymentApplet
from elcart_sim.world.population import Population

__all__ = ["PlasticCards", "plastic_card_applet", "CARD_EXPIRY", "CARD_PSN"]

CARD_EXPIRY = "2912"  # every simulated card's expiry, YYMM [E]
CARD_PSN = 1  # PAN sequence number of the card in the holder's hands [E]


def plastic_card_applet(
    pan: str, keys: CardKeys, *, aid: bytes, kernel: str, cryptogram_version: int, psn: int = CARD_PSN, expiry: str = CARD_EXPIRY, par: str = ""
) -> PaymentApplet:
    """The chip application of the plastic card ``pan``, personalised with its ICC master key."""
    par = par or f"K417{int(pan[6:15]):025d}"
    TokenCredential(pan, expiry, psn, par)  # checks the card data
    credential = TokenCredential.issued(pan, expiry, psn, par, PersonalisedKey(keys, pan, psn))
    return PaymentApplet(
        credential,
        aid=aid,
        cdcvm_performed=False,
        cdcvm_required=False,
        kernel=kernel,
        cryptogram_version=cryptogram_version,
    )


class PlasticCards:
    """The chips of the population's plastic cards, each built when its card first pays."""

    def __init__(self, population: Population, keys: CardKeys, aid: bytes, kernel: str, cryptogram_version: int):
        self.population = population
        self.keys = keys
        self._personalisation = (aid, kernel, cryptogram_version)
        self._applets: dict[int, PaymentApplet] = {}

    def applet(self, card: int) -> PaymentApplet:
        """The chip of card ``card`` (its ATC kept between its transactions)."""
        applet = self._applets.get(card)
        if applet is None:
            aid, kernel, version = self._personalisation
            pan = self.population.pan(card)
            applet = self._applets[card] = plastic_card_applet(
                pan, self.keys, aid=aid, kernel=kernel, cryptogram_version=version, par=f"K417{card:025d}"
            )
        return applet

    def __len__(self) -> int:
        return len(self._applets)
