"""The phones of the country: which phone each enrolled cardholder carries today.

Physical picture: hundreds of thousands of people have ELKART Pay on their phones; a national
day touches most of them once. A wallet enrolled before the day is built the first time its
holder pays (online with a full batch of keys, or an offline phone with what it had left); a
phone replaced during the day (tokens/lifecycle.py) first has no token, then — after ID&V — a
wallet of its own. A live device on a PC/SC reader is known by the token it presents; the token
numbers of a bank's wallets are indexed the first time a token of that bank is looked up.
"""

from __future__ import annotations

from typing import Any

import simpy

from elcart_sim.tokens.identity import IdvResult
from elcart_sim.tokens.token_service import TokenService
from elcart_sim.wallet.wallet import PhoneWithoutToken, Wallet, WalletProfile, WalletServices, attested_device_id
from elcart_sim.world.population import Population

__all__ = ["Phones"]


class Phones:
    """The wallet registry of one run (tokens/lifecycle.py's WalletRegistry)."""

    def __init__(
        self,
        env: simpy.Environment,
        population: Population,
        token_service: TokenService,
        profile: WalletProfile,
        services: WalletServices,
        offline: dict[int, tuple[int, float]],
    ):
        self.env = env
        self.population = population
        self.token_service = token_service
        self.profile = profile
        self.services = services
        self.offline = offline  # card -> (keys left, when that batch was issued): phones offline all day
        self.wallets: dict[int, Wallet | PhoneWithoutToken] = {}  # the phone each card's holder carries
        self._cards_by_token: dict[int, dict[str, int]] = {}  # bank index -> token PAN -> card

    def wallet(self, card: int) -> Wallet | PhoneWithoutToken:
        """The phone the card's holder carries; a wallet enrolled before the day is built on first use
        (online with a full key batch, or offline with what it had left)."""
        wallet = self.wallets.get(card)
        if wallet is None:
            offline = self.offline.get(card)
            keys_left, keys_issued_at = offline if offline is not None else (None, None)
            wallet = self.wallets[card] = self._enrol(
                card, at=self.env.now, online=offline is None, keys_left=keys_left, keys_issued_at=keys_issued_at, before_the_day=True
            )
        return wallet

    def replace_wallet(self, card: int, wallet: Wallet | PhoneWithoutToken) -> None:
        """The card's holder now carries ``wallet`` (a new phone, token lifecycle)."""
        self.wallets[card] = wallet

    def enrol_phone(self, card: int, phone: int, idv: IdvResult, at: float) -> Wallet:
        """Tokenize the card onto its holder's phone number ``phone`` now, after ``idv`` passed."""
        return self._enrol(card, phone=phone, idv=idv, at=at)

    def _enrol(self, card: int, **enrolment: Any) -> Wallet:
        """Wallet.enrol with this run's population, token service, profile and services."""
        return Wallet.enrol(self.population, self.token_service, card, self.profile.aid, profile=self.profile, services=self.services, **enrolment)

    def new_phone(self, card: int, phone: int) -> PhoneWithoutToken:
        """The card's holder's phone number ``phone``, new, before ELKART Pay holds a token on it."""
        return PhoneWithoutToken(card, attested_device_id(f"card {card} phone {phone}"), phone)

    def card_of_token(self, token_pan: str) -> int | None:
        """The enrolled card whose wallet the token service gives ``token_pan`` (its first phone's
        token), or None if it never would."""
        bank = self.population.bank_of_token_bin(token_pan[:6])
        if bank is None:
            return None
        cards = self._cards_by_token.get(bank.index)
        if cards is None:
            enrolled = self.population.enrolled_cards
            starts = self.population.card_starts
            first, stop = enrolled.searchsorted(starts[bank.index]), enrolled.searchsorted(starts[bank.index + 1])
            token_pan_for = self.token_service.token_pan_for
            cards = self._cards_by_token[bank.index] = {token_pan_for(card): card for card in enrolled[first:stop].tolist()}
        return cards.get(token_pan)
