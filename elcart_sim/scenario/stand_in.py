"""Scenario fields of stand-in processing at the switch (`switch.stand_in`).

Physical picture: when an issuer's host is unavailable — its link down, or signed off by the
switch after ``sign_off_after_timeouts`` requests in a row went unanswered — or does not answer
an authorisation within the switch's timeout, IPC's switch may decide in the issuer's stead
(``on_unavailable``, ``on_timeout``): it approves a tap paid with a token whose cryptogram it has
checked, up to the issuer's stand-in limits (``limits``, or the bank's own in ``limits_by_bank``:
per transaction, and per card over the day, in som), and declines beyond them. Each stand-in
approval is stored and forwarded to the issuer as an advice (0120) when it is back
(``advice``: the first try ``first_try_delay_s`` after the decision, a repeat (0121) every
``retry_interval_s`` without an answer, given up ``expiry_s`` after the decision). A signed-off
issuer is tried again with a live request every ``probe_interval_s``; any answer signs it on.
Off by default (``enabled: false``): the switch then answers 91 on a timeout and reverses, as it
always has. Limits and timings are estimates [E] (docs/sources.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from elcart_sim.scenario.fields import checked, non_negative, positive

__all__ = ["StandInLimits", "AdviceSpec", "StandInSpec"]


@dataclass(frozen=True)
class StandInLimits:
    """What the switch may approve for one issuer in its stead, in som: one transaction, and
    one card's stand-in approvals over a day."""

    per_transaction_kgs: float = field(default=5_000.0, metadata=checked(non_negative))
    per_card_per_day_kgs: float = field(default=10_000.0, metadata=checked(non_negative))

    @property
    def per_transaction_tyiyn(self) -> int:
        return round(self.per_transaction_kgs * 100)

    @property
    def per_card_per_day_tyiyn(self) -> int:
        return round(self.per_card_per_day_kgs * 100)


@dataclass(frozen=True)
class AdviceSpec:
    """Store and forward of the stand-in advices, per issuer, one in flight at a time."""

    first_try_delay_s: float = field(default=30.0, metadata=checked(non_negative))
    retry_interval_s: float = field(default=60.0, metadata=checked(positive))
    expiry_s: float = field(default=86_400.0, metadata=checked(positive))


@dataclass(frozen=True)
class StandInSpec:
    """Stand-in processing at the switch; see the module's docstring. The banks named in
    ``limits_by_bank`` are checked against the population's banks when the run is built."""

    enabled: bool = False
    on_timeout: bool = True
    on_unavailable: bool = True
    sign_off_after_timeouts: int = field(default=3, metadata=checked(positive))
    probe_interval_s: float = field(default=30.0, metadata=checked(positive))
    limits: StandInLimits = field(default_factory=StandInLimits)
    limits_by_bank: dict[str, StandInLimits] = field(default_factory=dict)
    advice: AdviceSpec = field(default_factory=AdviceSpec)

    def limits_of(self, bank: str) -> StandInLimits:
        """The stand-in limits of bank ``bank``: its own, else the default."""
        return self.limits_by_bank.get(bank, self.limits)
