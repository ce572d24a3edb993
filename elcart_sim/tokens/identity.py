"""Identity and verification (ID&V): who may have a card tokenized onto a phone.

Physical picture: before IPC's token service puts a card onto a phone, the ELKART Mobile app
must know who its user is (remote identification: passport data and a selfie checked against
the state register) and the issuing bank must confirm that the card being linked is that
person's (a one-time code sent by the bank). Both take a while and both can fail; only a passed
ID&V lets the token service provision a token (EMVCo Payment Tokenisation Framework v2.3 §3,
"ID&V").

:class:`IdentityVerification` is that step as the simulation sees it: each request draws its
latency and its outcome from its own named streams. Wallets enrolled before the simulated day
passed it then (:meth:`IdvResult.passed_before_the_day`).
"""

from __future__ import annotations

from typing import NamedTuple

from elcart_sim.core.streams import RandomStreams
from elcart_sim.scenario import ProvisioningSpec

__all__ = ["IdvResult", "IdentityVerification"]


class IdvResult(NamedTuple):
    """The outcome of ID&V for one card's holder: passed or not, after ``latency_s`` seconds
    (immutable; a named tuple, cheap to make for every wallet enrolled before the day)."""

    card: int
    passed: bool
    latency_s: float
    reason: str = ""

    @classmethod
    def passed_before_the_day(cls, card: int) -> IdvResult:
        return _new(cls, (card, True, 0.0, ""))


_new = tuple.__new__  # a named tuple from all its fields, without its Python-level __new__


class IdentityVerification:
    """Remote identification of the app user plus the issuer's confirmation of the card link."""

    def __init__(self, spec: ProvisioningSpec, streams: RandomStreams):
        self.failure_share = spec.idv_failure_share
        self._latency_s = streams.sampler("provisioning.idv_latency", spec.idv.distribution())
        self._outcome = streams.uniform("provisioning.idv_outcome")

    def verify(self, card: int) -> IdvResult:
        """One ID&V attempt for the holder of ``card`` (latency and outcome drawn now)."""
        latency_s = self._latency_s()
        if self._outcome() < self.failure_share:
            return IdvResult(card, False, latency_s, "identity and verification failed (user not identified or card link not confirmed)")
        return IdvResult(card, True, latency_s)

