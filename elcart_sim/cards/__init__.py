"""Plastic ELKART cards: the chip applet each card carries, its keys, and the issuer's check of
its cryptograms (``applet``, ``keys``, ``authentication``). The phone's applet (wallet/) holds a
token; a plastic card holds the card number itself."""

from elcart_sim.cards.applet import CARD_EXPIRY, CARD_PSN, PlasticCards, plastic_card_applet
from elcart_sim.cards.authentication import ChipAuthentication
from elcart_sim.cards.keys import CardKeys

__all__ = ["PlasticCards", "plastic_card_applet", "ChipAuthentication", "CardKeys", "CARD_EXPIRY", "CARD_PSN"]
