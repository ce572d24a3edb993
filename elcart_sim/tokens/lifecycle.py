"""Token lifecycle over the day: suspensions lifted later, and phones replaced.

Physical picture: every day a few cardholders freeze their card in the bank's app, or their bank
puts a token under fraud review — the token service suspends the token, and taps meanwhile are
declined (62, "token suspended") until it is resumed. A few others move to a new phone: the old
token is deleted (the old phone can no longer pay: 14, "token deleted"), the app on the new phone
goes through identity and verification again — which takes minutes and sometimes fails — and only
then gets a token of its own, bound to the new device, with a fresh batch of keys. Until then the
new phone has no ELKART Pay token and a terminal finds no payment application on it.

How many: ``suspension_share`` and ``phone_replacement_share`` of the enrolled wallets per day
(Poisson counts, scaled to the run's duration), at uniform instants, for uniformly chosen
wallets, each from its own named stream. Each step is a row of the ``token_events`` table.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Protocol

import numpy as np
import simpy

from elcart_sim.core.streams import RandomStreams
from elcart_sim.scenario import LifecycleSpec
from elcart_sim.tokens.identity import IdentityVerification, IdvResult
from elcart_sim.tokens.token_service import TokenService
from elcart_sim.world.population import Population

if TYPE_CHECKING:
    from elcart_sim.wallet.wallet import PhoneWithoutToken, Wallet

__all__ = ["TokenLifecycle", "WalletRegistry"]

SUSPENSION_REASON = "suspended at the cardholder's or issuer's request"


class WalletRegistry(Protocol):
    """Which phone each card's holder carries (the simulation keeps it)."""

    def wallet(self, card: int) -> Wallet | PhoneWithoutToken: ...

    def replace_wallet(self, card: int, wallet: Wallet | PhoneWithoutToken) -> None: ...

    def enrol_phone(self, card: int, phone: int, idv: IdvResult, at: float) -> Wallet: ...

    def new_phone(self, card: int, phone: int) -> PhoneWithoutToken: ...


class TokenLifecycle:
    """Lifecycle requests to the token service: suspend/resume, and delete + re-provision."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: LifecycleSpec,
        duration_s: float,
        population: Population,
        token_service: TokenService,
        identity: IdentityVerification,
        wallets: WalletRegistry,
        streams: RandomStreams,
    ):
        self.env = env
        self.spec = spec
        self.duration_s = duration_s
        self.population = population
        self.token_service = token_service
        self.identity = identity
        self.wallets = wallets
        self._streams = streams
        self._suspension_s = streams.sampler("lifecycle.suspension_duration", spec.suspension.distribution())

    def _plan(self, name: str, share: float) -> list[tuple[float, int]]:
        """(instant, card) of the day's requests of one kind, sorted by instant."""
        cards = self.population.enrolled_cards
        if not len(cards) or share <= 0:
            return []
        rng = self._streams.generator(f"lifecycle.{name}")
        count = int(rng.poisson(share * len(cards) * self.duration_s / 86_400.0))
        times = np.sort(rng.uniform(0.0, self.duration_s, count))
        picks = rng.integers(0, len(cards), count)
        return [(float(t), int(cards[i])) for t, i in zip(times, picks, strict=True)]

    def generate_requests(self) -> Generator[simpy.Event, object, None]:
        """SimPy process: play the day's suspensions and phone replacements at their instants."""
        plan = [(t, "suspension", c) for t, c in self._plan("suspensions", self.spec.suspension_share)]
        plan += [(t, "replacement", c) for t, c in self._plan("phone_replacements", self.spec.phone_replacement_share)]
        plan.sort()
        env = self.env
        for at, kind, card in plan:
            yield env.timeout(at - env.now)
            if kind == "suspension":
                env.process(self.suspend_for_a_while(card))
            else:
                env.process(self.replace_phone(card))

    def suspend_for_a_while(self, card: int) -> Generator[simpy.Event, object, None]:
        """SimPy process: suspend the card's token now, resume it after the drawn duration."""
        wallet = self.wallets.wallet(card)
        record = self.token_service.detokenise(wallet.token_pan) if wallet.token_pan else None
        if record is None or record.status != "active":
            return
        self.token_service.suspend(record.token_pan, SUSPENSION_REASON, self.env.now)
        yield self.env.timeout(self._suspension_s())
        if record.status == "suspended":
            self.token_service.resume(record.token_pan, "suspension lifted", self.env.now)

    def replace_phone(self, card: int, reason: str = "phone replaced") -> Generator[simpy.Event, object, Wallet | PhoneWithoutToken]:
        """SimPy process: the holder moves to a new phone. The old token is deleted now; the new
        phone has no token until ID&V passes (then a token for the new device) — or for the rest
        of the run if it fails. Returns what the holder carries at the end."""
        env = self.env
        old = self.wallets.wallet(card)
        if old.token_pan is not None:
            record = self.token_service.detokenise(old.token_pan)
            if record is not None and record.status != "deleted":
                self.token_service.delete(old.token_pan, reason, env.now)
        phone = old.phone + 1
        waiting = self.wallets.new_phone(card, phone)
        self.wallets.replace_wallet(card, waiting)
        idv = self.identity.verify(card)
        yield env.timeout(idv.latency_s)
        if self.wallets.wallet(card) is not waiting:
            return self.wallets.wallet(card)  # replaced again meanwhile
        if not idv.passed:
            self.token_service.refuse_provisioning(idv, env.now, waiting.device_id)
            return waiting
        new = self.wallets.enrol_phone(card, phone, idv, env.now)
        self.wallets.replace_wallet(card, new)
        return new
