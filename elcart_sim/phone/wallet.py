"""ELKART Pay on a cardholder's phone: the wallet that holds a token and answers the terminal.

A cardholder who passed remote identification in ELKART Mobile links an ELKART card; the token
service tokenizes it for this phone; contactless payment is switched on; from then on the phone,
unlocked and held to a contactless POS terminal, answers the terminal's APDUs through Android's
host card emulation with the payment applet. Only Android 6.0.1 or newer with NFC can do this.
The wallet never holds the card number, only the token.
"""

from __future__ import annotations

from dataclasses import dataclass

from elcart_sim.errors import ElcartSimError
from elcart_sim.phone.applet import PaymentApplet
from elcart_sim.population import MIN_ELKART_PAY_ANDROID, Population
from elcart_sim.redact import mask_pan
from elcart_sim.token_service import TokenService

__all__ = ["Wallet", "EnrolmentRefused"]


class EnrolmentRefused(ElcartSimError):
    """The phone cannot run ELKART Pay (no NFC, or Android older than 6.0.1)."""


@dataclass(slots=True)
class Wallet:
    card: int  # index of the funding card in the population; the wallet itself never sees its PAN
    token_masked: str
    applet: PaymentApplet

    @classmethod
    def enrol(cls, population: Population, token_service: TokenService, card: int, aid: bytes) -> "Wallet":
        """Link and tokenize `card` on its holder's phone; refused on phones that cannot do HCE."""
        version = int(population.android_version[card])
        if not population.has_nfc[card]:
            raise EnrolmentRefused(f"card {card}: the holder's phone has no NFC")
        if version < MIN_ELKART_PAY_ANDROID:
            shown = "not Android" if version == 0 else f"Android {version // 10000}.{version // 100 % 100}.{version % 100}"
            raise EnrolmentRefused(f"card {card}: ELKART Pay needs Android 6.0.1 or newer with NFC, the phone runs {shown}")
        credential = token_service.provision(card)
        return cls(card=card, token_masked=mask_pan(credential.token_pan), applet=PaymentApplet(credential, aid=aid))
