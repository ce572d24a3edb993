"""Account-transfer demand: who sends money from an ELKART card to a bank account, when, and how much.

Physical picture: people pay rent, send money to their own savings account or to a relative's
current account from the app, more of them around midday; the ``account_transfer`` channel is a
Poisson stream at its share of ELKART Mobile's payments (``demand.app_channels``) following the
service's hourly profile (``services.account_transfers.hourly_profile``, else the demand's;
world/arrivals.py). A sender is a cardholder who linked a card in the app; the account is at a member bank drawn uniformly [estimate], with a random serial (world/bank_accounts.py).
A share of senders mistype the number (``services.account_transfers.wrong_account_share``):
one digit changed, which its check digit catches — the service refuses it before any money moves.
"""

from __future__ import annotations

import functools
from array import array
from collections.abc import Callable

import numpy as np
import simpy

from elcart_sim.core.streams import RandomStreams
from elcart_sim.scenario import ACCOUNT_TRANSFER_CHANNELS, Scenario
from elcart_sim.world.arrivals import HourlyPoisson
from elcart_sim.world.bank_accounts import account_number
from elcart_sim.world.demand import STANDARD_EXPONENTIAL, hourly_rates_per_s
from elcart_sim.world.directory import Directory

__all__ = ["AccountTransferDemand"]

StartAccountTransfer = Callable[[int, str, int], None]  # (sender card, account number as typed, amount_tyiyn)

_MIN_TRANSFER_TYIYN = 100  # one som
_PER_MILLION = 1_000_000
_SERIALS = 10**12


class AccountTransferDemand:
    """The arrivals of transfers to bank accounts, and the choices each makes."""

    def __init__(self, scenario: Scenario, directory: Directory, streams: RandomStreams):
        spec = scenario.services.account_transfers
        self.banks = directory.population.banks
        linked = np.flatnonzero(directory.linked)
        self._linked = array("q", linked.tolist())
        self._sender = streams.integers("account_transfers.sender", max(1, len(linked)))
        self._bank = streams.integers("account_transfers.bank", len(self.banks))
        self._serial = streams.integers("account_transfers.serial", _SERIALS)
        self._mistyped = streams.integers("account_transfers.mistyped", _PER_MILLION)
        self._mistyped_below = round(spec.wrong_account_share * _PER_MILLION)
        self._digit = streams.integers("account_transfers.mistyped_digit", 16 * 9)
        self._amount = streams.sampler("account_transfers.amount", spec.amount.distribution())
        duration = scenario.demand.duration_s
        self.arrivals = {
            channel: HourlyPoisson(
                hourly_rates_per_s(scenario, channel), duration, streams.sampler(f"account_transfers.{channel}.arrivals", STANDARD_EXPONENTIAL)
            )
            for channel in ACCOUNT_TRANSFER_CHANNELS
            if scenario.demand.share(channel) > 0
        }

    def schedule(self, env: simpy.Environment, start_transfer: StartAccountTransfer, day: Scenario | None = None) -> None:
        """Call ``start_transfer(sender card, account number as typed, amount_tyiyn)`` at each arrival,
        from now for a day (at ``day``'s rates: Scenario.on(date), when given)."""
        if not self._linked:
            return
        for channel, arrivals in self.arrivals.items():
            arrivals.start(env, functools.partial(self._arrive, start_transfer), None if day is None else hourly_rates_per_s(day, channel))

    def _arrive(self, start_transfer: StartAccountTransfer) -> None:
        sender = self._linked[self._sender()]
        start_transfer(sender, self.account(), self.next_amount_tyiyn())

    def account(self) -> str:
        """An account number as a sender types it (a share of them with one digit changed)."""
        number = account_number(self.banks[self._bank()], self._serial())
        if self._mistyped() < self._mistyped_below:
            where, shift = divmod(self._digit(), 9)
            number = number[:where] + str((int(number[where]) + shift + 1) % 10) + number[where + 1 :]
        return number

    def next_amount_tyiyn(self) -> int:
        return max(_MIN_TRANSFER_TYIYN, round(self._amount()))
