"""The phone side of a tap: the wallet's HCE payment applet and its token credential."""

from elcart_sim.tokens.credential import TokenCredential
from elcart_sim.wallet.answers import DEFAULT_AID, DEFAULT_LABEL
from elcart_sim.wallet.applet import PaymentApplet

__all__ = ["PaymentApplet", "TokenCredential", "DEFAULT_AID", "DEFAULT_LABEL"]
